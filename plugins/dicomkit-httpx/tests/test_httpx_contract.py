"""dicomkit's shared transport contract, run against the httpx backend as a plugin author would.

One class serves both interfaces, so both halves of the contract run against it.
"""

from __future__ import annotations

import json

import httpx
import pytest
from dicomkit_httpx import HttpxTransport

from dicomkit.core import Headers, Request
from dicomkit.core.errors import TransportClosedError
from dicomkit.testing.contract import (
    AsyncReadAfterCloseContract,
    AsyncTransportContract,
    CallerSession,
    ContractServer,
    TransportContract,
    TransportFixtures,
    require_contract,
)

require_contract("2.0")  # streaming, proxy and cut-head cases (docs/contract-changelog.md)


def _status(client: httpx.Client, url: str) -> int:
    return client.get(url).status_code


async def _astatus(client: httpx.AsyncClient, url: str) -> int:
    return (await client.get(url)).status_code


class HttpxFixtures(TransportFixtures):
    backend = HttpxTransport
    caller_session = CallerSession(
        httpx.Client, HttpxTransport, "client", _status, httpx.Client.close
    )
    async_caller_session = CallerSession(
        httpx.AsyncClient, HttpxTransport, "async_client", _astatus, httpx.AsyncClient.aclose
    )


class TestHttpxSyncContract(HttpxFixtures, TransportContract): ...


class TestHttpxAsyncContract(HttpxFixtures, AsyncTransportContract): ...


class TestHttpxReadAfterClose(HttpxFixtures, AsyncReadAfterCloseContract): ...


class TestHttpxBeyondTheContract(HttpxFixtures):
    """Backend-specific checks that use the contract's loopback server."""

    @pytest.mark.parametrize("caller_closes_client", [False, True])
    def test_reading_after_close_is_transport_closed(
        self, contract_server: ContractServer, caller_closes_client: bool
    ) -> None:
        client = httpx.Client()
        transport = HttpxTransport(client=client if caller_closes_client else None)
        response = transport.send(Request("GET", f"{contract_server.url}/echo?n=3000000"))
        (client.close if caller_closes_client else transport.close)()
        with pytest.raises(TransportClosedError):
            response.read()
        transport.close()
        client.close()

    def test_repeated_fields_differing_in_case_all_arrive_sync(
        self, contract_server: ContractServer
    ) -> None:
        """The async half of this is a contract case; the sync contract does not demand it."""
        sent = Headers([("X-Dup", "1"), ("x-dup", "2"), ("X-DUP", "3")])
        request = Request("GET", f"{contract_server.url}/echo", sent)
        with HttpxTransport() as transport, transport.send(request) as response:
            seen = Headers(json.loads(response.headers["X-Echo-Headers"]))
        assert seen.get_all("x-dup") == ["1", "2", "3"]
