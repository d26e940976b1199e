"""What only the two built-in backends share: one skeleton around their library.

Everything else they use (options, header and URL checks, TLS, redirects, error translation,
request bodies, the closed flag, response streams) is the public
:mod:`dicomkit.transports.support` toolkit, used exactly as plugin authors use it.
"""

from __future__ import annotations

from abc import abstractmethod

from dicomkit.core.interface import Request, Response, Transport
from dicomkit.transports import support

__all__ = ["CHUNK_SIZE", "BuiltinTransport"]

CHUNK_SIZE = 256 * 1024
"""Bytes asked of the socket per read: large enough for GB/s, small enough never to buffer."""


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
        self._state = support.ClosedFlag(name)

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
