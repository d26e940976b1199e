"""What a client may hold after ``close()``: sockets to a server, open files, threads, counted
without the garbage collector (it is off while a case runs)."""

from __future__ import annotations

import asyncio
import gc
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dicomkit.testing.contract import client_sockets, files_open
from dicomkit.testing.contract._support import wait_until

__all__ = ["Handles", "Resetter", "gc_off", "port_of"]


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


@contextmanager
def gc_off() -> Iterator[None]:
    """The garbage collector off: a handle only a collection would release counts as leaked."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _executor_threads(loop: object) -> set[int]:
    """The worker threads of ``loop``'s default executor (``asyncio.to_thread``)."""
    executor = getattr(loop, "_default_executor", None)
    return {thread.ident for thread in getattr(executor, "_threads", ()) if thread.ident}


def _not_the_clients(server: Any) -> set[int]:
    """Threads that are not the client's to end: the reference server's, and those of the
    caller's running event loop (its default executor ends with the loop, ``asyncio.run``)."""
    known = _executor_threads(getattr(getattr(server, "server", server), "_loop", None))
    with suppress(RuntimeError):
        known |= _executor_threads(asyncio.get_running_loop())
    return known


@dataclass
class Handles:
    """A snapshot of the client side of this process before a case runs."""

    port: int
    files: list[Path]
    server: Any = None
    threads: set[int] = field(default_factory=set)
    sockets: int | None = None

    def __post_init__(self) -> None:
        self.threads = {thread.ident for thread in threading.enumerate() if thread.ident}
        self.sockets = client_sockets(self.port)

    def open_files(self) -> list[Path]:
        return [path for path in self.files if files_open(path)]

    def new_threads(self) -> set[str]:
        known = self.threads | _not_the_clients(self.server)
        return {t.name for t in threading.enumerate() if t.is_alive() and t.ident not in known}

    def check_released(self) -> None:
        """Nothing opened since the snapshot is still open (threads get a moment to end)."""
        assert self.open_files() == [], "files still open"
        assert client_sockets(self.port) == self.sockets, "a socket to the server is still open"
        assert wait_until(lambda: not self.new_threads(), 5.0), self.new_threads()


class Resetter:
    """A loopback server that reads the first ``after`` bytes of each connection, then resets it
    (TCP RST): an upload cut mid-request, as a crashing proxy does it."""

    def __init__(self, after: int = 64 * 1024) -> None:
        self._after = after
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="resetter", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10.0)
            received = 0
            try:
                while received < self._after and (piece := conn.recv(65536)):
                    received += len(piece)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(5.0)
        self._listener.close()
