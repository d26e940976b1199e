"""A client travels to a 'spawn' worker as its ClientConfig, and secrets never in clear."""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from dicomkit_server import ReferenceServer, ServerBasicAuth

from dicomkit import AsyncDicomClient, ClientConfig, DicomClient, RetryPolicy, Timeout
from dicomkit.auth import (
    BasicAuth,
    BearerToken,
    EnvSecret,
    OAuth2ClientCredentials,
    SecretNotPicklableError,
)
from dicomkit.core.errors import AuthError, InvalidArgumentError
from dicomkit.testing.data import make_study
from dicomkit.transports import get
from tests.embedding._worker import async_search, search_and_download

PASSWORD = "Pickle-Password-93"


@pytest.fixture(scope="module")
def spawn() -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


@pytest.fixture(scope="module")
def basic_server() -> Iterator[ReferenceServer]:
    server = ReferenceServer(auth=ServerBasicAuth({"ann": PASSWORD}))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _stored_study(client: DicomClient, tmp_path: Path) -> tuple[str, list[str]]:
    study = make_study(3, n_series=1)
    client.store_instances(study)
    uid = str(study[0].StudyInstanceUID)
    written = client.download_dicom(tmp_path / "here", uid)
    return uid, sorted(hashlib.sha256(path.read_bytes()).hexdigest() for path in written)


def test_a_used_client_runs_real_requests_in_a_spawned_worker(
    dicomweb_server: Any, sync_backend: str, tmp_path: Path, spawn: ProcessPoolExecutor
) -> None:
    policy = RetryPolicy(max_attempts=2, backoff=0.0)
    client = DicomClient(
        dicomweb_server.url,
        transport=sync_backend,
        transport_options={"pool_maxsize": 4},
        retry=policy,
        timeout=Timeout(connect=5.0, read=30.0),
        headers={"X-Embedder": "yes"},
    )
    with client:
        uid, digests = _stored_study(client, tmp_path)
        config = client.config
        assert config.transport == sync_backend
        assert config.transport_options == {"pool_maxsize": 4}
        assert config.retry == policy
        assert pickle.loads(pickle.dumps(config)) == config
        found, written = spawn.submit(
            search_and_download, client, uid, str(tmp_path / "w")
        ).result()
    assert found == [uid]
    assert written == digests


def test_the_config_builds_an_async_client_in_the_worker(
    dicomweb_server: Any, tmp_path: Path, spawn: ProcessPoolExecutor
) -> None:
    with DicomClient(dicomweb_server.url) as client:
        uid, _ = _stored_study(client, tmp_path)
    config = ClientConfig(dicomweb_server.url, retry=2)
    assert spawn.submit(async_search, config).result() == [uid]


def test_an_async_client_pickles_as_an_async_client(dicomweb_server: Any) -> None:
    client = AsyncDicomClient(dicomweb_server.url, transport="httpx")
    copy = pickle.loads(pickle.dumps(client))
    assert isinstance(copy, AsyncDicomClient)
    assert copy.config == client.config
    assert copy.transport is not client.transport


def test_basic_auth_with_an_env_secret_reads_it_in_the_worker(
    basic_server: ReferenceServer,
    tmp_path: Path,
    spawn: ProcessPoolExecutor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with DicomClient(basic_server.url, auth=("ann", PASSWORD)) as client:
        uid, digests = _stored_study(client, tmp_path)
    monkeypatch.setenv("EMBED_TEST_PASSWORD", PASSWORD)
    auth = BasicAuth("ann", EnvSecret("EMBED_TEST_PASSWORD"))
    client = DicomClient(basic_server.url, auth=auth)
    data = pickle.dumps(client)
    assert PASSWORD.encode() not in data
    assert b"EMBED_TEST_PASSWORD" in data
    # the spawned worker was started before the variable was set: it must not know it
    with pytest.raises(AuthError, match="EMBED_TEST_PASSWORD is not set"):
        spawn.submit(search_and_download, client, uid, str(tmp_path / "w")).result()
    fresh = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=fresh) as pool:
        found, written = pool.submit(search_and_download, client, uid, str(tmp_path / "w")).result()
    assert found == [uid]
    assert written == digests


@pytest.mark.parametrize(
    "auth",
    [
        BasicAuth("ann", PASSWORD),
        BearerToken(PASSWORD),
        OAuth2ClientCredentials("https://login.example/token", "id", PASSWORD),
    ],
    ids=["basic", "bearer", "oauth2"],
)
def test_secrets_given_as_text_refuse_to_travel_in_clear(auth: Any) -> None:
    with pytest.raises(SecretNotPicklableError, match="EnvSecret") as caught:
        pickle.dumps(auth)
    assert PASSWORD not in str(caught.value)
    config = ClientConfig("https://dicom.example", auth=auth)
    with pytest.raises(SecretNotPicklableError):
        pickle.dumps(config)


def test_pickling_a_secret_in_clear_is_asked_for() -> None:
    auth = BasicAuth("ann", PASSWORD, pickle_secret=True)
    copy = pickle.loads(pickle.dumps(auth))
    assert copy.headers(None) == auth.headers(None)  # type: ignore[arg-type]


def test_a_tuple_auth_becomes_basic_auth_and_does_not_travel() -> None:
    config = ClientConfig("https://dicom.example", auth=("ann", PASSWORD))
    assert isinstance(config.auth, BasicAuth)
    with pytest.raises(SecretNotPicklableError):
        pickle.dumps(config)


def test_oauth2_from_env_pickles_the_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    info = repr(
        {"token_url": "https://login.example/token", "client_id": "c", "client_secret": PASSWORD}
    )
    monkeypatch.setenv("AUTH_CONNECTION_INFO", info)
    auth = OAuth2ClientCredentials.from_env()
    data = pickle.dumps(auth)
    assert PASSWORD.encode() not in data
    copy = pickle.loads(data)
    body = b"".join(copy.token_request().body)
    assert b"client_secret=" + PASSWORD.encode() in body


def test_a_caller_built_transport_cannot_become_a_config(dicomweb_server: Any) -> None:
    transport = get("urllib3")()
    with transport, DicomClient(dicomweb_server.url, transport=transport) as client:
        with pytest.raises(InvalidArgumentError, match="ClientConfig"):
            client.config  # noqa: B018
        with pytest.raises(InvalidArgumentError, match="ClientConfig"):
            pickle.dumps(client)
    with pytest.raises(InvalidArgumentError, match="transport_options"):
        DicomClient(dicomweb_server.url, transport=transport, transport_options={"pool_maxsize": 2})
