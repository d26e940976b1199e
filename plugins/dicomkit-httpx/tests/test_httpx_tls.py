"""TLS is verified by default; a CA bundle, ``verify=False`` and a client certificate work."""

from __future__ import annotations

import json

import pytest
from dicomkit_httpx import HttpxTransport

from dicomkit.core import Request
from dicomkit.core import errors as dk
from dicomkit.testing.tls import HTTPSServer, TLSFiles, TLSServer


def _get(transport: HttpxTransport, url: str) -> tuple[int, str]:
    """Status, and the method the server saw (its JSON echo), of ``GET {url}/echo``."""
    with transport, transport.send(Request("GET", f"{url}/echo")) as response:
        return response.status, json.loads(response.read())["method"]


async def _aget(transport: HttpxTransport, url: str) -> tuple[int, str]:
    async with transport, await transport.asend(Request("GET", f"{url}/echo")) as response:
        return response.status, json.loads(await response.aread())["method"]


async def test_an_unknown_certificate_is_refused_by_default(tls_server: TLSServer) -> None:
    with pytest.raises(dk.TLSError) as info:
        _get(HttpxTransport(), tls_server.url)
    assert info.value.__cause__ is not None
    with pytest.raises(dk.TLSError):
        await _aget(HttpxTransport(), tls_server.url)


async def test_a_ca_bundle_or_no_verification_lets_it_through(
    tls_server: TLSServer, tls_files: TLSFiles
) -> None:
    url = tls_server.url
    cert = tls_files.client_cert if tls_server.needs_client_cert else None
    ok = (200, "GET")
    assert _get(HttpxTransport(verify=str(tls_files.ca), cert=cert), url) == ok
    assert await _aget(HttpxTransport(verify=str(tls_files.ca), cert=cert), url) == ok
    assert _get(HttpxTransport(verify=False, cert=cert), url) == ok
    assert await _aget(HttpxTransport(verify=False, cert=cert), url) == ok


async def test_a_server_wanting_a_client_certificate_refuses_us_without_one(
    mutual_tls_server: HTTPSServer, tls_files: TLSFiles
) -> None:
    # TLS 1.3: the refusal is an alert after the handshake (TLSError), or, when the server's
    # close wins the race with our request's write, a lost connection (docs/plugins.md)
    with pytest.raises((dk.TLSError, dk.ConnectionLostError)):
        _get(HttpxTransport(verify=str(tls_files.ca)), mutual_tls_server.url)
    with pytest.raises((dk.TLSError, dk.ConnectionLostError)):
        await _aget(HttpxTransport(verify=str(tls_files.ca)), mutual_tls_server.url)
