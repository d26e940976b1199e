"""Every exception class of urllib3 and requests is mapped explicitly into dicomkit's tree.

The lists are read from the libraries themselves, so a new release that adds an exception
class fails here until someone decides what it means.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from typing import Any

import pytest
import requests.exceptions
import urllib3.exceptions

from dicomkit.core import errors
from dicomkit.core.interface import Request, StreamBody
from dicomkit.testing.exception_mapping import (
    assert_every_exception_mapped,
    assert_passes_through,
    library_exceptions,
)
from dicomkit.transports import _requests, _urllib3
from dicomkit.transports._urllib3_errors import urllib3_table
from dicomkit.transports.support import body_chunks


def _raised_through(mapped: Any, original: BaseException) -> BaseException:
    """What leaves the backend's mapping context when ``original`` is raised inside it."""
    try:
        with mapped():
            raise original
    except BaseException as exc:
        return exc
    raise AssertionError("nothing was raised")


URLLIB3 = library_exceptions(urllib3.exceptions)
REQUESTS = library_exceptions(requests.exceptions)


def test_the_library_lists_are_not_empty() -> None:
    assert len(URLLIB3) > 30
    assert len(REQUESTS) > 20


@pytest.mark.parametrize("cls", URLLIB3, ids=lambda cls: cls.__name__)
def test_every_urllib3_exception_is_mapped_explicitly(cls: type[BaseException]) -> None:
    assert cls in urllib3_table(), f"urllib3.exceptions.{cls.__name__} has no mapping"


@pytest.mark.parametrize("cls", REQUESTS, ids=lambda cls: cls.__name__)
def test_every_requests_exception_is_mapped_explicitly(cls: type[BaseException]) -> None:
    assert cls in _requests.requests_table(), f"requests.exceptions.{cls.__name__} has no mapping"


def test_each_urllib3_exception_becomes_a_dicomkit_error_with_its_cause() -> None:
    assert_every_exception_mapped(urllib3.exceptions, _urllib3.mapped_errors)


def test_each_requests_or_urllib3_exception_becomes_a_dicomkit_error_with_its_cause() -> None:
    assert_every_exception_mapped(
        [urllib3.exceptions, requests.exceptions], _requests.mapped_errors
    )


def _new_connection_error() -> urllib3.exceptions.NewConnectionError:
    return urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]


PRECISE: list[tuple[BaseException, type[errors.DicomkitError]]] = [
    (_new_connection_error(), errors.ConnectError),
    (urllib3.exceptions.ConnectTimeoutError("slow"), errors.ConnectTimeout),
    (urllib3.exceptions.ReadTimeoutError(None, "/", "slow"), errors.ReadTimeout),  # type: ignore[arg-type]
    (urllib3.exceptions.IncompleteRead(10, 20), errors.ConnectionLostError),
    (urllib3.exceptions.ProtocolError("Connection broken"), errors.ConnectionLostError),
    (urllib3.exceptions.SSLError("bad cert"), errors.TLSError),
    (urllib3.exceptions.ClosedPoolError(None, "closed"), errors.TransportClosedError),  # type: ignore[arg-type]
    (urllib3.exceptions.LocationParseError("::"), errors.InvalidArgumentError),
    (
        urllib3.exceptions.MaxRetryError(None, "/", _new_connection_error()),  # type: ignore[arg-type]
        errors.ConnectError,
    ),
    (
        urllib3.exceptions.MaxRetryError(None, "/", urllib3.exceptions.ConnectTimeoutError()),  # type: ignore[arg-type]
        errors.ConnectTimeout,
    ),
    (ConnectionResetError("reset"), errors.ConnectionLostError),
    (ConnectionRefusedError("refused"), errors.ConnectError),
    (socket.gaierror("no such host"), errors.ConnectError),
    (TimeoutError("timed out"), errors.ReadTimeout),
    (ssl.SSLError("handshake"), errors.TLSError),
    (http.client.InvalidURL("bad"), errors.InvalidArgumentError),
    (http.client.IncompleteRead(b"ab", 5), errors.ConnectionLostError),
]

REQUESTS_PRECISE: list[tuple[BaseException, type[errors.DicomkitError]]] = [
    (
        requests.exceptions.ConnectionError(
            urllib3.exceptions.MaxRetryError(None, "/", _new_connection_error())  # type: ignore[arg-type]
        ),
        errors.ConnectError,
    ),
    (
        requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError("aborted")),
        errors.ConnectionLostError,
    ),
    (requests.exceptions.ConnectTimeout("slow"), errors.ConnectTimeout),
    (requests.exceptions.ReadTimeout("slow"), errors.ReadTimeout),
    (requests.exceptions.SSLError("cert"), errors.TLSError),
    (requests.exceptions.ChunkedEncodingError("cut"), errors.ConnectionLostError),
    (requests.exceptions.InvalidURL("::"), errors.InvalidArgumentError),
]


@pytest.mark.parametrize(("original", "expected"), PRECISE, ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("mapped", [_urllib3.mapped_errors, _requests.mapped_errors])
def test_precise_mapping(
    mapped: Any, original: BaseException, expected: type[errors.DicomkitError]
) -> None:
    raised = _raised_through(mapped, original)
    assert isinstance(raised, expected)
    assert raised.__cause__ is original


@pytest.mark.parametrize(("original", "expected"), REQUESTS_PRECISE, ids=lambda v: repr(v)[:40])
def test_precise_requests_mapping(
    original: BaseException, expected: type[errors.DicomkitError]
) -> None:
    raised = _raised_through(_requests.mapped_errors, original)
    assert type(raised) is expected
    assert raised.__cause__ is original


@pytest.mark.parametrize("mapped", [_urllib3.mapped_errors, _requests.mapped_errors])
def test_cancellation_programming_errors_and_our_own_pass_through(mapped: Any) -> None:
    assert_passes_through(mapped)
    assert_passes_through(mapped, errors.NotFoundError(404))


@pytest.mark.parametrize("mapped", [_urllib3.mapped_errors, _requests.mapped_errors])
def test_the_callers_body_error_wins_over_the_library_wrapper(mapped: Any) -> None:
    failure = OSError("the caller's file vanished")

    def source() -> Any:
        yield b"x"
        raise failure

    body = body_chunks(Request("POST", "http://h/", body=StreamBody(source)))

    def send() -> None:
        with mapped():
            try:
                list(body)
            except Exception as exc:
                raise urllib3.exceptions.ProtocolError("Connection aborted.", exc) from exc

    with pytest.raises(OSError, match="vanished") as caught:
        send()
    assert caught.value is failure
