"""The retry decision: which failures are worth another attempt, and how long to wait first.

Pure policy, no sleeping: the sync and async clients ask :meth:`RetryPolicy.next_delay` after
each failed attempt and then only sleep and send again. Idempotent methods are retried by
default; STOW-RS (POST) only when ``retry_stow=True``, because a store that reached the server
before the connection broke would be sent twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timezone

from dicomkit.core.errors import (
    ConnectError,
    ConnectionLostError,
    ConnectTimeout,
    InvalidArgumentError,
    ReadTimeout,
    TLSError,
)
from dicomkit.core.numbers import parse_decimal

__all__ = [
    "DEFAULT_RETRY_METHODS",
    "DEFAULT_RETRY_STATUSES",
    "RetryPolicy",
    "coerce_retry",
    "parse_retry_after",
]

DEFAULT_RETRY_STATUSES = frozenset({429, 503, 504})
DEFAULT_RETRY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"})

# Errors where the request certainly did not reach the server: safe even for POST when allowed.
_NOT_SENT = (ConnectError, ConnectTimeout)
# Errors where the server may have acted on the request already.
_MAYBE_SENT = (ConnectionLostError, ReadTimeout)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP-date), or None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    whole = parse_decimal(text)
    if whole is not None:  # delay-seconds, the form RFC 9110 defines
        return float(whole)
    try:  # servers also send "2.5" or "-3": read them leniently rather than ignore them
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None
    from email.utils import parsedate_to_datetime  # an HTTP date is rare: loaded when met

    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):  # a year of 30 digits: overflow
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000": an HTTP-date is always UTC, never local time
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _uniform() -> float:
    """``random.random()``, imported at the first retry: most commands never wait for one, and
    the module's import is part of every command's start."""
    import random

    return random.random()


@dataclass
class RetryPolicy:
    """How often and how patiently a client retries.

    ``max_attempts`` counts the first try; ``total_timeout`` bounds the time spent across all
    attempts and waits (None: unbounded); the wait before attempt *n+1* is
    ``backoff * 2**(n-1)`` capped at ``max_backoff``, spread by ``jitter`` (a fraction: 0.5
    means between 50% and 100% of that), unless the server's ``Retry-After`` says longer.
    ``random`` returns a float in [0, 1) and may be replaced in tests.
    """

    max_attempts: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    total_timeout: float | None = 120.0
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    retry_methods: frozenset[str] = DEFAULT_RETRY_METHODS
    retry_stow: bool = False
    jitter: float = 0.5
    max_retry_after: float = 300.0
    random: Callable[[], float] = field(default=_uniform, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidArgumentError("max_attempts counts the first try and must be >= 1")
        if self.backoff < 0 or self.max_backoff < 0:
            raise InvalidArgumentError("backoff and max_backoff must be >= 0")
        if not 0.0 <= self.jitter <= 1.0:
            raise InvalidArgumentError("jitter is a fraction between 0 and 1")
        self.retry_statuses = frozenset(int(s) for s in self.retry_statuses)
        self.retry_methods = frozenset(m.upper() for m in self.retry_methods)

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def method_allowed(self, method: str) -> bool:
        """Whether requests with this method may be sent again at all."""
        upper = method.upper()
        return upper in self.retry_methods or (upper == "POST" and self.retry_stow)

    def backoff_for(self, attempt: int) -> float:
        """The jittered exponential wait after failed attempt number ``attempt`` (1-based)."""
        base = min(self.max_backoff, self.backoff * 2.0 ** max(0, attempt - 1))
        spread = 1.0 - self.jitter * self.random()
        return base * spread

    def should_retry(
        self,
        method: str,
        *,
        status: int | None = None,
        error: BaseException | None = None,
    ) -> bool:
        """Whether this outcome is retryable at all, ignoring attempt counts and time."""
        if not self.method_allowed(method):
            return False
        if status is not None:
            return status in self.retry_statuses
        if error is None:
            return False
        if isinstance(error, TLSError):
            return False
        return isinstance(error, _NOT_SENT + _MAYBE_SENT)

    def next_delay(
        self,
        attempt: int,
        method: str,
        *,
        status: int | None = None,
        error: BaseException | None = None,
        retry_after: str | None = None,
        elapsed: float = 0.0,
        now: float | None = None,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up.

        ``attempt`` is the number of the attempt that just failed (1 for the first try);
        ``elapsed`` is the time spent since the first try started.
        """
        if attempt >= self.max_attempts:
            return None
        if not self.should_retry(method, status=status, error=error):
            return None
        delay = self.backoff_for(attempt)
        server_wait = parse_retry_after(retry_after, now=now)
        if server_wait is not None:
            if server_wait > self.max_retry_after:
                return None
            delay = max(delay, server_wait)
        if self.total_timeout is not None and elapsed + delay > self.total_timeout:
            return None
        return delay


def coerce_retry(value: RetryPolicy | int | bool | None) -> RetryPolicy:
    """A client's ``retry=`` argument as a policy: a policy, an attempt count, True/False/None."""
    if isinstance(value, RetryPolicy):
        return value
    if value is None or value is True:
        return RetryPolicy()
    if value is False:
        return RetryPolicy.never()
    if isinstance(value, int):
        return RetryPolicy(max_attempts=value)
    raise InvalidArgumentError("retry= takes a RetryPolicy, a number of attempts, or True/False")
