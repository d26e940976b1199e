"""What only an asyncio backend is asked: many tasks on one transport, and cancellation.

With :mod:`dicomkit.testing.contract._threads` this is the one hand-written pair of the
contract suite (tasks here, threads there); ``_sync.py`` is generated from ``_async.py``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable

import pytest

from dicomkit.core.interface import AsyncTransport, Request
from dicomkit.testing._contract_server import ContractServer, payload
from dicomkit.testing.contract._support import EventLoop, check_payload, echo_of

__all__ = ["Body", "Factory", "TaskCases"]

Factory = Callable[..., AsyncTransport]
Body = Callable[[AsyncTransport], Awaitable[None]]


class TaskCases:
    """Mixed into AsyncTransportContract."""

    def test_hundred_concurrent_requests(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        async def one(transport: AsyncTransport, n: int) -> None:
            data = payload(n % 4, 500 + 37 * n)
            url = f"{contract_server.url}/echo?n={n * 11}&seed={n % 3}"
            async with await transport.asend(Request("POST", url, body=data)) as response:
                received = await response.aread()
            assert echo_of(response)["sha256"] == hashlib.sha256(data).hexdigest()
            check_payload(received, payload(n % 3, n * 11))

        async def body() -> None:
            async with async_transport_factory() as transport:
                await asyncio.gather(*(one(transport, n) for n in range(100)))

        EventLoop.once(body)

    def test_cancellation_passes_through_and_leaves_the_transport_usable(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        base = contract_server.url

        async def body() -> None:
            async with async_transport_factory() as transport:
                task = asyncio.ensure_future(
                    transport.asend(Request("GET", f"{base}/echo?delay=5"))
                )
                await asyncio.sleep(0.2)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                async with await transport.asend(
                    Request("GET", f"{base}/echo?n=10&seed=1")
                ) as last:
                    assert await last.aread() == payload(1, 10)

        EventLoop.once(body)
