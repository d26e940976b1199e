"""A cached, expiring token shared by threads and tasks: the base of every token provider.

All caching, expiry and locking decisions live here; subclasses only say how to fetch a token
(``fetch_token`` over a sync transport, ``afetch_token`` over an async one). One fetch runs at a
time: threads queue on a ``threading.Lock`` and tasks on an ``asyncio.Lock`` (one per event
loop), and whoever waited finds the fresh token already cached, so N concurrent callers cost
one request.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from dicomkit._logging import token_obtained
from dicomkit.auth._base import Auth, _Secret, authorization_of
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import AsyncTransport, Transport

if TYPE_CHECKING:  # imported when a lock is first needed: blocking clients never load asyncio
    import asyncio

__all__ = ["Clock", "Token", "TokenAuth"]

Clock = Callable[[], float]
"""Seconds since the epoch, like :func:`time.time`; injectable so tests need not wait."""


class Token:
    """An access token, when it expires (clock seconds, None if unknown) and extra headers."""

    __slots__ = ("_value", "expires_at", "extra", "scheme")

    def __init__(
        self,
        value: _Secret,
        expires_at: float | None = None,
        *,
        scheme: str = "Bearer",
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self._value = value
        self.expires_at = expires_at
        self.scheme = scheme
        self.extra = dict(extra or {})

    def authorization(self) -> str:
        return f"{self.scheme} {self._value.reveal()}"

    def headers(self) -> dict[str, str]:
        return {"Authorization": self.authorization(), **self.extra}

    def matches(self, authorization: str | None) -> bool:
        """True when a request sent with ``authorization`` used this token."""
        if authorization is None:
            return False
        return hmac.compare_digest(authorization.encode(), self.authorization().encode())

    def __repr__(self) -> str:
        return f"Token(scheme={self.scheme!r}, expires_at={self.expires_at!r})"


class TokenAuth(Auth):
    """Caches a token until ``refresh_margin`` seconds before it expires, then fetches anew.

    For short-lived tokens the margin shrinks to half the lifetime, so a 10-second token is
    reused for 5 seconds instead of being fetched before every request.
    """

    def __init__(self, *, refresh_margin: float = 60.0, clock: Clock = time.time) -> None:
        if not isinstance(refresh_margin, (int, float)) or refresh_margin < 0:
            raise InvalidArgumentError("refresh_margin must be a number of seconds >= 0")
        self._refresh_margin = float(refresh_margin)
        self._clock = clock
        # (token, refresh_at) in one attribute so readers never see a torn pair.
        self._state: tuple[Token | None, float] = (None, -math.inf)
        self._lock = threading.Lock()
        self._alocks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._alocks_guard = threading.Lock()

    @abstractmethod
    def fetch_token(self, transport: Transport) -> Token:
        """Obtain a new token (blocking)."""

    @abstractmethod
    async def afetch_token(self, transport: AsyncTransport) -> Token:
        """Obtain a new token without blocking the event loop."""

    def __getstate__(self) -> dict[str, object]:
        """Pickled without locks and without the cached token (a secret): the other process
        fetches its own."""
        state = dict(self.__dict__)
        for name in ("_state", "_lock", "_alocks", "_alocks_guard"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._state = (None, -math.inf)
        self._lock = threading.Lock()
        self._alocks = {}
        self._alocks_guard = threading.Lock()

    def _worth_retry(self, failed: str | None, new: Token) -> bool:
        """Whether a request that failed with ``failed`` should be retried with ``new``."""
        return not new.matches(failed)

    def _cached(self) -> Token | None:
        token, refresh_at = self._state
        if token is not None and self._clock() < refresh_at:
            return token
        return None

    def _store(self, token: Token) -> Token:
        if token.expires_at is None:
            refresh_at = math.inf
        else:
            lifetime = max(0.0, token.expires_at - self._clock())
            refresh_at = token.expires_at - min(self._refresh_margin, lifetime / 2)
        self._state = (token, refresh_at)
        token_obtained(self, None if token.expires_at is None else lifetime)
        return token

    def _forget_if_stale(self, failed: str | None) -> bool:
        """After a 401: forget the token that failed, unless another caller already replaced it.

        Returns True when it was forgotten (a new one must be fetched), False when the cached
        token is already a newer one worth retrying with. Called with the fetch lock held.
        """
        current = self._cached()
        if current is not None and failed is not None and not current.matches(failed):
            return False
        self.invalidate()
        return True

    def invalidate(self) -> None:
        """Forget the cached token; the next request fetches a new one."""
        self._state = (None, -math.inf)

    def headers(self, transport: Transport) -> dict[str, str]:
        token = self._cached()
        if token is None:
            with self._lock:
                token = self._cached() or self._store(self.fetch_token(transport))
        return token.headers()

    async def aheaders(self, transport: AsyncTransport) -> dict[str, str]:
        token = self._cached()
        if token is None:
            async with self._async_lock():
                token = self._cached() or self._store(await self.afetch_token(transport))
        return token.headers()

    def refresh(self, transport: Transport, failed_headers: Mapping[str, str]) -> bool:
        failed = authorization_of(failed_headers)
        with self._lock:
            if not self._forget_if_stale(failed):
                return True
            return self._worth_retry(failed, self._store(self.fetch_token(transport)))

    async def arefresh(self, transport: AsyncTransport, failed_headers: Mapping[str, str]) -> bool:
        failed = authorization_of(failed_headers)
        async with self._async_lock():
            if not self._forget_if_stale(failed):
                return True
            return self._worth_retry(failed, self._store(await self.afetch_token(transport)))

    def _async_lock(self) -> asyncio.Lock:
        """The lock for the running event loop (an asyncio.Lock must not cross loops)."""
        import asyncio

        loop = asyncio.get_running_loop()
        with self._alocks_guard:
            lock = self._alocks.get(loop)
            if lock is None:
                for old in [known for known in self._alocks if known.is_closed()]:
                    del self._alocks[old]
                lock = self._alocks[loop] = asyncio.Lock()
            return lock
