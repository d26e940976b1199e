"""The ``dicomkit`` loggers emit the records of issue 12 against the reference server.

Each request at DEBUG on ``dicomkit.http``, retries at INFO and given-up retries at WARNING on
``dicomkit.retry``, token refreshes at INFO on ``dicomkit.auth``; every backend, sync and async.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dicomkit_server import ReferenceServer, ServerOAuth2

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit._logging import shown_url, watch
from dicomkit.auth import OAuth2ClientCredentials
from dicomkit.core.errors import ConnectError, ServiceUnavailableError
from dicomkit.core.interface import Request, Response
from dicomkit.core.retry import RetryPolicy
from dicomkit.testing.data import make_instance

QUICK = RetryPolicy(backoff=0.0, jitter=0.0, max_attempts=3, total_timeout=30.0)


def field(record: logging.LogRecord, name: str) -> Any:
    """An ``extra`` field of a record (the structured half of each message)."""
    return getattr(record, name)


def http_records(logs: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in logs.records if r.name == "dicomkit.http"]


def test_importing_dicomkit_configures_nothing() -> None:
    code = (
        "import logging, dicomkit.client, dicomkit.auth\n"
        "import dicomkit._logging\n"
        "top = logging.getLogger('dicomkit')\n"
        "assert [type(h).__name__ for h in top.handlers] == ['NullHandler'], top.handlers\n"
        "assert top.level == logging.NOTSET and top.propagate\n"
        "for name in ('dicomkit.http', 'dicomkit.retry', 'dicomkit.auth'):\n"
        "    child = logging.getLogger(name)\n"
        "    assert not child.handlers and child.level == logging.NOTSET and child.propagate\n"
        "assert not logging.getLogger().handlers, logging.getLogger().handlers\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_given_up_retry_is_not_printed_without_logging_configured(
    dicomweb_server: Any,
) -> None:
    """The NullHandler keeps Python's last-resort handler from printing the WARNING."""
    code = (
        "import sys\n"
        "from dicomkit import DicomClient\n"
        "from dicomkit.core.retry import RetryPolicy\n"
        "policy = RetryPolicy(backoff=0.0, max_attempts=2)\n"
        "try:\n"
        "    DicomClient(sys.argv[1], retry=policy).search_for_studies()\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    dicomweb_server.faults.add("/studies", status=503, retry_after=0, times=None)
    done = subprocess.run(
        [sys.executable, "-c", code, dicomweb_server.url], capture_output=True, text=True
    )
    assert done.stdout.strip() == "ServiceUnavailableError"
    assert done.stderr == ""


def test_logging_configured_after_requests_still_gets_the_records(dicomweb_server: Any) -> None:
    """Until something imports logging dicomkit sets nothing up; once the application
    configures it, later records arrive (the NullHandler is added then)."""
    code = (
        "import sys\n"
        "from dicomkit import DicomClient\n"
        "from dicomkit.core.retry import RetryPolicy\n"
        "client = DicomClient(sys.argv[1], transport='urllib3')\n"
        "import dicomkit._logging as records\n"
        "assert not records._made, 'set up before logging was imported'\n"
        "import logging\n"
        "logging.basicConfig(level=10, stream=sys.stdout, format='%(name)s %(message)s')\n"
        "client.search_for_studies()\n"
        "top = logging.getLogger('dicomkit')\n"
        "print([type(h).__name__ for h in top.handlers])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, dicomweb_server.url], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "dicomkit.http GET " in done.stdout
    assert done.stdout.strip().endswith("['NullHandler']")


def test_each_request_is_one_debug_record(
    dicomweb_server: Any, sync_backend: str, logs: pytest.LogCaptureFixture
) -> None:
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK) as client:
        client.store_instances([make_instance(patient_id="LOGGED")])
        found = client.search_for_studies({"PatientID": "LOGGED"})
    assert len(found) == 1
    store, search = http_records(logs)
    assert (store.levelno, search.levelno) == (logging.DEBUG, logging.DEBUG)
    assert (field(store, "http_method"), field(store, "status_code")) == ("POST", 200)
    assert (field(search, "http_method"), field(search, "status_code")) == ("GET", 200)
    assert field(search, "url").startswith(dicomweb_server.url + "/studies?")
    assert field(search, "attempt") == 1
    assert field(search, "bytes_received") > 100
    assert field(search, "elapsed") >= 0
    message = search.getMessage()
    assert message.startswith(f"GET {dicomweb_server.url}/studies?")
    assert f"-> 200, {field(search, 'bytes_received')} bytes in " in message
    assert message.endswith("(attempt 1)")


async def test_each_async_request_is_one_debug_record(
    dicomweb_server: Any, async_backend: str, logs: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    client = AsyncDicomClient(dicomweb_server.url, transport=async_backend, retry=QUICK)
    async with client:
        await client.store_instances([make_instance(patient_id="ALOGGED")])
        instances = await client.search_for_instances()
        paths = await client.download_dicom(tmp_path, instances[0]["0020000D"]["Value"][0])
    records = http_records(logs)
    assert [field(r, "http_method") for r in records] == ["POST", "GET", "GET"]
    assert all(field(r, "status_code") == 200 for r in records)
    assert field(records[-1], "bytes_received") >= paths[0].stat().st_size


def test_retries_are_info_and_giving_up_is_a_warning(
    dicomweb_server: Any, sync_backend: str, logs: pytest.LogCaptureFixture
) -> None:
    dicomweb_server.faults.add("/studies", method="GET", status=503, retry_after=0, times=1)
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK) as client:
        client.search_for_studies()
        retried = [r for r in logs.records if r.name == "dicomkit.retry"]
        assert [r.levelno for r in retried] == [logging.INFO]
        assert "after HTTP 503 (attempt 1 of 3 failed)" in retried[0].getMessage()
        assert [field(r, "attempt") for r in http_records(logs)] == [1, 2]

        logs.clear()
        dicomweb_server.faults.add("/studies", method="GET", status=503, retry_after=0, times=None)
        with pytest.raises(ServiceUnavailableError):
            client.search_for_studies()
    retried = [r for r in logs.records if r.name == "dicomkit.retry"]
    assert [r.levelno for r in retried] == [logging.INFO, logging.INFO, logging.WARNING]
    warning = retried[-1]
    assert warning.getMessage().startswith(f"giving up on GET {dicomweb_server.url}/studies")
    assert warning.getMessage().endswith("after 3 attempts: HTTP 503")


def test_a_status_the_policy_never_retries_is_not_a_warning(
    dicomweb_server: Any, sync_backend: str, logs: pytest.LogCaptureFixture
) -> None:
    dicomweb_server.faults.add("/studies", method="POST", status=503, retry_after=0, times=1)
    client = DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK)
    with client, pytest.raises(ServiceUnavailableError):
        client.store_instances([make_instance()])
    assert [r.name for r in logs.records] == ["dicomkit.http"]


def _refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_is_logged_retried_and_given_up(
    sync_backend: str, logs: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{_refused_port()}/dicom-web"
    client = DicomClient(url, transport=sync_backend, retry=QUICK)
    with client, pytest.raises(ConnectError):
        client.search_for_studies()
    failed = http_records(logs)
    assert [field(r, "attempt") for r in failed] == [1, 2, 3]
    assert all(" failed after " in r.getMessage() for r in failed)
    assert all("ConnectError" in r.getMessage() for r in failed)
    levels = [r.levelno for r in logs.records if r.name == "dicomkit.retry"]
    assert levels == [logging.INFO, logging.INFO, logging.WARNING]


async def test_async_retries_are_logged_too(
    dicomweb_server: Any, async_backend: str, logs: pytest.LogCaptureFixture
) -> None:
    dicomweb_server.faults.add("/studies", method="GET", status=503, retry_after=0, times=None)
    client = AsyncDicomClient(dicomweb_server.url, transport=async_backend, retry=QUICK)
    async with client:
        with pytest.raises(ServiceUnavailableError):
            await client.search_for_studies()
    levels = [r.levelno for r in logs.records if r.name == "dicomkit.retry"]
    assert levels == [logging.INFO, logging.INFO, logging.WARNING]
    assert len(http_records(logs)) == 3


def test_token_fetches_are_info_on_dicomkit_auth(
    sync_backend: str, logs: pytest.LogCaptureFixture
) -> None:
    server = ReferenceServer(auth=ServerOAuth2({"app": "app-secret-1234"}, token_lifetime=3600))
    with server:
        auth = OAuth2ClientCredentials(server.token_url, "app", "app-secret-1234")
        with DicomClient(server.url, auth=auth, transport=sync_backend, retry=QUICK) as client:
            client.search_for_studies()
            assert isinstance(server.auth, ServerOAuth2)
            server.auth.expire_tokens()
            client.search_for_studies()
        token_url = server.token_url
    fetched = [r for r in logs.records if r.name == "dicomkit.auth"]
    assert [r.levelno for r in fetched] == [logging.INFO, logging.INFO]
    assert fetched[0].getMessage() == (
        f"OAuth2ClientCredentials obtained a new access token from {token_url}, valid for 3600 s"
    )
    statuses = [field(r, "status_code") for r in http_records(logs)]
    assert statuses == [200, 401, 200]


def test_without_debug_the_answer_is_not_wrapped() -> None:
    response = Response(200, stream=iter([b"x"]))
    request = Request("GET", "http://127.0.0.1/x")
    assert logging.getLogger("dicomkit.http").getEffectiveLevel() > logging.DEBUG
    assert watch(response, request, 1, 0.0) is response


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://u:p@h/x", "http://h/x"),
        ("http://h/x?sig=abc&PatientID=1", "http://h/x?sig=***&PatientID=1"),
        ("http://h/x?PatientID=1&access_token=t#f", "http://h/x?PatientID=1&access_token=***#f"),
        ("http://h/x?X-Amz-Signature=abc", "http://h/x?X-Amz-Signature=***"),
        ("http://h/studies?limit=10", "http://h/studies?limit=10"),
    ],
)
def test_urls_in_records_carry_no_credentials(url: str, shown: str) -> None:
    assert shown_url(url) == shown
