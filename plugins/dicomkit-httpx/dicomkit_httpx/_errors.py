"""httpx's exceptions translated into dicomkit's error tree, in one place.

Every call into httpx (send, body reads, close; sync and async alike) runs inside
:func:`translated_errors`, so users only see :class:`~dicomkit.core.errors.DicomkitError`, with
httpx's exception kept as the cause. Cancellation (``BaseException``) and programming errors are
not in the table and pass through; an exception raised by the caller's own request body source
is re-raised as it was, even when httpx or httpcore wrapped it on the way.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from dicomkit.core import errors

__all__ = ["BodySourceError", "error_class_for", "translate", "translated_errors"]


class BodySourceError(Exception):
    """Carries an exception raised by the caller's request body iterator through httpx."""

    def __init__(self, original: Exception) -> None:
        super().__init__(repr(original))
        self.original = original


@cache
def _table() -> dict[type[BaseException], type[errors.DicomkitError]]:
    """httpx class -> dicomkit class; built on first use so importing us never imports httpx."""
    import httpx

    return {
        httpx.ConnectTimeout: errors.ConnectTimeout,
        httpx.PoolTimeout: errors.ConnectTimeout,
        httpx.ReadTimeout: errors.ReadTimeout,
        httpx.WriteTimeout: errors.TimeoutError,
        httpx.TimeoutException: errors.TimeoutError,
        httpx.ConnectError: errors.ConnectError,
        httpx.ProxyError: errors.ConnectError,
        httpx.ReadError: errors.ConnectionLostError,
        httpx.WriteError: errors.ConnectionLostError,
        httpx.CloseError: errors.ConnectionLostError,
        httpx.NetworkError: errors.ConnectionLostError,
        # h11 reports a body cut short ("peer closed connection without sending complete
        # message body") as a remote protocol error: the body received is incomplete.
        httpx.RemoteProtocolError: errors.ConnectionLostError,
        httpx.LocalProtocolError: errors.InvalidArgumentError,
        httpx.ProtocolError: errors.TransportError,
        httpx.UnsupportedProtocol: errors.InvalidArgumentError,
        httpx.TransportError: errors.TransportError,
        httpx.DecodingError: errors.ProtocolError,
        httpx.TooManyRedirects: errors.TooManyRedirectsError,
        httpx.RequestError: errors.TransportError,
        httpx.HTTPStatusError: errors.HTTPError,
        httpx.HTTPError: errors.TransportError,
        httpx.InvalidURL: errors.InvalidArgumentError,
        httpx.CookieConflict: errors.TransportError,
        httpx.StreamClosed: errors.TransportClosedError,
        httpx.StreamConsumed: errors.TransportClosedError,
        httpx.StreamError: errors.TransportError,
        ssl.SSLError: errors.TLSError,
        ssl.CertificateError: errors.TLSError,
        ConnectionRefusedError: errors.ConnectError,
        socket.gaierror: errors.ConnectError,
        ConnectionError: errors.ConnectionLostError,
        TimeoutError: errors.TimeoutError,
        OSError: errors.TransportError,
    }


def error_class_for(exc_type: type[BaseException]) -> type[errors.DicomkitError] | None:
    """The dicomkit class for an exception class, by its nearest mapped ancestor; None = pass."""
    if issubclass(exc_type, errors.DicomkitError) or not issubclass(exc_type, Exception):
        return None
    table = _table()
    for klass in exc_type.__mro__:
        if klass in table:
            return table[klass]
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _describe(exc: BaseException) -> str:
    """``str(exc)``, which some library exceptions cannot give when half-built."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    return f"{text or type(exc).__name__} (httpx {type(exc).__name__})"


def _body_source_failure(exc: BaseException) -> Exception | None:
    for link in _chain(exc):
        if isinstance(link, BodySourceError):
            return link.original
    return None


def translate(exc: BaseException) -> errors.DicomkitError | None:
    """The dicomkit error to raise for ``exc`` (not yet chained), or None to let it pass."""
    target: type[errors.DicomkitError] | None = error_class_for(type(exc))
    if target is None:
        return None
    message = _describe(exc)
    if target is errors.HTTPError:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", 0) or 0
        return errors.error_for_status(status)(status, message)
    if target is errors.ConnectError and any(isinstance(e, ssl.SSLError) for e in _chain(exc)):
        target = errors.TLSError
    return target(message)


@contextmanager
def translated_errors() -> Iterator[None]:
    """Run a block that calls httpx; its exceptions leave as dicomkit errors (cause kept)."""
    try:
        yield
    except errors.DicomkitError:
        raise
    except Exception as exc:
        original = _body_source_failure(exc)
        if original is not None:
            # The caller's own exception, shown as they raised it (httpx's wrapping hidden).
            raise original from original.__cause__
        error = translate(exc)
        if error is None:
            raise
        raise error from exc
