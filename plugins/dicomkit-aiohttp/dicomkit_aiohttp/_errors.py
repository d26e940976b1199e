"""aiohttp's exceptions translated into dicomkit's error tree, in one place.

Every call into aiohttp (send, body reads, close) runs inside :func:`translated_errors`, so users
only ever see :class:`~dicomkit.core.errors.DicomkitError`, with aiohttp's exception kept as the
cause. Cancellation (``BaseException``) and programming errors are not in the table and pass
through unchanged; an exception raised by the caller's own request body source is re-raised as
it was, even when aiohttp wrapped it on the way.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from dicomkit.core import errors

__all__ = ["BodySourceError", "error_class_for", "translate", "translated_errors"]

ErrorTable = tuple[tuple[type[BaseException], type[errors.DicomkitError]], ...]


class BodySourceError(Exception):
    """Carries an exception raised by the caller's request body iterator through aiohttp."""

    def __init__(self, original: Exception) -> None:
        super().__init__(repr(original))
        self.original = original


def _stdlib_table() -> ErrorTable:
    """Exceptions the socket and TLS layers may raise past aiohttp."""
    return (
        (ssl.SSLError, errors.TLSError),
        (ssl.CertificateError, errors.TLSError),
        (ConnectionRefusedError, errors.ConnectError),
        (socket.gaierror, errors.ConnectError),
        (ConnectionError, errors.ConnectionLostError),
        (TimeoutError, errors.TimeoutError),
        (OSError, errors.TransportError),
    )


@cache
def _table() -> dict[type[BaseException], type[errors.DicomkitError]]:
    """aiohttp class -> dicomkit class; built on first use so importing us never imports aiohttp."""
    import asyncio

    import aiohttp
    from aiohttp import http_exceptions, streams
    from aiohttp import multipart as aiohttp_multipart

    table: dict[type[BaseException], type[errors.DicomkitError]] = {
        aiohttp.ClientConnectorCertificateError: errors.TLSError,
        aiohttp.ClientConnectorSSLError: errors.TLSError,
        aiohttp.ClientSSLError: errors.TLSError,
        aiohttp.ServerFingerprintMismatch: errors.TLSError,
        aiohttp.ClientProxyConnectionError: errors.ConnectError,
        aiohttp.ClientHttpProxyError: errors.ConnectError,
        aiohttp.ClientConnectorError: errors.ConnectError,
        aiohttp.ServerTimeoutError: errors.ReadTimeout,
        aiohttp.ServerDisconnectedError: errors.ConnectionLostError,
        aiohttp.ServerConnectionError: errors.ConnectionLostError,
        aiohttp.ClientPayloadError: errors.ConnectionLostError,
        aiohttp.ClientOSError: errors.ConnectionLostError,
        aiohttp.ClientConnectionError: errors.ConnectionLostError,
        aiohttp.TooManyRedirects: errors.TooManyRedirectsError,
        aiohttp.InvalidURL: errors.InvalidArgumentError,
        aiohttp.NonHttpUrlClientError: errors.InvalidArgumentError,
        aiohttp.RedirectClientError: errors.TransportError,
        aiohttp.ClientResponseError: errors.TransportError,
        aiohttp.WSServerHandshakeError: errors.TransportError,
        aiohttp.WebSocketError: errors.TransportError,
        aiohttp.ClientError: errors.TransportError,
        streams.EofStream: errors.ConnectionLostError,
        http_exceptions.ContentLengthError: errors.ConnectionLostError,
        http_exceptions.TransferEncodingError: errors.ConnectionLostError,
        http_exceptions.HttpProcessingError: errors.TransportError,
        aiohttp_multipart.BadContentDispositionHeader: errors.ProtocolError,
        aiohttp_multipart.BadContentDispositionParam: errors.ProtocolError,
        asyncio.TimeoutError: errors.TimeoutError,
    }
    optional: dict[str, type[errors.DicomkitError]] = {
        # Newer aiohttp releases split timeouts and resets into their own classes.
        "ConnectionTimeoutError": errors.ConnectTimeout,
        "SocketTimeoutError": errors.ReadTimeout,
        "ClientConnectionResetError": errors.ConnectionLostError,
        "ClientConnectorDNSError": errors.ConnectError,
        "UploadAbortedError": errors.ConnectionLostError,
        "WSMessageTypeError": errors.TransportError,
    }
    for name, target in optional.items():
        cls = getattr(aiohttp, name, None)
        if isinstance(cls, type):
            table[cls] = target
    for stdlib_cls, stdlib_target in _stdlib_table():
        table.setdefault(stdlib_cls, stdlib_target)
    return table


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
    return f"{text or type(exc).__name__} (aiohttp {type(exc).__name__})"


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
    if target is errors.ConnectError and any(isinstance(e, ssl.SSLError) for e in _chain(exc)):
        target = errors.TLSError
    return target(_describe(exc))


@contextmanager
def translated_errors() -> Iterator[None]:
    """Run a block that calls aiohttp; its exceptions leave as dicomkit errors (cause kept)."""
    try:
        yield
    except errors.DicomkitError:
        raise
    except Exception as exc:
        original = _body_source_failure(exc)
        if original is not None:
            # The caller's own exception, shown as they raised it (aiohttp's wrapping hidden).
            raise original from original.__cause__
        error = translate(exc)
        if error is None:
            raise
        raise error from exc
