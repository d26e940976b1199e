"""The retry policy in the core, without a client: Retry-After in each form, the backoff
sequence and its cap, jitter, which methods, statuses and errors are retried, the attempt and
time budgets at their exact edges, and the messages of refused settings."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from dicomkit.core.errors import (
    ConnectError,
    ConnectionLostError,
    ConnectTimeout,
    InvalidArgumentError,
    ReadTimeout,
    TLSError,
    TransportError,
)
from dicomkit.core.retry import (
    DEFAULT_RETRY_METHODS,
    DEFAULT_RETRY_STATUSES,
    RetryPolicy,
    coerce_retry,
    parse_retry_after,
)

NOW = 1_700_000_000.0


def _policy(**kwargs: object) -> RetryPolicy:
    """A policy without randomness: jitter draws 0, so waits are the full backoff."""
    kwargs.setdefault("random", lambda: 0.0)
    return RetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("0", 0.0),
        ("7", 7.0),
        (" 12 ", 12.0),
        ("2.5", 2.5),
        ("-3", 0.0),
        ("nan", None),
        ("soon", None),
        ("1e3", 1000.0),
    ],
)
def test_retry_after_seconds(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds


def test_retry_after_http_dates():
    assert parse_retry_after(formatdate(NOW + 30, usegmt=True), now=NOW) == 30.0
    assert parse_retry_after(formatdate(NOW - 30, usegmt=True), now=NOW) == 0.0
    # "-0000" has no time zone: it is still UTC, never local time
    assert parse_retry_after(formatdate(NOW + 5).replace("+0000", "-0000"), now=NOW) == 5.0
    assert parse_retry_after("Mon, 99 Foo 2020 99:99:99 GMT", now=NOW) is None


def test_retry_after_dates_use_the_clock_when_not_told(monkeypatch):
    monkeypatch.setattr("dicomkit.core.retry.time.time", lambda: NOW)
    assert parse_retry_after(formatdate(NOW + 10, usegmt=True)) == 10.0


def test_defaults():
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.backoff, policy.max_backoff) == (4, 0.5, 30.0)
    assert (policy.total_timeout, policy.jitter, policy.max_retry_after) == (120.0, 0.5, 300.0)
    assert policy.retry_stow is False
    assert frozenset({429, 503, 504}) == DEFAULT_RETRY_STATUSES
    assert frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"}) == DEFAULT_RETRY_METHODS


@pytest.mark.parametrize(
    ("attempt", "wait"),
    [(0, 0.5), (1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (7, 30.0), (60, 30.0)],
)
def test_backoff_doubles_up_to_its_cap(attempt, wait):
    assert _policy().backoff_for(attempt) == wait


@pytest.mark.parametrize(("draw", "factor"), [(0.0, 1.0), (0.5, 0.75), (0.999, 0.5005)])
def test_jitter_spreads_down_to_half(draw, factor):
    policy = RetryPolicy(random=lambda: draw)
    assert policy.backoff_for(3) == pytest.approx(2.0 * factor)


def test_no_jitter_and_full_jitter():
    assert RetryPolicy(jitter=0.0, random=lambda: 0.9).backoff_for(2) == 1.0
    assert RetryPolicy(jitter=1.0, random=lambda: 0.25).backoff_for(2) == 0.75


@pytest.mark.parametrize("method", ["GET", "get", "HEAD", "OPTIONS", "DELETE", "PUT"])
def test_idempotent_methods_are_retried(method):
    assert RetryPolicy().method_allowed(method)


def test_post_only_with_retry_stow():
    assert not RetryPolicy().method_allowed("POST")
    assert RetryPolicy(retry_stow=True).method_allowed("post")
    assert not RetryPolicy(retry_stow=True).method_allowed("PATCH")
    assert RetryPolicy(retry_methods=frozenset({"patch"})).method_allowed("PATCH")


@pytest.mark.parametrize(
    ("status", "error", "retried"),
    [
        (429, None, True),
        (503, None, True),
        (504, None, True),
        (500, None, False),
        (502, None, False),
        (200, None, False),
        (None, None, False),
        (None, ConnectError("x"), True),
        (None, ConnectTimeout("x"), True),
        (None, ConnectionLostError("x"), True),
        (None, ReadTimeout("x"), True),
        (None, TLSError("x"), False),  # a ConnectError that retrying cannot mend
        (None, TransportError("x"), False),
        (None, ValueError("x"), False),
    ],
)
def test_what_is_worth_another_try(status, error, retried):
    assert RetryPolicy().should_retry("GET", status=status, error=error) is retried


def test_nothing_is_retried_for_a_method_that_is_not():
    assert not RetryPolicy().should_retry("POST", status=503)
    assert not RetryPolicy().should_retry("POST", error=ConnectError("x"))


def test_custom_statuses_are_normalised():
    policy = RetryPolicy(retry_statuses=frozenset({"500"}))  # type: ignore[arg-type]
    assert policy.retry_statuses == frozenset({500})
    assert policy.should_retry("GET", status=500)


def test_attempts_are_counted_from_the_first_try():
    policy = _policy(max_attempts=3)
    assert policy.next_delay(1, "GET", status=503) == 0.5
    assert policy.next_delay(2, "GET", status=503) == 1.0
    assert policy.next_delay(3, "GET", status=503) is None
    assert _policy(max_attempts=1).next_delay(1, "GET", status=503) is None
    assert RetryPolicy.never().max_attempts == 1


def test_not_retryable_gives_up_at_once():
    assert _policy().next_delay(1, "GET", status=500) is None
    assert _policy().next_delay(1, "POST", status=503) is None


def test_retry_after_lengthens_but_never_shortens_the_wait():
    policy = _policy()
    assert policy.next_delay(1, "GET", status=503, retry_after="10") == 10.0
    assert policy.next_delay(3, "GET", status=503, retry_after="1") == 2.0
    assert policy.next_delay(1, "GET", status=503, retry_after="bad") == 0.5


def test_retry_after_past_its_cap_gives_up():
    policy = _policy(max_retry_after=60.0, total_timeout=None)
    assert policy.next_delay(1, "GET", status=429, retry_after="60") == 60.0
    assert policy.next_delay(1, "GET", status=429, retry_after="61") is None


def test_the_time_budget_is_exact():
    policy = _policy(total_timeout=10.0)
    assert policy.next_delay(1, "GET", status=503, elapsed=9.5) == 0.5  # ends at exactly 10
    assert policy.next_delay(1, "GET", status=503, elapsed=9.6) is None
    assert policy.next_delay(1, "GET", status=503, retry_after="11") is None
    assert _policy(total_timeout=None).next_delay(1, "GET", status=503, elapsed=1e9) == 0.5


def test_retry_after_dates_in_next_delay():
    later = formatdate(NOW + 20, usegmt=True)
    assert _policy().next_delay(1, "GET", status=503, retry_after=later, now=NOW) == 20.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "max_attempts counts the first try and must be >= 1"),
        ({"backoff": -0.1}, "backoff and max_backoff must be >= 0"),
        ({"max_backoff": -1}, "backoff and max_backoff must be >= 0"),
        ({"jitter": 1.1}, "jitter is a fraction between 0 and 1"),
        ({"jitter": -0.1}, "jitter is a fraction between 0 and 1"),
    ],
)
def test_refused_settings(kwargs, message):
    with pytest.raises(InvalidArgumentError) as caught:
        RetryPolicy(**kwargs)
    assert str(caught.value) == message


def test_edge_settings_are_accepted():
    RetryPolicy(max_attempts=1, backoff=0, max_backoff=0, jitter=0.0)
    RetryPolicy(jitter=1.0)


def test_coerce_retry():
    policy = RetryPolicy(max_attempts=9)
    assert coerce_retry(policy) is policy
    assert coerce_retry(None) == RetryPolicy()
    assert coerce_retry(True) == RetryPolicy()
    assert coerce_retry(False).max_attempts == 1
    assert coerce_retry(2).max_attempts == 2
    with pytest.raises(InvalidArgumentError) as caught:
        coerce_retry("3")  # type: ignore[arg-type]
    assert str(caught.value) == "retry= takes a RetryPolicy, a number of attempts, or True/False"
