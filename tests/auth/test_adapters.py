"""AzureCredential and GoogleCredentials against objects speaking those libraries' protocols."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from typing import Any

import pytest

from dicomkit.auth import AZURE_DICOM_SCOPE, AzureCredential, GoogleCredentials
from dicomkit.core.errors import AuthError, InvalidArgumentError

NO_TRANSPORT: Any = None


class ClientAuthenticationError(Exception):
    """Stands in for azure.core.exceptions.ClientAuthenticationError."""


class RefreshError(Exception):
    """Stands in for google.auth.exceptions.RefreshError."""


# --- Azure -------------------------------------------------------------------------------


def test_azure_sync_credential(azure_credential: Any, clock: Any) -> None:
    credential = azure_credential()
    auth = AzureCredential(credential, AZURE_DICOM_SCOPE, clock=clock)
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer azure-1"}
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer azure-1"}
    assert credential.calls == [(("https://dicom.healthcareapis.azure.com/.default",), {})]


def test_azure_expires_on_too_large_for_a_float_is_no_expiry(clock: Any) -> None:
    class Credential:
        def get_token(self, *scopes: str) -> Any:
            return type("AccessToken", (), {"token": "t", "expires_on": 10**400})()

    auth = AzureCredential(Credential(), "scope-a", clock=clock)
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer t"}


def test_azure_token_renewed_before_expires_on(azure_credential: Any, clock: Any) -> None:
    credential = azure_credential(lifetime=3600)
    auth = AzureCredential(credential, "scope-a", clock=clock, refresh_margin=300)
    auth.headers(NO_TRANSPORT)
    clock.advance(3600 - 301)
    assert auth.headers(NO_TRANSPORT)["Authorization"] == "Bearer azure-1"
    clock.advance(2)
    assert auth.headers(NO_TRANSPORT)["Authorization"] == "Bearer azure-2"


def test_azure_several_scopes(azure_credential: Any, clock: Any) -> None:
    credential = azure_credential()
    AzureCredential(credential, ["a/.default", "b/.default"], clock=clock).headers(NO_TRANSPORT)
    assert credential.calls[0][0] == ("a/.default", "b/.default")


def test_azure_401_retries_only_if_the_library_gave_a_new_token(
    azure_credential: Any, clock: Any
) -> None:
    rotating = AzureCredential(azure_credential(), "s", clock=clock)
    failed = rotating.headers(NO_TRANSPORT)
    assert rotating.refresh(NO_TRANSPORT, failed) is True
    assert rotating.headers(NO_TRANSPORT) == {"Authorization": "Bearer azure-2"}

    cached = AzureCredential(azure_credential(rotate=False), "s", clock=clock)
    failed = cached.headers(NO_TRANSPORT)
    assert cached.refresh(NO_TRANSPORT, failed) is False


async def test_azure_async_credential(azure_credential: Any, clock: Any) -> None:
    credential = azure_credential(asynchronous=True)
    auth = AzureCredential(credential, "s", clock=clock)
    results = await asyncio.gather(*(auth.aheaders(NO_TRANSPORT) for _ in range(100)))
    assert results == [{"Authorization": "Bearer azure-1"}] * 100
    assert len(credential.calls) == 1
    assert await auth.arefresh(NO_TRANSPORT, results[0]) is True
    assert len(credential.calls) == 2


async def test_azure_sync_credential_in_async_code_runs_in_a_thread(
    azure_credential: Any, clock: Any
) -> None:
    credential = azure_credential()
    called_from: list[threading.Thread] = []
    original = credential.get_token

    def spying_get_token(*scopes: str, **kwargs: Any) -> Any:
        called_from.append(threading.current_thread())
        return original(*scopes, **kwargs)

    credential.get_token = spying_get_token
    auth = AzureCredential(credential, "s", clock=clock)
    assert await auth.aheaders(NO_TRANSPORT) == {"Authorization": "Bearer azure-1"}
    assert called_from
    assert called_from[0] is not threading.main_thread()


def test_azure_async_credential_refused_by_the_sync_client(
    azure_credential: Any, clock: Any
) -> None:
    auth = AzureCredential(azure_credential(asynchronous=True), "s", clock=clock)
    with pytest.raises(InvalidArgumentError, match="AsyncDicomClient"):
        auth.headers(NO_TRANSPORT)


def test_azure_errors_become_auth_errors(azure_credential: Any, clock: Any) -> None:
    credential = azure_credential()
    credential.error = ClientAuthenticationError("DefaultAzureCredential failed to retrieve")
    auth = AzureCredential(credential, "s", clock=clock)
    with pytest.raises(AuthError, match="ClientAuthenticationError: DefaultAzureCredential") as e:
        auth.headers(NO_TRANSPORT)
    assert isinstance(e.value.__cause__, ClientAuthenticationError)


async def test_azure_async_errors_become_auth_errors(azure_credential: Any, clock: Any) -> None:
    credential = azure_credential(asynchronous=True)
    credential.error = ClientAuthenticationError("no managed identity endpoint")
    with pytest.raises(AuthError, match="no managed identity"):
        await AzureCredential(credential, "s", clock=clock).aheaders(NO_TRANSPORT)


def test_azure_token_without_usable_value(clock: Any) -> None:
    class Broken:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            return ("", 0)

    with pytest.raises(AuthError, match="no usable token"):
        AzureCredential(Broken(), "s", clock=clock).headers(NO_TRANSPORT)


def test_azure_adapter_validates_its_arguments(azure_credential: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="get_token"):
        AzureCredential(object(), "s")
    with pytest.raises(InvalidArgumentError, match="scope"):
        AzureCredential(azure_credential(), [])


def test_azure_repr_shows_no_token(azure_credential: Any, clock: Any) -> None:
    auth = AzureCredential(azure_credential(), "s", clock=clock)
    auth.headers(NO_TRANSPORT)
    assert "azure-1" not in repr(auth)
    assert "FakeAzureCredential" in repr(auth)


# --- Google ------------------------------------------------------------------------------


def test_google_refreshes_when_invalid_and_caches_while_valid(
    google_credentials: Any, clock: Any
) -> None:
    requests_made: list[object] = []

    def factory() -> object:
        requests_made.append(object())
        return requests_made[-1]

    auth = GoogleCredentials(google_credentials, request_factory=factory)
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer google-1"}
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer google-1"}
    assert google_credentials.refresh_requests == requests_made  # the factory's request is used
    clock.advance(3600 - 226)
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer google-1"}
    clock.advance(2)  # inside google-auth's own refresh threshold now
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer google-2"}
    assert len(requests_made) == 1  # one transport request object, reused


def test_google_quota_project_header(google_credentials: Any) -> None:
    google_credentials.quota_project_id = "billing-project"
    auth = GoogleCredentials(google_credentials, request_factory=object)
    assert auth.headers(NO_TRANSPORT) == {
        "Authorization": "Bearer google-1",
        "x-goog-user-project": "billing-project",
    }


def test_google_401_forces_a_refresh(google_credentials: Any) -> None:
    auth = GoogleCredentials(google_credentials, request_factory=object)
    failed = auth.headers(NO_TRANSPORT)
    assert auth.refresh(NO_TRANSPORT, failed) is True
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer google-2"}
    assert auth.refresh(NO_TRANSPORT, failed) is True  # already replaced: no new refresh
    assert len(google_credentials.refresh_requests) == 2


def test_google_twenty_threads_one_refresh(google_credentials: Any) -> None:
    auth = GoogleCredentials(google_credentials, request_factory=object)
    start = threading.Barrier(20)
    seen: list[dict[str, str]] = []

    def worker() -> None:
        start.wait()
        seen.append(auth.headers(NO_TRANSPORT))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [{"Authorization": "Bearer google-1"}] * 20
    assert len(google_credentials.refresh_requests) == 1


async def test_google_in_async_code(google_credentials: Any) -> None:
    auth = GoogleCredentials(google_credentials, request_factory=object)
    results = await asyncio.gather(*(auth.aheaders(NO_TRANSPORT) for _ in range(100)))
    assert results == [{"Authorization": "Bearer google-1"}] * 100
    assert len(google_credentials.refresh_requests) == 1
    assert await auth.arefresh(NO_TRANSPORT, results[0]) is True
    assert await auth.aheaders(NO_TRANSPORT) == {"Authorization": "Bearer google-2"}


def test_google_refresh_errors_become_auth_errors(google_credentials: Any) -> None:
    google_credentials.error = RefreshError("invalid_grant: account not found")
    auth = GoogleCredentials(google_credentials, request_factory=object)
    with pytest.raises(AuthError, match="RefreshError: invalid_grant") as caught:
        auth.headers(NO_TRANSPORT)
    assert isinstance(caught.value.__cause__, RefreshError)


def test_google_credentials_with_only_expired(clock: Any) -> None:
    class Minimal:
        """Older google-auth credential shapes have ``expired`` but we must not need ``valid``."""

        token: str | None = None
        expired = False

        def refresh(self, request: object) -> None:
            self.token = "minimal"

    auth = GoogleCredentials(Minimal(), request_factory=object)
    assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer minimal"}


def test_google_adapter_validates_its_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="refresh"):
        GoogleCredentials(object())


def test_google_default_request_needs_google_auth(google_credentials: Any) -> None:
    try:
        import google.auth.transport.requests  # noqa: F401
    except ImportError:
        with pytest.raises(AuthError, match=r"dicomkit\[google\]"):
            GoogleCredentials(google_credentials).headers(NO_TRANSPORT)
    else:
        auth = GoogleCredentials(google_credentials)
        assert auth.headers(NO_TRANSPORT) == {"Authorization": "Bearer google-1"}
        request = google_credentials.refresh_requests[0]
        assert type(request).__module__ == "google.auth.transport.requests"


def test_importing_dicomkit_auth_needs_neither_cloud_library() -> None:
    script = textwrap.dedent(
        """
        import builtins, sys
        real_import = builtins.__import__
        def guarded(name, *args, **kwargs):
            if name.split(".")[0] in ("azure", "google"):
                raise ImportError("blocked: " + name)
            return real_import(name, *args, **kwargs)
        builtins.__import__ = guarded
        import dicomkit
        from dicomkit.auth import AzureCredential, GoogleCredentials
        assert dicomkit.AzureCredential is AzureCredential
        assert dicomkit.GoogleCredentials is GoogleCredentials
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
