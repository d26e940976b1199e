"""STOW-RS: batching instances into requests, their streamed bodies, and their exchange.

Pure like the rest of the core: an instance arrives as bytes or as an *opener* (a callable
returning a context-managed binary file) supplied by the client layer, so a file is opened only
while its part is being sent and again on every retry of the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import BinaryIO

from dicomkit.core import multipart
from dicomkit.core.dicomjson import StoreResult, parse_store_response
from dicomkit.core.errors import DicomJSONError, HTTPError, InvalidArgumentError, StoreError
from dicomkit.core.interface import HeadersInput, Request, StreamBody
from dicomkit.core.operations import BodyExchange, Operations, error_from_response, raise_for_status

__all__ = [
    "DEFAULT_BATCH_BYTES",
    "DEFAULT_BATCH_COUNT",
    "DEFAULT_WORKERS",
    "Opener",
    "StoreExchange",
    "StoreTally",
    "StowItem",
    "interpret_store",
    "merge_results",
    "plan_batches",
    "store_exchange",
    "stow_body",
    "store_error_message",
]

DEFAULT_BATCH_COUNT = 200
"""Instances per STOW-RS request at most."""
DEFAULT_BATCH_BYTES = 256 * 1024 * 1024
"""Bytes of instances per STOW-RS request at most (a single larger instance goes alone)."""
DEFAULT_WORKERS = 4
"""Requests in flight at once for bulk uploads and downloads (``workers=None``): the fastest
of 1, 2, 4 and 8 on Orthanc and the reference server (docs/transfers.md)."""

Opener = Callable[[], AbstractContextManager[BinaryIO]]


@dataclass(frozen=True)
class StowItem:
    """One instance to store: its bytes or a file opener, its size when known, and a label."""

    source: bytes | Opener
    length: int | None = None
    label: str = ""
    sop_instance_uid: str | None = None

    def size(self) -> int | None:
        if isinstance(self.source, bytes):
            return len(self.source)
        return self.length


def plan_batches(
    items: Iterable[StowItem],
    *,
    max_count: int = DEFAULT_BATCH_COUNT,
    max_bytes: int = DEFAULT_BATCH_BYTES,
) -> list[list[StowItem]]:
    """Split items into consecutive batches bounded by count and by bytes.

    An item larger than ``max_bytes`` travels alone; an item of unknown size ends its batch.
    """
    for name, limit in (("max_batch_instances", max_count), ("max_batch_bytes", max_bytes)):
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidArgumentError(f"{name} must be an integer >= 1, not {limit!r}")
    batches: list[list[StowItem]] = []
    current: list[StowItem] = []
    current_bytes = 0
    for item in items:
        size = item.size()
        if current and (
            len(current) >= max_count or (size is not None and current_bytes + size > max_bytes)
        ):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(item)
        if size is None:
            batches.append(current)
            current, current_bytes = [], 0
        else:
            current_bytes += size
    if current:
        batches.append(current)
    return batches


_PART_HEADERS = (("Content-Type", "application/dicom"),)


def _parts(items: Sequence[StowItem]) -> Iterator[multipart.Part]:
    """Parts opened one at a time: a file stays open only while the encoder reads it."""
    for item in items:
        if isinstance(item.source, bytes):
            yield multipart.Part(item.source, _PART_HEADERS)
        else:
            with item.source() as handle:
                yield multipart.Part(handle, _PART_HEADERS, length=item.length)


def stow_body(items: Sequence[StowItem], boundary: str, *, chunk_size: int = 1 << 20) -> StreamBody:
    """A replayable multipart/related body of ``items``; its length is known when every size is."""
    sizes = [item.size() for item in items]
    length: int | None = None
    if all(size is not None for size in sizes):
        framing = multipart.multipart_length(
            [multipart.Part(b"", _PART_HEADERS)] * len(items), boundary
        )
        length = None if framing is None else framing + sum(s or 0 for s in sizes)

    def chunks() -> Iterator[bytes]:
        try:
            yield from multipart.encode_multipart(_parts(items), boundary, chunk_size=chunk_size)
        except OSError as exc:
            raise InvalidArgumentError(f"cannot read an instance to store: {exc}") from exc

    return StreamBody(chunks, length)


def store_error_message(result: StoreResult, status: int) -> str:
    """A one-paragraph summary naming every failure and warning."""
    total = len(result.stored) + len(result.failed)
    text = f"STOW-RS (HTTP {status}) stored {len(result.stored)} of {total} instance(s)"
    details = []
    for failed in result.failed:
        code = "" if failed.reason_code is None else f" (0x{failed.reason_code:04X})"
        detail = f": {failed.detail}" if failed.detail else ""
        who = failed.sop_instance_uid or "an instance the server did not name"
        details.append(f"{who}: {failed.reason}{code}{detail}")
    details.extend(f"warning: {text}" for text in result.warnings)
    if details:
        text += "; " + "; ".join(details)
    return text


def interpret_store(
    request: Request, status: int, headers: HeadersInput, body: bytes
) -> StoreResult:
    """The StoreResult of a STOW-RS answer; StoreError when anything failed or warned.

    200 with no failure is success; 202, or 4xx with a DICOM JSON body listing instances,
    raises :class:`StoreError` carrying the result; any other error status raises the
    matching :class:`HTTPError` (with the server's own error body, e.g. Orthanc's JSON).
    """
    if 300 <= status < 400:
        raise error_from_response(request, status, headers, body)
    if status >= 300 and status not in (400, 409, 202):
        raise_for_status(request, status, headers, body)
    try:
        result = parse_store_response(status, body)
    except DicomJSONError:
        if status >= 400:
            raise error_from_response(request, status, headers, body) from None
        raise
    if status >= 400 and not result.failed and not result.stored:
        raise _unexplained_refusal(error_from_response(request, status, headers, body))
    if status >= 400 or status == 202 or not result.ok or result.warnings:
        raise StoreError(store_error_message(result, status), result, status=status)
    return result


def _unexplained_refusal(error: HTTPError) -> HTTPError:
    """A refusal whose DICOM JSON body lists no instance (Orthanc's answer to a part that is not
    DICOM) gets a sentence instead of the raw JSON as its message; the body is kept."""
    if error.reasons:
        return error
    message = (
        f"HTTP {error.status} for {error.method} {error.url}: the server stored nothing and "
        "did not say which instance it refused (Orthanc answers so when a part is not DICOM)"
    )
    return type(error)(
        error.status,
        message,
        method=error.method,
        url=error.url,
        headers=error.headers,
        body=error.body,
        reasons=error.reasons,
    )


def merge_results(results: Sequence[StoreResult]) -> StoreResult:
    """One StoreResult for several batches: every stored, failed and warning kept in order."""
    if len(results) == 1:
        return results[0]
    merged = StoreResult()
    for result in results:
        merged.stored.extend(result.stored)
        merged.failed.extend(result.failed)
        merged.warnings.extend(result.warnings)
    statuses = [r.status for r in results if r.status]
    merged.status = max(statuses) if statuses else 200
    urls = {r.retrieve_url for r in results if r.retrieve_url}
    merged.retrieve_url = urls.pop() if len(urls) == 1 else None
    return merged


class StoreExchange(BodyExchange[StoreResult]):
    """A STOW-RS answer: 2xx, and 400/409 (which carry a Store response), are read whole.

    :meth:`result` is :func:`interpret_store` of the answer: the StoreResult of a full
    success; StoreError (carrying it) when anything failed or warned; the matching HTTPError
    when a 400/409 body is no Store response. Any other status is rejected as an HTTPError.
    """

    def readable(self, status: int) -> bool:
        return status < 300 or status in (400, 409)

    def result(self) -> StoreResult:
        return interpret_store(self.request, self.status, self.headers, self.body)


def store_exchange(
    operations: Operations,
    items: Sequence[StowItem],
    study: str | None = None,
    *,
    chunk_size: int = 1 << 20,
) -> StoreExchange:
    """The STOW-RS exchange of one batch; its body is read again from the items on every send."""
    avoid = [item.source for item in items if isinstance(item.source, bytes)]
    boundary = multipart.new_boundary(avoid=avoid)
    body = stow_body(items, boundary, chunk_size=chunk_size)
    return StoreExchange(operations.store(body, boundary, study))


class StoreTally:
    """The batches of one STOW-RS call, their outcomes in order, and its progress.

    ``settle`` takes each batch's StoreResult, or the StoreError that said what failed in it;
    ``outcome`` merges them all and raises one StoreError carrying everything if any failed.
    """

    def __init__(
        self, batches: list[list[StowItem]], progress: Callable[[int, int | None], None] | None
    ) -> None:
        self.batches = batches
        self.progress = progress
        self.total = sum(len(batch) for batch in batches)
        self.done = 0
        self.results: list[StoreResult] = []
        self.errors: list[StoreError] = []

    def jobs(self, study: str | None) -> list[tuple[int, tuple[list[StowItem], str | None]]]:
        """Each batch's size with the arguments of the request that stores it."""
        return [(len(batch), (batch, study)) for batch in self.batches]

    def settle(self, count: int, outcome: StoreResult | StoreError) -> None:
        """Record one batch's outcome, then report progress."""
        if isinstance(outcome, StoreError):
            self.errors.append(outcome)
            outcome = outcome.result
        self.results.append(outcome)
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    def outcome(self) -> StoreResult:
        """Every batch merged; one StoreError carrying everything if any batch failed."""
        merged = merge_results(self.results)
        if len(self.errors) == 1 and len(self.results) == 1:
            raise self.errors[0]
        if self.errors:
            raise StoreError(
                store_error_message(merged, merged.status), merged, status=merged.status
            )
        return merged
