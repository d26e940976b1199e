"""What truly differs under asyncio: sleeping, running jobs side by side, blocking work,
calling the caller's sinks.

The hand-written twin of :mod:`dicomkit.client._io_sync` (same names, same arguments): the
async client and driver import this module, their generated sync twins import that one.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Generic, NamedTuple, ParamSpec, TypeGuard, TypeVar

__all__ = ["Fed", "Feeds", "call_back", "concurrently", "offload", "sleep", "write_pieces"]

_P = ParamSpec("_P")
_K = TypeVar("_K")
_R = TypeVar("_R")
_T = TypeVar("_T")

sleep = asyncio.sleep


async def offload(function: Callable[_P, _R], *args: _P.args, **kwargs: _P.kwargs) -> _R:
    """Run blocking ``function`` (files, pydicom) in a worker thread, off the event loop.

    A thread cannot be stopped: when the caller is cancelled, the cancellation waits until the
    thread is done, so that what runs next (removing a half-written file) never overlaps it.
    """
    running = asyncio.ensure_future(asyncio.to_thread(function, *args, **kwargs))
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        await asyncio.wait({running})
        raise


async def concurrently(
    send: Callable[..., Awaitable[_R]],
    jobs: Sequence[tuple[_K, tuple[Any, ...]]],
    workers: int,
    settle: Callable[[_K, _R], None],
) -> None:
    """Await ``send(*args)`` for each job, ``workers`` at a time as tasks.

    ``settle(key, outcome)`` runs in job order; if it raises, the other tasks are cancelled.
    """
    if workers <= 1 or len(jobs) <= 1:
        for key, args in jobs:
            settle(key, await send(*args))
        return
    gate = asyncio.Semaphore(workers)

    async def run(args: tuple[Any, ...]) -> _R:
        async with gate:
            return await send(*args)

    tasks = [asyncio.ensure_future(run(args)) for _, args in jobs]
    try:
        for (key, _), task in zip(jobs, tasks, strict=True):
            settle(key, await task)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class Fed(NamedTuple, Generic[_K, _T]):
    """What one feed reported: an ``item``, or its end (``ended``), or its ``error``."""

    key: _K
    item: _T | None = None
    ended: bool = False
    error: BaseException | None = None


class Feeds(Generic[_K, _T]):
    """Item streams running side by side as tasks, read as one stream in arrival order.

    ``start(key, items)`` runs ``items()`` in a task; ``next()`` gives what any of them
    reported next. Only the reader touches shared state, so it needs no lock. ``close()``
    cancels the streams still running and waits for them (their answers are closed).
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Fed[_K, _T]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, key: _K, items: Callable[[], AsyncIterator[_T]]) -> None:
        task = asyncio.ensure_future(self._feed(key, items))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _feed(self, key: _K, items: Callable[[], AsyncIterator[_T]]) -> None:
        try:
            async for item in items():
                self._queue.put_nowait(Fed(key, item))
        except Exception as exc:  # reported to the reader, who raises it
            self._queue.put_nowait(Fed(key, error=exc))
        else:
            self._queue.put_nowait(Fed(key, ended=True))

    async def next(self) -> Fed[_K, _T]:
        return await self._queue.get()

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def call_back(function: Callable[..., Any], *args: Any) -> Any:
    """Call the caller's ``function`` (a sink factory): awaited on the event loop when it is a
    coroutine function, else run in a worker thread, since it may open a file; an awaitable
    it returns (``aiofiles.open(...)``) is awaited here."""
    if _is_async(function):
        return await function(*args)
    result = await offload(function, *args)
    if inspect.isawaitable(result):
        return await result
    return result


async def write_pieces(write: Callable[[bytes], object], pieces: Sequence[bytes]) -> None:
    """``write`` each piece, in order: awaited on the event loop when ``write`` is a coroutine
    function (an async socket or file), else all in one worker thread (a file, a hash)."""
    if not pieces:
        return
    if _is_async(write):
        for piece in pieces:
            await write(piece)
        return
    await offload(_write_each, write, pieces)


def _write_each(write: Callable[[bytes], object], pieces: Sequence[bytes]) -> None:
    for piece in pieces:
        write(piece)


def _is_async(function: Callable[..., Any]) -> TypeGuard[Callable[..., Awaitable[Any]]]:
    """A coroutine function, or an object whose ``__call__`` is one."""
    call = getattr(function, "__call__", None)  # noqa: B004  (the method, not a callable test)
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call)
