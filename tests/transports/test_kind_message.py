"""The message for a backend of the wrong kind reads as English in both directions."""

from __future__ import annotations

import pytest

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.transports import RequestsTransport, resolve_transport
from tests._support.ci import require_module


def test_a_sync_backend_for_the_async_client() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        resolve_transport(RequestsTransport, asynchronous=True)
    assert "RequestsTransport is a sync transport but an async one is needed" in str(caught.value)


def test_an_async_backend_for_the_sync_client() -> None:
    aiohttp_plugin = require_module("dicomkit_aiohttp")
    with pytest.raises(InvalidArgumentError) as caught:
        resolve_transport(aiohttp_plugin.AiohttpTransport, asynchronous=False)
    assert "AiohttpTransport is an async transport but a sync one is needed" in str(caught.value)
