"""Client test fixtures: one client per installed transport backend, sync and async.

Backends are listed from the registry at collection time, so a plugin that is not installed
shows up as a missing parameter; under ``CI=true``, where both plugins are installed, a missing
backend stops the run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.interface import AsyncTransport, Transport
from dicomkit.core.retry import RetryPolicy
from tests._support.ci import in_ci

# CI installs both plugins: a backend missing there would drop its parameters without a failure.
CI_SYNC_BACKENDS = {"requests", "urllib3", "httpx"}
CI_ASYNC_BACKENDS = {"aiohttp", "httpx"}
QUICK_RETRY = RetryPolicy(backoff=0.0, jitter=0.0, max_attempts=4, total_timeout=30.0)


def backend_names(asynchronous: bool) -> list[str]:
    from dicomkit.transports import available, get

    wanted = AsyncTransport if asynchronous else Transport
    names = [name for name in available() if issubclass(get(name), wanted)]
    expected = CI_ASYNC_BACKENDS if asynchronous else CI_SYNC_BACKENDS
    if in_ci() and not expected <= set(names):
        raise pytest.UsageError(
            f"CI=true needs the {sorted(expected - set(names))} backend(s) installed; found {names}"
        )
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sync_backend" in metafunc.fixturenames:
        metafunc.parametrize("sync_backend", backend_names(asynchronous=False))
    if "async_backend" in metafunc.fixturenames:
        metafunc.parametrize("async_backend", backend_names(asynchronous=True))


@pytest.fixture
def client(dicomweb_server: Any, sync_backend: str) -> Iterator[DicomClient]:
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK_RETRY) as made:
        yield made


@pytest.fixture
async def aclient(dicomweb_server: Any, async_backend: str) -> AsyncIterator[AsyncDicomClient]:
    made = AsyncDicomClient(dicomweb_server.url, transport=async_backend, retry=QUICK_RETRY)
    async with made:
        yield made
