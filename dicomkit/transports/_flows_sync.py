# Generated from dicomkit/transports/_flows_async.py by scripts/unasync.py.
# Do not edit: change the async source and run `python scripts/unasync.py`.
"""The send-and-read flows of the backend toolkit: following redirects, streaming a body.

One source for both flavours: ``_flows_async.py`` is written by hand, ``_flows_sync.py`` is
generated from it by scripts/unasync.py. Plugin authors import both from
:mod:`dicomkit.transports.support`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from dicomkit.core.interface import Request, Response
from dicomkit.transports._checks import (
    Discard,
    RedirectChain,
    Send,
    Translated,
    raise_if_closed,
)

__all__ = ["follow_redirects", "stream_chunks"]


def follow_redirects(
    request: Request,
    send: Send,
    max_redirects: int,
    *,
    discard: Discard = Response.close,
) -> Response:
    """Send ``request`` with ``send`` and follow GET/HEAD redirects as the core decides.

    Each answer left behind is passed to ``discard`` (closed by default); the final one is
    returned unread. An answer that fails the decision is closed before the error leaves.
    """
    chain = RedirectChain(request, max_redirects)
    response = send(request)
    while True:
        try:
            following = chain.next_request(response)
        except BaseException:
            response.close()
            raise
        if following is None:
            return response
        discard(response)
        response = send(following)


def stream_chunks(
    chunks: Iterator[bytes], translated: Translated, closed: Callable[[], bool] = lambda: False
) -> Iterator[bytes]:
    """A response body's ``chunks`` with the library's errors translated by ``translated``.

    A read that fails once ``closed()`` is true (the transport, or the caller's session, was
    closed under it) raises ``TransportClosedError`` instead of the library's own complaint.
    """
    with translated():
        try:
            yield from chunks
        except Exception as exc:
            raise_if_closed(closed, exc)
            raise
