"""The urllib3 backend runs the shared contract exactly as a third-party backend would."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import urllib3

from dicomkit.core.interface import Transport
from dicomkit.testing.contract import TransportContract, TransportFixtures
from dicomkit.transports._urllib3 import Urllib3Transport


class Urllib3Fixtures(TransportFixtures):
    @pytest.fixture
    def transport_factory(self) -> Callable[..., Transport]:
        return Urllib3Transport

    @pytest.fixture
    def session_transport_factory(self) -> Callable[[], tuple[Transport, Callable[[str], int]]]:
        def build() -> tuple[Transport, Callable[[str], int]]:
            pool = urllib3.PoolManager()
            return Urllib3Transport(pool_manager=pool), lambda url: pool.request("GET", url).status

        return build


class TestUrllib3Contract(Urllib3Fixtures, TransportContract):
    pass
