"""No secret reaches a log record, at DEBUG, through every backend (the secret tests of
tests/auth extended to the ``dicomkit`` loggers): a password, a client secret, an issued token.

Each test runs real calls (store, search, retrieve, a refused credential, a retried 503) and
then looks for every secret in each record's message, arguments and extra fields.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from dicomkit_server import ReferenceServer, ServerOAuth2

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.auth import BasicAuth, BearerToken, OAuth2ClientCredentials
from dicomkit.core.errors import AuthError, DicomkitError
from dicomkit.core.retry import RetryPolicy
from dicomkit.testing.data import make_instance

PASSWORD = "Pw-in-logs-7781"
CLIENT_SECRET = "Client-Secret-In-Logs-4410"
QUICK = RetryPolicy(backoff=0.0, jitter=0.0, max_attempts=2, total_timeout=30.0)


def assert_no_secret(records: list[logging.LogRecord], *secrets: str) -> None:
    assert records, "the calls logged nothing: the test would prove nothing"
    for record in records:
        seen = record.getMessage() + repr(record.args) + repr(vars(record))
        for secret in secrets:
            assert secret not in seen, f"{secret!r} in {record.name}: {record.getMessage()}"


class RecordingOAuth2(ServerOAuth2):
    """The reference server's token endpoint, remembering every token it issued."""

    issued: list[str]

    def issue_token(self, lifetime: float | None = None) -> str:
        token = super().issue_token(lifetime)
        self.__dict__.setdefault("issued", []).append(token)
        return token


def _work(client: DicomClient, server: ReferenceServer) -> None:
    ds = make_instance(patient_id="SECRETS")
    client.store_instances([ds])
    client.search_for_studies({"PatientID": "SECRETS"})
    client.retrieve_study(ds.StudyInstanceUID)
    server.faults.add("/studies", method="GET", status=503, retry_after=0, times=1)
    client.search_for_studies()


def test_basic_auth_password(sync_backend: str, logs: pytest.LogCaptureFixture) -> None:
    server = ReferenceServer(auth=("alice", PASSWORD))
    server.start()
    try:
        auth = BasicAuth("alice", PASSWORD)
        with DicomClient(server.url, auth=auth, transport=sync_backend, retry=QUICK) as client:
            _work(client, server)
        wrong = BasicAuth("alice", PASSWORD + "-wrong")
        client = DicomClient(server.url, auth=wrong, transport=sync_backend, retry=QUICK)
        with client, pytest.raises(DicomkitError):
            client.search_for_studies()
    finally:
        server.stop()
    assert_no_secret(logs.records, PASSWORD)


def test_oauth2_client_secret_and_tokens(sync_backend: str, logs: pytest.LogCaptureFixture) -> None:
    oauth = RecordingOAuth2({"app": CLIENT_SECRET}, token_lifetime=3600)
    server = ReferenceServer(auth=oauth)
    server.start()
    try:
        auth = OAuth2ClientCredentials(server.token_url, "app", CLIENT_SECRET)
        with DicomClient(server.url, auth=auth, transport=sync_backend, retry=QUICK) as client:
            _work(client, server)
            oauth.expire_tokens()
            client.search_for_studies()
        bad = OAuth2ClientCredentials(server.token_url, "app", CLIENT_SECRET + "-wrong")
        client = DicomClient(server.url, auth=bad, transport=sync_backend, retry=QUICK)
        with client, pytest.raises(AuthError):
            client.search_for_studies()
    finally:
        server.stop()
    assert len(oauth.issued) == 2
    assert [r.name for r in logs.records].count("dicomkit.auth") == 2
    assert_no_secret(logs.records, CLIENT_SECRET, *oauth.issued)


async def test_async_bearer_token_and_client_secret(
    async_backend: str, logs: pytest.LogCaptureFixture
) -> None:
    oauth = RecordingOAuth2({"app": CLIENT_SECRET}, token_lifetime=3600)
    server = ReferenceServer(auth=oauth)
    server.start()
    try:
        bearer = BearerToken(oauth.issue_token())
        credentials = OAuth2ClientCredentials(server.token_url, "app", CLIENT_SECRET)
        for auth in (bearer, credentials):
            client = AsyncDicomClient(server.url, auth=auth, transport=async_backend, retry=QUICK)
            async with client:
                await client.store_instances([make_instance()])
                server.faults.add("/studies", method="GET", status=503, retry_after=0, times=1)
                await client.search_for_studies()
    finally:
        server.stop()
    assert len(oauth.issued) == 2
    assert_no_secret(logs.records, CLIENT_SECRET, *oauth.issued)


def test_orthanc_basic_auth_password(
    orthanc_with_auth: Any, sync_backend: str, logs: pytest.LogCaptureFixture
) -> None:
    ((user, password),) = orthanc_with_auth.users.items()
    url = orthanc_with_auth.url
    auth = BasicAuth(user, password)
    with DicomClient(url, auth=auth, transport=sync_backend, retry=QUICK) as client:
        client.store_instances([make_instance(patient_id="SECRETS")])
        client.search_for_studies({"PatientID": "SECRETS"})
    client = DicomClient(url, auth=BasicAuth(user, "nope"), transport=sync_backend)
    with client, pytest.raises(DicomkitError):
        client.search_for_studies()
    assert_no_secret(logs.records, password)
