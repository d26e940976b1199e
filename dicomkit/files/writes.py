"""Writing received bytes to a file in system calls of less than 512 KiB each (WRITE_LIMIT).

Every writer of downloaded instances goes through here (the jobs' staged files, the client's
download to a folder), so the limit holds in one place whatever size of pieces a transport
or a caller hands over.

Why a limit: on Linux, one ``write`` of 512 KiB or more lets the page cache take a folio of
512 KiB or more for the data (the kernel sizes it by the call's length), an allocation that
on a virtual machine handing its free memory back to the host (virtio-balloon free page
reporting, in blocks of 2 MiB) often lands in memory the host must fault in again. Measured
on the build machine (Linux 6.18, ext4, 3 December 2026; docs/performance.md, "Why a
download's turns are slow on this machine"): writing 500 files of 525 KB from fresh memory
took 0.23-1.21 s instead of 0.05-0.09 s in 34 of 134 rounds when each file went in calls of
512 KiB or more (one ``write`` or ``writev`` per file), and never more than 0.12 s in 122
rounds in calls of 450,000 bytes or less. ``dicomkit download`` of the 500 x 525 KB study
took 0.48-0.76 times as long as with one ``writev`` per file in runs where that phase showed
(with calls of 256 KiB), and as long in calm runs (with calls under 512 KiB).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

__all__ = ["WRITE_LIMIT", "limited", "write_all", "write_pieces"]

WRITE_LIMIT = (512 << 10) - 1
"""Bytes handed to the system in one ``write`` or ``writev`` at most: under 512 KiB, so the
page cache takes folios of 256 KiB at most (see the module); a 525 KB file takes two calls."""
_MAX_VECTORS = 64
"""Buffers per ``writev`` at most (the system's limit, IOV_MAX, is 1024 on Linux)."""

Data = bytes | bytearray | memoryview


def limited(data: Data) -> list[Data]:
    """``data`` in slices of at most WRITE_LIMIT bytes (no copies), for a writer that is a
    file object: it hands each slice larger than its buffer to the system in one call."""
    if len(data) <= WRITE_LIMIT:
        return [data]
    view = memoryview(data)
    return [view[start : start + WRITE_LIMIT] for start in range(0, len(view), WRITE_LIMIT)]


def write_all(fd: int, data: Data) -> None:
    """All of ``data`` to ``fd``, in calls of at most WRITE_LIMIT bytes (more calls only if
    the system takes less at a time)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view[:WRITE_LIMIT]) :]


def write_pieces(fd: int, pieces: Iterable[Data]) -> None:
    """``pieces`` to ``fd`` in order: those that fit in WRITE_LIMIT together in one ``writev``
    where the system has it (one call instead of several), a larger one in slices."""
    vectored = hasattr(os, "writev")
    batch: list[memoryview] = []
    size = 0
    for piece in pieces:
        view = memoryview(piece)
        if batch and (size + len(view) > WRITE_LIMIT or len(batch) >= _MAX_VECTORS):
            _write_batch(fd, batch)
            batch, size = [], 0
        if len(view) >= WRITE_LIMIT or not vectored:
            write_all(fd, view)
        elif view:
            batch.append(view)
            size += len(view)
    if batch:
        _write_batch(fd, batch)


def _write_batch(fd: int, views: list[memoryview]) -> None:
    """``views`` (WRITE_LIMIT bytes together at most) in one ``writev``, going on from where
    a call stopped if it took less."""
    if len(views) == 1:
        write_all(fd, views[0])
        return
    first = 0
    while first < len(views):
        written = os.writev(fd, views[first:])
        while first < len(views) and written >= len(views[first]):
            written -= len(views[first])
            first += 1
        if written:
            views[first] = views[first][written:]
