"""The requests backend runs the shared contract exactly as a third-party backend would."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from dicomkit.core.interface import Transport
from dicomkit.testing.contract import TransportContract, TransportFixtures
from dicomkit.transports._requests import RequestsTransport


class RequestsFixtures(TransportFixtures):
    @pytest.fixture
    def transport_factory(self) -> Callable[..., Transport]:
        return RequestsTransport

    @pytest.fixture
    def session_transport_factory(self) -> Callable[[], tuple[Transport, Callable[[str], int]]]:
        def build() -> tuple[Transport, Callable[[str], int]]:
            session = requests.Session()
            return RequestsTransport(session=session), lambda url: session.get(url).status_code

        return build


class TestRequestsContract(RequestsFixtures, TransportContract):
    pass
