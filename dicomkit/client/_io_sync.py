"""What truly differs in blocking code: sleeping, running jobs side by side, blocking work,
calling the caller's sinks.

The hand-written twin of :mod:`dicomkit.client._io_async` (same names, same arguments): the
generated sync client and driver import this module.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from dicomkit.core.errors import InvalidArgumentError

__all__ = ["call_back", "concurrently", "offload", "sleep", "write_pieces"]

_P = ParamSpec("_P")
_K = TypeVar("_K")
_R = TypeVar("_R")

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
    with ThreadPoolExecutor(min(workers, len(jobs)), thread_name_prefix="dicomkit") as pool:
        futures = [pool.submit(send, *args) for _, args in jobs]
        try:
            for (key, _), future in zip(jobs, futures, strict=True):
                settle(key, future.result())
        finally:
            for future in futures:
                future.cancel()


def call_back(function: Callable[..., Any], *args: Any) -> Any:
    """Call the caller's ``function`` (a sink factory); an async one needs the async client."""
    return _not_awaitable(function, function(*args))


def write_pieces(write: Callable[[bytes], object], pieces: Sequence[bytes]) -> None:
    """``write`` each piece, in order; an async ``write`` needs the async client."""
    for piece in pieces:
        _not_awaitable(write, write(piece))


def _not_awaitable(function: Callable[..., Any], result: Any) -> Any:
    """``result``, unless it is an awaitable that blocking code would drop unawaited."""
    if not inspect.isawaitable(result):
        return result
    close = getattr(result, "close", None)
    if callable(close):
        close()  # a coroutine never awaited: closed, so Python does not warn about it
    raise InvalidArgumentError(
        f"{getattr(function, '__qualname__', function)!s} is asynchronous: stream to it with "
        "AsyncDicomClient, or give DicomClient a sink whose write is a plain function"
    )
