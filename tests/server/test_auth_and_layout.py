"""Optional auth (basic, OAuth2 client credentials), API version prefixes, partitions, and the
async form of the server."""

from __future__ import annotations

import aiohttp
import pytest
import requests
from dicomkit_server import (
    AsyncReferenceServer,
    ReferenceServer,
    ServerBasicAuth,
    ServerOAuth2,
)

from dicomkit.testing.data import dataset_bytes, make_instance


def test_basic_auth(stow):
    with ReferenceServer(auth=("alice", "wonderland")) as url:
        anonymous = requests.get(f"{url}/studies", timeout=10)
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
        wrong = requests.get(f"{url}/studies", auth=("alice", "nope"), timeout=10)
        assert wrong.status_code == 401
        ok = requests.get(f"{url}/studies", auth=("alice", "wonderland"), timeout=10)
        assert ok.status_code == 200
        stored = stow(url, [make_instance()], auth=("alice", "wonderland"))
        assert stored.status_code == 200


def test_basic_auth_with_several_users():
    auth = ServerBasicAuth({"a": "1", "b": "2"})
    with ReferenceServer(auth=auth) as url:
        codes = [
            requests.get(f"{url}/studies", auth=pair, timeout=10).status_code
            for pair in (("a", "1"), ("b", "2"), ("a", "2"))
        ]
    assert codes == [200, 200, 401]
    assert (auth.accepted, auth.rejected) == (2, 1)


def _token(server: ReferenceServer, **form: str) -> requests.Response:
    data = {"grant_type": "client_credentials", **form}
    return requests.post(server.token_url, data=data, timeout=10)


def test_oauth2_client_credentials_tokens():
    oauth = ServerOAuth2({"app": "s3cret"}, token_lifetime=120, scopes={"dicom.read"})
    server = ReferenceServer(auth=oauth)
    with server as url:
        assert requests.get(f"{url}/studies", timeout=10).status_code == 401
        reply = _token(server, client_id="app", client_secret="s3cret", scope="dicom.read")
        assert reply.status_code == 200
        body = reply.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 120
        assert body["scope"] == "dicom.read"
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        assert requests.get(f"{url}/studies", headers=headers, timeout=10).status_code == 200
        oauth.expire_tokens()
        expired = requests.get(f"{url}/studies", headers=headers, timeout=10)
        assert expired.status_code == 401
        assert "invalid_token" in expired.headers["WWW-Authenticate"]
        basic = requests.post(
            server.token_url,
            data={"grant_type": "client_credentials"},
            auth=("app", "s3cret"),
            timeout=10,
        )
        assert basic.status_code == 200
        assert oauth.token_requests == 2


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_id": "app", "client_secret": "bad"}, 401, "invalid_client"),
        ({"client_id": "who", "client_secret": "s3cret"}, 401, "invalid_client"),
        ({"client_id": "app", "client_secret": "s3cret", "scope": "admin"}, 400, "invalid_scope"),
        ({"grant_type": "password", "client_id": "app"}, 400, "unsupported_grant_type"),
    ],
)
def test_oauth2_token_errors(form, status, error):
    oauth = ServerOAuth2({"app": "s3cret"}, scopes={"dicom.read"})
    server = ReferenceServer(auth=oauth)
    with server:
        reply = _token(server, **form)
    assert reply.status_code == status
    assert reply.json() == {"error": error}
    assert oauth.token_requests == 1


def test_short_token_lifetime_expires():
    oauth = ServerOAuth2(token_lifetime=0)
    with ReferenceServer(auth=oauth) as url:
        token = oauth.issue_token()
        response = requests.get(
            f"{url}/studies", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
    assert response.status_code == 401


def test_token_endpoint_absent_without_oauth2():
    server = ReferenceServer()
    with server:
        assert _token(server).status_code == 404


def test_api_version_prefix(stow):
    server = ReferenceServer(api_version="v2")
    with server as url:
        assert url.endswith("/v2")
        ds = make_instance()
        response = stow(url, [ds])
        assert response.status_code == 200
        link = response.json()["00081199"]["Value"][0]["00081190"]["Value"][0]
        assert link.startswith(f"{url}/studies/")
        assert requests.get(link, timeout=10).status_code == 200
        assert requests.get(f"{server.base_url}/studies", timeout=10).status_code == 404
        assert requests.get(f"{url}/studies", timeout=10).json()[0]["0020000D"]["Value"] == [
            ds.StudyInstanceUID
        ]


def test_partitions_are_isolated(url, stow):
    ds = make_instance()
    assert stow(f"{url}/partitions/alpha", [ds]).status_code == 200
    alpha = requests.get(f"{url}/partitions/alpha/instances", timeout=10).json()
    assert [item["00080018"]["Value"][0] for item in alpha] == [ds.SOPInstanceUID]
    link = alpha[0]["00081190"]["Value"][0]
    assert link.startswith(f"{url}/partitions/alpha/studies/")
    assert requests.get(f"{url}/partitions/beta/instances", timeout=10).json() == []
    assert requests.get(f"{url}/instances", timeout=10).json() == []
    assert stow(f"{url}/partitions/beta", [ds]).status_code == 200
    assert requests.delete(link.rsplit("/series/", 1)[0], timeout=10).status_code == 204
    assert len(requests.get(f"{url}/partitions/beta/instances", timeout=10).json()) == 1


async def test_async_server_in_the_running_loop():
    ds = make_instance()
    boundary = "asyncboundary"
    body = (
        f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode()
        + dataset_bytes(ds)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    async with AsyncReferenceServer() as url, aiohttp.ClientSession() as session:
        async with session.post(
            f"{url}/studies", data=body, headers={"Content-Type": content_type}
        ) as response:
            assert response.status == 200
        async with session.get(f"{url}/instances") as response:
            found = await response.json(content_type=None)
    assert [item["00080018"]["Value"][0] for item in found] == [ds.SOPInstanceUID]


def test_server_keeps_files_under_its_root(tmp_path, stow):
    ds = make_instance()
    with ReferenceServer(tmp_path) as url:
        stow(url, [ds])
    files = list(tmp_path.rglob("*.dcm"))
    assert [path.name for path in files] == [f"{ds.SOPInstanceUID}.dcm"]
    with ReferenceServer(tmp_path) as url:
        found = requests.get(f"{url}/instances", timeout=10).json()
    assert len(found) == 1
