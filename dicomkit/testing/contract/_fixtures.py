"""The fixtures a backend author overrides to run the contract against a backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dicomkit.core.interface import AsyncTransport, Transport
from dicomkit.testing._contract_server import ContractServer
from dicomkit.testing.contract._support import contract_server

__all__ = ["AsyncSessionFactory", "SessionFactory", "TransportFixtures"]

SessionFactory = Callable[[], tuple[Transport, Callable[[str], int]]]
AsyncSessionFactory = Callable[[], Any]


class TransportFixtures:
    """Override ``transport_factory`` and/or ``async_transport_factory`` in a subclass.

    ``transport_factory`` returns a callable building a fresh sync transport from keyword
    options (``max_redirects=...`` and friends); ``async_transport_factory`` the same for an
    async transport (it is called inside a running event loop). The optional
    ``session_transport_factory`` returns a callable giving ``(transport, probe)``: a transport
    built on a session the test owns, and ``probe(url) -> status`` that GETs through that very
    session, to prove dicomkit left it open. ``async_session_transport_factory`` is its async
    twin (an async callable returning ``(transport, async probe)``).
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
    def session_transport_factory(self) -> SessionFactory:
        pytest.skip("this backend offers no caller-owned session")

    @pytest.fixture
    def async_session_transport_factory(self) -> AsyncSessionFactory:
        pytest.skip("this backend offers no caller-owned session")

    @pytest.fixture
    def transport(self, transport_factory: Callable[..., Transport]) -> Iterator[Transport]:
        built = transport_factory()
        try:
            yield built
        finally:
            built.close()
