"""dicomkit's shared transport contract, run against the aiohttp backend as any plugin would."""

from __future__ import annotations

import aiohttp
from dicomkit_aiohttp import AiohttpTransport

from dicomkit.testing.contract import (
    AsyncReadAfterCloseContract,
    AsyncTransportContract,
    CallerSession,
    TransportFixtures,
    require_contract,
)

require_contract("2.0")  # streaming, proxy and cut-head cases (docs/contract-changelog.md)


async def _status(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url) as response:
        await response.read()
        return response.status


class AiohttpFixtures(TransportFixtures):
    backend = AiohttpTransport
    async_caller_session = CallerSession(
        aiohttp.ClientSession, AiohttpTransport, "session", _status, aiohttp.ClientSession.close
    )


class TestAiohttpContract(AiohttpFixtures, AsyncTransportContract): ...


class TestAiohttpReadAfterClose(AiohttpFixtures, AsyncReadAfterCloseContract): ...
