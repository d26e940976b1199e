"""The installed distribution registers ``httpx`` and dicomkit finds it by that name."""

from __future__ import annotations

from importlib import metadata

import pytest
from dicomkit_httpx import HttpxTransport

import dicomkit.transports


def test_the_distribution_declares_the_entry_point() -> None:
    entries = metadata.distribution("dicomkit-httpx").entry_points
    [entry] = [e for e in entries if e.group == "dicomkit.transports"]
    assert (entry.name, entry.value) == ("httpx", "dicomkit_httpx:HttpxTransport")


def test_dicomkit_finds_it_by_name() -> None:
    assert "httpx" in dicomkit.transports.available()
    assert dicomkit.transports.get("httpx") is HttpxTransport


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_the_registry_builds_it_for_both_clients(asynchronous: bool) -> None:
    built, owned = dicomkit.transports.resolve_transport(
        "httpx", asynchronous=asynchronous, max_redirects=3, pool_maxsize=20
    )
    assert isinstance(built, HttpxTransport)
    assert owned
    await built.aclose()
