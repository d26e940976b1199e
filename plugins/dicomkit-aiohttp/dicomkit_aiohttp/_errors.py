"""aiohttp's exceptions translated into dicomkit's error tree, in one place.

Every call into aiohttp (send, body reads, close) runs inside :func:`translated_errors`, so users
only ever see :class:`~dicomkit.core.errors.DicomkitError`, with aiohttp's exception kept as the
cause. The table is aiohttp's; the rules around it (nearest mapped ancestor, the socket and TLS
layers' errors, cancellation and programming errors passing through, the caller's own body
source error re-raised as it was) are dicomkit's shared
:class:`~dicomkit.transports.support.ExceptionTranslator`.
"""

from __future__ import annotations

from dicomkit.core import errors
from dicomkit.transports.support import BodySourceError, ErrorTable, ExceptionTranslator

__all__ = ["TRANSLATOR", "BodySourceError", "error_class_for", "translate", "translated_errors"]


def _table() -> ErrorTable:
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
    return table


TRANSLATOR = ExceptionTranslator("aiohttp", _table)
error_class_for = TRANSLATOR.error_class_for
translate = TRANSLATOR.translate
translated_errors = TRANSLATOR.translated
