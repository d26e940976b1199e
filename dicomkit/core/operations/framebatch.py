"""Frames in bulk, planned without I/O: which frames each request asks, and in what order to
hand them out.

A caller wants frames in an order of its own (any frame numbers, repeated or not, of one
instance or of every instance of a series). Asking one request per frame costs a round trip
and, on most servers, a read of the whole instance per frame; asking every frame at once
makes the caller wait for the last byte before the first frame. :class:`FramePlanner` sits
between: it cuts the wanted sequence into batches of frame-list requests
(``.../frames/3,1,2``), hands out frames in the asked order as their parts arrive, keeps only
the frames that arrived ahead of their turn, and decides what a refused or short answer means
(ask again in halves, ask the rest again). The client runs the requests, side by side, and
tells the planner what came back; the planner never sends anything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from dicomkit.core.errors import InvalidArgumentError, ProtocolError
from dicomkit.core.interface import Headers
from dicomkit.core.operations.builder import Operations
from dicomkit.core.operations.dialect import STANDARD, Dialect
from dicomkit.core.operations.exchange import PartsExchange
from dicomkit.core.operations.options import DEFAULT_FRAME_CONCURRENCY, RetrieveOptions
from dicomkit.core.query import check_count

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "DEFAULT_FRAME_CONCURRENCY",
    "Frame",
    "FrameBatch",
    "FramePlanner",
    "check_batching",
    "frame_batch_exchange",
    "frames_of_series",
    "frames_wanted",
    "largest_frame",
    "number_of_frames",
]

BATCH_BYTES = 16 << 20
"""What one automatic batch should weigh: ``batch=None`` asks as many frames as fit (from the
metadata's frame size at first, from the answers' sizes after), so ``concurrency`` batches
hold about ``concurrency`` x 16 MiB however large the frames."""

_NUMBER_OF_FRAMES = "00280008"
_INSTANCE_NUMBER = "00200013"
_SOP_INSTANCE_UID = "00080018"
_PIXEL_TAGS = ("7FE00010", "7FE00008", "7FE00009", "00280010")  # pixel data (any), or Rows
_FRAME_LOCATION = re.compile(r"/frames/(\d+)/?$")


class Frame(NamedTuple):
    """One frame of one instance, as the server sent it."""

    sop_instance_uid: str
    number: int
    """1-based frame number."""
    data: bytes
    content_type: str
    """The part's media type with its ``transfer-syntax`` (native: ``application/octet-stream``)."""


@dataclass(frozen=True)
class FrameBatch:
    """One frame-list request: distinct ``numbers`` of one instance, for the wanted positions
    ``start`` to ``stop`` (excluded) of the planner's sequence."""

    key: int
    sop_instance_uid: str
    numbers: tuple[int, ...]
    start: int
    stop: int


def _first_value(item: Mapping[str, Any], tag: str) -> Any:
    element = item.get(tag)
    values = element.get("Value") if isinstance(element, Mapping) else None
    return values[0] if isinstance(values, list) and values else None


def number_of_frames(metadata: Mapping[str, Any]) -> int:
    """Frames of an instance from its DICOM JSON metadata: NumberOfFrames, else 1 when it has
    pixel data (or Rows), else 0."""
    value = _first_value(metadata, _NUMBER_OF_FRAMES)
    if value is not None:
        try:
            count = int(str(value).strip())
        except ValueError:
            raise ProtocolError(f"NumberOfFrames is not a number: {value!r}") from None
        if count < 0:
            raise ProtocolError(f"NumberOfFrames is negative: {count}")
        return count
    return 1 if any(tag in metadata for tag in _PIXEL_TAGS) else 0


def largest_frame(metadata: Iterable[Mapping[str, Any]]) -> int | None:
    """Bytes of the largest native frame among these instances (Rows x Columns x
    SamplesPerPixel x BitsAllocated / 8): an upper bound for compressed ones; None if unknown."""
    sizes = []
    for item in metadata:
        rows, columns = (
            _integer(_first_value(item, "00280010")),
            _integer(_first_value(item, "00280011")),
        )
        bits = _integer(_first_value(item, "00280100"))
        samples = _integer(_first_value(item, "00280002")) or 1
        if rows and columns and bits:
            sizes.append(rows * columns * samples * max(bits, 1) // 8)
    return max(sizes, default=None)


def frames_wanted(frames: int | Iterable[int] | None, count: int, instance: str) -> list[int]:
    """The frame numbers asked of an instance of ``count`` frames, checked: None is every frame
    in order; numbers may repeat and come in any order; one out of range is refused, naming it
    and the instance's count."""
    if frames is None:
        if count < 1:
            raise InvalidArgumentError(f"instance {instance} has no frames")
        return list(range(1, count + 1))
    numbers = [frames] if isinstance(frames, int) else list(frames)
    if not numbers:
        raise InvalidArgumentError("at least one frame number is needed")
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, int):
            raise InvalidArgumentError(f"frame numbers are integers >= 1, not {number!r}")
    outside = sorted({number for number in numbers if not 1 <= number <= count})
    if outside:
        shown = ", ".join(map(str, outside[:5])) + (" ..." if len(outside) > 5 else "")
        raise InvalidArgumentError(
            f"frame number(s) {shown} out of range: instance {instance} has {count} frame(s), "
            f"numbered 1 to {count}"
        )
    return numbers


def frames_of_series(metadata: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """Every frame of every instance of a series, as (SOP Instance UID, number): instances by
    InstanceNumber (those without one last, in the server's order), frames ascending; an
    instance without pixel data is left out."""
    ordered: list[tuple[bool, int, int, str, int]] = []
    for position, item in enumerate(metadata):
        uid = _first_value(item, _SOP_INSTANCE_UID)
        if not isinstance(uid, str):
            raise ProtocolError("an instance of the series' metadata has no SOPInstanceUID")
        rank = _integer(_first_value(item, _INSTANCE_NUMBER))
        ordered.append((rank is None, rank or 0, position, uid, number_of_frames(item)))
    ordered.sort()
    return [(uid, n) for *_, uid, count in ordered for n in range(1, count + 1)]


def _integer(value: Any) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def check_batching(batch: int | None, concurrency: int) -> None:
    """``batch`` (None or >= 1) and ``concurrency`` (>= 1), checked before any request."""
    check_count("batch", batch, minimum=1)
    check_count("concurrency", concurrency, minimum=1, required=True)


def frame_batch_exchange(
    operations: Operations,
    study: str,
    series: str,
    batch: FrameBatch,
    **options: Unpack[RetrieveOptions],
) -> PartsExchange:
    """The exchange of one batch: its frame-list request, read part by part with headers."""
    request = operations.frames(study, series, batch.sop_instance_uid, batch.numbers, **options)
    return PartsExchange(request)


@dataclass
class _Open:
    """A range of wanted positions whose frames are not all handed out yet."""

    stop: int
    numbers: dict[int, list[int]]
    """Frame number -> the positions of the range that want it."""


class FramePlanner:
    """Batches, reorder buffer and fallback of one bulk frame retrieval (module docstring).

    ``wanted`` is the sequence to hand out, as (SOP Instance UID, frame number). A batch is a
    run of consecutive positions of one instance holding at most ``batch`` distinct numbers
    (None: as many as ``dialect.frame_list_chars`` allows, spread over ``concurrency``
    requests) whose list fits that budget. At most ``concurrency`` ranges are open (asked and
    not handed out in full), which bounds the frames held to ``concurrency`` x ``batch``.

    The driver loop: send :meth:`next_batch` while it gives one and fewer than
    ``concurrency`` requests run; report each part with :meth:`part`, the end of an answer
    with :meth:`finished`, a refusal with :meth:`refused`; hand out :meth:`ready` frames.
    """

    def __init__(
        self,
        wanted: Sequence[tuple[str, int]],
        *,
        batch: int | None = None,
        concurrency: int = DEFAULT_FRAME_CONCURRENCY,
        dialect: Dialect = STANDARD,
        frame_bytes: int | None = None,
    ) -> None:
        if not wanted:
            raise InvalidArgumentError("at least one frame is needed")
        check_batching(batch, concurrency)
        self._wanted = list(wanted)
        self._concurrency = concurrency
        self._chars = dialect.frame_list_chars
        self._refusals = dialect.frame_list_refusals
        self._auto = batch is None
        self._limit = len(self._wanted)  # what the server showed it takes, lowered as it does
        self._spread = math.ceil(len(self._wanted) / concurrency)  # every request busy
        weight = BATCH_BYTES // frame_bytes if frame_bytes else self._spread
        self.batch_size = batch if batch is not None else max(1, min(self._spread, weight))
        """Most distinct frames per request from now on. A given ``batch`` only drops (to the
        server's limit: refusals, short answers); an automatic one also follows the frames'
        weight (:data:`BATCH_BYTES`), measured on every answer."""
        self._cursor = 0
        self._head = 0
        self._keys = 0
        self._open: dict[int, _Open] = {}  # by start position, opened (and closed) in order
        self._retry: list[FrameBatch] = []
        self._got: dict[int, Frame] = {}
        self._parts: dict[int, int] = {}
        self._bytes: dict[int, int] = {}
        self.requests = 0
        """Frame-list requests handed out so far (re-asks included)."""

    @property
    def concurrency(self) -> int:
        """Requests to keep in flight (and ranges open) at once."""
        return self._concurrency

    @property
    def total(self) -> int:
        return len(self._wanted)

    @property
    def handed_out(self) -> int:
        return self._head

    @property
    def done(self) -> bool:
        return self._head >= len(self._wanted)

    @property
    def held(self) -> int:
        """Frames received ahead of their turn, waiting in the reorder buffer."""
        return len(self._got)

    def next_batch(self) -> FrameBatch | None:
        """The next request to send, or None while the open ranges are at the limit (or all
        is asked). Re-asks of refused or missing frames come first."""
        if self._retry:
            self._retry.sort(key=self._first_position)
            return self._issue(self._retry.pop(0))
        if self._cursor >= len(self._wanted) or len(self._open) >= self._concurrency:
            return None
        start = self._cursor
        instance = self._wanted[start][0]
        numbers: dict[int, list[int]] = {}
        chars = -1
        stop = start
        while stop < len(self._wanted) and self._wanted[stop][0] == instance:
            number = self._wanted[stop][1]
            if number not in numbers:
                cost = len(str(number)) + 1
                if len(numbers) >= self.batch_size or (numbers and chars + cost > self._chars):
                    break
                chars += cost
                numbers[number] = []
            numbers[number].append(stop)
            stop += 1
        self._cursor = stop
        self._open[start] = _Open(stop, numbers)
        return self._issue(self._new(instance, tuple(numbers), start, stop))

    def _new(self, instance: str, numbers: tuple[int, ...], start: int, stop: int) -> FrameBatch:
        self._keys += 1
        return FrameBatch(self._keys, instance, numbers, start, stop)

    def _first_position(self, batch: FrameBatch) -> int:
        """Where the earliest frame of a re-ask is wanted: the re-ask nearest the head first."""
        opened = self._open.get(batch.start)
        wanting = opened.numbers.get(batch.numbers[0], []) if opened is not None else []
        return wanting[0] if wanting else batch.start

    def _issue(self, batch: FrameBatch) -> FrameBatch:
        self._parts[batch.key] = 0
        self.requests += 1
        return batch

    def _wanting(self, batch: FrameBatch, number: int) -> list[int]:
        """Positions still to hand out that want ``number`` of ``batch``'s range."""
        opened = self._open.get(batch.start)
        positions = [] if opened is None else opened.numbers.get(number, [])
        return [position for position in positions if position >= self._head]

    def part(self, batch: FrameBatch, headers: Headers, data: bytes) -> None:
        """The next part of ``batch``'s answer: the frame its ``Content-Location`` names, else
        the frame at its place in the list asked."""
        index = self._parts[batch.key]
        self._parts[batch.key] = index + 1
        number = _located(headers.get("Content-Location"))
        if number is None or number not in batch.numbers:
            if index >= len(batch.numbers):
                raise ProtocolError(
                    f"the server answered more than the {len(batch.numbers)} frame(s) asked"
                )
            number = batch.numbers[index]
        content_type = headers.get("Content-Type") or "application/octet-stream"
        frame = Frame(batch.sop_instance_uid, number, data, content_type)
        self._bytes[batch.key] = self._bytes.get(batch.key, 0) + len(data)
        for position in self._wanting(batch, number):
            self._got[position] = frame

    def finished(self, batch: FrameBatch) -> None:
        """``batch``'s answer ended: frames it lacks are asked again, and the batch size drops
        to what the server answered (a server that caps the parts of one answer)."""
        count = self._parts.pop(batch.key)
        weight = self._bytes.pop(batch.key, 0) // max(count, 1)
        if count == 0:
            raise ProtocolError("the server answered a frames request with no frame")
        missing = [n for n in batch.numbers if not self._has(batch, n)]
        if missing:
            self._limit = min(self._limit, count)
        if self._auto:
            self.batch_size = min(self._spread, BATCH_BYTES // max(weight, 1))
        self.batch_size = max(1, min(self.batch_size, self._limit))
        if missing:
            self._requeue(batch, missing)

    def _has(self, batch: FrameBatch, number: int) -> bool:
        return all(position in self._got for position in self._wanting(batch, number))

    def refused(self, batch: FrameBatch, status: int | None) -> bool:
        """``batch`` was refused with ``status`` (None: no answer). True when it is asked
        again in halves (a list of several frames refused with a status the dialect counts as
        "list too long"), and the batch size halves with it; False when the caller must raise
        (a single frame, or a status that is not about lists)."""
        self._parts.pop(batch.key, None)
        self._bytes.pop(batch.key, None)
        if len(batch.numbers) < 2 or status not in self._refusals:
            return False
        half = len(batch.numbers) // 2
        self._limit = min(self._limit, half)
        self.batch_size = max(1, min(self.batch_size, half))
        self._requeue(batch, list(batch.numbers[:half]))
        self._requeue(batch, list(batch.numbers[half:]))
        return True

    def _requeue(self, batch: FrameBatch, numbers: list[int]) -> None:
        for offset in range(0, len(numbers), self.batch_size):
            chunk = tuple(numbers[offset : offset + self.batch_size])
            self._retry.append(self._new(batch.sop_instance_uid, chunk, batch.start, batch.stop))

    def ready(self) -> list[Frame]:
        """Frames whose turn has come, in the asked order; they leave the buffer."""
        out: list[Frame] = []
        while self._head in self._got:
            out.append(self._got.pop(self._head))
            self._head += 1
        while self._open:
            start = next(iter(self._open))
            if self._open[start].stop > self._head:
                break
            del self._open[start]
        return out


def _located(location: str | None) -> int | None:
    """The frame number a part's ``Content-Location`` names (``.../frames/7``), if any."""
    if not location:
        return None
    match = _FRAME_LOCATION.search(location)
    return int(match.group(1)) if match else None
