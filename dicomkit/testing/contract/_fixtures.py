"""The fixtures a backend author overrides to run the contract against a backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pytest

from dicomkit.core.interface import AsyncTransport, Transport
from dicomkit.testing._contract_server import ContractServer
from dicomkit.testing.contract._support import contract_server

__all__ = ["AsyncSessionFactory", "CallerSession", "SessionFactory", "TransportFixtures"]

SessionFactory = Callable[[], tuple[Transport, Callable[[str], int]]]
AsyncSessionFactory = Callable[[], Any]

S = TypeVar("S")


@dataclass(frozen=True)
class CallerSession(Generic[S]):
    """A session the test owns, as a backend's library spells it: how to ``open`` one, the
    ``transport`` class and the ``keyword`` option it takes the session as, how to ``get`` a
    URL's status through the session and how to ``close`` it.

    ``get`` and ``close`` return awaitables for an async session. The fixtures
    ``caller_session`` / ``async_caller_session`` return one, and the contract's session
    factories are built from it: the probe GETs through the session (so it must still be open)
    and then closes it.
    """

    open: Callable[[], S]
    transport: Callable[..., Any]
    keyword: str
    get: Callable[[S, str], Any]
    close: Callable[[S], Any]

    def on(self, session: S) -> Any:
        """A transport built on ``session``."""
        return self.transport(**{self.keyword: session})

    def factory(self) -> SessionFactory:
        """The ``session_transport_factory`` for a sync session."""

        def build() -> tuple[Transport, Callable[[str], int]]:
            session = self.open()

            def probe(url: str) -> int:
                try:
                    return int(self.get(session, url))
                finally:
                    self.close(session)

            return self.on(session), probe

        return build

    def async_factory(self) -> AsyncSessionFactory:
        """The ``async_session_transport_factory`` for an async session."""

        async def build() -> tuple[AsyncTransport, Callable[[str], Any]]:
            session = self.open()

            async def probe(url: str) -> int:
                try:
                    return int(await self.get(session, url))
                finally:
                    await self.close(session)

            return self.on(session), probe

        return build


class TransportFixtures:
    """Override ``transport_factory`` and/or ``async_transport_factory`` in a subclass.

    ``transport_factory`` returns a callable building a fresh sync transport from keyword
    options (``max_redirects=...`` and friends); ``async_transport_factory`` the same for an
    async transport (it is called inside a running event loop). The optional ``caller_session``
    (and ``async_caller_session``) fixture returns a :class:`CallerSession`: the contract then
    builds a transport on a session the test owns and proves dicomkit left it open. Overriding
    ``session_transport_factory`` directly (a callable giving ``(transport, probe)``, where
    ``probe(url) -> status`` GETs through that very session) or its async twin
    ``async_session_transport_factory`` still works.
    """

    @pytest.fixture
    def contract_server(self) -> ContractServer:
        return contract_server()

    @pytest.fixture
    def transport_factory(self) -> Callable[..., Transport]:
        pytest.fail("override the transport_factory fixture to run TransportContract")

    @pytest.fixture
    def async_transport_factory(self) -> Callable[..., AsyncTransport]:
        pytest.fail("override the async_transport_factory fixture to run AsyncTransportContract")

    @pytest.fixture
    def caller_session(self) -> CallerSession[Any]:
        pytest.skip("this backend offers no caller-owned session")

    @pytest.fixture
    def async_caller_session(self) -> CallerSession[Any]:
        pytest.skip("this backend offers no caller-owned async session")

    @pytest.fixture
    def session_transport_factory(self, caller_session: CallerSession[Any]) -> SessionFactory:
        return caller_session.factory()

    @pytest.fixture
    def async_session_transport_factory(
        self, async_caller_session: CallerSession[Any]
    ) -> AsyncSessionFactory:
        return async_caller_session.async_factory()

    @pytest.fixture
    def transport(self, transport_factory: Callable[..., Transport]) -> Iterator[Transport]:
        built = transport_factory()
        try:
            yield built
        finally:
            built.close()
