"""Orthanc with HTTP basic auth: the server the auth tests need, and proof it really checks."""

from __future__ import annotations

import urllib3
from dicomkit_server.orthanc import OrthancServer


def _get(url: str, auth: tuple[str, str] | None) -> urllib3.BaseHTTPResponse:
    headers = urllib3.make_headers(basic_auth=":".join(auth)) if auth else {}
    return urllib3.request("GET", url, headers=headers, retries=False, timeout=10.0)


def test_fixture_registers_one_user_with_a_generated_password(
    orthanc_with_auth: OrthancServer,
) -> None:
    assert orthanc_with_auth.users is not None
    [(user, password)] = orthanc_with_auth.users.items()
    assert user == "alice"
    assert len(password) >= 12


def test_no_credentials_get_401_with_a_basic_challenge(orthanc_with_auth: OrthancServer) -> None:
    reply = _get(orthanc_with_auth.url + "/studies", None)
    assert reply.status == 401
    assert reply.headers["WWW-Authenticate"].startswith("Basic ")


def test_wrong_password_gets_401(orthanc_with_auth: OrthancServer) -> None:
    assert _get(orthanc_with_auth.url + "/studies", ("alice", "not-the-password")).status == 401


def test_unknown_user_gets_401(orthanc_with_auth: OrthancServer) -> None:
    assert orthanc_with_auth.users is not None
    password = orthanc_with_auth.users["alice"]
    assert _get(orthanc_with_auth.url + "/studies", ("mallory", password)).status == 401


def test_right_password_gets_200(orthanc_with_auth: OrthancServer) -> None:
    assert orthanc_with_auth.users is not None
    reply = _get(orthanc_with_auth.url + "/studies", ("alice", orthanc_with_auth.users["alice"]))
    assert (reply.status, reply.json()) == (200, [])


def test_server_without_users_needs_no_credentials(orthanc: OrthancServer) -> None:
    assert orthanc.users is None
    assert _get(orthanc.url + "/studies", None).status == 200
