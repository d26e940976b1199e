"""Pieces both built-in (urllib3-based) backends share: body pumping, error mapping, streaming
urllib3's responses, the closed flag.

What third-party backends may share too lives in the public :mod:`dicomkit.transports.support`.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
from abc import abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

from dicomkit.core.errors import (
    ConnectError,
    ConnectionLostError,
    DicomkitError,
    InvalidArgumentError,
    ReadTimeout,
    TLSError,
    TransportClosedError,
    TransportError,
)
from dicomkit.core.interface import Request, Response, Transport
from dicomkit.transports import support

__all__ = [
    "CHUNK_SIZE",
    "BodyPump",
    "BuiltinTransport",
    "ClosedFlag",
    "ErrorMapper",
    "map_stdlib_error",
    "mapping",
    "raise_body_error",
    "streamed_response",
]

ErrorMapper = Callable[[BaseException], DicomkitError | None]
"""One library's exception -> dicomkit error function; None when the exception is not its."""

CHUNK_SIZE = 256 * 1024
"""Bytes asked of the socket per read: large enough for GB/s, small enough never to buffer."""


class BodyPump:
    """Iterates a request body for the HTTP library and remembers what the caller's source raised.

    Libraries wrap errors raised while sending (``ProtocolError('Connection aborted', exc)``);
    an error from the caller's own body source must reach the caller unchanged.
    """

    __slots__ = ("_chunks", "error", "length")

    def __init__(self, request: Request) -> None:
        self._chunks = request.iter_body()
        self.length = request.content_length
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except StopIteration:
            raise
        except BaseException as exc:
            self.error = exc
            raise

    def __len__(self) -> int:
        # requests sends Content-Length for a body with a length, and chunks when it is 0.
        return self.length or 0

    def __bool__(self) -> bool:
        # requests replaces a false body by an empty form (``data or {}``).
        return True


def raise_body_error(pump: BodyPump | None) -> None:
    """Re-raise the caller's own body error, if that is what broke the send."""
    if pump is not None and pump.error is not None:
        raise pump.error


def map_stdlib_error(exc: BaseException) -> DicomkitError | None:
    """The dicomkit error for a standard-library networking error, or None if it is not one."""
    if isinstance(exc, DicomkitError):
        return exc
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return TLSError(str(exc) or type(exc).__name__)
    if isinstance(exc, socket.timeout | TimeoutError):
        return ReadTimeout(str(exc) or "timed out")
    if isinstance(exc, http.client.IncompleteRead | http.client.RemoteDisconnected):
        return ConnectionLostError(str(exc) or type(exc).__name__)
    if isinstance(exc, ConnectionRefusedError | socket.gaierror):
        return ConnectError(str(exc))
    if isinstance(exc, ConnectionError | BrokenPipeError):
        return ConnectionLostError(str(exc) or type(exc).__name__)
    if isinstance(exc, http.client.InvalidURL):
        return InvalidArgumentError(str(exc))
    if isinstance(exc, http.client.HTTPException):
        return ConnectionLostError(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, OSError):
        return TransportError(str(exc) or type(exc).__name__)
    return None


@contextlib.contextmanager
def mapping(pump: BodyPump | None, *mappers: ErrorMapper) -> Iterator[None]:
    """Errors become what the first mapper that knows them says; the rest pass unchanged.

    A failure of the caller's own body source (seen by ``pump``) wins over the library's
    wrapping of it.
    """
    try:
        yield
    except Exception as exc:
        raise_body_error(pump)
        for mapper in mappers:
            mapped = mapper(exc)
            if mapped is exc:
                raise
            if mapped is not None:
                raise mapped from exc
        raise


def streamed_response(
    raw: Any,
    status: int,
    request: Request,
    chunk_size: int,
    mapped: Callable[[], contextlib.AbstractContextManager[object]],
    *,
    read_already: Callable[[], bytes | None] = lambda: None,
) -> Response:
    """A :class:`Response` reading urllib3's ``raw`` response in ``chunk_size`` pieces.

    Library errors while reading or closing leave through ``mapped()``; a body read to the end
    returns its connection to the pool, one closed early drops it. ``read_already`` gives the
    body when a library has read it itself (requests does for a 3xx).
    """
    finished = False

    def chunks() -> Iterator[bytes]:
        nonlocal finished
        early = read_already()
        if early is not None:
            finished = True
            yield early
            return
        with mapped():
            yield from raw.stream(chunk_size, decode_content=True)
        finished = True

    def release() -> None:
        with mapped():
            if not finished:
                raw.close()
            raw.release_conn()

    return Response(
        status,
        list(raw.headers.items()),
        stream=chunks(),
        on_close=release,
        url=request.url,
        request=request,
    )


class ClosedFlag:
    """A thread-safe 'closed' flag: close runs once, and sends after it fail clearly."""

    __slots__ = ("_closed", "_lock", "_what")

    def __init__(self, what: str) -> None:
        self._closed = False
        self._lock = threading.Lock()
        self._what = what

    @property
    def closed(self) -> bool:
        return self._closed

    def check(self) -> None:
        if self._closed:
            raise TransportClosedError(f"the {self._what} transport is closed")

    def close_once(self) -> bool:
        """True for the one call that should release resources."""
        with self._lock:
            if self._closed:
                return False
            self._closed = True
            return True


class BuiltinTransport(Transport):
    """What the built-in backends do around their library: options, closing, redirects.

    A subclass builds its library's objects in ``__init__`` (after calling this one) and sends
    one request, without following redirects, in :meth:`_send_once`.
    """

    def __init__(
        self, name: str, verify: bool | str, max_redirects: int, pool_maxsize: int, chunk_size: int
    ) -> None:
        support.check_options(verify, max_redirects, pool_maxsize)
        self._max_redirects = max_redirects
        self._chunk_size = chunk_size
        self._state = ClosedFlag(name)

    def send(self, request: Request) -> Response:
        self._state.check()
        checked = support.checked_headers(request.headers)
        url = support.checked_url(request.url)
        request = Request(request.method, url, checked, request.body, request.timeout)
        return support.follow_redirects(
            request, self._send_once, self._max_redirects, discard=support.drain_and_close
        )

    @abstractmethod
    def _send_once(self, request: Request) -> Response:
        """Send ``request`` once; the answer's body unread."""
