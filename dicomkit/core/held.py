"""After a STOW-RS request broke without an answer: which of its instances does the server hold?

A connection lost after the server stored a batch leaves the outcome unknown; reporting the
batch as failed would be wrong for every instance the server did store. The answer is asked of
the server itself, with QIDO-RS by a list of SOP Instance UIDs (PS3.18 8.3.4.1), and the batch
is then settled per instance: stored (the server holds it) or failed ("not on the server").
Both the clients (``store_instances``, the upload methods) and the journaled jobs use the one
exchange here, :class:`HeldExchange`; docs/reliability.md says what each reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from dicomkit.core.errors import (
    ConnectionLostError,
    DicomkitError,
    HTTPError,
    ProtocolError,
    ReadTimeout,
    StoreError,
)
from dicomkit.core.interface import Headers, HeadersInput
from dicomkit.core.operations.exchange import Exchange, Step
from dicomkit.core.stow_response import FailedInstance, StoredInstance, StoreResult
from dicomkit.core.uids import validate_uid

if TYPE_CHECKING:
    from dicomkit.core.operations.factory import Exchanges

__all__ = [
    "LOOKUP_CHUNK",
    "NOT_ON_SERVER",
    "NOT_YET",
    "HeldExchange",
    "confirmed",
    "maybe_stored",
    "sop_uids_of",
]

LOOKUP_CHUNK = 50
"""SOP Instance UIDs per QIDO-RS lookup: a UID list this long keeps the URL near 3 KB, under
every server's limit (Orthanc and IIS refuse from 4 to 16 KB)."""
NOT_ON_SERVER = "connection lost; not on the server"
"""The failure reason of an instance of a broken request that the server does not hold."""
NOT_YET = "no answer in time; not on the server when asked"
"""The failure reason of an instance the server did not hold when asked after a timeout (a
read timeout, a gateway's 504): the server may still be storing it, so its outcome is unknown
(the folder report lists it under ``unknown``)."""
_NOT_ACTED = (501, 503)
"""Error statuses that say the server did not act on the request (not implemented, unavailable)."""


def maybe_stored(error: DicomkitError) -> bool:
    """Whether a STOW-RS request that ended with ``error`` may have stored some instances.

    True when the request may have reached the server whole and no answer could be read: the
    connection was lost or timed out while waiting (never a failure to connect), the answer
    was garbled, or a server error other than 501/503 (a gateway's 502 or 504 come after the
    server behind it may have stored everything).
    """
    if isinstance(error, (ConnectionLostError, ReadTimeout, ProtocolError)):
        return True
    return isinstance(error, HTTPError) and error.status >= 500 and error.status not in _NOT_ACTED


def sop_uids_of(found: Iterable[dict[str, Any]]) -> set[str]:
    """The SOP Instance UIDs of QIDO-RS results (DICOM JSON)."""
    uids: set[str] = set()
    for instance in found:
        element = instance.get("00080018")
        values = element.get("Value") if isinstance(element, dict) else None
        if isinstance(values, list):
            uids.update(str(value) for value in values if value)
    return uids


class HeldExchange(Exchange[Any, set[str]]):
    """Which of ``sop_uids`` the server holds: one QIDO-RS instance search per
    :data:`LOOKUP_CHUNK` UIDs (under ``study`` when given), every page of each followed.

    Only UIDs that were asked count, so a server that ignores the filter and lists everything
    cannot make an instance "held" that was not in the batch. Any failure of a search raises
    its error: the caller then cannot know, and must say the outcome is unknown.
    """

    def __init__(
        self, exchanges: Exchanges, sop_uids: Iterable[str], study: str | None = None
    ) -> None:
        if study is not None:
            validate_uid(study, "StudyInstanceUID")
        self.asked = list(dict.fromkeys(validate_uid(uid, "SOPInstanceUID") for uid in sop_uids))
        self._search = partial(
            exchanges.search, "instances", study, fields=["SOPInstanceUID"], get_remaining=True
        )
        self._chunks = [
            self.asked[start : start + LOOKUP_CHUNK]
            for start in range(0, len(self.asked), LOOKUP_CHUNK)
        ]
        self._current = self._next_search()
        super().__init__(self._current.request)
        self.done = not self.asked
        self.held: set[str] = set()

    def _next_search(self) -> Exchange[Any, Any]:
        chunk = self._chunks.pop(0) if self._chunks else []
        return self._search(None, {"SOPInstanceUID": chunk} if chunk else None)

    def start(self, status: int, headers: HeadersInput) -> Step:
        self.status, self.headers = status, Headers(headers)
        return self._current.start(status, headers)

    def feed(self, chunk: bytes) -> list[Any]:
        return self._current.feed(chunk)

    @property
    def pending(self) -> int:
        return self._current.pending

    def close(self) -> list[Any]:
        self._current.close()
        if self._current.done:
            self.held |= sop_uids_of(self._current.result()) & set(self.asked)
            if not self._chunks:
                self.done = True
                return []
            self._current = self._next_search()
        self.request = self._current.request
        return []

    def error(self, status: int, headers: HeadersInput, body: bytes) -> DicomkitError:
        return self._current.error(status, headers, body)

    def result(self) -> set[str]:
        return set(self.held)


def confirmed(
    sop_uids: Sequence[str], held: set[str], error: DicomkitError
) -> StoreResult | StoreError:
    """A broken batch settled by a lookup: the instances ``held`` are stored, the others failed
    with :data:`NOT_ON_SERVER` (the error in their detail), or :data:`NOT_YET` after a timeout,
    when the server may still be at work. A StoreResult when all are held
    (with a warning saying how it was learnt), else the StoreError carrying it."""
    result = StoreResult(status=0)
    for uid in sop_uids:
        if uid in held:
            result.stored.append(StoredInstance("", uid))
        else:
            result.failed.append(FailedInstance("", uid, None, _reason(error), str(error)))
    count = len(result.stored)
    result.warnings.append(
        f"no answer from the server ({error}); QIDO-RS found {count} of {len(sop_uids)} "
        "instance(s) of the request on the server"
    )
    if not result.failed:
        return result
    message = (
        f"STOW-RS broke without an answer ({error}): {count} of {len(sop_uids)} instance(s) "
        f"are on the server, {len(result.failed)} are not: "
        + ", ".join(failed.sop_instance_uid for failed in result.failed[:5])
        + (" ..." if len(result.failed) > 5 else "")
    )
    return StoreError(message, result, status=0)


def _reason(error: DicomkitError) -> str:
    if isinstance(error, ReadTimeout) or (isinstance(error, HTTPError) and error.status == 504):
        return NOT_YET
    if isinstance(error, HTTPError):
        return f"HTTP {error.status}; not on the server"
    return NOT_ON_SERVER
