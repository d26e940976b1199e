"""TLS is verified by default; a CA bundle, ``verify=False`` and a client certificate work."""

from __future__ import annotations

from pathlib import Path

import pytest
from dicomkit_httpx import HttpxTransport

from dicomkit.core import Request
from dicomkit.core import errors as dk


def _get(transport: HttpxTransport, url: str) -> tuple[int, bytes]:
    with transport, transport.send(Request("GET", url)) as response:
        return response.status, response.read()


async def _aget(transport: HttpxTransport, url: str) -> tuple[int, bytes]:
    async with transport, await transport.asend(Request("GET", url)) as response:
        return response.status, await response.aread()


async def test_an_unknown_certificate_is_refused_by_default(tls_server: tuple[str, bool]) -> None:
    url, _ = tls_server
    with pytest.raises(dk.TLSError) as info:
        _get(HttpxTransport(), url)
    assert info.value.__cause__ is not None
    with pytest.raises(dk.TLSError):
        await _aget(HttpxTransport(), url)


async def test_a_ca_bundle_or_no_verification_lets_it_through(
    tls_server: tuple[str, bool], tls_files: dict[str, Path]
) -> None:
    url, mutual = tls_server
    cert = (str(tls_files["client"]), str(tls_files["client_key"])) if mutual else None
    ok = (200, b"hello over TLS")
    assert _get(HttpxTransport(verify=str(tls_files["server"]), cert=cert), url) == ok
    assert await _aget(HttpxTransport(verify=str(tls_files["server"]), cert=cert), url) == ok
    assert _get(HttpxTransport(verify=False, cert=cert), url) == ok
    assert await _aget(HttpxTransport(verify=False, cert=cert), url) == ok


def test_a_server_wanting_a_client_certificate_refuses_us_without_one(
    mutual_tls_server: str, tls_files: dict[str, Path]
) -> None:
    url = mutual_tls_server
    with pytest.raises(dk.TransportError):
        _get(HttpxTransport(verify=str(tls_files["server"])), url)
