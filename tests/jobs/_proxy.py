"""A TCP proxy on 127.0.0.1 that resets STOW-RS requests midway, for jobs' fault tests.

``cut_posts`` connections carrying a ``POST`` are reset after ``cut_at`` bytes of it have been
forwarded: the server sees a request that breaks mid-body, the client a connection lost
without an answer. Everything else is passed through untouched.
"""

from __future__ import annotations

import socket
import struct
import threading
from urllib.parse import urlsplit, urlunsplit

__all__ = ["CuttingProxy"]


class CuttingProxy:
    def __init__(self, upstream_url: str, *, cut_at: int, cut_posts: int | None) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._listener = socket.create_server(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        self.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))
        self.cut_at = cut_at
        self.cuts_left = cut_posts
        self.cuts = 0
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _take_cut(self) -> bool:
        with self._lock:
            if self.cuts_left is not None and self.cuts_left <= 0:
                return False
            if self.cuts_left is not None:
                self.cuts_left -= 1
            self.cuts += 1
            return True

    def _accept(self) -> None:
        while not self._closed:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._upstream)
            threading.Thread(
                target=self._requests, args=(downstream, upstream), daemon=True
            ).start()
            threading.Thread(target=self._answers, args=(upstream, downstream), daemon=True).start()

    def _requests(self, source: socket.socket, target: socket.socket) -> None:
        budget: int | None = None
        try:
            while data := source.recv(65536):
                if budget is None and data.startswith(b"POST ") and self._take_cut():
                    budget = self.cut_at
                if budget is not None:
                    target.sendall(data[:budget])
                    budget -= min(budget, len(data))
                    if budget == 0:
                        _reset(source)
                        _reset(target)
                        return
                else:
                    target.sendall(data)
        except OSError:
            pass
        _reset(target)

    @staticmethod
    def _answers(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        _reset(target)

    def close(self) -> None:
        self._closed = True
        self._listener.close()


def _reset(sock: socket.socket) -> None:
    """Close with RST, as a broken link would."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass
