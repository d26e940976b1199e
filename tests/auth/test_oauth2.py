"""OAuth2 client credentials: the token request, caching, expiry, 401 refresh, concurrency."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import warnings
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.auth import InsecureCredentialsWarning, OAuth2ClientCredentials
from dicomkit.core.errors import AuthError, ConnectError, InvalidArgumentError
from dicomkit.core.interface import Request, Response, Transport

TOKEN_URL = "https://login.example.org/tenant/oauth2/v2.0/token"


def make(secret: str, clock: Any, **options: Any) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(
        TOKEN_URL,
        "client-1",
        secret,
        scope="https://dicom.example/.default",
        clock=clock,
        **options,
    )


def test_token_request_follows_rfc6749_client_credentials(
    endpoint: Any, clock: Any, secret: str
) -> None:
    auth = make(secret, clock, resource="https://dicom.example")
    assert auth.headers(endpoint) == {"Authorization": "Bearer token-1"}
    request = endpoint.requests[0]
    assert request.method == "POST"
    assert request.url == TOKEN_URL
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Accept"] == "application/json"
    assert request.content_length == len(b"".join(request.iter_body()))
    assert endpoint.bodies[0] == {
        "grant_type": "client_credentials",
        "client_id": "client-1",
        "client_secret": secret,
        "scope": "https://dicom.example/.default",
        "resource": "https://dicom.example",
    }


def test_client_secret_basic_puts_credentials_in_the_header(
    endpoint: Any, clock: Any, secret: str
) -> None:
    auth = make(secret, clock, client_auth="basic")
    auth.headers(endpoint)
    assert "client_secret" not in endpoint.bodies[0]
    assert "client_id" not in endpoint.bodies[0]
    scheme, _, encoded = endpoint.requests[0].headers["Authorization"].partition(" ")
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    assert (scheme, unquote(user), unquote(password)) == ("Basic", "client-1", secret)


def test_several_scopes_are_space_separated(endpoint: Any, clock: Any, secret: str) -> None:
    auth = OAuth2ClientCredentials(TOKEN_URL, "c", secret, scope=["a", "b"], clock=clock)
    auth.headers(endpoint)
    assert endpoint.bodies[0]["scope"] == "a b"
    assert "resource" not in endpoint.bodies[0]


def test_secret_hidden_from_reprs(endpoint: Any, clock: Any, secret: str) -> None:
    auth = make(secret, clock)
    request = auth.token_request()
    assert secret not in repr(auth)
    assert secret not in repr(request)
    assert secret not in repr(request.headers)
    basic = make(secret, clock, client_auth="basic").token_request()
    assert base64.b64encode(f"client-1:{secret}".encode()).decode() not in repr(basic)


def test_token_is_cached_until_shortly_before_expiry(
    endpoint: Any, clock: Any, secret: str
) -> None:
    auth = make(secret, clock, refresh_margin=60)
    assert auth.headers(endpoint)["Authorization"] == "Bearer token-1"
    clock.advance(3600 - 61)
    assert auth.headers(endpoint)["Authorization"] == "Bearer token-1"
    assert endpoint.count == 1
    clock.advance(2)
    assert auth.headers(endpoint)["Authorization"] == "Bearer token-2"
    assert endpoint.count == 2 == auth.token_requests


def test_short_lived_tokens_are_reused_for_half_their_life(
    endpoint: Any, clock: Any, secret: str
) -> None:
    endpoint.expires_in = "10"  # some endpoints send a string
    auth = make(secret, clock, refresh_margin=60)
    auth.headers(endpoint)
    clock.advance(4.9)
    auth.headers(endpoint)
    assert endpoint.count == 1
    clock.advance(0.2)
    auth.headers(endpoint)
    assert endpoint.count == 2


@pytest.mark.parametrize("expires_in", [None, 10**400], ids=["absent", "too-large-for-a-float"])
def test_without_expires_in_the_token_lives_until_a_401(
    endpoint: Any, clock: Any, secret: str, expires_in: int | None
) -> None:
    endpoint.expires_in = expires_in
    auth = make(secret, clock)
    first = auth.headers(endpoint)
    clock.advance(10**7)
    assert auth.headers(endpoint) == first
    assert auth.refresh(endpoint, first) is True
    assert auth.headers(endpoint) == {"Authorization": "Bearer token-2"}


def test_refresh_after_401_fetches_once_and_says_retry(
    endpoint: Any, clock: Any, secret: str
) -> None:
    auth = make(secret, clock)
    failed = auth.headers(endpoint)
    assert auth.refresh(endpoint, failed) is True
    assert endpoint.count == 2
    assert auth.headers(endpoint) == {"Authorization": "Bearer token-2"}
    # a second request that failed with the same old token finds the new one: no new fetch
    assert auth.refresh(endpoint, failed) is True
    assert endpoint.count == 2


async def test_async_refresh_after_401(endpoint: Any, clock: Any, secret: str) -> None:
    auth = make(secret, clock)
    failed = await auth.aheaders(endpoint)
    assert await auth.arefresh(endpoint, failed) is True
    assert await auth.aheaders(endpoint) == {"Authorization": "Bearer token-2"}
    assert await auth.arefresh(endpoint, failed) is True
    assert endpoint.count == 2


def test_twenty_threads_share_one_token_request(endpoint: Any, secret: str) -> None:
    auth = OAuth2ClientCredentials(TOKEN_URL, "c", secret)
    start = threading.Barrier(20)
    seen: list[dict[str, str]] = []

    def worker() -> None:
        start.wait()
        seen.append(auth.headers(endpoint))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert endpoint.count == 1
    assert seen == [{"Authorization": "Bearer token-1"}] * 20


def test_twenty_threads_refreshing_after_401_share_one_token_request(
    endpoint: Any, secret: str
) -> None:
    auth = OAuth2ClientCredentials(TOKEN_URL, "c", secret)
    failed = auth.headers(endpoint)
    start = threading.Barrier(20)
    answers: list[bool] = []

    def worker() -> None:
        start.wait()
        answers.append(auth.refresh(endpoint, failed))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [True] * 20
    assert endpoint.count == 2


async def test_hundred_tasks_share_one_token_request(endpoint: Any, secret: str) -> None:
    auth = OAuth2ClientCredentials(TOKEN_URL, "c", secret)
    seen = await asyncio.gather(*(auth.aheaders(endpoint) for _ in range(100)))
    assert endpoint.count == 1
    assert seen == [{"Authorization": "Bearer token-1"}] * 100
    answers = await asyncio.gather(*(auth.arefresh(endpoint, seen[0]) for _ in range(100)))
    assert answers == [True] * 100
    assert endpoint.count == 2


def test_one_provider_serves_several_event_loops(endpoint: Any, clock: Any, secret: str) -> None:
    auth = make(secret, clock)

    async def fetch_all() -> None:
        await asyncio.gather(*(auth.aheaders(endpoint) for _ in range(5)))
        auth.invalidate()

    asyncio.run(fetch_all())
    asyncio.run(fetch_all())
    assert endpoint.count == 2


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            401,
            b'{"error": "invalid_client", "error_description": "wrong secret SECRET"}',
            "HTTP 401: invalid_client: wrong secret",
        ),
        (500, b"<html>oops</html>", "HTTP 500"),
        (200, b"not json SECRET", "did not answer with JSON"),
        pytest.param(
            200, b"[" * 100_000 + b"SECRET", "did not answer with JSON", id="nested-past-the-stack"
        ),
        (200, b'{"token_type": "Bearer"}', "without access_token"),
        (200, b'{"access_token": "x", "token_type": "mac"}', "token_type 'mac'"),
        (200, b'{"access_token": "a\\nb"}', "line break"),
    ],
)
def test_token_endpoint_failures_are_auth_errors_without_the_secret(
    endpoint: Any, clock: Any, secret: str, status: int, body: bytes, expected: str
) -> None:
    endpoint.answer = lambda number: (status, body.replace(b"SECRET", secret.encode()))
    auth = make(secret, clock)
    with pytest.raises(AuthError, match=expected) as caught:
        auth.headers(endpoint)
    assert secret not in str(caught.value)
    assert caught.value.__context__ is None


async def test_async_token_endpoint_failure(endpoint: Any, clock: Any, secret: str) -> None:
    endpoint.answer = lambda number: (400, json.dumps({"error": "invalid_scope"}).encode())
    with pytest.raises(AuthError, match="invalid_scope"):
        await make(secret, clock).aheaders(endpoint)


def test_oversized_token_answer_is_refused(endpoint: Any, clock: Any, secret: str) -> None:
    endpoint.answer = lambda number: (200, b" " * (2 << 20))
    with pytest.raises(AuthError, match="larger than"):
        make(secret, clock).headers(endpoint)


async def test_oversized_token_answer_is_refused_by_aheaders(
    endpoint: Any, clock: Any, secret: str
) -> None:
    endpoint.answer = lambda number: (200, b" " * (2 << 20))
    with pytest.raises(AuthError, match="larger than"):
        await make(secret, clock).aheaders(endpoint)


def test_transport_errors_pass_through_without_secret_in_any_frame(clock: Any, secret: str) -> None:
    class Unreachable:
        def send(self, request: Request) -> Response:
            raise ConnectError("connection refused")

    auth = make(secret, clock)
    with pytest.raises(ConnectError) as caught:
        auth.headers(Unreachable())  # type: ignore[arg-type]
    tb = caught.value.__traceback__
    assert tb is not None
    tb = tb.tb_next  # skip this test's own frame, which holds the secret it passed in
    while tb is not None:
        for name, value in tb.tb_frame.f_locals.items():
            assert secret not in repr(value), f"{name} in {tb.tb_frame.f_code.co_name}"
        tb = tb.tb_next


def test_a_failed_refresh_forgets_the_rejected_token(
    endpoint: Any, clock: Any, secret: str
) -> None:
    auth = make(secret, clock)
    failed = auth.headers(endpoint)
    endpoint.answer = lambda number: (503, b"")
    with pytest.raises(AuthError, match="HTTP 503"):
        auth.refresh(endpoint, failed)
    with pytest.raises(AuthError):
        auth.headers(endpoint)
    assert endpoint.count == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ftp://x/token", "c", "s"), "token_url"),
        ((TOKEN_URL, "", "s"), "client_id"),
        ((TOKEN_URL, "c", ""), "client secret"),
    ],
)
def test_constructor_validates(args: tuple[str, str, str], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        OAuth2ClientCredentials(*args)


def test_bad_options_are_refused(secret: str) -> None:
    with pytest.raises(InvalidArgumentError, match="client_auth"):
        OAuth2ClientCredentials(TOKEN_URL, "c", secret, client_auth="jwt")
    with pytest.raises(InvalidArgumentError, match="refresh_margin"):
        OAuth2ClientCredentials(TOKEN_URL, "c", secret, refresh_margin=-1)


def test_plain_http_token_endpoint_warns_unless_local(secret: str) -> None:
    with pytest.warns(InsecureCredentialsWarning):
        OAuth2ClientCredentials("http://login.example.org/token", "c", secret)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OAuth2ClientCredentials("http://127.0.0.1:8080/token", "c", secret)


class _CountingEndpoint(Transport):
    """A minimal token endpoint for property tests (fixtures do not mix with @given)."""

    def __init__(self, lifetime: int) -> None:
        self.lifetime = lifetime
        self.count = 0

    def send(self, request: Request) -> Response:
        self.count += 1
        body = json.dumps({"access_token": f"t{self.count}", "expires_in": self.lifetime})
        return Response(200, {"Content-Type": "application/json"}, stream=iter([body.encode()]))

    def close(self) -> None:
        pass


@given(
    lifetime=st.integers(1, 10_000),
    margin=st.integers(0, 600),
    steps=st.lists(st.integers(0, 6_000), max_size=25),
)
def test_tokens_are_never_served_expired_nor_renewed_early(
    lifetime: int, margin: int, steps: list[int]
) -> None:
    now = [0.0]
    endpoint = _CountingEndpoint(lifetime)
    auth = OAuth2ClientCredentials(TOKEN_URL, "c", "s", clock=lambda: now[0], refresh_margin=margin)
    issued_at: dict[str, float] = {}
    previous: str | None = None
    for step in [0, *steps]:
        now[0] += step
        token = auth.headers(endpoint)["Authorization"]
        issued_at.setdefault(token, now[0])
        age = now[0] - issued_at[token]
        assert age < lifetime  # never handed out once expired
        if previous is not None and token != previous:
            # renewed only inside the renewal window: the margin, or half of a short lifetime
            assert now[0] - issued_at[previous] >= lifetime - min(margin, lifetime / 2)
        previous = token
    assert endpoint.count == len(issued_at)
