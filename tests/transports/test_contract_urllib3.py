"""The urllib3 backend runs the shared contract exactly as a third-party backend would."""

from __future__ import annotations

import urllib3

from dicomkit.testing.contract import CallerSession, TransportContract, TransportFixtures
from dicomkit.transports._urllib3 import Urllib3Transport, close_pools


def _status(pool: urllib3.PoolManager, url: str) -> int:
    return pool.request("GET", url).status


class Urllib3Fixtures(TransportFixtures):
    backend = Urllib3Transport
    caller_session = CallerSession(
        urllib3.PoolManager, Urllib3Transport, "pool_manager", _status, close_pools
    )


class TestUrllib3Contract(Urllib3Fixtures, TransportContract):
    pass
