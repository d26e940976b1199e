"""dicomkit's shared transport contract, run against the aiohttp backend as any plugin would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from dicomkit_aiohttp import AiohttpTransport

from dicomkit.core import Request
from dicomkit.core.errors import TransportClosedError
from dicomkit.testing.contract import (
    AsyncTransportContract,
    ContractServer,
    TransportFixtures,
)

Probe = Callable[[str], Awaitable[int]]


class AiohttpFixtures(TransportFixtures):
    @pytest.fixture
    def async_transport_factory(self) -> Callable[..., AiohttpTransport]:
        return AiohttpTransport

    @pytest.fixture
    def async_session_transport_factory(
        self,
    ) -> Callable[[], Awaitable[tuple[AiohttpTransport, Probe]]]:
        async def build() -> tuple[AiohttpTransport, Probe]:
            session = aiohttp.ClientSession()

            async def probe(url: str) -> int:
                """GET through the caller's session (so it must still be open), then close it."""
                try:
                    async with session.get(url) as response:
                        await response.read()
                        return response.status
                finally:
                    await session.close()

            return AiohttpTransport(session=session), probe

        return build


class TestAiohttpContract(AiohttpFixtures, AsyncTransportContract): ...


class TestAiohttpBeyondTheContract(AiohttpFixtures):
    """Backend-specific checks that use the contract's loopback server."""

    @pytest.mark.parametrize("caller_closes_session", [False, True])
    async def test_reading_after_close_is_transport_closed(
        self, contract_server: ContractServer, caller_closes_session: bool
    ) -> None:
        session = aiohttp.ClientSession()
        transport = AiohttpTransport(session=session if caller_closes_session else None)
        response = await transport.asend(Request("GET", f"{contract_server.url}/echo?n=3000000"))
        await (session.close() if caller_closes_session else transport.aclose())
        with pytest.raises(TransportClosedError):
            await response.aread()
        await transport.aclose()
        await session.close()
