"""Lifecycle and read-timeout helpers for backends (re-exported by :mod:`.support`).

Every backend had written the same lifecycle by hand (a closed flag, a lock, "closed"
errors, closing twice doing nothing), and a library without an inter-byte timeout (a
callback-style library such as libcurl, whose ``LOW_SPEED_TIME`` counts whole seconds) needs a
watchdog to honour ``Timeout.read``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

from dicomkit.core import errors
from dicomkit.core.interface import ClosedState

__all__ = ["ClosedFlag", "ReadWatchdog", "TransportLifecycle"]


class ClosedFlag(ClosedState):
    """A thread-safe "closed" flag: the resources go once, and sends after it fail clearly
    ("the {what} transport is closed")."""

    __slots__ = ("_lock",)

    def __init__(self, what: str) -> None:
        super().__init__(f"the {what} transport is closed")
        self._lock = threading.Lock()

    def close_once(self) -> bool:
        """True for the one call that should release resources, whichever thread wins."""
        with self._lock:
            return super().close_once()


class TransportLifecycle:
    """The lifecycle every backend needs, as a base class listed before ``Transport`` /
    ``AsyncTransport``: ``class MyTransport(TransportLifecycle, Transport)``.

    Call :meth:`check_open` first in ``send``/``asend`` (``TransportClosedError`` after close);
    put the release of your resources in :meth:`_release` (and :meth:`_arelease` for async
    resources): ``close()``/``aclose()`` call it exactly once, whichever thread closes first,
    and closing again does nothing. ``closed`` says whether it happened.
    """

    def __init__(self, library: str) -> None:
        self._lifecycle = ClosedFlag(library)

    @property
    def closed(self) -> bool:
        return self._lifecycle.closed

    def check_open(self) -> None:
        """Raise ``TransportClosedError`` ("the {library} transport is closed") after close."""
        self._lifecycle.check()

    def _release(self) -> None:
        """Release sockets, pools and files; runs once. Override it."""

    async def _arelease(self) -> None:
        """Release async resources; runs once, on ``aclose()``. By default :meth:`_release`."""
        self._release()

    def close(self) -> None:
        if self._lifecycle.close_once():
            self._release()

    async def aclose(self) -> None:
        if self._lifecycle.close_once():
            await self._arelease()


class ReadWatchdog:
    """``Timeout.read`` for a library with no inter-byte timeout: no byte for ``seconds``
    calls ``abort`` (from a watchdog thread: stop the transfer the library's own way).

    Use it around the transfer, :meth:`kick` it whenever bytes arrive, and call :meth:`check`
    once the library returned or raised: after an expiry it raises ``errors.ReadTimeout``
    with a ``TimeoutError`` as ``__cause__`` (the contract asks every read timeout for a
    cause), whatever the library made of the abort. ``seconds=None`` watches nothing.
    """

    def __init__(self, seconds: float | None, abort: Callable[[], object]) -> None:
        self.seconds = seconds
        self._abort = abort
        self._last = time.monotonic()
        self._done = threading.Event()
        self.expired = False
        self._thread: threading.Thread | None = None

    def kick(self) -> None:
        """Bytes arrived: the wait starts again."""
        self._last = time.monotonic()

    def _watch(self) -> None:
        assert self.seconds is not None
        while True:
            left = self._last + self.seconds - time.monotonic()
            if left <= 0:
                self.expired = True
                self._abort()
                return
            if self._done.wait(left):
                return

    def start(self) -> ReadWatchdog:
        if self.seconds is not None and self._thread is None:
            self._last = time.monotonic()
            self._thread = threading.Thread(target=self._watch, name="dicomkit-read-watchdog")
            self._thread.daemon = True
            self._thread.start()
        return self

    def stop(self) -> None:
        """End the watch (the thread is gone when this returns)."""
        self._done.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def check(self) -> None:
        """Raise ``ReadTimeout`` (cause: ``TimeoutError``) if the watchdog fired."""
        if self.expired:
            cause = TimeoutError(f"no byte received within {self.seconds} s")
            raise errors.ReadTimeout(str(cause)) from cause

    def __enter__(self) -> ReadWatchdog:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        if self.expired:
            self.check()
