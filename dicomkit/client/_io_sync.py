"""What truly differs in blocking code: sleeping, running jobs side by side, blocking work.

The hand-written twin of :mod:`dicomkit.client._io_async` (same names, same arguments): the
generated sync client and driver import this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec, TypeVar

__all__ = ["concurrently", "offload", "sleep"]

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
    from concurrent.futures import ThreadPoolExecutor  # not loaded with the client

    with ThreadPoolExecutor(min(workers, len(jobs)), thread_name_prefix="dicomkit") as pool:
        futures = [pool.submit(send, *args) for _, args in jobs]
        try:
            for (key, _), future in zip(jobs, futures, strict=True):
                settle(key, future.result())
        finally:
            for future in futures:
                future.cancel()
