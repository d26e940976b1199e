"""The SOP Instance UIDs of a STOW-RS batch, to ask the server which of them it holds.

A broken request is settled per instance by :class:`dicomkit.core.held.HeldExchange`, which
needs each instance's SOP Instance UID. Datasets and sniffed files carry it already; paths,
bytes and binary files given to ``store_instances`` are read for it here (their first 64 KiB,
walked without pydicom). Blocking: the drivers call it through ``offload``.
"""

from __future__ import annotations

from collections.abc import Sequence

from dicomkit.core.stow import StowItem
from dicomkit.files.uid_scan import HEAD_BYTES, scan_sop_uid

__all__ = ["batch_sop_uids"]


def batch_sop_uids(items: Sequence[StowItem]) -> list[str] | None:
    """Each item's SOP Instance UID, in order; None when one cannot be told from its bytes
    (then nothing can be settled per instance and the outcome stays unknown)."""
    uids: list[str] = []
    for item in items:
        uid = item.sop_instance_uid or _scanned(item)
        if not uid:
            return None
        uids.append(uid)
    return uids


def _scanned(item: StowItem) -> str | None:
    if isinstance(item.source, bytes):
        return scan_sop_uid(item.source[:HEAD_BYTES])
    try:
        with item.source() as handle:
            return scan_sop_uid(handle.read(HEAD_BYTES))
    except OSError:
        return None
