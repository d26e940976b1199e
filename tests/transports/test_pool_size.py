"""Pool size follows the client's concurrency (issue 16.4): 16 threads on one client never make
urllib3 log "Connection pool is full, discarding connection" into the host's logs."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from dicomkit import DicomClient
from tests.client.conftest import backend_names

THREADS = 16


@pytest.mark.parametrize("backend", backend_names(asynchronous=False))
def test_sixteen_threads_on_one_client_log_nothing(
    dicomweb_server: Any, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    dicomweb_server.faults.add("/studies", delay=0.3, times=None)  # every thread at once
    barrier = threading.Barrier(THREADS)

    def search(client: DicomClient) -> int:
        barrier.wait(30)
        return len(client.search_for_studies())

    client = DicomClient(dicomweb_server.url, transport=backend)
    with caplog.at_level(logging.DEBUG), client, ThreadPoolExecutor(THREADS) as pool:
        assert list(pool.map(search, [client] * THREADS * 2)) == [0] * THREADS * 2
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], [r.getMessage() for r in loud]
