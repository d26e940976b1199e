"""The fixtures a backend author overrides to run the contract against a backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

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

    ``get`` and ``close`` return awaitables for an async session. Set one as
    :attr:`TransportFixtures.caller_session` (or ``async_caller_session``): the contract's
    session factories are built from it, their probe GETs through the session (so it must
    still be open) and then closes it.
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
    """Say which backend the contract runs against: set class attributes, or override fixtures.

    The short way: ``backend`` is the backend class, built as ``backend(**options)``
    (``max_redirects=...`` and friends) by both halves of the contract; ``caller_session`` and
    ``async_caller_session`` are :class:`CallerSession` values, when the backend can work on a
    session the test owns (the contract then proves dicomkit left it open).

    The long way, for anything else: override the ``transport_factory`` fixture (a callable
    building a fresh sync transport from keyword options) and/or ``async_transport_factory``
    (the same for an async transport, called inside a running event loop), and
    ``session_transport_factory`` (a callable giving ``(transport, probe)``, where
    ``probe(url) -> status`` GETs through that very session) or its async twin
    ``async_session_transport_factory``.
    """

    backend: ClassVar[type | None] = None
    caller_session: ClassVar[CallerSession[Any] | None] = None
    async_caller_session: ClassVar[CallerSession[Any] | None] = None
    stream_wait: ClassVar[float] = 10.0
    """Seconds the streaming cases wait for a backend's first piece before calling it buffering
    (a streaming backend never waits: only a buffering one makes a case last this long)."""

    @pytest.fixture
    def contract_server(self) -> ContractServer:
        return contract_server()

    @pytest.fixture
    def transport_factory(self) -> Callable[..., Transport]:
        if self.backend is None:
            pytest.fail("set backend or override transport_factory to run TransportContract")
        return self.backend

    @pytest.fixture
    def async_transport_factory(self) -> Callable[..., AsyncTransport]:
        if self.backend is None:
            pytest.fail(
                "set backend or override async_transport_factory for AsyncTransportContract"
            )
        return self.backend

    @pytest.fixture
    def session_transport_factory(self) -> SessionFactory:
        if self.caller_session is None:
            pytest.skip("this backend offers no caller-owned session")
        return self.caller_session.factory()

    @pytest.fixture
    def async_session_transport_factory(self) -> AsyncSessionFactory:
        if self.async_caller_session is None:
            pytest.skip("this backend offers no caller-owned async session")
        return self.async_caller_session.async_factory()

    @pytest.fixture
    def transport(self, transport_factory: Callable[..., Transport]) -> Iterator[Transport]:
        built = transport_factory()
        try:
            yield built
        finally:
            built.close()
