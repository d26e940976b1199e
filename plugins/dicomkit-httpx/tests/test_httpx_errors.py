"""Every httpx exception maps into dicomkit's error tree; cancellation and bugs pass through."""

from __future__ import annotations

import ssl
import sys

import httpx
import pytest
from dicomkit_httpx import HttpxTransport
from dicomkit_httpx._errors import TRANSLATOR, translate

from dicomkit.core import Headers, Request
from dicomkit.core import errors as dk
from dicomkit.testing.contract import BAD_REQUESTS
from dicomkit.testing.exception_mapping import ExceptionMappingTests, LibraryMapping


class TestHttpxErrors(ExceptionMappingTests):
    mapping = LibraryMapping(
        [httpx, httpx._exceptions],
        TRANSLATOR,
        precise={
            httpx.ConnectTimeout: dk.ConnectTimeout,
            httpx.ReadTimeout: dk.ReadTimeout,
            httpx.PoolTimeout: dk.ConnectTimeout,
            httpx.WriteTimeout: dk.TimeoutError,
            httpx.ConnectError: dk.ConnectError,
            httpx.ReadError: dk.ConnectionLostError,
            httpx.WriteError: dk.ConnectionLostError,
            httpx.RemoteProtocolError: dk.ConnectionLostError,
            httpx.LocalProtocolError: dk.InvalidArgumentError,
            httpx.UnsupportedProtocol: dk.InvalidArgumentError,
            httpx.InvalidURL: dk.InvalidArgumentError,
            httpx.TooManyRedirects: dk.TooManyRedirectsError,
            httpx.DecodingError: dk.ProtocolError,
            httpx.StreamClosed: dk.TransportClosedError,
            ssl.SSLCertVerificationError: dk.TLSError,
            ConnectionRefusedError: dk.ConnectError,
        },
    )


def test_tls_failure_inside_a_connect_error_is_a_tls_error() -> None:
    original = httpx.ConnectError("handshake failed")
    original.__context__ = ssl.SSLCertVerificationError("certificate verify failed")
    assert isinstance(translate(original), dk.TLSError)


def test_a_status_error_keeps_its_status() -> None:
    request = httpx.Request("GET", "http://127.0.0.1/")
    response = httpx.Response(404, request=request)
    error = translate(httpx.HTTPStatusError("missing", request=request, response=response))
    assert isinstance(error, dk.NotFoundError)
    assert error.status == 404


def test_a_missing_httpx_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)
    with pytest.raises(dk.TransportNotFoundError, match="pip install dicomkit-httpx"):
        HttpxTransport()


def test_errors_on_a_live_connection_are_mapped_sync() -> None:
    with HttpxTransport() as transport, pytest.raises(dk.ConnectError) as info:
        transport.send(Request("GET", "http://127.0.0.1:1/"))
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_errors_on_a_live_connection_are_mapped_async() -> None:
    async with HttpxTransport() as transport:
        with pytest.raises(dk.ConnectError) as info:
            await transport.asend(Request("GET", "http://127.0.0.1:1/"))
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_close_in_either_flavour_closes_the_transport() -> None:
    transport = HttpxTransport()
    transport.close()
    transport.close()
    with pytest.raises(dk.TransportClosedError):
        transport.send(Request("GET", "http://127.0.0.1:1/"))
    with pytest.raises(dk.TransportClosedError):
        await transport.asend(Request("GET", "http://127.0.0.1:1/"))
    await transport.aclose()


def test_options_are_checked_when_built() -> None:
    with pytest.raises(dk.InvalidArgumentError):
        HttpxTransport(max_redirects=-1)
    with pytest.raises(dk.InvalidArgumentError):
        HttpxTransport(client=object())  # type: ignore[arg-type]
    with pytest.raises(dk.InvalidArgumentError):
        HttpxTransport(async_client=httpx.Client())  # type: ignore[arg-type]
    with pytest.raises(dk.InvalidArgumentError):
        HttpxTransport(verify="/no/such/ca-bundle.pem")
    with pytest.raises(TypeError, match="'pool_size'"):
        HttpxTransport(pool_size=3)  # type: ignore[call-arg]


@pytest.mark.parametrize(("url", "header"), BAD_REQUESTS)
def test_bad_urls_and_headers_are_invalid_arguments_sync(url: str, header: tuple[str, str]) -> None:
    """The async half of this is a contract case; the sync contract does not demand it."""
    with HttpxTransport() as transport, pytest.raises(dk.InvalidArgumentError):
        transport.send(Request("GET", url, Headers([header])))
