"""pytest fixtures that share one Orthanc per session and reset it for every test.

Outside CI a missing Orthanc (or a shared network namespace) skips the tests with a hint on
how to enable them; under ``CI=true`` the same condition fails them, so CI never passes by
silently running nothing against Orthanc.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from dicomkit_server.orthanc import (
    OrthancServer,
    namespace_refusal,
    orthanc_missing_reason,
)

from tests._support.ci import skip_or_fail

__all__ = [
    "orthanc",
    "orthanc_server",
    "orthanc_server_with_auth",
    "orthanc_with_auth",
    "require_orthanc",
]

_RUN_HINT = (
    "then run the tests with `nox -s tests` as root, or with "
    "`unshare --net sh -c 'ip link set lo up && exec python -m pytest tests/orthanc'` "
    "(see docs/orthanc.md)"
)


def require_orthanc() -> None:
    """Skip (or, under ``CI=true``, fail) when Orthanc cannot be started here."""
    missing = orthanc_missing_reason()
    reason = f"{missing}, {_RUN_HINT}" if missing else namespace_refusal()
    if reason is not None:
        skip_or_fail(f"Orthanc tests skipped: {reason}")


_SESSION_SERVERS: list[OrthancServer] = []


def _serve(
    factory: pytest.TempPathFactory, users: dict[str, str] | None
) -> Iterator[OrthancServer]:
    require_orthanc()
    with OrthancServer(factory.mktemp("orthanc"), users=users) as server:
        _SESSION_SERVERS.append(server)
        yield server
        # Session teardown: signal every session Orthanc at once so their shutdowns overlap.
        for other in _SESSION_SERVERS:
            other.terminate()
        _SESSION_SERVERS.remove(server)


@pytest.fixture(scope="session")
def orthanc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """One Orthanc without authentication for the whole session."""
    yield from _serve(tmp_path_factory, None)


@pytest.fixture(scope="session")
def orthanc_server_with_auth(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OrthancServer]:
    """One Orthanc with HTTP basic auth for user ``alice`` (password in ``.users``)."""
    yield from _serve(tmp_path_factory, {"alice": secrets.token_urlsafe(12)})


@pytest.fixture
def orthanc(orthanc_server: OrthancServer) -> OrthancServer:
    """The session's Orthanc with an empty store."""
    orthanc_server.reset()
    return orthanc_server


@pytest.fixture
def orthanc_with_auth(orthanc_server_with_auth: OrthancServer) -> OrthancServer:
    """The session's basic-auth Orthanc with an empty store."""
    orthanc_server_with_auth.reset()
    return orthanc_server_with_auth
