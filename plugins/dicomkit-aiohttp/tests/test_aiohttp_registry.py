"""The installed distribution registers ``aiohttp`` and dicomkit finds it by that name."""

from __future__ import annotations

from importlib import metadata

import pytest
from dicomkit_aiohttp import AiohttpTransport

import dicomkit.transports
from dicomkit.core.errors import InvalidArgumentError


def test_the_distribution_declares_the_entry_point() -> None:
    entries = metadata.distribution("dicomkit-aiohttp").entry_points
    [entry] = [e for e in entries if e.group == "dicomkit.transports"]
    assert (entry.name, entry.value) == ("aiohttp", "dicomkit_aiohttp:AiohttpTransport")


def test_dicomkit_finds_it_by_name() -> None:
    assert "aiohttp" in dicomkit.transports.available()
    assert dicomkit.transports.get("aiohttp") is AiohttpTransport


async def test_the_registry_builds_it_for_async_clients_only() -> None:
    built, owned = dicomkit.transports.resolve_transport(
        "aiohttp", asynchronous=True, max_redirects=3, pool_maxsize=20
    )
    assert isinstance(built, AiohttpTransport)
    assert owned
    await built.aclose()
    with pytest.raises(InvalidArgumentError):
        dicomkit.transports.resolve_transport("aiohttp", asynchronous=False)
