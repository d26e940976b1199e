"""dicomkit's shared transport contract, run against the httpx backend as a plugin author would.

One class serves both interfaces, so both halves of the contract run against it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from dicomkit_httpx import HttpxTransport

from dicomkit.testing.contract import (
    AsyncTransportContract,
    TransportContract,
    TransportFixtures,
)

Probe = Callable[[str], int]
AsyncProbe = Callable[[str], Awaitable[int]]


class HttpxFixtures(TransportFixtures):
    @pytest.fixture
    def transport_factory(self) -> Callable[..., HttpxTransport]:
        return HttpxTransport

    @pytest.fixture
    def async_transport_factory(self) -> Callable[..., HttpxTransport]:
        return HttpxTransport

    @pytest.fixture
    def session_transport_factory(self) -> Callable[[], tuple[HttpxTransport, Probe]]:
        def build() -> tuple[HttpxTransport, Probe]:
            client = httpx.Client()

            def probe(url: str) -> int:
                """GET through the caller's client (so it must still be open), then close it."""
                try:
                    return client.get(url).status_code
                finally:
                    client.close()

            return HttpxTransport(client=client), probe

        return build

    @pytest.fixture
    def async_session_transport_factory(
        self,
    ) -> Callable[[], Awaitable[tuple[HttpxTransport, AsyncProbe]]]:
        async def build() -> tuple[HttpxTransport, AsyncProbe]:
            client = httpx.AsyncClient()

            async def probe(url: str) -> int:
                try:
                    return (await client.get(url)).status_code
                finally:
                    await client.aclose()

            return HttpxTransport(async_client=client), probe

        return build


class TestHttpxSyncContract(HttpxFixtures, TransportContract): ...


class TestHttpxAsyncContract(HttpxFixtures, AsyncTransportContract): ...
