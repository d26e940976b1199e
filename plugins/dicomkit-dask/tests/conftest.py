"""One LocalCluster (2 worker processes, 127.0.0.1) and one reference server with a password for
the whole module; the password reaches the workers only through their environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask.config
import pytest
from distributed import Client, LocalCluster

from dicomkit import ClientConfig, DicomClient
from dicomkit.auth import BasicAuth, EnvSecret
from dicomkit.core.retry import RetryPolicy
from tests._support.orthanc_fixtures import orthanc, orthanc_server  # noqa: F401  (fixtures)

SECRET = "dask-graph-must-not-hold-this-5f1c9e"
SECRET_VARIABLE = "DICOMKIT_DASK_TEST_PASSWORD"
QUICK_RETRY = RetryPolicy(backoff=0.0, jitter=0.0, max_attempts=3, total_timeout=30.0)

if str(Path(__file__).parent) not in sys.path:  # dask_test_filesystems, here and on workers
    sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def reference() -> Iterator[Any]:
    from dicomkit_server import ReferenceServer

    server = ReferenceServer(auth=("ann", SECRET))
    server.start()
    try:
        yield server
    finally:
        server.close()


HERE = Path(__file__).parent
"""This folder: importable here (above) and on the workers (their PYTHONPATH)."""


@pytest.fixture(scope="session")
def dask_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """Workers are spawned with the password in their environment, as a real cluster's
    workers get it from theirs (docs/dask.md), and with this folder importable, for the test
    filesystem of dask_test_filesystems (whose log and tear tokens are named there too)."""
    from dask_test_filesystems import LOG_VARIABLE, TEARS_VARIABLE

    shared = tmp_path_factory.mktemp("filesystem")
    (shared / "tears").mkdir()
    environment = {
        SECRET_VARIABLE: SECRET,
        LOG_VARIABLE: str(shared / "log.jsonl"),
        TEARS_VARIABLE: str(shared / "tears"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
    }
    previous = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    # a killed worker's lease of the request cap comes back after 5 s, not the default 30 s
    quick_leases = {
        "distributed.scheduler.locks.lease-validation-interval": "1s",
        "distributed.scheduler.locks.lease-timeout": "5s",
    }
    try:
        with (
            dask.config.set(quick_leases),
            LocalCluster(
                n_workers=2,
                threads_per_worker=4,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def server(reference: Any) -> Iterator[Any]:
    """The module's server, emptied and without faults for each test."""
    reference.reset()
    yield reference
    reference.faults.clear()


@pytest.fixture
def config(server: Any) -> ClientConfig:
    return ClientConfig(
        server.url, auth=BasicAuth("ann", EnvSecret(SECRET_VARIABLE)), retry=QUICK_RETRY
    )


@pytest.fixture
def local(server: Any) -> DicomClient:
    """A client in the test process, to read back what the server holds."""
    return DicomClient(server.url, auth=("ann", SECRET), retry=QUICK_RETRY)
