"""A response head cut short is a lost connection, never a complete head (urllib3 and requests).

``http.client`` reads header lines until a blank line *or the end of the stream*, so a
connection closed cleanly right after a header line reads as a whole head; with no
``Content-Length`` the body is then "everything until close": nothing. A search answered []
while the server held the study, a STOW "succeeded" acknowledging nothing (found by the chaos
suite, ``tests/chaos/test_cut_head.py``). httpx and aiohttp raise; the connections of the pools
dicomkit builds for urllib3 and requests (:func:`dicomkit.transports._verbatim.install`) read
their answers with :class:`HeadCheckedResponse`, which raises ``RemoteDisconnected`` instead,
and the contract case ``test_a_head_cut_at_a_line_boundary_is_connection_lost`` checks every
backend.
"""

from __future__ import annotations

import http.client
from functools import cache
from typing import Any

__all__ = ["HeadCheckedResponse", "head_checked"]


class _LastLine:
    """A file wrapper that remembers the last line read (b"" once the stream ended)."""

    def __init__(self, fp: Any) -> None:
        self.fp = fp
        self.last: bytes | None = None

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self.fp.readline(limit)
        self.last = line
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fp, name)


class HeadCheckedResponse(http.client.HTTPResponse):
    """``http.client.HTTPResponse`` refusing a head that ended at the end of the stream."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        watched = _LastLine(self.fp)
        self.fp = watched
        try:
            super().begin()
        finally:
            if self.fp is watched:  # http.client drops (and closes) it on a bad status line
                self.fp = watched.fp
        if watched.last == b"":
            self.close()
            raise http.client.RemoteDisconnected(
                "the connection closed inside the response head (no blank line after the "
                "header fields)"
            )


@cache
def head_checked(connection: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
    """``connection`` (a urllib3 connection class) reading answers as HeadCheckedResponse."""
    return type(
        f"HeadChecked{connection.__name__}",
        (connection,),
        {"response_class": HeadCheckedResponse, "__module__": __name__},
    )
