"""What truly differs in blocking code: sleeping, running jobs side by side, blocking work,
calling the caller's sinks.

The hand-written twin of :mod:`dicomkit.client._io_async` (same names, same arguments): the
generated sync client and driver import this module.
"""

from __future__ import annotations

import inspect
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, NamedTuple, ParamSpec, TypeVar

from dicomkit.core.errors import InvalidArgumentError

__all__ = ["Fed", "Feeds", "call_back", "concurrently", "offload", "sleep", "write_pieces"]

_P = ParamSpec("_P")
_K = TypeVar("_K")
_R = TypeVar("_R")
_T = TypeVar("_T")

sleep = time.sleep


def offload(function: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """Call ``function``: blocking work needs no other thread where everything blocks."""
    return function(*args, **kwargs)


def concurrently(
    send: Callable[..., _R],
    jobs: Sequence[tuple[_K, tuple[Any, ...]]],
    workers: int,
    settle: Callable[[_K, _R], None],
) -> None:
    """Call ``send(*args)`` for each job, ``workers`` at a time on threads.

    ``settle(key, outcome)`` runs on this thread in job order, so it needs no locking; if
    it raises, jobs not yet started are cancelled.
    """
    if workers <= 1 or len(jobs) <= 1:
        for key, args in jobs:
            settle(key, send(*args))
        return
    from concurrent.futures import ThreadPoolExecutor  # not loaded with the client

    with ThreadPoolExecutor(min(workers, len(jobs)), thread_name_prefix="dicomkit") as pool:
        futures = [pool.submit(send, *args) for _, args in jobs]
        try:
            for (key, _), future in zip(jobs, futures, strict=True):
                settle(key, future.result())
        finally:
            for future in futures:
                future.cancel()


class Fed(NamedTuple, Generic[_K, _T]):
    """What one feed reported: an ``item``, or its end (``ended``), or its ``error``."""

    key: _K
    item: _T | None = None
    ended: bool = False
    error: BaseException | None = None


class Feeds(Generic[_K, _T]):
    """Item streams running side by side on threads, read as one stream in arrival order.

    ``start(key, items)`` runs ``items()`` on a thread of its own; ``next()`` gives what any
    of them reported next. Only the reader touches shared state, so it needs no lock.
    ``close()`` asks the streams still running to stop after their current item (a thread
    cannot be interrupted mid-read) and waits for them; each closes its answer.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Fed[_K, _T]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    def start(self, key: _K, items: Callable[[], Iterator[_T]]) -> None:
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        thread = threading.Thread(target=self._feed, args=(key, items), name="dicomkit-feed")
        thread.daemon = True
        self._threads.append(thread)
        thread.start()

    def _feed(self, key: _K, items: Callable[[], Iterator[_T]]) -> None:
        stream = items()
        try:
            for item in stream:
                if self._stop.is_set():
                    return
                self._queue.put(Fed(key, item))
        except BaseException as exc:  # reported to the reader, who raises it
            self._queue.put(Fed(key, error=exc))
        else:
            self._queue.put(Fed(key, ended=True))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def next(self) -> Fed[_K, _T]:
        return self._queue.get()

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def call_back(function: Callable[..., Any], *args: Any) -> Any:
    """Call the caller's ``function`` (a sink factory); an async one needs the async client."""
    return _not_awaitable(function, function(*args))


def write_pieces(write: Callable[[bytes], object], pieces: Sequence[bytes]) -> None:
    """``write`` each piece, in order; an async ``write`` needs the async client."""
    for piece in pieces:
        _not_awaitable(write, write(piece))


def _not_awaitable(function: Callable[..., Any], result: Any) -> Any:
    """``result``, unless it is an awaitable that blocking code would drop unawaited. What
    a ``write`` returns is nearly always None or a count, checked first: this runs for every
    piece of every part."""
    if result is None or type(result) is int or not inspect.isawaitable(result):
        return result
    close = getattr(result, "close", None)
    if callable(close):
        close()  # a coroutine never awaited: closed, so Python does not warn about it
    raise InvalidArgumentError(
        f"{getattr(function, '__qualname__', function)!s} is asynchronous: stream to it with "
        "AsyncDicomClient, or give DicomClient a sink whose write is a plain function"
    )
