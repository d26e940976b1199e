"""An optional case for async backends: a body read after a close fails as closed.

Beyond the contract (a backend may let an unread body outlive its transport), but a backend
that promises it adds one line::

    class TestMyReadAfterClose(MyFixtures, AsyncReadAfterCloseContract): ...

It needs ``async_transport_factory`` and ``async_caller_session`` (see
:class:`~dicomkit.testing.contract.TransportFixtures`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from dicomkit.core.errors import TransportClosedError
from dicomkit.core.interface import AsyncTransport, Request
from dicomkit.testing._contract_server import ContractServer
from dicomkit.testing.contract._fixtures import CallerSession
from dicomkit.testing.contract._support import EventLoop

__all__ = ["AsyncReadAfterCloseContract"]


class AsyncReadAfterCloseContract:
    """A body still being read when the transport, or the caller's own session, closes raises
    :class:`TransportClosedError`, not the library's own complaint."""

    async_caller_session: ClassVar[CallerSession[Any] | None]

    @pytest.mark.parametrize("closing", ["transport", "callers_session"])
    def test_reading_after_close_is_transport_closed(
        self,
        async_transport_factory: Callable[..., AsyncTransport],
        contract_server: ContractServer,
        closing: str,
    ) -> None:
        caller = self.async_caller_session
        if caller is None:
            pytest.skip("this backend offers no caller-owned async session")

        async def body() -> None:
            session = caller.open()
            callers = closing == "callers_session"
            transport = caller.on(session) if callers else async_transport_factory()
            url = f"{contract_server.url}/echo?n=3000000"
            response = await transport.asend(Request("GET", url))
            await (caller.close(session) if callers else transport.aclose())
            with pytest.raises(TransportClosedError):
                await response.aread()
            await transport.aclose()
            await caller.close(session)

        EventLoop.once(body)
