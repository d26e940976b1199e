"""What jobs need under asyncio: blocking work on a thread, and work on a few tasks.

asyncio is imported only when these run, so a blocking job never loads it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

__all__ = ["on_tasks", "to_thread"]

_T = TypeVar("_T")
_R = TypeVar("_R")


async def to_thread(function: Callable[..., _R], *args: Any) -> _R:
    """``function(*args)`` in a worker thread: the journal and the disk never block the loop."""
    import asyncio

    return await asyncio.to_thread(function, *args)


async def on_tasks(work: Callable[[_T], Awaitable[None]], jobs: Sequence[_T], workers: int) -> None:
    """``await work(job)`` for every job, ``workers`` tasks at a time.

    As with threads, the first exception stops jobs not yet started and is raised once the
    running ones end, so their outcomes are journaled; cancelling the caller cancels all.
    """
    import asyncio

    queue = iter(jobs)
    failures: list[BaseException] = []

    async def worker() -> None:
        for job in queue:
            if failures:
                return
            try:
                await work(job)
            except Exception as exc:
                failures.append(exc)
                return

    tasks = [asyncio.ensure_future(worker()) for _ in range(max(1, min(workers, len(jobs))))]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    if failures:
        raise failures[0]
