"""One sync client per installed sync backend (the checker is a blocking tool)."""

from __future__ import annotations

import pytest

from tests.client.conftest import backend_names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sync_backend" in metafunc.fixturenames:
        metafunc.parametrize("sync_backend", backend_names(asynchronous=False))
