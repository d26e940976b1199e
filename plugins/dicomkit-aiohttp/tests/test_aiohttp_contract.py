"""dicomkit's shared transport contract, run against the aiohttp backend as any plugin would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from dicomkit_aiohttp import AiohttpTransport

from dicomkit.testing.contract import AsyncTransportContract, TransportFixtures

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
