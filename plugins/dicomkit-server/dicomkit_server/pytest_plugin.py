"""pytest plugin (entry point ``pytest11`` of dicomkit-server): a reference DICOMweb server
as fixtures.

``dicomweb_server`` gives each test an empty server (store, faults, request log and auth
counters reset) that is started once per session for each distinct set of options.
Override ``dicomweb_server_options`` to configure it, e.g. in a conftest.py::

    @pytest.fixture
    def dicomweb_server_options():
        return {"api_version": "v1", "empty_result_status": 204}

This module imports nothing heavy: aiohttp and pydicom load when a fixture is first used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import pytest

if TYPE_CHECKING:
    from dicomkit_server import FaultProxy, Faults, RecordedRequest, ReferenceServer, ServerAuth

__all__ = [
    "DicomwebServerFixture",
    "ServerPool",
    "dicomweb_fault_proxy",
    "dicomweb_server",
    "dicomweb_server_options",
    "dicomweb_server_pool",
    "dicomweb_server_session",
]

_T = TypeVar("_T")


class ServerPool:
    """Servers started on demand, one per distinct options, all stopped at session end."""

    def __init__(self, root_factory: pytest.TempPathFactory) -> None:
        self._root_factory = root_factory
        self._servers: dict[str, ReferenceServer] = {}

    def get(self, options: dict[str, Any]) -> ReferenceServer:
        key = repr(sorted(options.items()))
        server = self._servers.get(key)
        if server is None:
            from dicomkit_server import ReferenceServer

            root = self._root_factory.mktemp("dicomweb-server")
            server = ReferenceServer(root, **options)
            server.start()
            self._servers[key] = server
        return server

    def close(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()


class _FromServer(Generic[_T]):
    """A read-only attribute of the fixture that shows the same-named attribute of its server:
    the fixture names what a test may touch without restating how each one is found."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, fixture: None, owner: type) -> _FromServer[_T]: ...

    @overload
    def __get__(self, fixture: DicomwebServerFixture, owner: type) -> _T: ...

    def __get__(self, fixture: DicomwebServerFixture | None, owner: type) -> _FromServer[_T] | _T:
        if fixture is None:
            return self
        value: _T = getattr(fixture.server, self._name)
        return value

    def __set__(self, fixture: DicomwebServerFixture, value: _T) -> None:
        raise AttributeError(f"{self._name} is read-only; change it on the server")


class DicomwebServerFixture:
    """What ``dicomweb_server`` gives a test: the URL to use and the knobs to turn."""

    url: _FromServer[str] = _FromServer("The DICOMweb root (API version prefix included).")
    base_url: _FromServer[str] = _FromServer("``http://host:port``, without the DICOMweb root.")
    token_url: _FromServer[str] = _FromServer("The OAuth2 token endpoint (``auth='oauth2'``).")
    faults: _FromServer[Faults] = _FromServer("Scripted misbehaviour, cleared before each test.")
    auth: _FromServer[ServerAuth | None] = _FromServer("The server's auth scheme, or None.")
    requests: _FromServer[list[RecordedRequest]] = _FromServer("Requests since this test began.")

    def __init__(self, server: ReferenceServer) -> None:
        self.server = server

    def __repr__(self) -> str:
        return f"DicomwebServerFixture(url={self.server.url!r})"


@pytest.fixture(scope="session")
def dicomweb_server_options() -> dict[str, Any]:
    """Keyword arguments for ReferenceServer (api_version, auth, empty_result_status,
    duplicate_policy); override this fixture to change them."""
    return {}


@pytest.fixture(scope="session")
def dicomweb_server_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """One started server per distinct set of ``dicomweb_server_options``, stopped at the end
    of the session, so a directory that overrides the options gets its own server."""
    pool = ServerPool(tmp_path_factory)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def dicomweb_server_session(
    dicomweb_server_pool: ServerPool, dicomweb_server_options: dict[str, Any]
) -> ReferenceServer:
    """The session's server, started once. It is the server ``dicomweb_server`` resets before
    each test that uses that fixture; on its own it is never reset (tests share its store)."""
    return dicomweb_server_pool.get(dict(dicomweb_server_options))


@pytest.fixture
def dicomweb_server(
    dicomweb_server_pool: ServerPool, dicomweb_server_options: dict[str, Any]
) -> DicomwebServerFixture:
    """An empty reference server for this test: ``.url``, ``.faults``, ``.server``."""
    server = dicomweb_server_pool.get(dict(dicomweb_server_options))
    server.reset()
    return DicomwebServerFixture(server)


@pytest.fixture
def dicomweb_fault_proxy(dicomweb_server: DicomwebServerFixture) -> Iterator[FaultProxy]:
    """A TCP :class:`~dicomkit_server.FaultProxy` in front of ``dicomweb_server``: ``.url`` is
    the server's root through the proxy; no fault until ``.inject("reset_response", ...)`` or
    ``.set_weights({...})`` (docs/reliability.md)."""
    from dicomkit_server import FaultProxy

    with FaultProxy.in_front_of(dicomweb_server.url, weights={"pass": 1}) as proxy:
        yield proxy
