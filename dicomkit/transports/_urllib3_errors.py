"""urllib3's exceptions in dicomkit's tree, for the urllib3 and requests backends (and the
standard library's errors that escape urllib3, shared with the stdlib backend).

Every exception class urllib3 defines is listed explicitly (a test fails when a new urllib3
release adds one), so each failure reaches users as the most precise dicomkit error. The rules
around the table are the public :class:`~dicomkit.transports.support.ExceptionTranslator`'s,
the same ones the plugins use.
"""

from __future__ import annotations

from dicomkit.core import errors
from dicomkit.transports.support import ErrorTable, ExceptionTranslator

__all__ = ["URLLIB3_ERRORS", "after_connect_table", "urllib3_table", "wrapped_error"]


def after_connect_table() -> ErrorTable:
    """The standard library's networking errors whose kind depends on when they happen, as
    they are once a connection is open: what urllib3 lets through unwrapped, and everything
    the stdlib backend (:mod:`dicomkit.transports._stdlib`) sees after connecting. The rest of
    the standard library's errors are :data:`~dicomkit.transports.support.STDLIB_ERRORS`."""
    return {
        # A socket timeout once connected happened while sending or awaiting an answer.
        TimeoutError: errors.ReadTimeout,
    }


def urllib3_table() -> ErrorTable:
    """urllib3 exception class -> dicomkit class, built when first needed."""
    from urllib3 import exceptions as e

    return {
        e.MaxRetryError: errors.ConnectError,
        e.NameResolutionError: errors.ConnectError,
        e.NewConnectionError: errors.ConnectError,
        e.ConnectTimeoutError: errors.ConnectTimeout,
        e.ReadTimeoutError: errors.ReadTimeout,
        e.TimeoutError: errors.TimeoutError,
        e.TimeoutStateError: errors.InvalidArgumentError,
        e.SSLError: errors.TLSError,
        e.ProxyError: errors.ConnectError,
        e.ProxySchemeUnknown: errors.InvalidArgumentError,
        e.ProxySchemeUnsupported: errors.InvalidArgumentError,
        e.IncompleteRead: errors.ConnectionLostError,
        e.InvalidChunkLength: errors.ConnectionLostError,
        e.ResponseNotChunked: errors.ConnectionLostError,
        e.ProtocolError: errors.ConnectionLostError,
        e.DecodeError: errors.ProtocolError,
        e.HeaderParsingError: errors.ProtocolError,
        e.InvalidHeader: errors.InvalidArgumentError,
        e.LocationParseError: errors.InvalidArgumentError,
        e.URLSchemeUnknown: errors.InvalidArgumentError,
        e.LocationValueError: errors.InvalidArgumentError,
        e.ClosedPoolError: errors.TransportClosedError,
        e.EmptyPoolError: errors.TransportError,
        e.FullPoolError: errors.TransportError,
        e.HostChangedError: errors.TransportError,
        e.RequestError: errors.TransportError,
        e.PoolError: errors.TransportError,
        e.ResponseError: errors.TransportError,
        e.BodyNotHttplibCompatible: errors.TransportError,
        e.UnrewindableBodyError: errors.TransportError,
        e.HTTPError: errors.TransportError,
        e.InsecureRequestWarning: errors.TLSError,
        e.InsecurePlatformWarning: errors.TLSError,
        e.NotOpenSSLWarning: errors.TLSError,
        e.SystemTimeWarning: errors.TLSError,
        e.SecurityWarning: errors.TLSError,
        e.DependencyWarning: errors.TransportError,
        e.HTTPWarning: errors.TransportError,
        **after_connect_table(),
    }


def wrapped_error(exc: BaseException) -> BaseException | None:
    """The error a urllib3 or requests exception carries: ``MaxRetryError.reason``, or the
    first argument requests wraps urllib3's errors in."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        return reason
    first = exc.args[0] if exc.args else None
    return first if isinstance(first, BaseException) else None


URLLIB3_ERRORS = ExceptionTranslator("urllib3", urllib3_table, unwrap=wrapped_error)
"""The urllib3 backend's translator; its ``translated()`` wraps every call into urllib3."""
