"""Chaos fixtures: the run's seed and size, and the backends of each client.

``DICOMKIT_CHAOS_SEED`` replays a run (``nox -s chaos -- --seed N`` sets it);
``DICOMKIT_CHAOS_ROUNDS`` sizes it (a round is a two-instance study stored, searched and
downloaded through the fault proxy, about four faulted connections).
"""

from __future__ import annotations

import os

import pytest

from tests._support.ci import in_ci
from tests.chaos._harness import ChaosSettings

CI_SYNC_BACKENDS = {"requests", "urllib3", "httpx"}
CI_ASYNC_BACKENDS = {"aiohttp", "httpx"}
DEFAULT_SEED = 20261202
DEFAULT_ROUNDS = 20


def _backends(asynchronous: bool) -> list[str]:
    from dicomkit.core.interface import AsyncTransport, Transport
    from dicomkit.transports import available, get

    wanted = AsyncTransport if asynchronous else Transport
    names = [name for name in available() if issubclass(get(name), wanted)]
    expected = CI_ASYNC_BACKENDS if asynchronous else CI_SYNC_BACKENDS
    if in_ci() and not expected <= set(names):
        raise pytest.UsageError(f"CI=true needs the {sorted(expected - set(names))} backends")
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "chaos_client" in metafunc.fixturenames:
        pairs = [("sync", name) for name in _backends(False)]
        pairs += [("async", name) for name in _backends(True)]
        metafunc.parametrize("chaos_client", pairs, ids=[f"{k}-{n}" for k, n in pairs])
    if "sync_backend" in metafunc.fixturenames:
        metafunc.parametrize("sync_backend", _backends(False))
    if "async_backend" in metafunc.fixturenames:
        metafunc.parametrize("async_backend", _backends(True))


@pytest.fixture(scope="session")
def chaos_settings() -> ChaosSettings:
    seed = int(os.environ.get("DICOMKIT_CHAOS_SEED", DEFAULT_SEED))
    rounds = int(os.environ.get("DICOMKIT_CHAOS_ROUNDS", DEFAULT_ROUNDS))
    return ChaosSettings(seed=seed, rounds=rounds)
