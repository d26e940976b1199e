"""A TCP fault proxy: real network faults between any client and any HTTP/1.1 server.

The reference server's fault injection (``_faults``) misbehaves inside HTTP; this proxy breaks
the connection itself, as a flaky network or a load balancer does, so it works in front of
Orthanc too. Every connection carries one request (the proxy rewrites ``Connection`` to
``close`` both ways), so one fault drawn per connection is one fault per request::

    with FaultProxy(("127.0.0.1", server_port), seed=7) as proxy:
        client = DicomClient(proxy.url + "/dicom-web", timeout=(1, 0.5))
        ...
        proxy.log  # what each connection suffered, in order: replay with the same seed

Faults (:data:`KINDS`): ``reset_request`` (RST after part of the request reached the server),
``reset_response`` (RST after part of the answer), ``truncate`` (part of the answer, then a
clean FIN), ``stall_request`` (the request never reaches the server; the client waits),
``stall_response`` (the server answered; part of it is held back), ``status_503`` (the proxy
answers 503 itself; the server sees nothing), ``drip`` (the whole answer in tiny slices) and
``pass``. Where a fault cuts is drawn with the fault, as a fraction of the bytes, so a seed
replays the same faults in the same order whatever the sizes.
"""

from __future__ import annotations

import contextlib
import random
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

__all__ = ["KINDS", "FaultProxy", "ProxiedConnection"]

KINDS = (
    "pass",
    "reset_request",
    "reset_response",
    "truncate",
    "stall_request",
    "stall_response",
    "status_503",
    "drip",
)
"""Every fault the proxy knows, ``pass`` (no fault) first."""

_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 1 << 16
_CONNECTION = re.compile(rb"\r\n(connection|keep-alive|proxy-connection):[^\r\n]*", re.I)
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.I)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r\n]*chunked", re.I)
_IO_TIMEOUT = 30.0
_BODY_503 = b"fault proxy: 503\n"


@dataclass
class ProxiedConnection:
    """One connection through the proxy: its fault, where it cut, and how many bytes passed."""

    index: int
    kind: str
    fraction: float
    request_line: str = ""
    request_bytes: int = 0
    response_bytes: int = 0
    forwarded_request: int = 0
    forwarded_response: int = 0
    error: str = ""


@dataclass
class _Plan:
    weights: dict[str, float]
    script: list[str] = field(default_factory=list)


class FaultProxy:
    """Forwards 127.0.0.1:``port`` to ``upstream``, applying one seeded fault per connection.

    ``weights`` maps fault kinds to relative odds (default: every kind alike); ``script`` lists
    the kinds of the first connections, before the random draw takes over; ``stall`` is how
    long a stalled connection is held (make it exceed the client's read timeout); ``drip``
    the largest slice and pause of a dripped answer.
    """

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        seed: int = 0,
        weights: Mapping[str, float] | None = None,
        script: Sequence[str] = (),
        stall: float = 2.0,
        drip: tuple[int, float] = (512, 0.001),
        path: str = "",
    ) -> None:
        chosen = dict(weights) if weights is not None else dict.fromkeys(KINDS, 1.0)
        unknown = sorted((set(chosen) | set(script)) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(KINDS)}")
        if not any(weight > 0 for weight in chosen.values()):
            raise ValueError("at least one fault kind needs a positive weight")
        self.upstream = upstream
        self.path = path
        self.seed = seed
        self.stall = stall
        self.drip = drip
        self.log: list[ProxiedConnection] = []
        self._plan = _Plan(chosen, list(script))
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._threads: set[threading.Thread] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def in_front_of(cls, url: str, **options: Any) -> FaultProxy:
        """A proxy for the server at ``url`` (``http://host:port/root``), whose :attr:`url`
        keeps the same root: give it to a client instead of ``url``."""
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"the fault proxy needs an http://host:port URL, not {url!r}")
        return cls((parts.hostname, parts.port), path=parts.path.rstrip("/"), **options)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:port`` and the ``path`` it was given (the server's root)."""
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self) -> FaultProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(0.05)  # accept() wakes to notice close(): closing alone does not
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._acceptor.start()
        return self

    def close(self) -> None:
        """Stop accepting, end every held connection and wait for the proxy's threads."""
        self._closing.set()
        if self._acceptor is not None:
            self._acceptor.join()
            self._acceptor = None
        if self._listener is not None:
            _quiet_close(self._listener)
            self._listener = None
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def inject(self, *kinds: str) -> None:
        """Give the next connections these faults, in order, before the random draw resumes."""
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(KINDS)}")
        with self._lock:
            self._plan.script.extend(kinds)

    def set_weights(self, weights: Mapping[str, float]) -> None:
        """Change the odds for the connections still to come (e.g. ``{"pass": 1}`` to stop)."""
        with self._lock:
            self._plan.weights = dict(weights)

    def counts(self) -> dict[str, int]:
        """How many connections suffered each kind of fault so far."""
        with self._lock:
            found: dict[str, int] = {}
            for entry in self.log:
                found[entry.kind] = found.get(entry.kind, 0) + 1
            return found

    # -- connections ---------------------------------------------------------------------------

    def _draw(self) -> ProxiedConnection:
        with self._lock:
            if self._plan.script:
                kind = self._plan.script.pop(0)
            else:
                kinds = list(self._plan.weights)
                kind = self._rng.choices(kinds, [self._plan.weights[k] for k in kinds])[0]
            entry = ProxiedConnection(len(self.log), kind, self._rng.random())
            self.log.append(entry)
            return entry

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            entry = self._draw()
            thread = threading.Thread(
                target=self._serve, args=(client, entry), name="fault-proxy-conn", daemon=True
            )
            with self._lock:
                self._threads.add(thread)
            thread.start()

    def _serve(self, client: socket.socket, entry: ProxiedConnection) -> None:
        upstream: socket.socket | None = None
        try:
            client.settimeout(_IO_TIMEOUT)
            request = _read_request(client)
            entry.request_bytes = len(request)
            entry.request_line = request.split(b"\r\n", 1)[0].decode("latin-1")[:200]
            if not request:
                return
            upstream = self._run(client, request, entry)
        except OSError as exc:
            entry.error = f"{type(exc).__name__}: {exc}"
        finally:
            if upstream is not None:
                _quiet_close(upstream)
            _quiet_close(client)
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _run(
        self, client: socket.socket, request: bytes, entry: ProxiedConnection
    ) -> socket.socket | None:
        kind = entry.kind
        if kind == "status_503":
            client.sendall(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nConnection: close\r\n"
                b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s"
                % (len(_BODY_503), _BODY_503)
            )
            client.shutdown(socket.SHUT_WR)
            return None
        if kind == "stall_request":
            self._hold(client)
            return None
        upstream = socket.create_connection(self.upstream, timeout=_IO_TIMEOUT)
        if kind == "reset_request":
            cut = int(entry.fraction * len(request))
            upstream.sendall(request[:cut])
            entry.forwarded_request = cut
            _reset(upstream)
            _reset(client)
            return None
        upstream.sendall(request)
        entry.forwarded_request = len(request)
        response = _rewrite_head(_read_all(upstream))
        entry.response_bytes = len(response)
        cut = int(entry.fraction * len(response))
        if kind == "reset_response":
            self._send(client, response[:cut], entry)
            _reset(client)
        elif kind == "truncate":
            self._send(client, response[:cut], entry)
            client.shutdown(socket.SHUT_WR)
        elif kind == "stall_response":
            self._send(client, response[:cut], entry)
            self._hold(client)
        elif kind == "drip":
            self._drip(client, response, entry)
            client.shutdown(socket.SHUT_WR)
        else:
            self._send(client, response, entry)
            client.shutdown(socket.SHUT_WR)
        return upstream

    def _send(self, client: socket.socket, data: bytes, entry: ProxiedConnection) -> None:
        client.sendall(data)
        entry.forwarded_response += len(data)

    def _drip(self, client: socket.socket, data: bytes, entry: ProxiedConnection) -> None:
        largest, pause = self.drip
        slicer = random.Random(entry.fraction)
        view = memoryview(data)
        while view and not self._closing.is_set():
            size = slicer.randint(1, largest)
            self._send(client, bytes(view[:size]), entry)
            view = view[size:]
            time.sleep(pause * slicer.random())

    def _hold(self, client: socket.socket) -> None:
        """Keep the connection open and silent for ``stall`` seconds, or until the client
        gives up (it closed its side) or the proxy closes."""
        deadline = time.monotonic() + self.stall
        while not self._closing.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            readable, _, _ = select.select([client], [], [], min(left, 0.05))
            if readable:
                try:
                    if not client.recv(65536):
                        return
                except OSError:
                    return


def _read_request(sock: socket.socket) -> bytes:
    """One whole request (head rewritten to ``Connection: close``), or b"" if none came."""
    data = bytearray()
    while _HEAD_END not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
        if len(data) > _MAX_HEAD and _HEAD_END not in data[:_MAX_HEAD]:
            raise OSError("request head too large for the fault proxy")
    end = data.index(_HEAD_END)
    head, body = bytes(data[:end]), data[end + 4 :]
    length = _CONTENT_LENGTH.search(head)
    if _CHUNKED.search(head):
        while not _chunked_complete(body):
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    elif length is not None:
        wanted = int(length.group(1))
        while len(body) < wanted:
            chunk = sock.recv(min(1 << 20, wanted - len(body)))
            if not chunk:
                break
            body += chunk
    return _close_head(head) + bytes(body)


def _chunked_complete(body: bytes | bytearray) -> bool:
    """Whether a chunked body holds its last chunk (walks the chunk sizes; no trailers)."""
    pos = 0
    while True:
        line_end = body.find(b"\r\n", pos)
        if line_end < 0:
            return False
        try:
            size = int(bytes(body[pos:line_end]).split(b";")[0], 16)
        except ValueError:
            return True  # not chunked after all: let the server judge it
        if size == 0:
            return body.find(b"\r\n", line_end + 2) >= 0
        pos = line_end + 2 + size + 2
        if pos > len(body):
            return False


def _close_head(head: bytes) -> bytes:
    return _CONNECTION.sub(b"", head) + b"\r\nConnection: close" + _HEAD_END


def _rewrite_head(response: bytes) -> bytes:
    end = response.find(_HEAD_END)
    if end < 0:
        return response
    return _close_head(response[:end]) + response[end + 4 :]


def _read_all(sock: socket.socket) -> bytes:
    """The server's whole answer: it closes after one request (``Connection: close``)."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(1 << 20)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _reset(sock: socket.socket) -> None:
    """Close with an RST rather than a FIN: the peer sees ``connection reset by peer``."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    _quiet_close(sock)


def _quiet_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()
