"""The requests backend runs the shared contract exactly as a third-party backend would."""

from __future__ import annotations

import requests

from dicomkit.testing.contract import CallerSession, TransportContract, TransportFixtures
from dicomkit.transports._requests import RequestsTransport


def _status(session: requests.Session, url: str) -> int:
    return session.get(url).status_code


def _close(session: requests.Session) -> None:
    session.close()


class RequestsFixtures(TransportFixtures):
    backend = RequestsTransport
    caller_session = CallerSession(requests.Session, RequestsTransport, "session", _status, _close)


class TestRequestsContract(RequestsFixtures, TransportContract):
    pass
