"""Fixtures for the Azure APIs: reference servers answering as API v1 and v2, and a client of
each kind per installed backend (sync and async), pointed at the base URL with ``api_version``
as an Azure user would write it.

The servers are the session's (reset before each test): their change feed and extended query
tags outlive a reset, as the service's would, so tests read the feed from its latest entry on
and remove the tags they add.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from tests.client.conftest import QUICK_RETRY, backend_names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sync_backend" in metafunc.fixturenames:
        metafunc.parametrize("sync_backend", backend_names(asynchronous=False))
    if "async_backend" in metafunc.fixturenames:
        metafunc.parametrize("async_backend", backend_names(asynchronous=True))


def _server(pool: Any, version: str) -> Any:
    server = pool.get({"api_version": version})
    server.reset()
    return server


@pytest.fixture
def v1_server(dicomweb_server_pool: Any) -> Any:
    return _server(dicomweb_server_pool, "v1")


@pytest.fixture
def v2_server(dicomweb_server_pool: Any) -> Iterator[Any]:
    server = _server(dicomweb_server_pool, "v2")
    yield server
    _drop_tags(server)  # tags are global: leave none behind for the next test


def _drop_tags(server: Any) -> None:
    with DicomClient(server.base_url, api_version="v2") as client:
        for tag in client.azure.extended_query_tags.list():
            client.azure.extended_query_tags.delete(tag.path)


@pytest.fixture
def client(v2_server: Any, sync_backend: str) -> Iterator[DicomClient]:
    with DicomClient(
        v2_server.base_url, api_version="v2", transport=sync_backend, retry=QUICK_RETRY
    ) as made:
        yield made


@pytest.fixture
def v1_client(v1_server: Any, sync_backend: str) -> Iterator[DicomClient]:
    with DicomClient(
        v1_server.base_url, api_version="v1", transport=sync_backend, retry=QUICK_RETRY
    ) as made:
        yield made


@pytest.fixture
async def aclient(v2_server: Any, async_backend: str) -> AsyncIterator[AsyncDicomClient]:
    made = AsyncDicomClient(
        v2_server.base_url, api_version="v2", transport=async_backend, retry=QUICK_RETRY
    )
    async with made:
        yield made


@pytest.fixture
async def v1_aclient(v1_server: Any, async_backend: str) -> AsyncIterator[AsyncDicomClient]:
    made = AsyncDicomClient(
        v1_server.base_url, api_version="v1", transport=async_backend, retry=QUICK_RETRY
    )
    async with made:
        yield made
