"""Clients of every installed backend, sync and async (the parameters of tests/client)."""

from __future__ import annotations

import pytest

from tests.client.conftest import backend_names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sync_backend" in metafunc.fixturenames:
        metafunc.parametrize("sync_backend", backend_names(asynchronous=False))
    if "async_backend" in metafunc.fixturenames:
        metafunc.parametrize("async_backend", backend_names(asynchronous=True))
