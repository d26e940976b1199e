"""A loopback HTTP/1.1 server written on raw sockets, so the contract suite controls the wire.

Library servers hide framing decisions; this one lets a test choose them: Content-Length,
chunked or connection-close bodies, bodies cut short, pauses before headers or mid-body, chosen
write sizes, gzip, redirects to another host name. Every request is read completely (either
framing) and answered with what arrived: method, target, headers and the body's SHA-256.

Query parameters of ``/echo`` (all optional):
``status`` answer status; ``n`` + ``seed`` answer with :func:`payload` bytes instead of the JSON
echo; ``chunks`` comma-separated write sizes, cycled; ``mode`` ``length`` | ``chunked`` |
``close``; ``cut`` close after that many body bytes; ``delay`` seconds before the status line;
``pause_at`` + ``pause`` sleep mid-body; ``gzip=1``; ``rh`` JSON list of extra response header
pairs; ``reset=1`` makes ``cut`` a reset (RST) instead of a clean close; ``reset_at`` resets the
connection after that many bytes of the request body arrived, before any answer;
``hold`` + ``hold_at`` send ``hold_at`` body bytes, then withhold the rest until the test opens
the :class:`Gate` named ``hold`` (see :meth:`ContractServer.gate`); ``ack`` + ``ack_at`` open the
gate named ``ack`` once ``ack_at`` bytes of the request body arrived (the streaming checks);
``cut_head=1`` closes the connection cleanly after the last header field line, before the
blank line that ends the head.
``/redirect?n=K&to=URL&status=302`` redirects K times to itself, then to ``to``.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import random
import socket
import socketserver
import ssl
import struct
import threading
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, BinaryIO, cast
from urllib.parse import parse_qsl, quote, urlsplit

__all__ = ["Blackhole", "ContractServer", "Gate", "payload", "payload_chunks"]

_BLOCK = 1_048_573  # a prime: bytes lost on chunk boundaries never line up with the period
_REASONS = {200: "OK", 204: "No Content", 301: "Moved", 302: "Found", 304: "Not Modified"}
_MAX_LINE = 65536


@lru_cache(maxsize=8)
def _block(seed: int) -> bytes:
    return random.Random(seed).randbytes(_BLOCK)


def payload_chunks(seed: int, size: int, chunk: int = 256 * 1024) -> Iterator[memoryview]:
    """The deterministic body of ``size`` bytes for ``seed``, in pieces of at most ``chunk``."""
    view = memoryview(_block(seed))
    offset = 0
    while offset < size:
        start = offset % _BLOCK
        take = min(chunk, size - offset, _BLOCK - start)
        yield view[start : start + take]
        offset += take


def payload(seed: int, size: int) -> bytes:
    """The bytes ``/echo?n=size&seed=seed`` answers with."""
    return b"".join(payload_chunks(seed, size, _BLOCK))


class _Body:
    """An answer body that is never materialised whole: a 1 GB payload is sent from one block."""

    def __init__(self, data: bytes | None = None, *, seed: int = 0, size: int = 0) -> None:
        self._view = memoryview(data if data is not None else _block(seed))
        self._periodic = data is None
        self.length = len(data) if data is not None else size

    def piece(self, offset: int, size: int) -> memoryview:
        """Up to ``size`` bytes from ``offset`` (fewer where the generated block wraps)."""
        if not self._periodic:
            return self._view[offset : offset + size]
        start = offset % _BLOCK
        return self._view[start : start + min(size, _BLOCK - start)]


class Gate:
    """One streaming check's handshake between the server and the test, across threads.

    ``opened`` is set by the side that saw the first piece arrive (the test for an answer the
    server withholds, the server for a request body the test's source withholds); the side
    withholding waits for it at most ``seconds`` and, when it waited in vain, sets ``expired``
    and goes on, so a buffering backend still finishes and the test can say what happened.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.opened = threading.Event()
        self.expired = False

    def open(self) -> None:
        """The first piece arrived: the withholding side may send the rest."""
        self.opened.set()

    def wait(self) -> bool:
        """Wait until opened (True) or ``seconds`` passed (False, and ``expired`` is set)."""
        if not self.opened.wait(self.seconds):
            self.expired = True
        return not self.expired


class _Sink:
    """Where request body bytes go: the digest, and the ``ack`` gate once ``ack_at`` arrived."""

    def __init__(self, gate: Gate | None, ack_at: int) -> None:
        self.digest = hashlib.sha256()
        self._gate = gate
        self._left = ack_at if gate is not None else -1

    def limit(self, size: int) -> int:
        """How much to read at most now: never past the byte that opens the gate."""
        return min(size, self._left) if self._left > 0 else size

    def update(self, data: bytes) -> None:
        self.digest.update(data)
        if self._left > 0:
            self._left -= len(data)
            if self._left <= 0 and self._gate is not None:
                self._gate.open()


class _Stop(Exception):
    """The client went away or the server is shutting down."""


def _read_exactly(read: Any, size: int, digest: _Sink) -> None:
    """Feed ``size`` body bytes to ``digest``; a client that stops short ends the exchange."""
    while size:
        data = read(digest.limit(min(size, 1 << 20)))
        if not data:
            raise _Stop
        digest.update(data)
        size -= len(data)


def _reset(sock: socket.socket) -> None:
    """Abort the connection with a TCP reset (no FIN first), as a crashed peer or a proxy does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    raise _Stop


class _Handler(socketserver.BaseRequestHandler):
    server: ContractServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.connection_opened()
        try:
            if isinstance(sock, ssl.SSLSocket):
                sock.settimeout(10.0)
                sock.do_handshake()
                sock.settimeout(None)
            with sock.makefile("rb", buffering=65536) as reader:
                rfile = cast(BinaryIO, reader)
                while not self.server.stopping.is_set() and self._one_exchange(sock, rfile):
                    pass
        except (_Stop, OSError, ValueError):
            pass
        finally:
            self.server.connection_closed()

    def _one_exchange(self, sock: socket.socket, rfile: BinaryIO) -> bool:
        readline = rfile.readline
        line = readline(_MAX_LINE)
        while line in (b"\r\n", b"\n"):
            line = readline(_MAX_LINE)
        if not line:
            return False
        method, target, version = line.decode("latin-1").split()
        headers: list[tuple[str, str]] = []
        while True:
            field = readline(_MAX_LINE)
            if field in (b"\r\n", b"\n", b""):
                break
            name, _, value = field.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        lowered = {name.lower(): value for name, value in headers}
        query = dict(parse_qsl(urlsplit(target).query, keep_blank_values=True))
        if "reset_at" in query:
            rfile.read(int(query["reset_at"]))
            _reset(sock)
        ack = self.server.gate(query["ack"]) if "ack" in query else None
        digest = _Sink(ack, int(query.get("ack_at", "0")))
        length, framing = self._read_body(rfile, lowered, digest)
        self.server.requests_served += 1
        keep_alive = version == "HTTP/1.1" and lowered.get("connection", "").lower() != "close"
        echo = {
            "method": method,
            "target": target,
            "headers": headers,
            "length": length,
            "sha256": digest.digest.hexdigest(),
            "framing": framing,
        }
        path = urlsplit(target).path
        if path == "/redirect":
            return self._redirect(sock, query, keep_alive, method == "HEAD")
        return self._answer(sock, echo, query, keep_alive)

    def _read_body(
        self, rfile: BinaryIO, headers: dict[str, str], digest: _Sink
    ) -> tuple[int, str]:
        read = rfile.read
        readline = rfile.readline
        if "chunked" in headers.get("transfer-encoding", "").lower():
            total = 0
            while True:
                size = int(readline(_MAX_LINE).split(b";")[0].strip(), 16)
                if size == 0:
                    while readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):
                        pass
                    return total, "chunked"
                _read_exactly(read, size, digest)
                total += size
                readline(_MAX_LINE)
        if "content-length" in headers:
            total = int(headers["content-length"])
            _read_exactly(read, total, digest)
            return total, "length"
        return 0, "none"

    def _wait(self, seconds: float) -> None:
        if seconds > 0 and self.server.stopping.wait(seconds):
            raise _Stop

    def _redirect(
        self, sock: socket.socket, query: dict[str, str], keep_alive: bool, head: bool
    ) -> bool:
        hops = int(query.get("n", "0"))
        status = int(query.get("status", "302"))
        to = query.get("to", "/echo")
        if hops > 0:
            location = f"/redirect?n={hops - 1}&status={status}&to={quote(to, safe='')}"
        else:
            location = to
        body = b"" if head else b"redirecting"
        lines = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}",
            f"Location: {location}",
            "Content-Length: 11",
            "Connection: keep-alive" if keep_alive else "Connection: close",
        ]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return keep_alive

    def _answer(
        self, sock: socket.socket, echo: dict[str, object], query: dict[str, str], keep_alive: bool
    ) -> bool:
        status = int(query.get("status", "200"))
        mode = query.get("mode", "length")
        self._wait(float(query.get("delay", "0")))
        if "n" in query:
            body = _Body(seed=int(query.get("seed", "0")), size=int(query["n"]))
        else:
            body = _Body(json.dumps(echo).encode())
        extra: list[tuple[str, str]] = [tuple(pair) for pair in json.loads(query.get("rh", "[]"))]
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}", "Server: dicomkit-contract"]
        lines += [f"X-Echo-{key.title()}: {echo[key]}" for key in ("method", "length", "sha256")]
        lines.append(f"X-Echo-Framing: {echo['framing']}")
        lines.append(f"X-Echo-Headers: {json.dumps(echo['headers'])}")
        lines += [f"{name}: {value}" for name, value in extra]
        if query.get("gzip") == "1":
            body = _Body(gzip.compress(body.piece(0, body.length).tobytes()))
            lines.append("Content-Encoding: gzip")
        no_body = status in (204, 304) or 100 <= status < 200
        if no_body:
            body = _Body(b"")
        elif mode == "chunked":
            lines.append("Transfer-Encoding: chunked")
        elif mode == "close":
            keep_alive = False
        else:
            lines.append(f"Content-Length: {body.length}")
        lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
        if query.get("cut_head") == "1":  # the head ends after a field line, then a clean close
            sock.sendall(("\r\n".join(lines) + "\r\n").encode("latin-1"))
            sock.shutdown(socket.SHUT_WR)
            return False
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if echo["method"] == "HEAD" or no_body:
            return keep_alive
        cut = int(query["cut"]) if "cut" in query else None
        complete = self._send_body(sock, body, query, mode == "chunked", cut)
        return keep_alive and complete

    def _send_body(
        self,
        sock: socket.socket,
        body: _Body,
        query: dict[str, str],
        chunked: bool,
        cut: int | None,
    ) -> bool:
        sizes = [max(1, int(s)) for s in query.get("chunks", "65536").split(",") if s]
        pause_at = int(query.get("pause_at", "-1"))
        pause = float(query.get("pause", "0"))
        hold = self.server.gate(query["hold"]) if "hold" in query else None
        hold_at = int(query.get("hold_at", "-1")) if hold is not None else -1
        sent = 0
        index = 0
        end = body.length if cut is None else min(cut, body.length)
        while sent < end:
            if sent == pause_at:
                self._wait(pause)
            if sent == hold_at and hold is not None:
                hold.wait()
            size = min(sizes[index % len(sizes)], end - sent)
            for stop in (pause_at, hold_at):
                if sent < stop < sent + size:
                    size = stop - sent
            index += 1
            piece = body.piece(sent, size)
            if chunked:
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            else:
                sock.sendall(piece)
            sent += len(piece)
        if cut is not None:
            if query.get("reset") == "1":
                _reset(sock)
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            return False
        if chunked:
            sock.sendall(b"0\r\n\r\n")
        return True


class ContractServer(socketserver.ThreadingTCPServer):
    """The loopback server; ``with ContractServer() as server: server.url``."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None) -> None:
        super().__init__((host, 0), _Handler)
        self.tls = tls
        self.stopping = threading.Event()
        self.requests_served = 0
        self.connections_accepted = 0
        self.open_connections = 0
        self._count_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._gates: dict[str, Gate] = {}

    def gate(self, name: str, seconds: float = 10.0) -> Gate:
        """The :class:`Gate` called ``name``, made on first use (by the test or the server)."""
        with self._count_lock:
            return self._gates.setdefault(name, Gate(seconds))

    def forget_gate(self, name: str) -> None:
        """Drop a finished check's gate."""
        with self._count_lock:
            self._gates.pop(name, None)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def scheme(self) -> str:
        return "http" if self.tls is None else "https"

    @property
    def url(self) -> str:
        """Base URL on 127.0.0.1 (no trailing slash)."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def other_host_url(self) -> str:
        """The same server reached as another host (``localhost``): a cross-origin target."""
        return f"{self.scheme}://localhost:{self.port}"

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            # The handshake runs in the connection's own thread, not in the accept loop.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def connection_opened(self) -> None:
        with self._count_lock:
            self.connections_accepted += 1
            self.open_connections += 1

    def connection_closed(self) -> None:
        with self._count_lock:
            self.open_connections -= 1

    def start(self) -> ContractServer:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()

    def __enter__(self) -> ContractServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class Blackhole:
    """A port whose connection attempts hang: a listener with a full backlog that never accepts.

    The portable way to provoke a connect timeout without a network: once the accept queue of a
    ``listen(0)`` socket is full, Linux drops further SYNs, so ``connect`` waits.
    """

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self.port = int(self._listener.getsockname()[1])
        self._fillers: list[socket.socket] = []
        self.works = self._fill()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _fill(self) -> bool:
        for _ in range(8):
            filler = socket.socket()
            filler.settimeout(0.3)
            self._fillers.append(filler)
            try:
                filler.connect(("127.0.0.1", self.port))
            except OSError:
                return True
        return False

    def close(self) -> None:
        for sock in [*self._fillers, self._listener]:
            sock.close()

    def __enter__(self) -> Blackhole:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
