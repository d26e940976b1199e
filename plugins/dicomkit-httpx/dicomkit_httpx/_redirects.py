"""Following GET/HEAD redirects with dicomkit's shared, pure redirect decision, sync and async.

httpx's own redirect handling is switched off: :func:`dicomkit.core.redirects.redirect_request`
decides (the same rules in every backend, credentials dropped when the origin changes) and
these loops only send and close.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dicomkit.core import Request, Response
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.redirects import redirect_request

__all__ = ["RedirectFollower"]

Send = Callable[[Request], Response]
AsyncSend = Callable[[Request], Awaitable[Response]]


class RedirectFollower:
    """Send a request and follow its redirects, at most ``max_redirects`` of them."""

    def __init__(self, max_redirects: int) -> None:
        if max_redirects < 0:
            raise InvalidArgumentError("max_redirects must be 0 or more")
        self.max_redirects = max_redirects

    def _next(self, request: Request, response: Response, followed: int) -> Request | None:
        return redirect_request(
            request,
            response.status,
            response.headers,
            redirects_followed=followed,
            max_redirects=self.max_redirects,
        )

    def follow(self, request: Request, send: Send) -> Response:
        response = send(request)
        followed = 0
        while True:
            try:
                following = self._next(request, response, followed)
            except BaseException:
                response.close()
                raise
            if following is None:
                return response
            response.close()
            followed += 1
            request = following
            response = send(request)

    async def afollow(self, request: Request, send: AsyncSend) -> Response:
        response = await send(request)
        followed = 0
        while True:
            try:
                following = self._next(request, response, followed)
            except BaseException:
                await response.aclose()
                raise
            if following is None:
                return response
            await response.aclose()
            followed += 1
            request = following
            response = await send(request)
