"""OAuth2 end to end: the clients against the reference server, with bearer auth on and tokens
from the server's own client-credentials endpoint (``ServerOAuth2`` counts token requests)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dicomkit_server import AsyncReferenceServer, ReferenceServer, ServerOAuth2

from dicomkit.auth import BasicAuth, OAuth2ClientCredentials
from dicomkit.client import AsyncDicomClient, DicomClient
from dicomkit.core.errors import AuthError, UnauthorizedError
from dicomkit.testing.data import make_instance, make_study, write_instances

CLIENT_ID, CLIENT_SECRET = "uploader", "Server-Side-Secret-42"


class Clock:
    """The client's clock, advanced by the test to simulate the passing of an hour."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def oauth_server() -> Iterator[ReferenceServer]:
    server = ReferenceServer(auth=ServerOAuth2({CLIENT_ID: CLIENT_SECRET}, token_lifetime=3600))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def server_auth(server: Any) -> ServerOAuth2:
    assert isinstance(server.auth, ServerOAuth2)
    return server.auth


def credentials(server: Any, **options: Any) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(server.token_url, CLIENT_ID, CLIENT_SECRET, **options)


def test_no_credentials_is_a_401(oauth_server: ReferenceServer) -> None:
    with DicomClient(oauth_server.url, retry=False) as client, pytest.raises(UnauthorizedError):
        client.search_for_studies()


def test_wrong_client_secret_is_an_auth_error(oauth_server: ReferenceServer) -> None:
    auth = OAuth2ClientCredentials(oauth_server.token_url, CLIENT_ID, "wrong-secret")
    client = DicomClient(oauth_server.url, auth=auth, retry=False)
    with client, pytest.raises(AuthError, match="HTTP 401: invalid_client") as caught:
        client.search_for_studies()
    assert "wrong-secret" not in str(caught.value)


@pytest.mark.parametrize("client_auth", ["body", "basic"])
def test_token_from_the_servers_endpoint_is_used(
    oauth_server: ReferenceServer, client_auth: str
) -> None:
    auth = credentials(oauth_server, client_auth=client_auth)
    with DicomClient(oauth_server.url, auth=auth) as client:
        assert client.search_for_studies() == []
        assert client.search_for_series() == []
    assert server_auth(oauth_server).token_requests == 1
    assert server_auth(oauth_server).rejected == 0


def test_token_renewed_before_expiry_midway_through_a_folder_upload(
    oauth_server: ReferenceServer, tmp_path: Path
) -> None:
    write_instances(tmp_path, make_study(24, rows=8, cols=8))
    clock = Clock()
    auth = credentials(oauth_server, clock=clock, refresh_margin=60)

    def an_hour_passes_after_batch_8(done: int, total: int) -> None:
        if done == 8:
            clock.now += 3600

    with DicomClient(oauth_server.url, auth=auth) as client:
        report = client.upload_dicom_folder(  # one at a time: the counts below need it
            tmp_path, max_batch_instances=1, workers=1, progress=an_hour_passes_after_batch_8
        )
    assert report.ok, report.failed
    assert len(report.stored) == 24
    assert server_auth(oauth_server).token_requests == 2  # renewed once, before it expired
    assert server_auth(oauth_server).rejected == 0  # and so never refused


def test_token_revoked_midway_through_a_folder_upload_is_refreshed_once(
    oauth_server: ReferenceServer, tmp_path: Path
) -> None:
    write_instances(tmp_path, make_study(24, rows=8, cols=8))

    def revoke_after_batch_8(done: int, total: int) -> None:
        if done == 8:
            server_auth(oauth_server).expire_tokens()

    with DicomClient(oauth_server.url, auth=credentials(oauth_server)) as client:
        report = client.upload_dicom_folder(  # one at a time: the counts below need it
            tmp_path, max_batch_instances=1, workers=1, progress=revoke_after_batch_8
        )
    assert report.ok, report.failed
    assert len(report.stored) == 24
    assert server_auth(oauth_server).token_requests == 2
    assert server_auth(oauth_server).rejected == 1  # one 401, then the retry went through
    stows = [r for r in oauth_server.requests if r.method == "POST" and "/studies" in r.path]
    assert len(stows) == 25  # 24 batches + the one retried


def test_a_401_is_retried_exactly_once() -> None:
    # tokens that are dead on arrival: every request is refused, however fresh the token
    dead = ServerOAuth2({CLIENT_ID: CLIENT_SECRET}, token_lifetime=0)
    server = ReferenceServer(auth=dead)
    server.start()
    try:
        client = DicomClient(server.url, auth=credentials(server), retry=False)
        with client, pytest.raises(UnauthorizedError) as caught:
            client.search_for_studies()
        assert caught.value.status == 401
        assert dead.token_requests == 2  # the first token, and one refresh
        assert dead.rejected == 2  # the request, and its single retry
        searches = [r for r in server.requests if r.method == "GET"]
        assert len(searches) == 2
    finally:
        server.stop()


def test_twenty_threads_sharing_one_client_trigger_one_token_request(
    oauth_server: ReferenceServer,
) -> None:
    oauth_server_auth = server_auth(oauth_server)
    start = threading.Barrier(20)
    results: list[Any] = []
    errors: list[BaseException] = []

    with DicomClient(oauth_server.url, auth=credentials(oauth_server)) as client:

        def worker() -> None:
            start.wait()
            try:
                results.append(client.search_for_studies())
            except BaseException as exc:  # reported below, not lost in the thread
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert results == [[]] * 20
    assert oauth_server_auth.token_requests == 1
    assert oauth_server_auth.accepted == 20


async def test_hundred_tasks_sharing_one_client_trigger_one_token_request() -> None:
    server_side = ServerOAuth2({CLIENT_ID: CLIENT_SECRET})
    server = AsyncReferenceServer(auth=server_side)
    url = await server.start()
    try:
        async with AsyncDicomClient(url, auth=credentials(server)) as client:
            results = await asyncio.gather(*(client.search_for_studies() for _ in range(100)))
        assert results == [[]] * 100
        assert server_side.token_requests == 1
        assert server_side.accepted == 100
    finally:
        await server.stop()


async def test_async_upload_survives_a_revoked_token() -> None:
    server_side = ServerOAuth2({CLIENT_ID: CLIENT_SECRET})
    server = AsyncReferenceServer(auth=server_side)
    url = await server.start()
    try:
        async with AsyncDicomClient(url, auth=credentials(server)) as client:
            first = await client.store_instances([make_instance(rows=8, cols=8)])
            server_side.expire_tokens()
            second = await client.store_instances([make_instance(rows=8, cols=8)])
        assert first.ok
        assert second.ok
        assert server_side.token_requests == 2
        assert server_side.rejected == 1
    finally:
        await server.stop()


def test_basic_auth_against_the_reference_server() -> None:
    with ReferenceServer(auth={"alice": "wonderland"}) as url:
        with DicomClient(url, auth=BasicAuth("alice", "wonderland")) as client:
            assert client.search_for_studies() == []
        bad = DicomClient(url, auth=("alice", "nope"), retry=False)
        with bad, pytest.raises(UnauthorizedError):
            bad.search_for_studies()


@pytest.fixture
def basic_server() -> Iterator[ReferenceServer]:
    server = ReferenceServer(auth={"alice": "pw"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def open_server() -> Iterator[ReferenceServer]:
    server = ReferenceServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _sent_authorization(server: ReferenceServer) -> list[bool]:
    return [any(k.lower() == "authorization" for k in r.headers) for r in server.requests]


def test_authorization_kept_on_a_same_host_redirect(basic_server: ReferenceServer) -> None:
    moved = basic_server.url + "/studies?limit=5"
    basic_server.faults.add("/studies", status=302, headers={"Location": moved})
    with DicomClient(basic_server.url, auth=("alice", "pw"), retry=False) as client:
        assert client.search_for_studies() == []
    assert _sent_authorization(basic_server) == [True, True]


def test_authorization_never_follows_a_redirect_to_another_host(
    basic_server: ReferenceServer, open_server: ReferenceServer
) -> None:
    elsewhere = open_server.url.replace("127.0.0.1", "localhost") + "/studies"
    basic_server.faults.add("/studies", status=302, headers={"Location": elsewhere})
    with DicomClient(basic_server.url, auth=("alice", "pw"), retry=False) as client:
        assert client.search_for_studies() == []
    assert _sent_authorization(basic_server) == [True]
    assert _sent_authorization(open_server) == [False]


async def test_async_authorization_never_follows_a_redirect_to_another_host(
    basic_server: ReferenceServer, open_server: ReferenceServer
) -> None:
    elsewhere = open_server.url.replace("127.0.0.1", "localhost") + "/studies"
    basic_server.faults.add("/studies", status=307, headers={"Location": elsewhere})
    async with AsyncDicomClient(basic_server.url, auth=("alice", "pw"), retry=False) as client:
        assert await client.search_for_studies() == []
    assert _sent_authorization(basic_server) == [True]
    assert _sent_authorization(open_server) == [False]


@pytest.mark.parametrize("transport", ["requests", "urllib3", "httpx"])
def test_token_flow_over_every_sync_transport(
    oauth_server: ReferenceServer, transport: str
) -> None:
    with DicomClient(oauth_server.url, auth=credentials(oauth_server), transport=transport) as c:
        assert c.search_for_studies() == []
        server_auth(oauth_server).expire_tokens()
        assert c.search_for_series() == []
    assert server_auth(oauth_server).token_requests == 2
    assert server_auth(oauth_server).rejected == 1


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_token_flow_over_every_async_transport(transport: str) -> None:
    server_side = ServerOAuth2({CLIENT_ID: CLIENT_SECRET})
    server = AsyncReferenceServer(auth=server_side)
    url = await server.start()
    try:
        auth = credentials(server)
        async with AsyncDicomClient(url, auth=auth, transport=transport) as client:
            assert await client.search_for_studies() == []
            server_side.expire_tokens()
            assert await client.search_for_series() == []
        assert server_side.token_requests == 2
        assert server_side.rejected == 1
    finally:
        await server.stop()
