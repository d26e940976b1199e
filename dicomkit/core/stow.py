"""STOW-RS: batching instances into requests, their streamed bodies, and their exchange.

Pure like the rest of the core: an instance arrives as bytes or as an *opener* (a callable
returning a context-managed binary file) supplied by the client layer, so a file is opened only
while its part is being sent and again on every retry of the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from dicomkit.core import multipart
from dicomkit.core.errors import DicomJSONError, HTTPError, InvalidArgumentError, StoreError
from dicomkit.core.interface import HeadersInput, Request, StreamBody
from dicomkit.core.operations import (
    BodyExchange,
    Operations,
    error_from_response,
    raise_for_status,
    warning_texts,
)
from dicomkit.core.operations.options import DEFAULT_WORKERS
from dicomkit.core.query import check_count
from dicomkit.core.stow_response import StoreResult, parse_store_response

if TYPE_CHECKING:
    from dicomkit.core.query import ExtraParams

__all__ = [
    "ALREADY_PRESENT_CODES",
    "DEFAULT_BATCH_BYTES",
    "DUPLICATE_POLICIES",
    "DEFAULT_BATCH_COUNT",
    "DEFAULT_WORKERS",
    "Opener",
    "StoreExchange",
    "StoreTally",
    "StowItem",
    "check_duplicate_policy",
    "interpret_store",
    "merge_results",
    "plan_batches",
    "settle_duplicates",
    "part10_transfer_syntax",
    "store_exchange",
    "stow_body",
    "wire_ready",
    "wire_ready_all",
    "store_error_message",
]

DEFAULT_BATCH_COUNT = 200
"""Instances per STOW-RS request at most."""
DEFAULT_BATCH_BYTES = 256 * 1024 * 1024
"""Bytes of instances per STOW-RS request at most (a single larger instance goes alone)."""

ALREADY_PRESENT_CODES = frozenset({0x0111, 45070})
"""Failure reasons meaning "this instance is stored already": Duplicate SOP Instance
(PS3.4 0111H) and the code Microsoft's DICOM service uses (45070, 0xB00E)."""
DUPLICATE_POLICIES = ("present", "error")
"""``duplicates=``: an instance the server holds already is reported ``already_present``
(the upload methods' default) or is an ``error`` (a StoreError, ``store_instances``' default)."""

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
    check_count("max_batch_instances", max_count, minimum=1, required=True)
    check_count("max_batch_bytes", max_bytes, minimum=1, required=True)
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
_IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
_EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"
_HEAD = 16 * 1024
_LONG_VRS = (b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"SQ", b"UC", b"UN", b"UR", b"UT")


def part10_transfer_syntax(head: bytes) -> str | None:
    """The Transfer Syntax UID in the file meta of a Part 10 file's first bytes, or None when
    they are not a Part 10 file (no ``DICM`` after the preamble) or do not reach it."""
    if head[128:132] != b"DICM":
        return None
    index = 132
    while index + 8 <= len(head):
        group = int.from_bytes(head[index : index + 2], "little")
        element = head[index + 2 : index + 4]
        if group != 2:
            return None
        vr = head[index + 4 : index + 6]
        if vr in _LONG_VRS:
            length, start = int.from_bytes(head[index + 8 : index + 12], "little"), index + 12
        else:
            length, start = int.from_bytes(head[index + 6 : index + 8], "little"), index + 8
        if element == b"\x10\x00":
            return head[start : start + length].decode("ascii", "replace").strip("\x00 ")
        index = start + length
    return None


def _head(item: StowItem) -> bytes:
    if isinstance(item.source, bytes):
        return item.source[:_HEAD]
    try:
        with item.source() as handle:
            return handle.read(_HEAD)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {item.label or 'an instance'}: {exc}") from exc


def wire_ready(item: StowItem) -> StowItem:
    """``item``, re-encoded as Explicit VR Little Endian when it is Implicit VR Little Endian.

    PS3.18 8.7.3 keeps Implicit VR Little Endian and Explicit VR Big Endian off the wire. The
    implicit form is converted (the whole instance is read into memory to do so); big endian,
    retired since 2004 and whose pixel data would need byte swapping, is refused with an
    :class:`InvalidArgumentError` naming the instance. Anything else passes unread past its
    file meta.
    """
    syntax = part10_transfer_syntax(_head(item))
    if syntax == _EXPLICIT_VR_BIG_ENDIAN:
        raise InvalidArgumentError(
            f"{item.label or 'an instance'} is Explicit VR Big Endian, which PS3.18 8.7.3 does "
            "not allow in a STOW-RS body: decode it and store the Dataset in a little endian "
            "transfer syntax instead"
        )
    if syntax != _IMPLICIT_VR_LITTLE_ENDIAN:
        return item
    if isinstance(item.source, bytes):
        data = item.source
    else:
        with item.source() as handle:
            data = handle.read()
    converted = _explicit_little_endian(data, item.label)
    return StowItem(converted, len(converted), item.label, item.sop_instance_uid)


def wire_ready_all(items: Sequence[StowItem]) -> list[StowItem]:
    """:func:`wire_ready` of each item of a batch (blocking: it reads every item's head)."""
    return [wire_ready(item) for item in items]


def _explicit_little_endian(data: bytes, label: str) -> bytes:
    import pydicom  # loads only when an instance needs re-encoding
    from pydicom.filebase import DicomBytesIO
    from pydicom.uid import ExplicitVRLittleEndian

    try:
        dataset = pydicom.dcmread(DicomBytesIO(data))
        dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        out = DicomBytesIO()
        dataset.save_as(out, enforce_file_format=True)
    except Exception as exc:  # pydicom raises many types on damaged data
        raise InvalidArgumentError(
            f"cannot re-encode {label or 'an instance'} from Implicit VR Little Endian: {exc}"
        ) from exc
    return out.getvalue()


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
    """The StoreResult of a STOW-RS answer (DICOM JSON or PS3.19 XML); StoreError when any
    instance failed.

    A 2xx whose instances were all stored is a result even when the server warned (a warning
    reason on an instance, a ``Warning`` header, both kept in ``warnings``): PS3.18 10.5.3.1
    makes those successes, and the data is on the server. 4xx with a Store response listing
    instances raises :class:`StoreError` carrying the result; any other error status raises
    the matching :class:`HTTPError` (with the server's own error body, e.g. Orthanc's JSON).
    """
    if 300 <= status < 400:
        raise error_from_response(request, status, headers, body)
    if status >= 300 and status not in (400, 409, 202):
        raise_for_status(request, status, headers, body)
    try:
        result = parse_store_response(status, body)
    except DicomJSONError as exc:
        if status >= 400:
            raise error_from_response(request, status, headers, body) from None
        result = StoreResult(status=status)
        result.warnings.append(f"the server's answer could not be read ({exc})")
    result.warnings.extend(t for t in warning_texts(headers) if t not in result.warnings)
    if status >= 400 and not result.failed and not result.stored:
        raise _unexplained_refusal(error_from_response(request, status, headers, body))
    if status >= 400 or not result.ok:
        raise StoreError(store_error_message(result, status), result, status=status)
    return result


def check_duplicate_policy(value: object) -> str:
    """``duplicates=``: ``"present"`` or ``"error"``."""
    if value not in DUPLICATE_POLICIES:
        raise InvalidArgumentError(
            f"duplicates must be one of {DUPLICATE_POLICIES}, not {repr(value)[:40]}"
        )
    return str(value)


def settle_duplicates(result: StoreResult, policy: str) -> StoreResult:
    """``result`` with, under the ``"present"`` policy, every failure meaning "stored already"
    (:data:`ALREADY_PRESENT_CODES`) moved from ``failed`` to ``already_present``.

    The one place where both upload methods decide what an instance already on the server is.
    """
    if check_duplicate_policy(policy) == "present":
        present = [f for f in result.failed if f.reason_code in ALREADY_PRESENT_CODES]
        result.failed = [f for f in result.failed if f not in present]
        result.already_present.extend(present)
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
        merged.already_present.extend(result.already_present)
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
    extra_params: ExtraParams = None,
) -> StoreExchange:
    """The STOW-RS exchange of one batch; its body is read again from the items on every send.
    ``extra_params`` are a vendor's own query parameters (checked by the builder)."""
    avoid = [item.source for item in items if isinstance(item.source, bytes)]
    boundary = multipart.new_boundary(avoid=avoid)
    body = stow_body(items, boundary, chunk_size=chunk_size)
    return StoreExchange(operations.store(body, boundary, study, extra_params=extra_params))


class StoreTally:
    """The batches of one STOW-RS call, their outcomes in order, and its progress.

    ``settle`` takes each batch's StoreResult, or the StoreError that said what failed in it;
    ``outcome`` merges them all and raises one StoreError carrying everything if any failed
    (or, with ``raise_on_warnings``, warned). ``duplicates`` is the :data:`DUPLICATE_POLICIES`
    choice: with ``"present"``, a batch whose only failures are instances already stored is a
    success whose ``already_present`` lists them.
    """

    def __init__(
        self,
        batches: list[list[StowItem]],
        progress: Callable[[int, int | None], None] | None,
        *,
        duplicates: str = "error",
        raise_on_warnings: bool = False,
    ) -> None:
        self.batches = batches
        self.progress = progress
        self.duplicates = check_duplicate_policy(duplicates)
        self.raise_on_warnings = raise_on_warnings
        self.total = sum(len(batch) for batch in batches)
        self.done = 0
        self.results: list[StoreResult] = []
        self.errors: list[StoreError] = []

    def jobs(self, study: str | None) -> list[tuple[int, tuple[list[StowItem], str | None]]]:
        """Each batch's size with the arguments of the request that stores it."""
        return [(len(batch), (batch, study)) for batch in self.batches]

    def settle(self, count: int, outcome: StoreResult | StoreError) -> None:
        """Record one batch's outcome, then report progress."""
        result = outcome.result if isinstance(outcome, StoreError) else outcome
        settle_duplicates(result, self.duplicates)
        if isinstance(outcome, StoreError) and (result.failed or not result.already_present):
            self.errors.append(outcome)
        self.results.append(result)
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    def outcome(self) -> StoreResult:
        """Every batch merged; one StoreError carrying everything if any batch failed."""
        merged = merge_results(self.results)
        if len(self.errors) == 1 and len(self.results) == 1:
            raise self.errors[0]
        if self.errors or (self.raise_on_warnings and merged.warnings):
            raise StoreError(
                store_error_message(merged, merged.status), merged, status=merged.status
            )
        return merged
