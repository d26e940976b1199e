"""What every HTTP backend implements, and the request/response values that cross it.

A transport only moves bytes: it sends a :class:`Request` and returns a :class:`Response` whose
body streams. Protocol knowledge stays in the core. Sync and async method names differ
(``send``/``asend``, ``read``/``aread`` ...) so one class may implement both interfaces.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from typing import TypeVar, Union

from dicomkit.core.errors import InvalidArgumentError, TransportClosedError
from dicomkit.core.urls import Origin, origin_of

__all__ = [
    "AsyncClosing",
    "AsyncTransport",
    "AsyncTransportSpec",
    "Body",
    "BodySource",
    "ClosedState",
    "Closing",
    "Headers",
    "HeadersInput",
    "Request",
    "Response",
    "StreamBody",
    "Timeout",
    "Transport",
    "TransportSpec",
]

HeadersInput = Union["Headers", Mapping[str, str], Sequence[tuple[str, str]], None]


_C = TypeVar("_C", bound="Closing")
_A = TypeVar("_A", bound="AsyncClosing")


class Closing:
    """``with thing:`` closes ``thing`` at the end: the one ``__enter__``/``__exit__`` pair
    that transports, responses, clients and test servers share instead of each writing it."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClosing:
    """``async with thing:`` awaits ``thing.aclose()`` at the end (the async twin of Closing)."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class ClosedState:
    """Whether a thing is closed: it closes once, and any use after that fails clearly.

    Responses use it as it is; a transport shared between threads uses
    :class:`dicomkit.transports.support.ClosedFlag`, which adds a lock to :meth:`close_once`.
    """

    __slots__ = ("_closed", "_message")

    def __init__(self, message: str) -> None:
        self._closed = False
        self._message = message

    @property
    def closed(self) -> bool:
        return self._closed

    def check(self) -> None:
        """Raise :class:`TransportClosedError` with this state's message once closed."""
        if self._closed:
            raise TransportClosedError(self._message)

    def close_once(self) -> bool:
        """True for the one call that should release resources, False for every later one."""
        if self._closed:
            return False
        self._closed = True
        return True


class Headers:
    """Case-insensitive HTTP header fields that keep order and repeated fields."""

    __slots__ = ("_items",)

    def __init__(self, items: HeadersInput = None) -> None:
        if items is None:
            self._items: list[tuple[str, str]] = []
        elif isinstance(items, Headers):
            self._items = list(items._items)
        elif isinstance(items, Mapping):
            self._items = [(str(k), str(v)) for k, v in items.items()]
        else:
            self._items = [(str(k), str(v)) for k, v in items]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of ``name``, or ``default``."""
        lowered = name.lower()
        for key, value in self._items:
            if key.lower() == lowered:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``, in order."""
        lowered = name.lower()
        return [value for key, value in self._items if key.lower() == lowered]

    def add(self, name: str, value: str) -> None:
        """Append a field, keeping any existing ones."""
        self._items.append((name, value))

    def set(self, name: str, value: str) -> None:
        """Replace every field called ``name`` by one."""
        self.remove(name)
        self._items.append((name, value))

    def remove(self, name: str) -> None:
        """Drop every field called ``name``."""
        lowered = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lowered]

    def items(self) -> list[tuple[str, str]]:
        """All fields as (name, value) pairs, repeated fields included."""
        return list(self._items)

    def copy(self) -> Headers:
        return Headers(self)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted((k.lower(), v) for k, v in self._items) == sorted(
            (k.lower(), v) for k, v in other._items
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = [(k, "[hidden]" if k.lower() in _SECRET_HEADERS else v) for k, v in self._items]
        return f"Headers({shown!r})"


_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

BodySource = Callable[[], Iterable[bytes]]
"""A callable that returns a *fresh* iterable of byte chunks each time it is called."""


class StreamBody:
    """A replayable streamed request body: every iteration starts again from the first byte.

    A retried upload must re-send the whole body, so a body is a factory of iterators rather
    than one iterator. ``length`` lets a transport send ``Content-Length`` instead of chunking.
    """

    __slots__ = ("_source", "length")

    def __init__(self, source: BodySource, length: int | None = None) -> None:
        if not callable(source):
            raise InvalidArgumentError("StreamBody needs a callable that returns fresh chunks")
        self._source = source
        self.length = length

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._source():
            if chunk:
                yield bytes(chunk) if not isinstance(chunk, bytes) else chunk


Body = bytes | StreamBody | None


@dataclass(frozen=True)
class Timeout:
    """Seconds to wait for a connection and between received bytes; None waits forever."""

    connect: float | None = 10.0
    read: float | None = 60.0


@dataclass
class Request:
    """One HTTP request, built by the core and sent by a transport."""

    method: str
    url: str
    headers: Headers = field(default_factory=Headers)
    body: Body = None
    timeout: Timeout = field(default_factory=Timeout)

    def __post_init__(self) -> None:
        self.method = self.method.upper()
        if not isinstance(self.headers, Headers):
            self.headers = Headers(self.headers)
        if callable(self.body) and not isinstance(self.body, StreamBody):
            self.body = StreamBody(self.body)
        elif self.body is not None and not isinstance(self.body, (bytes, StreamBody)):
            if isinstance(self.body, (bytearray, memoryview)):
                self.body = bytes(self.body)
            else:
                raise InvalidArgumentError(
                    "a request body is bytes, a StreamBody, or a callable returning chunks"
                )

    @property
    def target(self) -> str:
        """The path and query of :attr:`url`: the request target of the HTTP/1.1 request line
        (RFC 9112 3.2.1, "origin-form"), which is what ``http.client`` and most HTTP stacks
        that connect to a host themselves take (``conn.request(r.method, r.target, ...)``)."""
        rest = self.url.split("#", 1)[0]
        scheme_end = rest.find("://")
        if scheme_end >= 0:  # drop scheme and authority: the path starts at "/" or "?"
            after = rest[scheme_end + 3 :]
            ends = [index for index in (after.find("/"), after.find("?")) if index >= 0]
            rest = after[min(ends) :] if ends else ""
        path, mark, query = rest.partition("?")
        return (path or "/") + mark + query

    @property
    def origin(self) -> Origin:
        """Scheme, host and port to connect to (the default port made explicit)."""
        return origin_of(self.url)

    @property
    def content_length(self) -> int | None:
        """The body's length when known without reading it."""
        if self.body is None:
            return 0
        if isinstance(self.body, bytes):
            return len(self.body)
        return self.body.length

    def iter_body(self) -> Iterator[bytes]:
        """A fresh iterator over the body; call again to replay it."""
        if self.body is None:
            return iter(())
        if isinstance(self.body, bytes):
            return iter((self.body,) if self.body else ())
        return iter(self.body)


class Response(Closing, AsyncClosing):
    """A received status and headers, and a body that streams on demand.

    A sync backend passes ``stream`` (an iterator of chunks) and ``on_close``; an async backend
    passes ``astream`` and ``on_aclose``. Reading after close raises
    :class:`TransportClosedError`; closing twice is harmless.
    """

    def __init__(
        self,
        status: int,
        headers: HeadersInput = None,
        *,
        stream: Iterable[bytes] | None = None,
        on_close: Callable[[], None] | None = None,
        astream: AsyncIterable[bytes] | None = None,
        on_aclose: Callable[[], Awaitable[None]] | None = None,
        url: str = "",
        request: Request | None = None,
    ) -> None:
        self.status = status
        self.headers = Headers(headers)
        self.url = url
        self.request = request
        self._stream = stream
        self._on_close = on_close
        self._astream = astream
        self._on_aclose = on_aclose
        self._consumed = False
        self._state = ClosedState("the response is closed")

    @property
    def is_closed(self) -> bool:
        return self._state.closed

    def _start_reading(self) -> None:
        self._state.check()
        if self._consumed:
            raise TransportClosedError("the response body was already read")
        self._consumed = True

    def iter_bytes(self) -> Iterator[bytes]:
        """Yield the body as it arrives; the response closes when the body ends."""
        self._start_reading()
        if self._stream is None:
            if self._astream is not None:
                raise TypeError("this response streams asynchronously: use aiter_bytes()")
            self.close()
            return
        try:
            for chunk in self._stream:
                if self._state.closed:
                    raise TransportClosedError("the response was closed while reading")
                if chunk:
                    yield chunk
        finally:
            self.close()

    def read(self) -> bytes:
        """The whole body: only for small answers (JSON, errors)."""
        return b"".join(self.iter_bytes())

    def close(self) -> None:
        if self._state.close_once() and self._on_close is not None:
            self._on_close()

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Yield the body as it arrives; the response closes when the body ends."""
        self._start_reading()
        if self._astream is None:
            if self._stream is not None:
                raise TypeError("this response streams synchronously: use iter_bytes()")
            await self.aclose()
            return
        try:
            async for chunk in self._astream:
                if self._state.closed:
                    raise TransportClosedError("the response was closed while reading")
                if chunk:
                    yield chunk
        finally:
            await self.aclose()

    async def aread(self) -> bytes:
        """The whole body: only for small answers (JSON, errors)."""
        return b"".join([chunk async for chunk in self.aiter_bytes()])

    async def aclose(self) -> None:
        if not self._state.close_once():
            return
        if self._on_aclose is not None:
            await self._on_aclose()
        elif self._on_close is not None:
            self._on_close()

    def __repr__(self) -> str:
        return f"<Response {self.status}>"


class Transport(Closing, ABC):
    """A synchronous HTTP backend. It must be safe to share between threads."""

    @abstractmethod
    def send(self, request: Request) -> Response:
        """Send ``request``; return once status and headers arrived, body unread."""

    @abstractmethod
    def close(self) -> None:
        """Release what the transport opened; a second call does nothing."""


class AsyncTransport(AsyncClosing, ABC):
    """An asynchronous HTTP backend."""

    @abstractmethod
    async def asend(self, request: Request) -> Response:
        """Send ``request``; return once status and headers arrived, body unread."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release what the transport opened; a second call does nothing."""


TransportSpec = str | type[Transport] | Transport | None
"""What ``DicomClient(transport=...)`` takes: a registered name, a class, an instance, or None
(the default). An :class:`AsyncTransport` is not one, so mypy refuses it at the call."""

AsyncTransportSpec = str | type[AsyncTransport] | AsyncTransport | None
"""What ``AsyncDicomClient(transport=...)`` takes; a blocking :class:`Transport` is not one."""
