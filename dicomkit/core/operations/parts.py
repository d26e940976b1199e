"""Turn a WADO-RS body into part events or whole parts, multipart or not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from dicomkit.core import media, multipart
from dicomkit.core._partbody import PartBody
from dicomkit.core.errors import InvalidArgumentError, ProtocolError
from dicomkit.core.interface import Headers, HeadersInput
from dicomkit.core.numbers import parse_decimal

__all__ = [
    "PartAssembler",
    "PartEvents",
    "Sink",
    "SupportsWrite",
    "WrittenPart",
    "writer_of",
]


class PartEvents:
    """Turn a WADO-RS response body into part events, multipart or not.

    A multipart/related body goes through the streaming decoder; any other body (a server
    answering one part directly, a rendered image, a multipart type without a boundary) becomes
    one part with the response's headers. Feed chunks; each call returns the events they
    complete. A multipart body that stops early lacks its closing delimiter; a single part
    that stops short of its ``Content-Length`` is refused too, so a cut answer never passes
    for a whole one.
    """

    def __init__(self, headers: HeadersInput, *, views: bool = False) -> None:
        """``views``: multipart body bytes may come as memoryviews of the received chunks,
        for a caller that joins them anyway (one copy instead of two)."""
        response_headers = Headers(headers)
        content_type = response_headers.get("Content-Type") or "application/octet-stream"
        self._single: Headers | None = None
        self._decoder: multipart.MultipartDecoder | None = None
        parsed = media.parse_media_type(content_type)
        if parsed.is_multipart and "boundary" in parsed.params:
            boundary = multipart.boundary_from_content_type(content_type)
            decoder = multipart._ViewingDecoder if views else multipart.MultipartDecoder
            self._decoder = decoder(boundary)
        else:
            # multipart without a boundary: servers that answer one frame so send it bare
            # (dicomweb-client accepts it too); its ``type`` is the part's media type
            part_type = parsed.params.get("type") if parsed.is_multipart else content_type
            self._single = Headers([("Content-Type", part_type or "application/octet-stream")])
            location = response_headers.get("Content-Location")
            if location is not None:
                self._single.add("Content-Location", location)
        self._expected = _declared_length(response_headers)
        self._received = 0
        self._started = False

    def feed(self, data: bytes) -> list[multipart.Event]:
        if self._decoder is not None:
            return self._decoder.feed(data)
        events: list[multipart.Event] = []
        if not self._started and self._single is not None:
            self._started = True
            events.append(multipart.PartStart(self._single))
        if data:
            self._received += len(data)
            events.append(multipart.PartData(data))
        return events

    def close(self) -> list[multipart.Event]:
        if self._decoder is not None:
            return self._decoder.close()
        events = self.feed(b"")
        if self._expected is not None and self._received < self._expected:
            raise ProtocolError(
                f"the answer ended after {self._received} of its {self._expected} bytes"
            )
        events.append(multipart.PartEnd())
        return events


def _declared_length(headers: Headers) -> int | None:
    """The body length the server declared, when the bytes we get are those it counted."""
    if headers.get("Content-Encoding") not in (None, "", "identity"):
        return None  # the transport decoded the body: its length differs from the header's
    return parse_decimal(headers.get("Content-Length"))


class PartAssembler:
    """Collect part events into whole parts ``(headers, body)``: one part in memory at a time,
    held once as it arrives when it is large (:class:`~dicomkit.core._partbody.PartBody`)."""

    def __init__(self, headers: HeadersInput) -> None:
        self._events = PartEvents(headers, views=True)
        self._headers: Headers | None = None
        self._body = PartBody()

    @property
    def held(self) -> int:
        """Bytes of the part in progress held so far."""
        return self._body.size

    @property
    def pending(self) -> int:
        """Bytes the next :meth:`feed` or :meth:`close` may join (see ``PartBody.pending``)."""
        return self._body.pending

    def _collect(self, events: list[multipart.Event]) -> list[tuple[Headers, bytes]]:
        done: list[tuple[Headers, bytes]] = []
        body = self._body
        for event in events:
            if isinstance(event, multipart.PartData):
                body.add(event.data)
            elif isinstance(event, multipart.PartStart):
                self._headers = event.headers
                body.take()
            elif isinstance(event, multipart.PartEnd):
                done.append((self._headers or Headers(), body.take()))
                self._headers = None
        return done

    def feed(self, data: bytes) -> list[tuple[Headers, bytes]]:
        return self._collect(self._events.feed(data))

    def close(self) -> list[tuple[Headers, bytes]]:
        return self._collect(self._events.close())


class SupportsWrite(Protocol):
    """What a sink object offers: ``write(data)`` (a file opened ``"wb"``, ``BytesIO``, a
    socket's ``makefile("wb")``); in the async client ``write`` may be a coroutine function."""

    def write(self, data: bytes, /) -> object: ...


Sink: TypeAlias = "SupportsWrite | Callable[[bytes], object]"
"""Where a streamed part's bytes go: an object with ``write`` or a callable taking the bytes
(``hasher.update``, ``sock.sendall``)."""


def writer_of(sink: Any) -> Callable[[bytes], object]:
    """The function that takes a sink's bytes: its ``write``, or the sink itself if callable."""
    write = getattr(sink, "write", None)
    if callable(write):
        return write  # type: ignore[no-any-return]
    if callable(sink):
        return sink  # type: ignore[no-any-return]
    raise InvalidArgumentError(
        f"a sink has a write method or is a callable taking bytes, not {type(sink).__name__}"
    )


@dataclass(frozen=True)
class WrittenPart:
    """A part streamed to a sink, whole: its headers (``Content-Type`` with the transfer
    syntax, ``Content-Location`` ...), the bytes written, and the sink they went to."""

    headers: Headers
    size: int
    sink: Any
