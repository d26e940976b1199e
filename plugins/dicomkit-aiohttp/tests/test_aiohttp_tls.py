"""TLS is verified by default; a CA bundle, ``verify=False`` and a client certificate work."""

from __future__ import annotations

import json

import pytest
from dicomkit_aiohttp import AiohttpTransport

from dicomkit.core import Request
from dicomkit.core import errors as dk
from dicomkit.testing.tls import HTTPSServer, TLSFiles, TLSServer


async def _get(transport: AiohttpTransport, url: str) -> tuple[int, str]:
    """Status, and the method the server saw (its JSON echo), of ``GET {url}/echo``."""
    async with transport, await transport.asend(Request("GET", f"{url}/echo")) as response:
        return response.status, json.loads(await response.aread())["method"]


async def test_an_unknown_certificate_is_refused_by_default(tls_server: TLSServer) -> None:
    with pytest.raises(dk.TLSError) as info:
        await _get(AiohttpTransport(), tls_server.url)
    assert info.value.__cause__ is not None


async def test_a_ca_bundle_or_no_verification_lets_it_through(
    tls_server: TLSServer, tls_files: TLSFiles
) -> None:
    cert = tls_files.client_cert if tls_server.needs_client_cert else None
    trusted = AiohttpTransport(verify=str(tls_files.ca), cert=cert)
    assert await _get(trusted, tls_server.url) == (200, "GET")
    unverified = AiohttpTransport(verify=False, cert=cert)
    assert await _get(unverified, tls_server.url) == (200, "GET")


async def test_a_server_wanting_a_client_certificate_refuses_us_without_one(
    mutual_tls_server: HTTPSServer, tls_files: TLSFiles
) -> None:
    # TLS 1.3: the refusal is an alert after the handshake (TLSError), or, when the server's
    # close wins the race with our request's write, a lost connection (docs/plugins.md)
    with pytest.raises((dk.TLSError, dk.ConnectionLostError)):
        await _get(AiohttpTransport(verify=str(tls_files.ca)), mutual_tls_server.url)
