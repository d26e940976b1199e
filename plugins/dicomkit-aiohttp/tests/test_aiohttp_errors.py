"""Every aiohttp exception maps into dicomkit's error tree; cancellation and bugs pass through."""

from __future__ import annotations

import sys

import aiohttp
import aiohttp.client_exceptions
import aiohttp.http_exceptions
import pytest
from dicomkit_aiohttp import AiohttpTransport
from dicomkit_aiohttp._errors import TRANSLATOR, error_class_for, translate

from dicomkit.core import Request
from dicomkit.core import errors as dk
from dicomkit.testing.exception_mapping import ExceptionMappingTests, LibraryMapping


class TestAiohttpErrors(ExceptionMappingTests):
    mapping = LibraryMapping(
        [aiohttp, aiohttp.client_exceptions, aiohttp.http_exceptions],
        TRANSLATOR,
        precise={
            aiohttp.ClientConnectorError: dk.ConnectError,
            aiohttp.ClientConnectorCertificateError: dk.TLSError,
            aiohttp.ClientConnectorSSLError: dk.TLSError,
            aiohttp.ServerFingerprintMismatch: dk.TLSError,
            aiohttp.ServerTimeoutError: dk.ReadTimeout,
            aiohttp.ClientPayloadError: dk.ConnectionLostError,
            aiohttp.ServerDisconnectedError: dk.ConnectionLostError,
            aiohttp.ClientOSError: dk.ConnectionLostError,
            aiohttp.http_exceptions.ContentLengthError: dk.ConnectionLostError,
            aiohttp.http_exceptions.TransferEncodingError: dk.ConnectionLostError,
            aiohttp.TooManyRedirects: dk.TooManyRedirectsError,
            aiohttp.InvalidURL: dk.InvalidArgumentError,
            ConnectionRefusedError: dk.ConnectError,
            ConnectionResetError: dk.ConnectionLostError,
        },
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ConnectionTimeoutError", dk.ConnectTimeout),
        ("SocketTimeoutError", dk.ReadTimeout),
        ("ClientConnectionResetError", dk.ConnectionLostError),
    ],
)
def test_newer_aiohttp_classes(name: str, expected: type) -> None:
    cls = getattr(aiohttp, name, None)
    if cls is None:
        pytest.skip(f"aiohttp {aiohttp.__version__} has no {name}")
    assert error_class_for(cls) is expected


def test_tls_failure_inside_a_connect_error_is_a_tls_error() -> None:
    original = aiohttp.ClientConnectorError.__new__(aiohttp.ClientConnectorError)
    original.__cause__ = __import__("ssl").SSLError("certificate verify failed")
    assert isinstance(translate(original), dk.TLSError)


def test_a_missing_aiohttp_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)
    with pytest.raises(dk.TransportNotFoundError, match="pip install dicomkit-aiohttp"):
        AiohttpTransport()


async def test_errors_on_a_live_connection_are_mapped() -> None:
    async with AiohttpTransport() as transport:
        with pytest.raises(dk.ConnectError) as info:
            await transport.asend(Request("GET", "http://127.0.0.1:1/"))
    assert isinstance(info.value.__cause__, aiohttp.ClientError)


def test_options_are_checked_when_built() -> None:
    with pytest.raises(dk.InvalidArgumentError):
        AiohttpTransport(max_redirects=-1)
    with pytest.raises(dk.InvalidArgumentError):
        AiohttpTransport(pool_maxsize=0)
    with pytest.raises(dk.InvalidArgumentError):
        AiohttpTransport(session=object())  # type: ignore[arg-type]
    with pytest.raises(dk.InvalidArgumentError):
        AiohttpTransport(verify="/no/such/ca-bundle.pem")
    with pytest.raises(TypeError, match="'pool_size'"):
        AiohttpTransport(pool_size=3)  # type: ignore[call-arg]


async def test_a_port_out_of_range_is_an_invalid_argument() -> None:
    async with AiohttpTransport() as transport:
        with pytest.raises(dk.InvalidArgumentError):
            await transport.asend(Request("GET", "http://127.0.0.1:99999/"))
