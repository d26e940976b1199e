"""The urllib3 backend runs the shared contract exactly as a third-party backend would."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import urllib3

from dicomkit.core.interface import Transport
from dicomkit.testing.contract import CallerSession, TransportContract, TransportFixtures
from dicomkit.transports._urllib3 import Urllib3Transport, close_pools


def _status(pool: urllib3.PoolManager, url: str) -> int:
    return pool.request("GET", url).status


class Urllib3Fixtures(TransportFixtures):
    @pytest.fixture
    def transport_factory(self) -> Callable[..., Transport]:
        return Urllib3Transport

    @pytest.fixture
    def caller_session(self) -> CallerSession[urllib3.PoolManager]:
        return CallerSession(
            urllib3.PoolManager, Urllib3Transport, "pool_manager", _status, close_pools
        )


class TestUrllib3Contract(Urllib3Fixtures, TransportContract):
    pass
