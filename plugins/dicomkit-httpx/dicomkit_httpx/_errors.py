"""httpx's exceptions translated into dicomkit's error tree, in one place.

Every call into httpx (send, body reads, close; sync and async alike) runs inside
:func:`translated_errors`, so users only see :class:`~dicomkit.core.errors.DicomkitError`, with
httpx's exception kept as the cause. The table is httpx's; the rules around it (nearest mapped
ancestor, the socket and TLS layers' errors, an ``HTTPStatusError`` keeping its status,
cancellation and programming errors passing through, the caller's own body source error
re-raised as it was, even when httpx or httpcore wrapped it) are dicomkit's shared
:class:`~dicomkit.transports.support.ExceptionTranslator`.
"""

from __future__ import annotations

from dicomkit.core import errors
from dicomkit.transports.support import BodySourceError, ErrorTable, ExceptionTranslator

__all__ = ["TRANSLATOR", "BodySourceError", "error_class_for", "translate", "translated_errors"]


def _table() -> ErrorTable:
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
        # httpx works out the next hop of every 3xx even when not following it, and the idna
        # package refuses some host names Python's codec accepts ("xn--"): the answer's fault
        UnicodeError: errors.ProtocolError,
    }


TRANSLATOR = ExceptionTranslator("httpx", _table)
error_class_for = TRANSLATOR.error_class_for
translate = TRANSLATOR.translate
translated_errors = TRANSLATOR.translated
