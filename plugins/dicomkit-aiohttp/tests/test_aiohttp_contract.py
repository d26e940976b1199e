"""dicomkit's shared transport contract, run against the aiohttp backend as any plugin would."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
import pytest
from dicomkit_aiohttp import AiohttpTransport

from dicomkit.core import Request
from dicomkit.core.errors import TransportClosedError
from dicomkit.testing.contract import (
    AsyncTransportContract,
    CallerSession,
    ContractServer,
    TransportFixtures,
)


async def _status(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url) as response:
        await response.read()
        return response.status


class AiohttpFixtures(TransportFixtures):
    @pytest.fixture
    def async_transport_factory(self) -> Callable[..., AiohttpTransport]:
        return AiohttpTransport

    @pytest.fixture
    def async_caller_session(self) -> CallerSession[aiohttp.ClientSession]:
        session, close = aiohttp.ClientSession, aiohttp.ClientSession.close
        return CallerSession(session, AiohttpTransport, "session", _status, close)


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
