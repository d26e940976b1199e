"""What the sync and async contract classes share: the server, the random cases, the checks."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import itertools
import json
import os
import signal
import socket
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from dicomkit.core.interface import Headers, Request, Response, StreamBody, Timeout
from dicomkit.testing._contract_server import ContractServer, Gate, payload
from dicomkit.transports.support import MAX_PIECE

__all__ = [
    "BAD_REQUESTS",
    "BODY_METHODS",
    "BUFFERED_ANSWER",
    "BUFFERED_UPLOAD",
    "CUT_BODIES",
    "Case",
    "VERBATIM_TARGETS",
    "EventLoop",
    "InlineLoop",
    "SHORT",
    "HeldAnswer",
    "HeldUpload",
    "check_piece",
    "cases",
    "check_echo",
    "check_payload",
    "client_sockets",
    "contract_https",
    "contract_server",
    "proxy_environment",
    "echo_of",
    "echoed_target",
    "exit_status",
    "files_open",
    "forked",
    "free_port",
    "open_fd_count",
    "own_threads",
    "server_idle",
    "wait_until",
]

T = TypeVar("T")

BODY_METHODS = ("POST", "PUT", "PATCH")
EMPTY_METHODS = ("GET", "HEAD", "DELETE", "OPTIONS")
LARGEST_BODY = 8 * 1024 * 1024

VERBATIM_TARGETS = (
    "/echo?PatientName=Doe^Jane&x=a*b,c",
    "/echo/studies/1.2.840.99/series?00100010=Doe^J*&q=?:@/!$'()&v=%C3%A9%20%26%3D%5B%5D%25",
)
"""Targets as dicomkit's URL builder writes them (``dicomkit.core.urls.QUERY_SAFE`` raw, the
rest percent-encoded in upper case). They must reach the server byte for byte: Orthanc 1.10
matches QIDO values without percent-decoding them, so ``Doe%5EJane`` would find nothing."""

BAD_REQUESTS = (
    ("http://[::1/x", ("X-A", "b")),
    ("/relative", ("X-A", "b")),
    ("ftp://127.0.0.1/", ("X-A", "b")),
    ("http://127.0.0.1:1/", ("X-A", "caf\u00e9")),
    ("http://127.0.0.1:1/", ("X-A", "a\r\nX-Injected: 1")),
    ("http://127.0.0.1:1/", ("Bad Name", "x")),
)
"""URLs and header fields no request may carry: each is an ``InvalidArgumentError`` before
anything is sent (no library's own ``ValueError``, no header injection, no re-encoding)."""

CUT_BODIES = (
    ("length", 1000, 0),
    ("length", 300000, 150000),
    ("chunked", 300000, 70000),
    ("chunked", 1000, 0),
)
"""(framing, announced size, bytes sent before the server hangs up) for the cut-body cases."""

SHORT = Timeout(connect=5.0, read=0.5)
"""A read timeout short enough for the timeout cases, a connect timeout loose enough for CI."""

BUFFERED_ANSWER = (
    "the backend buffered the response body: its first piece reached the caller only after the "
    "server, which withheld the rest until the caller had seen the first piece, gave up waiting. "
    "Yield each piece as the library reads it (at most MAX_PIECE bytes), never the whole body"
)
BUFFERED_UPLOAD = (
    "the backend buffered the request body: the server received no byte of it before the body "
    "source, which withheld the rest until the server had the first piece, gave up waiting. "
    "Send each chunk as the source yields it, never the joined body"
)


def check_piece(piece: bytes) -> None:
    """A response body piece is at most :data:`dicomkit.transports.support.MAX_PIECE` bytes."""
    assert len(piece) <= MAX_PIECE, (
        f"the backend handed out a piece of {len(piece)} bytes: at most {MAX_PIECE} "
        "(dicomkit.transports.support.MAX_PIECE) at once, so a large body never sits in memory"
    )


class HeldAnswer:
    """A response the server sends in two parts: ``MAX_PIECE`` bytes, then the rest only once
    the test saw a first piece (``seen``), or after ``seconds`` (then ``seen`` fails: the
    backend buffered)."""

    SEED = 5
    SIZE = 3 * MAX_PIECE

    def __init__(self, server: ContractServer, mode: str, seconds: float) -> None:
        self._server = server
        self.name = f"hold-{os.getpid()}-{next(_names)}"
        self.gate: Gate = server.gate(self.name, seconds)
        self.url = (
            f"{server.url}/echo?n={self.SIZE}&seed={self.SEED}&mode={mode}"
            f"&hold={self.name}&hold_at={MAX_PIECE}"
        )
        self.received = bytearray()

    def seen(self, piece: bytes) -> None:
        """Record a piece; the first one must come while the server still withholds the rest."""
        check_piece(piece)
        if piece and not self.gate.opened.is_set():
            assert not self.gate.expired, BUFFERED_ANSWER
            self.gate.open()
        self.received += piece

    def check(self) -> None:
        assert not self.gate.expired, BUFFERED_ANSWER
        check_payload(bytes(self.received), payload(self.SEED, self.SIZE))

    def __enter__(self) -> HeldAnswer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.gate.open()
        self._server.forget_gate(self.name)


class HeldUpload:
    """A request body whose source yields ``MAX_PIECE`` bytes, then withholds the rest until
    the server has received them (or ``seconds`` passed: then ``check`` fails, the backend
    buffered)."""

    def __init__(self, server: ContractServer, sized: bool, seconds: float) -> None:
        self._server = server
        self.name = f"ack-{os.getpid()}-{next(_names)}"
        self.gate: Gate = server.gate(self.name, seconds)
        self.url = f"{server.url}/echo?ack={self.name}&ack_at={MAX_PIECE}"
        self.data = payload(6, 3 * MAX_PIECE)
        self.body = StreamBody(self._chunks, len(self.data) if sized else None)

    def _chunks(self) -> Iterator[bytes]:
        yield self.data[:MAX_PIECE]
        self.gate.wait()
        yield self.data[MAX_PIECE : 2 * MAX_PIECE]
        yield self.data[2 * MAX_PIECE :]

    def check(self, response: Response) -> None:
        assert not self.gate.expired, BUFFERED_UPLOAD
        echo = echo_of(response)
        assert echo["sha256"] == hashlib.sha256(self.data).hexdigest()

    def __enter__(self) -> HeldUpload:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.gate.open()
        self._server.forget_gate(self.name)


_names = itertools.count()

_server: ContractServer | None = None
_server_lock = threading.Lock()


def _ensure_profiles() -> None:
    """Third-party suites may not load dicomkit's profiles; the contract needs ``fast``."""
    try:
        settings.get_profile("fast")
    except InvalidArgument:
        from dicomkit.testing.profiles import register_profiles

        register_profiles()


_ensure_profiles()


_https: tuple[ContractServer, Any] | None = None


def contract_https() -> tuple[ContractServer, Any]:
    """The process-wide HTTPS loopback server and its ``TLSFiles`` (``dicomkit.testing.tls``),
    made on first use; without ``openssl`` the case skips (and fails under ``CI=true``)."""
    global _https
    from dicomkit.testing.tls import make_tls_files, serve_https

    with _server_lock:
        if _https is None:
            try:
                files = make_tls_files(Path(tempfile.mkdtemp(prefix="dicomkit-contract-tls-")))
            except FileNotFoundError as exc:
                if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
                    pytest.fail(str(exc))
                pytest.skip(str(exc))
            _https = (serve_https(files).start(), files)
        return _https


PROXY_VARIABLES = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUEST_METHOD",
)


def proxy_environment(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    """Set the proxy variables a case names (lower case) and clear every other one."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)


def contract_server() -> ContractServer:
    """The process-wide loopback server, started on first use and left running."""
    global _server
    with _server_lock:
        if _server is None:
            _server = ContractServer().start()
        return _server


@dataclass
class Case:
    """One random exchange: what is sent, and how the server is told to answer."""

    method: str
    headers: list[tuple[str, str]]
    body_size: int
    body_seed: int
    body_chunks: list[int]
    body_kind: str  # "bytes" | "sized" | "unsized"
    status: int
    answer_size: int
    answer_seed: int
    answer_chunks: list[int]
    answer_mode: str
    answer_headers: list[tuple[str, str]] = field(default_factory=list)

    def request(self, base_url: str) -> Request:
        query = (
            f"status={self.status}&n={self.answer_size}&seed={self.answer_seed}"
            f"&mode={self.answer_mode}&chunks={','.join(map(str, self.answer_chunks))}"
            f"&rh={quote(json.dumps(self.answer_headers), safe='')}"
        )
        return Request(
            self.method,
            f"{base_url}/echo?{query}",
            Headers(self.headers),
            self.body(),
            Timeout(10.0, 30.0),
        )

    def body(self) -> bytes | StreamBody | None:
        if self.method not in BODY_METHODS:
            return None
        data = payload(self.body_seed, self.body_size)
        if self.body_kind == "bytes":
            return data
        sizes = self.body_chunks

        def chunks() -> Iterator[bytes]:
            offset = index = 0
            while offset < len(data):
                size = sizes[index % len(sizes)]
                yield data[offset : offset + size]
                offset += size
                index += 1

        return StreamBody(chunks, len(data) if self.body_kind == "sized" else None)

    @property
    def expected_answer(self) -> bytes:
        if self.method == "HEAD" or self.status in (204, 304):
            return b""
        return payload(self.answer_seed, self.answer_size)


_name = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9-]{0,15}\Z")
_value = st.from_regex(r"\A[!-~]([ -~]{0,30}[!-~])?\Z")
# Three size classes drawn evenly, so about a third of the examples move megabytes.
_sizes = st.one_of(
    st.integers(0, 4096), st.integers(4097, 1 << 20), st.integers((1 << 20) + 1, LARGEST_BODY)
)


@st.composite
def _chunking(draw: st.DrawFn, size: int) -> list[int]:
    floor = max(1, size // 512)
    return draw(st.lists(st.integers(floor, max(floor, 1 << 20)), min_size=1, max_size=5))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Random methods, header sets, statuses 200-599 and 0-8 MB bodies both ways."""
    method = draw(st.sampled_from(BODY_METHODS + EMPTY_METHODS))
    headers = draw(st.lists(st.tuples(_name.map("X-T-".__add__), _value), max_size=8))
    body_size = draw(_sizes) if method in BODY_METHODS else 0
    answer_size = draw(_sizes)
    return Case(
        method=method,
        headers=headers,
        body_size=body_size,
        body_seed=draw(st.integers(0, 3)),
        body_chunks=draw(_chunking(body_size)),
        body_kind=draw(st.sampled_from(["bytes", "sized", "unsized"])),
        status=draw(st.integers(200, 599)),
        answer_size=answer_size,
        answer_seed=draw(st.integers(0, 3)),
        answer_chunks=draw(_chunking(answer_size)),
        answer_mode=draw(st.sampled_from(["length", "chunked", "close"])),
        answer_headers=draw(st.lists(st.tuples(_name.map("X-R-".__add__), _value), max_size=6)),
    )


def echo_of(response: Response) -> dict[str, Any]:
    """What the server saw, from the X-Echo-* headers every answer of ``/echo`` carries."""
    return {
        "method": response.headers.get("X-Echo-Method"),
        "length": int(response.headers.get("X-Echo-Length") or "-1"),
        "sha256": response.headers.get("X-Echo-Sha256"),
        "framing": response.headers.get("X-Echo-Framing"),
        "headers": Headers(json.loads(response.headers.get("X-Echo-Headers") or "[]")),
    }


def echoed_target(body: bytes) -> str:
    """The request target the server saw, from the JSON body ``/echo`` answers with."""
    return str(json.loads(body)["target"])


def _joined(headers: Headers, name: str) -> str:
    return ", ".join(headers.get_all(name))


def check_payload(received: bytes, expected: bytes) -> None:
    """Exact bytes, with a short message (never an 8 MB diff)."""
    if received != expected:
        first = next(
            (i for i, (a, b) in enumerate(zip(received, expected, strict=False)) if a != b),
            min(len(received), len(expected)),
        )
        raise AssertionError(
            f"body differs: got {len(received)} bytes, expected {len(expected)}, "
            f"first difference at offset {first}"
        )


def check_echo(case: Case, response: Response, received: bytes) -> None:
    """Everything observable about one exchange: status, headers both ways, exact bytes."""
    assert response.status == case.status
    wanted = Headers(case.answer_headers)
    for name, _ in case.answer_headers:
        assert response.headers.get_all(name) == wanted.get_all(name)
    echo = echo_of(response)
    sent = payload(case.body_seed, case.body_size) if case.method in BODY_METHODS else b""
    assert echo["method"] == case.method
    assert echo["length"] == len(sent)
    assert echo["sha256"] == hashlib.sha256(sent).hexdigest()
    if sent:
        assert echo["framing"] == ("chunked" if case.body_kind == "unsized" else "length")
    sent_headers = Headers(case.headers)
    for name, _ in case.headers:
        assert _joined(echo["headers"], name) == _joined(sent_headers, name)
    check_payload(received, case.expected_answer)


def free_port() -> int:
    """A loopback port nothing listens on (a moment ago), for the refused-connection cases."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def open_fd_count() -> int | None:
    """Open file descriptors of this process, or None where /proc is missing."""
    gc.collect()
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def _tcp_peers() -> dict[str, int]:
    """Socket inode -> remote port of this process's TCP sockets (``/proc/self/net``)."""
    peers: dict[str, int] = {}
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            with open(table, encoding="ascii") as lines:
                rows = lines.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            peers[fields[9]] = int(fields[2].rsplit(":", 1)[1], 16)
    return peers


def _descriptor_targets() -> list[str] | None:
    """What each open descriptor of this process points at, or None where /proc is missing."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return None
    targets = []
    for name in names:
        try:
            targets.append(os.readlink(f"/proc/self/fd/{name}"))
        except OSError:  # the descriptor listdir itself used, or one closed meanwhile
            continue
    return targets


def client_sockets(port: int) -> int | None:
    """Open sockets of this process connected *to* ``port`` (a client's side, never the
    server's own), counted without the garbage collector; None where /proc is missing."""
    targets = _descriptor_targets()
    if targets is None:
        return None
    peers = _tcp_peers()
    inodes = [target[8:-1] for target in targets if target.startswith("socket:[")]
    return sum(1 for inode in inodes if peers.get(inode) == port)


def files_open(path: str | os.PathLike[str]) -> int | None:
    """Open descriptors of this process on the file ``path``; None where /proc is missing."""
    targets = _descriptor_targets()
    if targets is None:
        return None
    wanted = os.path.realpath(path)
    return sum(1 for target in targets if target == wanted)


def own_threads() -> set[threading.Thread]:
    """Live threads, leaving out the contract server's per-connection handlers."""
    return {
        thread
        for thread in threading.enumerate()
        if "process_request_thread" not in thread.name and thread.is_alive()
    }


def forked(work: Callable[[], object]) -> int:
    """Run ``work`` in a forked child and return its pid; the child exits 0 when ``work``
    returned, 1 (traceback on stderr) when it raised, and never runs the parent's exit code."""
    with warnings.catch_warnings():
        # Python 3.12 warns about forking a process with threads (the contract server's).
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's result is its exit status
        status = 1
        try:
            work()
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    return pid


def exit_status(pid: int, seconds: float = 120.0) -> int:
    """The exit status of the child ``pid``; one still running after ``seconds`` is killed."""
    deadline = time.monotonic() + seconds
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -signal.SIGKILL
        time.sleep(0.02)


def server_idle(server: ContractServer) -> bool:
    """No connection open to ``server``, once garbage (a session a case dropped) is collected."""
    gc.collect()
    return server.open_connections == 0


def wait_until(predicate: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll: the server closes its side of a connection a moment after the client did."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class EventLoop:
    """A private event loop, so async contract tests need no pytest-asyncio configuration."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()

    def run(self, make: Callable[[], Awaitable[T]]) -> T:
        """Await what ``make`` returns on this loop (``make`` runs inside it)."""

        async def wrapped() -> T:
            return await make()

        return self._loop.run_until_complete(wrapped())

    @classmethod
    def once(cls, make: Callable[[], Awaitable[T]]) -> T:
        """Await what ``make`` returns on a fresh private loop, closed afterwards."""
        with cls() as loop:
            return loop.run(make)

    def close(self) -> None:
        try:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.run_until_complete(self._loop.shutdown_default_executor())
        finally:
            self._loop.close()

    def __enter__(self) -> EventLoop:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class InlineLoop:
    """The sync twin of :class:`EventLoop`: ``run(make)`` just calls ``make`` in this thread."""

    def run(self, make: Callable[[], T]) -> T:
        return make()

    @classmethod
    def once(cls, make: Callable[[], T]) -> T:
        return make()

    def __enter__(self) -> InlineLoop:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Nothing to close: the generated sync contract keeps its async twin's shape."""
