"""RetryPolicy: the pure decision of whether and how long to wait before another attempt."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import (
    ConnectError,
    ConnectionLostError,
    InvalidArgumentError,
    ReadTimeout,
    TLSError,
)
from dicomkit.core.retry import RetryPolicy, coerce_retry, parse_retry_after


def fixed(value: float) -> RetryPolicy:
    return RetryPolicy(random=lambda: value, total_timeout=None)


def test_backoff_grows_exponentially_and_is_capped() -> None:
    policy = RetryPolicy(backoff=1.0, max_backoff=5.0, jitter=0.0, max_attempts=10)
    delays = [policy.next_delay(n, "GET", status=503) for n in range(1, 6)]
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_shrinks_the_wait_by_at_most_the_fraction() -> None:
    policy = RetryPolicy(backoff=2.0, jitter=0.5, random=lambda: 0.999999)
    delay = policy.next_delay(1, "GET", status=503)
    assert delay is not None
    assert 1.0 <= delay < 1.001


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.next_delay(2, "GET", status=503) is not None
    assert policy.next_delay(3, "GET", status=503) is None


def test_total_time_is_bounded() -> None:
    policy = RetryPolicy(backoff=1.0, jitter=0.0, total_timeout=10.0)
    assert policy.next_delay(1, "GET", status=503, elapsed=8.0) == 1.0
    assert policy.next_delay(1, "GET", status=503, elapsed=9.5) is None


@pytest.mark.parametrize("status", [429, 503, 504])
def test_retry_statuses(status: int) -> None:
    assert fixed(0.0).next_delay(1, "GET", status=status) is not None


@pytest.mark.parametrize("status", [400, 401, 404, 409, 500, 502])
def test_other_statuses_are_final(status: int) -> None:
    assert fixed(0.0).next_delay(1, "GET", status=status) is None


def test_stow_is_retried_only_when_asked() -> None:
    assert fixed(0.0).next_delay(1, "POST", status=503) is None
    opted_in = RetryPolicy(retry_stow=True, random=lambda: 0.0)
    assert opted_in.next_delay(1, "POST", status=503) is not None


@pytest.mark.parametrize("error", [ConnectError("x"), ConnectionLostError("x"), ReadTimeout("x")])
def test_connection_errors_are_retried_for_idempotent_methods(error: Exception) -> None:
    assert fixed(0.0).next_delay(1, "GET", error=error) is not None
    assert fixed(0.0).next_delay(1, "POST", error=error) is None


def test_tls_and_other_errors_are_not_retried() -> None:
    assert fixed(0.0).next_delay(1, "GET", error=TLSError("bad cert")) is None
    assert fixed(0.0).next_delay(1, "GET", error=ValueError("bug")) is None


def test_retry_after_seconds_lengthens_the_wait() -> None:
    assert fixed(0.0).next_delay(1, "GET", status=503, retry_after="7") == 7.0


@pytest.mark.parametrize("value", ["\u00b2", "soon", ""])
def test_a_retry_after_that_is_not_seconds_nor_a_date_is_ignored(value: str) -> None:
    # "²" passes str.isdigit() but not float(); a retry then waits by the policy alone
    assert parse_retry_after(value) is None
    policy = fixed(0.5)
    unset = policy.next_delay(1, "GET", status=503)
    assert policy.next_delay(1, "GET", status=503, retry_after=value) == unset


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    wait = parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now=now)
    assert wait == 30.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:00 GMT", now=now) == 0.0


@pytest.mark.parametrize("zone", ["UTC0", "JST-9", "EST+5"])
def test_an_http_date_without_a_named_zone_is_utc_whatever_the_local_zone(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 -0000", now=now) == 30.0
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize(("value", "expected"), [("2.5", 2.5), ("-3", 0.0), ("nan", None)])
def test_fractional_or_negative_seconds(value: str, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


@pytest.mark.parametrize("value", [None, "", "soon", "-", "Tue, 99 Foo"])
def test_unparseable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_a_retry_after_beyond_the_limit_gives_up() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    assert policy.next_delay(1, "GET", status=429, retry_after="3600") is None


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(InvalidArgumentError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(InvalidArgumentError):
        RetryPolicy(jitter=2.0)


def test_coerce_retry() -> None:
    assert coerce_retry(False).max_attempts == 1
    assert coerce_retry(5).max_attempts == 5
    policy = RetryPolicy(max_attempts=2)
    assert coerce_retry(policy) is policy
    with pytest.raises(InvalidArgumentError):
        coerce_retry("often")  # type: ignore[arg-type]


@given(
    attempt=st.integers(1, 20),
    rand=st.floats(0.0, 0.999999),
    elapsed=st.floats(0.0, 200.0),
)
def test_delay_is_never_negative_nor_past_the_budget(
    attempt: int, rand: float, elapsed: float
) -> None:
    policy = RetryPolicy(max_attempts=10, total_timeout=120.0, random=lambda: rand)
    delay = policy.next_delay(attempt, "GET", status=503, elapsed=elapsed)
    if delay is not None:
        assert delay >= 0.0
        assert elapsed + delay <= 120.0
        assert attempt < 10
