"""TLS is verified by default; a CA bundle, ``verify=False`` and a client certificate work."""

from __future__ import annotations

from pathlib import Path

import pytest
from dicomkit_aiohttp import AiohttpTransport

from dicomkit.core import Request
from dicomkit.core import errors as dk


async def _get(transport: AiohttpTransport, url: str) -> tuple[int, bytes]:
    async with transport, await transport.asend(Request("GET", url)) as response:
        return response.status, await response.aread()


async def test_an_unknown_certificate_is_refused_by_default(tls_server: tuple[str, bool]) -> None:
    url, _ = tls_server
    with pytest.raises(dk.TLSError) as info:
        await _get(AiohttpTransport(), url)
    assert info.value.__cause__ is not None


async def test_a_ca_bundle_or_no_verification_lets_it_through(
    tls_server: tuple[str, bool], tls_files: dict[str, Path]
) -> None:
    url, mutual = tls_server
    cert = (str(tls_files["client"]), str(tls_files["client_key"])) if mutual else None
    trusted = AiohttpTransport(verify=str(tls_files["server"]), cert=cert)
    assert await _get(trusted, url) == (200, b"hello over TLS")
    unverified = AiohttpTransport(verify=False, cert=cert)
    assert await _get(unverified, url) == (200, b"hello over TLS")


async def test_a_server_wanting_a_client_certificate_refuses_us_without_one(
    mutual_tls_server: str, tls_files: dict[str, Path]
) -> None:
    url = mutual_tls_server
    with pytest.raises(dk.TransportError):
        await _get(AiohttpTransport(verify=str(tls_files["server"])), url)
