"""A loopback HTTP proxy for the contract's proxy cases: absolute-form and CONNECT.

Small on purpose, one request per client connection, as a forward proxy may: it notes the
head of the request (:attr:`ProxyServer.seen`: the target as the backend wrote it, absolute for
plain HTTP), forwards it in origin form with ``Connection: close`` (servers such as Orthanc
refuse absolute-form targets), answers with ``Connection: close`` too, and otherwise copies
bytes. A CONNECT is answered 200 and then copied both ways. ``refuse=True`` answers every
request ``407 Proxy Authentication Required`` instead, the usual way a proxy says no.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from urllib.parse import urlsplit

__all__ = ["VIA", "ProxyServer"]

_MAX_HEAD = 65536


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until either side ends, then end both directions."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (sink, source):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _read_head(sock: socket.socket) -> bytes:
    """Bytes up to and including the blank line ending a request's head (and what followed)."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(4096)
        if not piece or len(data) > _MAX_HEAD:
            return b""
        data += piece
    return data


_HOP_BY_HOP = (b"connection:", b"proxy-connection:", b"keep-alive:")


VIA = "Via: 1.1 dicomkit-contract-proxy"
"""The field the proxy adds to each request it forwards, as proxies do (RFC 9110 7.6.3)."""


def _closing_head(data: bytes, first_line: str, *extra: str) -> bytes:
    """``data`` (a head and what followed it) with its first line replaced, ``extra`` fields
    added and the connection made to close after this exchange."""
    head, _, rest = data.partition(b"\r\n\r\n")
    fields = [line for line in head.split(b"\r\n")[1:] if not line.lower().startswith(_HOP_BY_HOP)]
    added = [field.encode("latin-1") for field in extra]
    lines = [first_line.encode("latin-1"), *fields, *added, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + rest


class _Handler(socketserver.BaseRequestHandler):
    server: ProxyServer

    def handle(self) -> None:
        client: socket.socket = self.request
        data = _read_head(client)
        if not data:
            return
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        method, target, _ = [*line.split(" "), "", ""][:3]
        self.server.note(method, target)
        if self.server.refuse:
            client.sendall(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="contract"\r\n'
                b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            address = (host.strip("[]"), int(port))
            rest = data.split(b"\r\n\r\n", 1)[1]
        else:
            parts = urlsplit(target)
            address = (parts.hostname or "", parts.port or 80)
            origin = parts.path or "/"
            query = f"?{parts.query}" if parts.query else ""
            rest = _closing_head(data, f"{method} {origin}{query} HTTP/1.1", VIA)
        try:
            upstream = socket.create_connection(address, timeout=10)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        upstream.settimeout(None)
        with upstream:
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            if method != "CONNECT":
                answer = _read_head(upstream)
                status = answer.split(b"\r\n", 1)[0].decode("latin-1")
                client.sendall(_closing_head(answer, status))
            back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
            back.start()
            _pipe(client, upstream)
            back.join()


class ProxyServer(socketserver.ThreadingTCPServer):
    """``with ProxyServer() as proxy: proxy.url`` (``http://127.0.0.1:PORT``).

    ``seen`` lists ``(method, target)`` of the first request of every connection: an
    absolute URL for a plain-HTTP request sent through the proxy, ``host:port`` for CONNECT.
    """

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, *, refuse: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.refuse = refuse
        self.seen: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def note(self, method: str, target: str) -> None:
        with self._lock:
            self.seen.append((method, target))

    def __enter__(self) -> ProxyServer:
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()
