"""Running the reference server: in the caller's event loop (``AsyncReferenceServer``) or on a
background thread with a loop of its own (``ReferenceServer``), for synchronous tests."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import threading
from pathlib import Path

from aiohttp import web

from dicomkit.core.interface import AsyncClosing, Closing
from dicomkit_server._app import build_app
from dicomkit_server._auth import ServerAuth, resolve_server_auth
from dicomkit_server._context import RecordedRequest, ServerState
from dicomkit_server._faults import Faults
from dicomkit_server._store import Store

__all__ = ["AsyncReferenceServer", "ReferenceServer"]


class _ServerCore:
    """State and lifecycle shared by the sync and async forms."""

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_version: str | None = None,
        auth: object = None,
        empty_result_status: int = 200,
        duplicate_policy: str = "reject",
        max_results: int | None = None,
    ) -> None:
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        if root is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="dicomkit-server-")
            root = self._tempdir.name
        self.root = Path(root)
        self.host = host
        self.port = port
        self.faults = Faults()
        self.state = ServerState(
            store=Store(self.root),
            faults=self.faults,
            auth=resolve_server_auth(auth),
            api_version=api_version,
            empty_result_status=empty_result_status,
            duplicate_policy=duplicate_policy,
            max_results=max_results,
        )
        self._runner: web.AppRunner | None = None

    @property
    def auth(self) -> ServerAuth | None:
        return self.state.auth

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received since start or the last reset, oldest first."""
        return self.state.requests

    @property
    def base_url(self) -> str:
        """``http://host:port`` without the DICOMweb prefix (the token endpoint lives here)."""
        if self._runner is None:
            raise RuntimeError("the server is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The DICOMweb root clients are given, e.g. ``http://127.0.0.1:PORT/v1``."""
        return self.base_url + self.state.prefix

    @property
    def token_url(self) -> str:
        return self.base_url + "/oauth2/token"

    def reset(self) -> None:
        """Empty the store, clear faults, the request log and auth counters (between tests)."""
        self.state.store.clear()
        self.state.workitems.items.clear()
        self.faults.clear()
        self.state.requests.clear()
        if self.state.auth is not None:
            self.state.auth.reset()

    async def _start_in_loop(self) -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = int(sock.getsockname()[1])
        runner = web.AppRunner(build_app(self.state), access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner
        self.state.origin = self.base_url

    async def _stop_in_loop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    def _release(self) -> None:
        self.state.store.close()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    """Finish handlers still running (a delayed answer, a cut stream) before the loop closes."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


class AsyncReferenceServer(_ServerCore, AsyncClosing):
    """The reference server in the running event loop: ``async with ... as url``."""

    async def start(self) -> str:
        await self._start_in_loop()
        return self.url

    async def stop(self) -> None:
        await self._stop_in_loop()
        self._release()

    async def aclose(self) -> None:
        """The same as :meth:`stop`: what ``async with`` calls on the way out."""
        await self.stop()

    async def __aenter__(self) -> str:  # type: ignore[override]  # the URL, not the server
        return await self.start()


class ReferenceServer(_ServerCore, Closing):
    """The reference server on a background thread: ``with ReferenceServer(root) as url``."""

    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    def start(self) -> str:
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start_in_loop())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._stop_in_loop())
            _cancel_leftovers(loop)
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="dicomkit-reference-server", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self.url

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._thread = None
        self._loop = None
        self._release()

    def close(self) -> None:
        """The same as :meth:`stop`: what ``with`` calls on the way out."""
        self.stop()

    def __enter__(self) -> str:  # type: ignore[override]  # the URL, not the server
        return self.start()
