"""What only the two built-in backends share: one skeleton around their library.

Everything else they use (options, header and URL checks, TLS, redirects, error translation,
request bodies, the closed flag, response streams) is the public
:mod:`dicomkit.transports.support` toolkit, used exactly as plugin authors use it.
"""

from __future__ import annotations

import importlib.util
import sys
from abc import abstractmethod
from types import ModuleType
from typing import TYPE_CHECKING

from dicomkit.core.interface import Request, Response, Transport
from dicomkit.transports import support

if TYPE_CHECKING:
    from typing_extensions import Unpack  # annotations only: not a runtime dependency

__all__ = ["CHUNK_SIZE", "POOL_MAXSIZE", "BuiltinOptions", "BuiltinTransport"]

CHUNK_SIZE = 256 * 1024
"""Bytes asked of the socket per read: large enough for GB/s, small enough never to buffer."""


POOL_MAXSIZE = 100
"""Idle connections kept per host. A pool smaller than the threads sharing a client makes
urllib3 drop the extra connections with a WARNING in the host's logs; 100 (aiohttp's default
too) covers the threads and workers a client normally runs. Creating connections stays lazy."""


class BuiltinOptions(support.TransportOptions, total=False):
    """What both built-in backends take beside their caller's own session: the common
    :class:`~dicomkit.transports.support.TransportOptions` and ``chunk_size``, the bytes per
    body read (:data:`CHUNK_SIZE`)."""

    chunk_size: int


class BuiltinTransport(Transport):
    """What the built-in backends do around their library: options, closing, redirects.

    A subclass takes the caller's own session (or pool) and ``**options: Unpack[BuiltinOptions]``
    and passes both here: this checks that the library is installed, and notes whether the
    session is ours to close (:attr:`_owned`, when the caller gave none). The library itself is
    imported as :attr:`_library` when first needed: a caller's session has loaded it already,
    and for our own session the first request pays the import (about 0.1 s for requests), so
    that building a client stays cheap. The subclass then builds its own session when needed,
    and sends one request, without following redirects, in :meth:`_send_once`.
    """

    def __init__(
        self,
        library: str,
        callers: object | None,
        *,
        chunk_size: int = CHUNK_SIZE,
        **options: Unpack[support.TransportOptions],
    ) -> None:
        self._owned = callers is None
        self._options = support.common_options(options, pool_maxsize=POOL_MAXSIZE)
        self._chunk_size = chunk_size
        self._state = support.ClosedFlag(library)
        self._library_name = _installed(library)
        self._loaded: ModuleType | None = None

    @property
    def _library(self) -> ModuleType:
        """The HTTP library's module, imported on first use."""
        loaded = self._loaded
        if loaded is None:
            loaded = self._loaded = support.import_library(self._library_name)
        return loaded

    def send(self, request: Request) -> Response:
        self._state.check()
        checked = support.checked_headers(request.headers)
        url = support.checked_url(request.url)
        request = Request(request.method, url, checked, request.body, request.timeout)
        return support.follow_redirects(
            request, self._send_once, self._options.max_redirects, discard=support.drain_and_close
        )

    @abstractmethod
    def _send_once(self, request: Request) -> Response:
        """Send ``request`` once; the answer's body unread."""


def _installed(name: str) -> str:
    """``name`` when the HTTP library of that name is installed, found without importing it;
    a missing one raises what :func:`support.import_library` raises, at construction. A
    standard library module is there by definition (and looking for ``http.client`` would
    import ``http``, whose status enum costs 0.8 ms of the stdlib backend's start)."""
    if name.partition(".")[0] in sys.stdlib_module_names:
        return name
    try:
        found = sys.modules.get(name) is not None or importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        support.import_library(name)  # raises TransportNotFoundError, naming what to install
    return name
