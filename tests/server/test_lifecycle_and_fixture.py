"""The servers' ``with`` forms come from dicomkit's Closing mixins, and the ``dicomweb_server``
fixture shows its server's attributes read-only: pinned here since both are shared pieces."""

from __future__ import annotations

import pytest
from dicomkit_server import AsyncReferenceServer, ReferenceServer
from dicomkit_server.orthanc import OrthancServer
from dicomkit_server.pytest_plugin import DicomwebServerFixture

from dicomkit.core.interface import AsyncClosing, Closing

VIEWS = ["url", "base_url", "token_url", "faults", "auth", "requests"]


def test_with_gives_the_url_and_stops_the_server_on_the_way_out() -> None:
    server = ReferenceServer()
    with server as url:
        assert url == server.url
        assert url.startswith("http://127.0.0.1:")
        root = server.root
        assert root.is_dir()
    with pytest.raises(RuntimeError, match="not running"):
        assert server.base_url
    assert not root.exists()


def test_close_stops_and_may_be_called_twice() -> None:
    server = ReferenceServer()
    server.start()
    server.close()
    server.close()
    with pytest.raises(RuntimeError, match="not running"):
        assert server.base_url


async def test_async_with_gives_the_url_and_stops_the_server() -> None:
    server = AsyncReferenceServer()
    async with server as url:
        assert url == server.url
    with pytest.raises(RuntimeError, match="not running"):
        assert server.base_url


def test_the_servers_use_the_shared_closing_mixins() -> None:
    assert issubclass(ReferenceServer, Closing)
    assert issubclass(AsyncReferenceServer, AsyncClosing)
    assert issubclass(OrthancServer, Closing)


def test_orthanc_close_without_start_removes_its_own_workdir() -> None:
    orthanc = OrthancServer()
    assert orthanc.workdir.is_dir()
    orthanc.close()
    assert not orthanc.workdir.exists()


def test_fixture_shows_the_servers_attributes(dicomweb_server: DicomwebServerFixture) -> None:
    server = dicomweb_server.server
    for name in VIEWS:
        assert getattr(dicomweb_server, name) == getattr(server, name), name
    assert dicomweb_server.faults is server.faults
    assert dicomweb_server.requests is server.requests


@pytest.mark.parametrize("name", VIEWS)
def test_fixture_attributes_are_read_only(
    dicomweb_server: DicomwebServerFixture, name: str
) -> None:
    with pytest.raises(AttributeError, match="read-only"):
        setattr(dicomweb_server, name, None)


@pytest.mark.parametrize("name", VIEWS)
def test_fixture_attributes_are_documented(name: str) -> None:
    assert getattr(DicomwebServerFixture, name).__doc__
