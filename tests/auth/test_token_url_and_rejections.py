"""Issue 12 on auth: a full token URL in from_env, token endpoints that are down, rejected
credentials; each against the reference server on every backend."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from dicomkit_server import ReferenceServer, ServerBasicAuth, ServerOAuth2

from dicomkit import AsyncDicomClient, DicomClient, RetryPolicy
from dicomkit.auth import BasicAuth, BearerToken, OAuth2ClientCredentials
from dicomkit.core.errors import AuthError, ConnectError, UnauthorizedError
from tests.client.conftest import backend_names

CLIENT_ID, CLIENT_SECRET = "reader", "Token-Url-Secret-7"
QUICK = RetryPolicy(backoff=0.0, jitter=0.0, max_attempts=3, total_timeout=30.0)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sync_backend" in metafunc.fixturenames:
        metafunc.parametrize("sync_backend", backend_names(asynchronous=False))
    if "async_backend" in metafunc.fixturenames:
        metafunc.parametrize("async_backend", backend_names(asynchronous=True))


@pytest.fixture(scope="module")
def oauth_server() -> Iterator[ReferenceServer]:
    server = ReferenceServer(auth=ServerOAuth2({CLIENT_ID: CLIENT_SECRET}))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def basic_server() -> Iterator[ReferenceServer]:
    server = ReferenceServer(auth=ServerBasicAuth({"ann": "right-password"}))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/oauth2/token"


def test_from_env_takes_a_full_token_url_key(
    oauth_server: ReferenceServer, sync_backend: str
) -> None:
    info = repr(
        {
            "token_url": oauth_server.token_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    )
    auth = OAuth2ClientCredentials.from_env(environ={"AUTH_CONNECTION_INFO": info})
    assert auth.token_url == oauth_server.token_url
    assert auth.scope is None
    with DicomClient(oauth_server.url, auth=auth, transport=sync_backend) as client:
        assert client.search_for_studies() == []
    assert auth.token_requests == 1


def test_the_token_url_argument_wins_and_scope_is_kept(oauth_server: ReferenceServer) -> None:
    info = repr(
        {
            "token_url": "https://elsewhere.example/token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": "dicom.read",
        }
    )
    auth = OAuth2ClientCredentials.from_env(
        environ={"AUTH_CONNECTION_INFO": info}, token_url=oauth_server.token_url
    )
    assert auth.token_url == oauth_server.token_url
    assert auth.scope == "dicom.read"
    with pytest.raises(AuthError, match=r"token_url.* http:// or https://"):
        OAuth2ClientCredentials.from_env(
            environ={"AUTH_CONNECTION_INFO": info}, token_url="ftp://x/token"
        )
    without = repr({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    with pytest.raises(AuthError, match="authority, oauth_resource"):
        OAuth2ClientCredentials.from_env(environ={"AUTH_CONNECTION_INFO": without})


def test_an_unreachable_token_endpoint_is_named_and_retried(
    oauth_server: ReferenceServer, sync_backend: str
) -> None:
    token_url = _closed_port_url()
    auth = OAuth2ClientCredentials(token_url, CLIENT_ID, CLIENT_SECRET)
    client = DicomClient(oauth_server.url, auth=auth, transport=sync_backend, retry=QUICK)
    with client, pytest.raises(ConnectError) as caught:
        client.search_for_studies()
    assert f"the token endpoint {token_url} could not be reached" in str(caught.value)
    assert "gave up after 3 attempts" in str(caught.value)
    assert auth.token_requests == 3


def test_a_store_is_retried_too_when_only_the_token_endpoint_failed(
    oauth_server: ReferenceServer,
) -> None:
    """The STOW POST was never sent, so the retry policy's POST rule does not apply."""
    from dicomkit.testing.data import make_instance

    auth = OAuth2ClientCredentials(_closed_port_url(), CLIENT_ID, CLIENT_SECRET)
    client = DicomClient(oauth_server.url, auth=auth, retry=QUICK)
    with client, pytest.raises(ConnectError, match="token endpoint") as caught:
        client.store_instances([make_instance()])
    assert auth.token_requests == 3
    assert caught.value.token_url == auth.token_url  # type: ignore[attr-defined]


async def test_an_unreachable_token_endpoint_is_named_and_retried_async(
    oauth_server: ReferenceServer, async_backend: str
) -> None:
    token_url = _closed_port_url()
    auth = OAuth2ClientCredentials(token_url, CLIENT_ID, CLIENT_SECRET)
    client = AsyncDicomClient(oauth_server.url, auth=auth, transport=async_backend, retry=QUICK)
    async with client:
        with pytest.raises(ConnectError) as caught:
            await client.search_for_studies()
    assert f"the token endpoint {token_url} could not be reached" in str(caught.value)
    assert auth.token_requests == 3


@pytest.mark.parametrize(
    ("auth", "shown"),
    [
        (BasicAuth("ann", "wrong-password"), "BasicAuth(username='ann', password=********)"),
        (BearerToken("not-a-token-the-server-issued"), "BearerToken(********)"),
    ],
)
def test_rejected_credentials_are_called_rejected(
    basic_server: ReferenceServer, oauth_server: ReferenceServer, auth: Any, shown: str
) -> None:
    server = basic_server if isinstance(auth, BasicAuth) else oauth_server
    client = DicomClient(server.url, auth=auth, retry=False)
    with client, pytest.raises(UnauthorizedError) as caught:
        client.search_for_studies()
    message = str(caught.value)
    assert "rejected the credentials that were sent" in message
    assert shown in message
    assert "wrong-password" not in message
    assert "not-a-token" not in message
    assert "pass auth=" not in message


def test_no_credentials_still_say_pass_auth(basic_server: ReferenceServer) -> None:
    client = DicomClient(basic_server.url, retry=False)
    with client, pytest.raises(UnauthorizedError, match=r"pass auth=\.\.\. to DicomClient"):
        client.search_for_studies()


def test_a_busy_token_endpoint_is_retried_by_the_client_policy(
    oauth_server: ReferenceServer, sync_backend: str
) -> None:
    """A 503 from the token endpoint is judged like one from the server: retried, even for a
    STOW (the POST itself was never sent), and named when the client gives up."""
    from dicomkit.core.errors import TokenEndpointError
    from dicomkit.testing.data import make_instance

    token_path = urlsplit(oauth_server.token_url).path
    oauth_server.faults.add(token_path, status=503, retry_after=0, times=2)
    auth = OAuth2ClientCredentials(oauth_server.token_url, CLIENT_ID, CLIENT_SECRET)
    with DicomClient(oauth_server.url, auth=auth, transport=sync_backend, retry=QUICK) as client:
        result = client.store_instances([make_instance()])
    assert result.ok
    assert auth.token_requests == 3

    oauth_server.faults.add(token_path, status=503, retry_after=0, times=3)
    auth = OAuth2ClientCredentials(oauth_server.token_url, CLIENT_ID, CLIENT_SECRET)
    client = DicomClient(oauth_server.url, auth=auth, transport=sync_backend, retry=QUICK)
    with client, pytest.raises(TokenEndpointError, match="failed with HTTP 503") as caught:
        client.search_for_studies()
    assert caught.value.token_url == oauth_server.token_url
    assert auth.token_requests == 3


async def test_a_busy_token_endpoint_is_retried_async(
    oauth_server: ReferenceServer, async_backend: str
) -> None:
    token_path = urlsplit(oauth_server.token_url).path
    oauth_server.faults.add(token_path, status=503, retry_after=0, times=2)
    auth = OAuth2ClientCredentials(oauth_server.token_url, CLIENT_ID, CLIENT_SECRET)
    client = AsyncDicomClient(oauth_server.url, auth=auth, transport=async_backend, retry=QUICK)
    async with client:
        assert isinstance(await client.search_for_studies(), list)
    assert auth.token_requests == 3
