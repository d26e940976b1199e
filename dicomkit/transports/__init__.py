"""HTTP transport backends and the registry that finds them by name.

``get("urllib3")`` returns a backend class, ``available()`` the installed names. Backends import
their HTTP library only when one is built, so importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicomkit._lazy import lazy_getattr
from dicomkit.transports.registry import (
    TransportNameClashWarning,
    available,
    clear_cache,
    get,
    resolve_transport,
)

if TYPE_CHECKING:
    from dicomkit.transports._requests import RequestsTransport
    from dicomkit.transports._stdlib import StdlibTransport
    from dicomkit.transports._urllib3 import Urllib3Transport

__all__ = [
    "RequestsTransport",
    "StdlibTransport",
    "TransportNameClashWarning",
    "Urllib3Transport",
    "available",
    "clear_cache",
    "get",
    "resolve_transport",
]

_BACKENDS = {
    "RequestsTransport": "dicomkit.transports._requests",
    "StdlibTransport": "dicomkit.transports._stdlib",
    "Urllib3Transport": "dicomkit.transports._urllib3",
}


__getattr__ = lazy_getattr(__name__, _BACKENDS)
