"""urllib3's exceptions in dicomkit's tree; shared by the urllib3 and requests backends.

Every exception class urllib3 defines is listed explicitly (a test fails when a new urllib3
release adds one), so each failure reaches users as the most precise dicomkit error.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from dicomkit.core.errors import (
    ConnectError,
    ConnectionLostError,
    ConnectTimeout,
    DicomkitError,
    InvalidArgumentError,
    ProtocolError,
    ReadTimeout,
    TLSError,
    TransportClosedError,
    TransportError,
)
from dicomkit.core.errors import (
    TimeoutError as DicomkitTimeoutError,
)

__all__ = ["describe", "map_urllib3_error", "urllib3_table"]

Mapper = Callable[[BaseException], DicomkitError]


def describe(exc: BaseException) -> str:
    """``str(exc)``, even for library exceptions whose ``__str__`` itself can fail."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _plain(kind: type[DicomkitError]) -> Mapper:
    return lambda exc: kind(describe(exc))


def _max_retry(exc: BaseException) -> DicomkitError:
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        inner = map_urllib3_error(reason)
        if inner is not None:
            return inner
    return ConnectError(describe(exc))


@lru_cache(maxsize=1)
def urllib3_table() -> dict[type[BaseException], Mapper]:
    """Exception class -> mapper, most specific classes first (lookup walks the MRO anyway)."""
    from urllib3 import exceptions as e

    return {
        e.MaxRetryError: _max_retry,
        e.NameResolutionError: _plain(ConnectError),
        e.NewConnectionError: _plain(ConnectError),
        e.ConnectTimeoutError: _plain(ConnectTimeout),
        e.ReadTimeoutError: _plain(ReadTimeout),
        e.TimeoutError: _plain(DicomkitTimeoutError),
        e.TimeoutStateError: _plain(InvalidArgumentError),
        e.SSLError: _plain(TLSError),
        e.ProxyError: _plain(ConnectError),
        e.ProxySchemeUnknown: _plain(InvalidArgumentError),
        e.ProxySchemeUnsupported: _plain(InvalidArgumentError),
        e.IncompleteRead: _plain(ConnectionLostError),
        e.InvalidChunkLength: _plain(ConnectionLostError),
        e.ResponseNotChunked: _plain(ConnectionLostError),
        e.ProtocolError: _plain(ConnectionLostError),
        e.DecodeError: _plain(ProtocolError),
        e.HeaderParsingError: _plain(ProtocolError),
        e.InvalidHeader: _plain(InvalidArgumentError),
        e.LocationParseError: _plain(InvalidArgumentError),
        e.URLSchemeUnknown: _plain(InvalidArgumentError),
        e.LocationValueError: _plain(InvalidArgumentError),
        e.ClosedPoolError: _plain(TransportClosedError),
        e.EmptyPoolError: _plain(TransportError),
        e.FullPoolError: _plain(TransportError),
        e.HostChangedError: _plain(TransportError),
        e.RequestError: _plain(TransportError),
        e.PoolError: _plain(TransportError),
        e.ResponseError: _plain(TransportError),
        e.BodyNotHttplibCompatible: _plain(TransportError),
        e.UnrewindableBodyError: _plain(TransportError),
        e.HTTPError: _plain(TransportError),
        e.InsecureRequestWarning: _plain(TLSError),
        e.InsecurePlatformWarning: _plain(TLSError),
        e.NotOpenSSLWarning: _plain(TLSError),
        e.SystemTimeWarning: _plain(TLSError),
        e.SecurityWarning: _plain(TLSError),
        e.DependencyWarning: _plain(TransportError),
        e.HTTPWarning: _plain(TransportError),
    }


def map_urllib3_error(exc: BaseException) -> DicomkitError | None:
    """The dicomkit error for a urllib3 exception, or None if ``exc`` is not urllib3's."""
    table = urllib3_table()
    for kind in type(exc).__mro__:
        mapper = table.get(kind)
        if mapper is not None:
            return mapper(exc)
    return None
