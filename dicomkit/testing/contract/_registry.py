"""The registry check: an installed backend is found by its name, as users will ask for it.

A backend author adds one test class::

    class TestMyRegistry(RegistryContract):
        registration = Registration("dicomkit-mylib", "mylib", MyTransport)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from importlib import metadata
from typing import ClassVar

import pytest

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import AsyncTransport, Transport
from dicomkit.transports import registry

__all__ = ["Registration", "RegistryContract"]

GROUP = "dicomkit.transports"


@dataclass(frozen=True)
class Registration:
    """A backend as its distribution registers it: ``name`` in the ``dicomkit.transports``
    entry-point group of ``distribution``, pointing at ``transport``."""

    distribution: str
    name: str
    transport: type[Transport] | type[AsyncTransport]


def _close(built: Transport | AsyncTransport) -> None:
    if isinstance(built, Transport):
        built.close()
    if isinstance(built, AsyncTransport):
        asyncio.run(built.aclose())


class RegistryContract:
    """Set ``registration``; the cases check the entry point and what the registry builds."""

    registration: ClassVar[Registration]

    def test_the_distribution_declares_the_entry_point(self) -> None:
        wanted = self.registration
        entries = metadata.distribution(wanted.distribution).entry_points
        [entry] = [e for e in entries if e.group == GROUP and e.name == wanted.name]
        assert entry.load() is wanted.transport

    def test_dicomkit_finds_it_by_name(self) -> None:
        wanted = self.registration
        assert wanted.name in registry.available()
        assert registry.get(wanted.name) is wanted.transport

    @pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
    def test_the_registry_builds_it_for_the_clients_it_serves(self, asynchronous: bool) -> None:
        """Built with the options the clients pass; refused for the other kind of client."""
        wanted = self.registration
        serves = issubclass(wanted.transport, AsyncTransport if asynchronous else Transport)
        if not serves:
            with pytest.raises(InvalidArgumentError):
                registry.resolve_transport(wanted.name, asynchronous=asynchronous)
            return
        built, owned = registry.resolve_transport(
            wanted.name, asynchronous=asynchronous, max_redirects=3, pool_maxsize=20
        )
        assert isinstance(built, wanted.transport)
        assert owned
        _close(built)
