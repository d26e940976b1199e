"""Fakes for the auth tests: a token endpoint transport, a clock, and cloud credentials.

The fakes implement the real protocols (dicomkit's Transport/AsyncTransport, azure-identity's
``get_token(*scopes, **kwargs) -> AccessToken``, google-auth's ``token``/``expiry``/``valid``/
``refresh(request)``) so the code under test cannot tell them from the real thing.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import pytest

from dicomkit.core.interface import AsyncTransport, Request, Response, Transport

SECRET = "Sup3r-Secret-Value!"


class FakeClock:
    """A settable wall clock so expiry tests never wait."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class TokenEndpoint(Transport, AsyncTransport):
    """A transport that answers every request like an OAuth2 token endpoint and counts them.

    ``delay`` keeps each token request in flight for a moment so concurrent callers pile up
    behind it; ``answer`` can be replaced to return errors or malformed bodies.
    """

    def __init__(self, *, expires_in: Any = 3600, delay: float = 0.05) -> None:
        self.expires_in = expires_in
        self.delay = delay
        self.requests: list[Request] = []
        self.bodies: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self.answer: Callable[[int], tuple[int, bytes]] = self._token_answer

    @property
    def count(self) -> int:
        return len(self.requests)

    def _token_answer(self, number: int) -> tuple[int, bytes]:
        payload: dict[str, Any] = {"access_token": f"token-{number}", "token_type": "Bearer"}
        if self.expires_in is not None:
            payload["expires_in"] = self.expires_in
        return 200, json.dumps(payload).encode()

    def _record(self, request: Request) -> tuple[int, bytes]:
        body = b"".join(request.iter_body())
        with self._lock:
            self.requests.append(request)
            self.bodies.append(dict(parse_qsl(body.decode())))
            number = len(self.requests)
        return self.answer(number)

    def send(self, request: Request) -> Response:
        status, body = self._record(request)
        time.sleep(self.delay)
        headers = {"Content-Type": "application/json"}
        return Response(status, headers, stream=iter([body]), request=request, url=request.url)

    async def asend(self, request: Request) -> Response:
        status, body = self._record(request)
        await asyncio.sleep(self.delay)

        async def chunks() -> Any:
            yield body

        headers = {"Content-Type": "application/json"}
        return Response(status, headers, astream=chunks(), request=request, url=request.url)

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


class AccessToken(NamedTuple):
    """Shape of ``azure.core.credentials.AccessToken``."""

    token: str
    expires_on: int


class FakeAzureCredential:
    """Implements azure-core's ``TokenCredential`` protocol."""

    def __init__(self, clock: FakeClock, lifetime: int = 3600, *, rotate: bool = True) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.rotate = rotate
        self.calls: list[tuple[tuple[str, ...], dict[str, Any]]] = []
        self.error: Exception | None = None

    def _issue(self, scopes: tuple[str, ...], kwargs: dict[str, Any]) -> AccessToken:
        self.calls.append((scopes, kwargs))
        if self.error is not None:
            raise self.error
        number = len(self.calls) if self.rotate else 1
        return AccessToken(f"azure-{number}", int(self.clock() + self.lifetime))

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        time.sleep(0.02)
        return self._issue(scopes, kwargs)


class FakeAsyncAzureCredential(FakeAzureCredential):
    """Implements azure-core's ``AsyncTokenCredential`` protocol."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:  # type: ignore[override]
        await asyncio.sleep(0.02)
        return self._issue(scopes, kwargs)

    async def close(self) -> None:
        pass


class FakeGoogleCredentials:
    """Implements google-auth's ``Credentials``: token, expiry (naive UTC), valid, refresh."""

    def __init__(self, clock: FakeClock, lifetime: int = 3600) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.token: str | None = None
        self.expiry: datetime.datetime | None = None
        self.quota_project_id: str | None = None
        self.refresh_requests: list[object] = []
        self.error: Exception | None = None

    def _now(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.clock(), datetime.timezone.utc).replace(
            tzinfo=None
        )

    @property
    def expired(self) -> bool:
        return self.expiry is not None and self._now() >= self.expiry - datetime.timedelta(
            seconds=225
        )

    @property
    def valid(self) -> bool:
        return self.token is not None and not self.expired

    def refresh(self, request: object) -> None:
        self.refresh_requests.append(request)
        if self.error is not None:
            raise self.error
        time.sleep(0.02)
        self.token = f"google-{len(self.refresh_requests)}"
        self.expiry = self._now() + datetime.timedelta(seconds=self.lifetime)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def endpoint() -> TokenEndpoint:
    return TokenEndpoint()


@pytest.fixture
def secret() -> str:
    return SECRET


@pytest.fixture
def azure_credential(clock: FakeClock) -> Callable[..., FakeAzureCredential]:
    def make(*, asynchronous: bool = False, **options: Any) -> FakeAzureCredential:
        cls = FakeAsyncAzureCredential if asynchronous else FakeAzureCredential
        return cls(clock, **options)

    return make


@pytest.fixture
def google_credentials(clock: FakeClock) -> FakeGoogleCredentials:
    return FakeGoogleCredentials(clock)
