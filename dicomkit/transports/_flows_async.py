"""The send-and-read flows of the backend toolkit: following redirects, streaming a body.

One source for both flavours: ``_flows_async.py`` is written by hand, ``_flows_sync.py`` is
generated from it by scripts/unasync.py. Plugin authors import both from
:mod:`dicomkit.transports.support`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from dicomkit.core.interface import Request, Response
from dicomkit.transports._checks import (
    AsyncDiscard,
    AsyncSend,
    RedirectChain,
    Translated,
    raise_if_closed,
)

__all__ = ["afollow_redirects", "astream_chunks"]


async def afollow_redirects(
    request: Request,
    send: AsyncSend,
    max_redirects: int,
    *,
    discard: AsyncDiscard = Response.aclose,
) -> Response:
    """Send ``request`` with ``send`` and follow GET/HEAD redirects as the core decides.

    Each answer left behind is passed to ``discard`` (closed by default); the final one is
    returned unread. An answer that fails the decision is closed before the error leaves.
    """
    chain = RedirectChain(request, max_redirects)
    response = await send(request)
    while True:
        try:
            following = chain.next_request(response)
        except BaseException:
            await response.aclose()
            raise
        if following is None:
            return response
        await discard(response)
        response = await send(following)


async def astream_chunks(
    chunks: AsyncIterator[bytes], translated: Translated, closed: Callable[[], bool] = lambda: False
) -> AsyncIterator[bytes]:
    """A response body's ``chunks`` with the library's errors translated by ``translated``.

    A read that fails once ``closed()`` is true (the transport, or the caller's session, was
    closed under it) raises ``TransportClosedError`` instead of the library's own complaint.
    """
    with translated():
        try:
            async for chunk in chunks:
                yield chunk
        except Exception as exc:
            raise_if_closed(closed, exc)
            raise
