"""Every backend, sync and async, for the logging tests; ``logs`` captures ``dicomkit`` records."""

from __future__ import annotations

import logging

import pytest

from tests.client.conftest import backend_names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sync_backend" in metafunc.fixturenames:
        metafunc.parametrize("sync_backend", backend_names(asynchronous=False))
    if "async_backend" in metafunc.fixturenames:
        metafunc.parametrize("async_backend", backend_names(asynchronous=True))


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """``caplog`` with the ``dicomkit`` loggers at DEBUG for this test (restored after it)."""
    caplog.set_level(logging.DEBUG, logger="dicomkit")
    return caplog
