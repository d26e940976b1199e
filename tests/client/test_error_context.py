"""Errors that reach the user say which request failed and how to fix what they can fix."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core import errors
from dicomkit.core.interface import Request, Response
from dicomkit.core.retry import RetryPolicy
from dicomkit.testing.data import make_instance

from .fakes import Answer, FakeTransport, Seen

BASE = "http://dicom.test/dicom-web"
NO_WAIT = RetryPolicy(backoff=0.0, jitter=0.0, max_attempts=3)
TRANSPORT_ERRORS = sorted(
    (
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.TransportError)
    ),
    key=lambda cls: cls.__name__,
)


@dataclass
class FailingTransport(FakeTransport):
    """Every send fails with ``error_class`` before any answer arrives."""

    error_class: type[errors.TransportError] = errors.ConnectError

    def send(self, request: Request) -> Response:
        self.seen.append(Seen(request, b""))
        raise self.error_class("NewConnectionError: HTTPConnection(host='10.0.0.1', port=1)")

    async def asend(self, request: Request) -> Response:
        return self.send(request)


def _failing(error_class: type[errors.TransportError]) -> FailingTransport:
    return FailingTransport(lambda request, body: (200, {}, b""), error_class=error_class)


@pytest.mark.parametrize("error_class", TRANSPORT_ERRORS, ids=lambda cls: cls.__name__)
def test_a_transport_error_names_the_request_and_keeps_its_class(
    error_class: type[errors.TransportError],
) -> None:
    transport = _failing(error_class)
    client = DicomClient(BASE, transport=transport, retry=False)
    with client, pytest.raises(error_class) as info:
        client.search_for_studies(limit=2)
    assert type(info.value) is error_class
    message = str(info.value)
    assert message.startswith(f"GET {BASE}/studies?limit=2: ")
    assert "HTTPConnection(host='10.0.0.1', port=1)" in message
    assert "attempts" not in message
    assert type(info.value.__cause__) is error_class
    assert str(info.value.__cause__) in message


def test_a_retried_transport_error_says_how_many_attempts_were_made() -> None:
    transport = _failing(errors.ConnectError)
    client = DicomClient(BASE, transport=transport, retry=NO_WAIT)
    with client, pytest.raises(errors.ConnectError) as info:
        client.retrieve_study_metadata("1.2.3")
    assert len(transport.seen) == 3
    assert str(info.value).startswith(f"GET {BASE}/studies/1.2.3/metadata: ")
    assert "after 3 attempts" in str(info.value)


async def test_async_a_transport_error_names_the_request() -> None:
    transport = _failing(errors.ReadTimeout)
    async with AsyncDicomClient(BASE, transport=transport, retry=NO_WAIT) as client:
        with pytest.raises(errors.ReadTimeout) as info:
            await client.search_for_studies()
    assert str(info.value).startswith(f"GET {BASE}/studies: ")
    assert "after 3 attempts" in str(info.value)
    assert isinstance(info.value.__cause__, errors.ReadTimeout)


def _unauthorized(request: Request, body: bytes) -> Answer:
    return 401, {"WWW-Authenticate": 'Basic realm="pacs"'}, b""


HINT = "the server requires credentials: pass auth=... to "


def test_a_401_without_credentials_says_to_pass_auth() -> None:
    with DicomClient(BASE, transport=FakeTransport(_unauthorized)) as client:
        with pytest.raises(errors.UnauthorizedError, match=f"{HINT}DicomClient") as info:
            client.search_for_studies()
        assert info.value.status == 401
        assert info.value.url == f"{BASE}/studies"
        with pytest.raises(errors.UnauthorizedError, match=f"{HINT}DicomClient"):
            client.store_instances([make_instance()])


async def test_async_a_401_without_credentials_says_to_pass_auth() -> None:
    async with AsyncDicomClient(BASE, transport=FakeTransport(_unauthorized)) as client:
        with pytest.raises(errors.UnauthorizedError, match=f"{HINT}AsyncDicomClient"):
            await client.search_for_studies()
        with pytest.raises(errors.UnauthorizedError, match=f"{HINT}AsyncDicomClient"):
            await client.store_instances([make_instance()])


def test_a_401_with_credentials_has_no_hint_to_pass_them() -> None:
    client = DicomClient(
        "https://dicom.test/dicom-web", transport=FakeTransport(_unauthorized), auth="token"
    )
    with client:
        with pytest.raises(errors.UnauthorizedError) as info:
            client.search_for_studies()
        with pytest.raises(errors.UnauthorizedError) as stored:
            client.store_instances([make_instance()])
    assert "pass auth=" not in str(info.value)
    assert "pass auth=" not in str(stored.value)
