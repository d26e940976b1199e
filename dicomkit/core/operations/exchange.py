"""Exchanges: one Request plus the reader of its answer, for every kind of DICOMweb answer.

An exchange is a small state machine with no I/O (the shape of h11, of :class:`PartAssembler`):
whoever holds a transport sends :attr:`Exchange.request`, hands the answer's status and headers
to :meth:`Exchange.start` and does what the returned :class:`Step` says:

- ``READ``: feed every body chunk to :meth:`Exchange.feed`, then call :meth:`Exchange.close`;
  both return the items completed so far (parts, part events, search results);
- ``SKIP``: close the answer without reading its body;
- ``REJECT``: read at most :data:`ERROR_BODY_LIMIT` bytes of the body and raise
  :meth:`Exchange.error` of them.

Then, while :attr:`Exchange.done` is false, send :attr:`Exchange.request` again: it is now the
next request (the next page of a search, the single-part rendering a server asked for). When
done, :meth:`Exchange.result` is the answer of a collecting exchange (``None`` for streaming
ones). One loop of about ten lines runs every exchange, in any I/O style.
"""

from __future__ import annotations

import enum
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from dicomkit.core import multipart
from dicomkit.core._partbody import PartBody
from dicomkit.core.errors import DicomkitError, ProtocolError
from dicomkit.core.interface import Headers, HeadersInput, Request
from dicomkit.core.operations.answers import (
    apply_byte_range,
    check_content_range,
    error_from_response,
)
from dicomkit.core.operations.foreign import (
    json_answer,
    json_object_answer,
    refuse_foreign_retrieve,
)
from dicomkit.core.operations.httpwarnings import additional_results, parse_warnings
from dicomkit.core.operations.options import MAX_JSON_BYTES
from dicomkit.core.operations.paging import (
    Pager,
    SearchResult,
    SearchTruncatedError,
    SearchTruncatedWarning,
    TruncationPolicy,
)
from dicomkit.core.operations.parts import PartAssembler, PartEvents
from dicomkit.core.urls import without_userinfo

__all__ = [
    "BodyExchange",
    "BulkDataExchange",
    "BulkDataPartsExchange",
    "Capabilities",
    "CapabilitiesExchange",
    "DeleteExchange",
    "Exchange",
    "FramesExchange",
    "JsonArrayExchange",
    "JsonObjectExchange",
    "MAX_JSON_BYTES",
    "PartEventsExchange",
    "PartStreamExchange",
    "PartsExchange",
    "RenderedExchange",
    "RenderedImageExchange",
    "SearchExchange",
    "SearchPagesExchange",
    "Step",
]

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
Part = tuple[Headers, bytes]


class Step(enum.Enum):
    """What to do with an answer once its status and headers are known."""

    READ = "read"
    """A success: feed its body, then close."""
    SKIP = "skip"
    """Close it unread: its body is not needed (then send ``request`` again unless done)."""
    REJECT = "reject"
    """An error: read at most ERROR_BODY_LIMIT bytes and raise ``error(...)`` of them."""


class Exchange(Generic[ItemT, ResultT]):
    """The request of one operation and the reader of its answer; see the module docstring.

    The base class reads a 2xx answer and rejects anything else; subclasses decide what a
    body means by overriding :meth:`begin`, :meth:`feed`, :meth:`close` and :meth:`result`.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.status = 0
        self.headers = Headers()
        self.done = False

    def start(self, status: int, headers: HeadersInput) -> Step:
        """Record the answer's head; a 3xx or worse is an error (only GET and HEAD redirects are
        followed by the transport, so a 3xx here means the server did not act)."""
        self.status, self.headers = status, Headers(headers)
        if not self.readable(status):
            return Step.REJECT
        self.begin()
        return Step.READ

    def readable(self, status: int) -> bool:
        """Whether an answer of ``status`` carries what this exchange reads: 2xx here."""
        return status < 300

    def begin(self) -> None:
        """Prepare to read the body of a success (``status`` and ``headers`` are set)."""

    @property
    def pending(self) -> int:
        """Bytes held for what is not handed out yet: the next :meth:`feed`, :meth:`close` or
        :meth:`result` may join or parse that many, so an event loop may run it on a thread."""
        return 0

    def feed(self, chunk: bytes) -> list[ItemT]:
        """Take the next body chunk; return the items it completed."""
        return []

    def close(self) -> list[ItemT]:
        """The body ended; return the last items (a truncated body raises ProtocolError)."""
        self.done = True
        return []

    def result(self) -> ResultT:
        """The answer, once done."""
        raise NotImplementedError

    def error(self, status: int, headers: HeadersInput, body: bytes) -> DicomkitError:
        """The error to raise for a rejected answer (``body`` is already bounded)."""
        return error_from_response(self.request, status, headers, body)


class BodyExchange(Exchange[Any, ResultT]):
    """Reads the whole body into memory, at most ``max_bytes`` of it; subclasses parse
    :attr:`body` in :meth:`result`."""

    def __init__(self, request: Request, *, max_bytes: int = MAX_JSON_BYTES) -> None:
        super().__init__(request)
        self._collected = PartBody()
        self._body: bytes | None = None
        self._held = 0
        self.max_bytes = max_bytes

    def begin(self) -> None:
        self._collected, self._body, self._held = PartBody(), None, 0

    def feed(self, chunk: bytes) -> list[Any]:
        self._held += len(chunk)
        if self._held > self.max_bytes:
            self._collected = PartBody()
            raise ProtocolError(
                f"{self.request.method} {without_userinfo(self.request.url)}: the answer is "
                f"larger than max_json_bytes={self.max_bytes} bytes (after decompression); "
                "pass a larger max_json_bytes= to the client if it is expected"
            )
        self._collected.add(chunk)
        return []

    @property
    def pending(self) -> int:
        return self._held

    @property
    def body(self) -> bytes:
        """Every body byte received (collected once, never as pieces and a joined copy)."""
        if self._body is None:
            self._body = self._collected.take()
        return self._body


class JsonArrayExchange(BodyExchange[list[dict[str, Any]]]):
    """A QIDO-RS or metadata answer: DICOM JSON objects (204 and an empty body are [])."""

    def result(self) -> list[dict[str, Any]]:
        return json_answer(self.request, self.status, self.headers, self.body)


class JsonObjectExchange(BodyExchange[dict[str, Any]]):
    """The one DICOM JSON object of an instance's metadata."""

    def result(self) -> dict[str, Any]:
        return json_object_answer(self.request, self.status, self.headers, self.body)


@dataclass(frozen=True)
class Capabilities:
    """What an ``OPTIONS`` request (PS3.18 8.9, Retrieve Capabilities) says about a resource:
    the methods allowed there, the document's media type and the document itself (a WADL or
    JSON description of the service, as the server chose)."""

    allow: tuple[str, ...]
    content_type: str | None
    body: bytes


class CapabilitiesExchange(BodyExchange[Capabilities]):
    """The answer of an ``OPTIONS`` request, read whole."""

    def result(self) -> Capabilities:
        allow = ",".join(self.headers.get_all("Allow"))
        methods = tuple(dict.fromkeys(m.strip().upper() for m in allow.split(",") if m.strip()))
        return Capabilities(methods, self.headers.get("Content-Type"), self.body)


class DeleteExchange(Exchange[Any, None]):
    """An answer whose body says nothing worth reading (DELETE): success is the status."""

    def start(self, status: int, headers: HeadersInput) -> Step:
        step = super().start(status, headers)
        if step is Step.READ:
            self.done = True
            return Step.SKIP
        return step

    def result(self) -> None:
        return None


class SearchExchange(Exchange[dict[str, Any], SearchResult]):
    """A QIDO-RS search read whole, never returned as complete when the server cut it short.

    A page whose ``Warning`` says results were left out (PS3.18 8.3.4.4.1) is, by ``policy``,
    followed with ``offset`` (``"follow"``: up to ``limit`` results when one was asked) or ends
    the search with :attr:`SearchResult.truncated` set (``"raise"``, ``"warn"``, ``"return"``).
    Following stops when a page brings nothing new, so a server ignoring ``offset`` cannot loop.
    With ``silent_page_size`` (a dialect's), a page that full without ``limit`` counts as cut
    short too, for servers that cap without a Warning.
    """

    def __init__(
        self,
        page: Callable[[int | None, int | None], Request],
        *,
        limit: int | None = None,
        offset: int | None = None,
        policy: TruncationPolicy = "follow",
        silent_page_size: int | None = None,
        max_bytes: int = MAX_JSON_BYTES,
    ) -> None:
        super().__init__(page(limit, offset))
        self.max_bytes = max_bytes
        self._silent = None if limit is not None else silent_page_size
        self._page = page
        self._limit = limit
        self._offset = offset or 0
        self.policy = policy
        self._current = JsonArrayExchange(self.request, max_bytes=max_bytes)
        self._seen: set[str] = set()
        self._items: list[dict[str, Any]] = []
        self._warnings: list[str] = []
        self._truncated = False
        self._remaining: int | None = None
        self._pages = 0

    def begin(self) -> None:
        self._current = JsonArrayExchange(self.request, max_bytes=self.max_bytes)
        self._current.start(self.status, self.headers)

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        return self._current.feed(chunk)

    @property
    def pending(self) -> int:
        return self._current.pending

    def close(self) -> list[dict[str, Any]]:
        self._pages += 1
        items = self._current.result()
        notes = parse_warnings(self.headers)
        self._warnings += [n.text for n in notes if n.text and n.text not in self._warnings]
        truncated, remaining = additional_results(notes)
        truncated = truncated or (self._silent is not None and len(items) >= self._silent)
        fresh = 0
        for item in items:
            key = json.dumps(item, sort_keys=True)
            if key not in self._seen:
                self._seen.add(key)
                self._items.append(item)
                fresh += 1
        wanted = self._limit is None or len(self._items) < self._limit
        self._truncated, self._remaining = truncated and wanted, remaining if truncated else None
        if self._truncated and self.policy == "follow" and fresh:
            left = None if self._limit is None else self._limit - len(self._items)
            self.request = self._page(left, self._offset + len(self._items))
            return []
        self.done = True
        return []

    def result(self) -> SearchResult:
        result = SearchResult(
            self._items,
            warnings=self._warnings,
            truncated=self._truncated,
            remaining=self._remaining,
            pages=self._pages,
        )
        if not result.truncated:
            return result
        more = "more" if result.remaining is None else str(result.remaining)
        message = (
            f"the server returned {len(result)} results of a search and says {more} were left "
            f"out ({'; '.join(result.warnings)})"
        )
        if self.policy == "raise":
            raise SearchTruncatedError(message, result)
        if self.policy == "warn":
            warnings.warn(message, SearchTruncatedWarning, stacklevel=2)
        return result


class SearchPagesExchange(Exchange[dict[str, Any], SearchResult]):
    """Every result of a QIDO-RS search, page after page, each result once.

    ``page(limit, offset)`` builds the request of one page; the :class:`Pager` decides the
    offsets and when to stop, so a server that ignores ``offset`` cannot loop forever. The
    results come out as items; with ``collect`` they are kept for :meth:`result` instead.
    """

    def __init__(
        self,
        page: Callable[[int | None, int | None], Request],
        pager: Pager,
        *,
        collect: bool = False,
        max_bytes: int = MAX_JSON_BYTES,
    ) -> None:
        super().__init__(page(pager.limit, pager.offset or None))
        self._page = page
        self._pager = pager
        self.max_bytes = max_bytes
        self._current = JsonArrayExchange(self.request, max_bytes=max_bytes)
        self.collect = collect
        self.collected: list[dict[str, Any]] = []
        self.warnings: list[str] = []

    def begin(self) -> None:
        self._current = JsonArrayExchange(self.request, max_bytes=self.max_bytes)
        self._current.start(self.status, self.headers)

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        return self._current.feed(chunk)

    @property
    def pending(self) -> int:
        return self._current.pending

    def close(self) -> list[dict[str, Any]]:
        for note in parse_warnings(self.headers):
            if note.text and note.text not in self.warnings:
                self.warnings.append(note.text)
        fresh = self._pager.accept(self._current.result(), self.headers)
        if self._pager.done:
            self.done = True
        else:
            self.request = self._page(self._pager.limit, self._pager.offset or None)
        if self.collect:
            self.collected += fresh
            return []
        return fresh

    def result(self) -> SearchResult:
        return SearchResult(self.collected, warnings=self.warnings)


class _Streamed(Exchange[ItemT, ResultT]):
    """Reads whole parts, one in memory at a time, as items made by :meth:`item`."""

    _assembler: PartAssembler

    def begin(self) -> None:
        refuse_foreign_retrieve(self.request, self.headers)
        self._assembler = PartAssembler(self.headers)

    def feed(self, chunk: bytes) -> list[ItemT]:
        return [self.item(part) for part in self._assembler.feed(chunk)]

    def close(self) -> list[ItemT]:
        self.done = True
        return [self.item(part) for part in self._assembler.close()]

    def item(self, part: Part) -> ItemT:
        raise NotImplementedError

    @property
    def pending(self) -> int:
        assembler: PartAssembler | None = getattr(self, "_assembler", None)
        return 0 if assembler is None else assembler.pending


class PartsExchange(_Streamed[Part, None]):
    """Each part of a WADO-RS answer with its own headers, multipart or not."""

    def item(self, part: Part) -> Part:
        return part

    def result(self) -> None:
        return None


class FramesExchange(_Streamed[bytes, None]):
    """The bytes of each frame, in the order asked."""

    def item(self, part: Part) -> bytes:
        return part[1]

    def result(self) -> None:
        return None


class PartEventsExchange(Exchange[list[multipart.Event], None]):
    """Part events, one list per body chunk, for a caller that streams parts to files."""

    _events: PartEvents

    def begin(self) -> None:
        refuse_foreign_retrieve(self.request, self.headers)
        self._events = PartEvents(self.headers)

    def feed(self, chunk: bytes) -> list[list[multipart.Event]]:
        events = self._events.feed(chunk)
        return [events] if events else []

    def close(self) -> list[list[multipart.Event]]:
        self.done = True
        return [self._events.close()]

    def result(self) -> None:
        return None


class PartStreamExchange(PartEventsExchange):
    """Part events for a caller that streams each part's body to a sink as it arrives.

    Nothing is held between chunks but the decoder's tail (``pending`` stays 0), whatever the
    size of a part. With ``one_part`` (an instance, one bulk data value), an answer of no part
    or of more than one is a :class:`ProtocolError`, raised before a second part's first byte.
    With ``byte_range`` (bulk data), a whole value answered 200 is trimmed to the range as it
    streams, and a 206 part's ``Content-Range`` is checked, as :class:`BulkDataExchange` checks
    it, when the part ends: bytes already handed out are then followed by the error.
    """

    def __init__(
        self,
        request: Request,
        *,
        one_part: bool = False,
        byte_range: tuple[int, int | None] | None = None,
    ) -> None:
        super().__init__(request)
        self.one_part = one_part
        self.byte_range = byte_range
        self._parts = 0
        self._received = 0
        self._part_headers = Headers()

    def begin(self) -> None:
        super().begin()
        self._parts = 0

    def feed(self, chunk: bytes) -> list[list[multipart.Event]]:
        events = self._checked(self._events.feed(chunk))
        return [events] if events else []

    def close(self) -> list[list[multipart.Event]]:
        self.done = True
        events = self._checked(self._events.close())
        if self.one_part and not self._parts:
            raise ProtocolError(
                f"{self.request.method} {without_userinfo(self.request.url)}: the answer holds "
                "no part, where one was expected"
            )
        return [events]

    def _checked(self, events: list[multipart.Event]) -> list[multipart.Event]:
        if not self.one_part and self.byte_range is None:
            return events
        kept: list[multipart.Event] = []
        for event in events:
            if type(event) is multipart.PartData:
                data = self._in_range(event.data)
                if data:
                    kept.append(event if data is event.data else multipart.PartData(data))
                continue
            if type(event) is multipart.PartStart:
                self._start_part(event.headers)
            elif self.status == 206 and self.byte_range is not None:
                own = self._part_headers.get("Content-Range") or self.headers.get("Content-Range")
                check_content_range(own, self.byte_range, self._received)
            kept.append(event)
        return kept

    def _start_part(self, headers: Headers) -> None:
        self._parts += 1
        if self.one_part and self._parts > 1:
            raise ProtocolError(
                f"{self.request.method} {without_userinfo(self.request.url)}: the answer holds "
                "more than one part, where one was expected"
            )
        self._part_headers, self._received = headers, 0

    def _in_range(self, data: bytes) -> bytes:
        """``data`` cut to the asked byte range when the server sent the whole value (200)."""
        at = self._received
        self._received += len(data)
        if self.byte_range is None or self.status == 206:
            return data
        first, last = self.byte_range
        low = max(first - at, 0)
        high = len(data) if last is None else min(last + 1 - at, len(data))
        if low <= 0 and high >= len(data):
            return data
        return data[low:high] if low < high else b""


class _CollectedParts(_Streamed[None, ResultT]):
    """Keeps the body of every part; :meth:`result` makes the answer of them."""

    def begin(self) -> None:
        super().begin()
        self.bodies: list[bytes] = []

    def item(self, part: Part) -> None:
        self.bodies.append(part[1])

    def feed(self, chunk: bytes) -> list[None]:
        super().feed(chunk)
        return []

    def close(self) -> list[None]:
        super().close()
        return []


def _bulk_part(
    status: int,
    headers: Headers,
    part: Part,
    byte_range: tuple[int, int | None] | None,
) -> bytes:
    """One bulk data part: a 206's ``Content-Range`` checked against what was asked (on the
    part, else on the answer), a whole-value 200 trimmed to the range."""
    if status == 206 and byte_range is not None:
        own = part[0].get("Content-Range") or headers.get("Content-Range")
        check_content_range(own, byte_range, len(part[1]))
    return apply_byte_range([part[1]], status, byte_range)[0]


class BulkDataExchange(_CollectedParts[list[bytes]]):
    """The parts found at a BulkDataURI, trimmed to the byte range when the server sent all.

    A 206 must say which bytes it holds (``Content-Range``, on the answer or on its part,
    RFC 9110 14.4): missing, or other bytes than asked, is a :class:`ProtocolError` rather than
    wrong bytes handed to the caller.
    """

    def __init__(self, request: Request, byte_range: tuple[int, int | None] | None) -> None:
        super().__init__(request)
        self.byte_range = byte_range

    def begin(self) -> None:
        super().begin()
        self.parts: list[Part] = []

    def item(self, part: Part) -> None:
        self.parts.append(part)

    def result(self) -> list[bytes]:
        return [_bulk_part(self.status, self.headers, part, self.byte_range) for part in self.parts]


class BulkDataPartsExchange(_Streamed[bytes, None]):
    """The parts at a BulkDataURI one at a time (``iter_bulkdata``), checked and trimmed as
    :class:`BulkDataExchange` does them."""

    def __init__(self, request: Request, byte_range: tuple[int, int | None] | None) -> None:
        super().__init__(request)
        self.byte_range = byte_range

    def item(self, part: Part) -> bytes:
        return _bulk_part(self.status, self.headers, part, self.byte_range)

    def result(self) -> None:
        return None


class RenderedExchange(_CollectedParts[list[bytes]]):
    """Rendered images, one per part; ``fallback`` is asked instead when the server refuses
    ``request`` with 400 or 406 (Orthanc 1.10 refuses multipart study/series renderings)."""

    def __init__(self, request: Request, fallback: Request | None = None) -> None:
        super().__init__(request)
        self.fallback = fallback

    def start(self, status: int, headers: HeadersInput) -> Step:
        if status in (400, 406) and self.fallback is not None:
            self.request, self.fallback = self.fallback, None
            return Step.SKIP
        return super().start(status, headers)

    def result(self) -> list[bytes]:
        return self.bodies


class RenderedImageExchange(_CollectedParts[bytes]):
    """One rendered image (of an instance or of its frames); empty when the body was."""

    def result(self) -> bytes:
        return self.bodies[0] if self.bodies else b""
