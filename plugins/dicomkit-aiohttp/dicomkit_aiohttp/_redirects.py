"""Following GET/HEAD redirects with dicomkit's shared, pure redirect decision.

aiohttp's own redirect handling is switched off: dicomkit decides (same rules in every backend,
``Authorization`` dropped when the host changes) and this loop only sends and closes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dicomkit.core import Request, Response
from dicomkit.core.errors import InvalidArgumentError, TooManyRedirectsError

__all__ = ["RedirectFollower"]

Send = Callable[[Request], Awaitable[Response]]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class RedirectFollower:
    """Send a request and follow its redirects, at most ``max_redirects`` of them."""

    def __init__(self, max_redirects: int) -> None:
        if max_redirects < 0:
            raise InvalidArgumentError("max_redirects must be 0 or more")
        self.max_redirects = max_redirects

    async def follow(self, request: Request, send: Send) -> Response:
        response = await send(request)
        hops = 0
        while request.method in ("GET", "HEAD") and response.status in _REDIRECT_STATUSES:
            if hops >= self.max_redirects:
                await response.aclose()
                raise TooManyRedirectsError(f"more than {self.max_redirects} redirects")
            await response.aclose()
            hops += 1
            raise NotImplementedError
        return response
