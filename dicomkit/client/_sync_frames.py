# Generated from dicomkit/client/_aio_frames.py by scripts/unasync.py.
# Do not edit: change the async source and run `python scripts/unasync.py`.
"""Frames in bulk: run the frame-list requests a :class:`FramePlanner` plans, side by side.

The planning (batches, reorder buffer, what a refusal means) is pure and lives in
:mod:`dicomkit.core.operations.framebatch`; this module only sends what the planner asks,
``concurrency`` requests at a time (tasks under asyncio, threads in blocking code, through
``Feeds``), tells it what came back, and hands out the frames it releases. Written once:
scripts/unasync.py makes the blocking twin.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from dicomkit.client._io_sync import Feeds
from dicomkit.core.errors import HTTPError, ProtocolError
from dicomkit.core.interface import Headers
from dicomkit.core.operations.framebatch import (
    Frame,
    FrameBatch,
    FramePlanner,
    check_batching,
    frame_batch_exchange,
    frames_of_series,
    frames_wanted,
    largest_frame,
    number_of_frames,
)
from dicomkit.files import Progress

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from dicomkit.client._sync_driver import SyncDriver
    from dicomkit.core.operations import RetrieveOptions, VendorOptions

__all__ = ["instance_frames", "series_frames"]

_Part = tuple[Headers, bytes]


def instance_frames(
    client: SyncDriver,
    target: tuple[str, str, str],
    frames: int | Iterable[int] | None,
    how: tuple[int | None, int, Progress | None],
    **options: Unpack[RetrieveOptions],
) -> Generator[Frame, None]:
    """The frames of one instance in the asked order (``how``: batch, concurrency, progress),
    as a generator to close when done; its metadata (one request, made here) says how many it
    has, so a number out of range is refused before any frame is asked."""
    (study, series, instance), (batch, concurrency, progress) = target, how
    check_batching(batch, concurrency)
    vendor: VendorOptions = {"extra_params": options.get("extra_params")}
    metadata = client._run(client.exchanges.instance_metadata, *target, **vendor)
    numbers = frames_wanted(frames, number_of_frames(metadata), instance)
    wanted = [(instance, number) for number in numbers]
    plan = (batch, concurrency, progress, largest_frame([metadata]))
    return _fetch(client, study, series, wanted, plan, options)


def series_frames(
    client: SyncDriver,
    study: str,
    series: str,
    how: tuple[int | None, int, Progress | None],
    **options: Unpack[RetrieveOptions],
) -> Generator[Frame, None]:
    """Every frame of every instance of a series, by InstanceNumber then frame number, as a
    generator to close when done (the series' metadata is read here)."""
    batch, concurrency, progress = how
    check_batching(batch, concurrency)
    vendor: VendorOptions = {"extra_params": options.get("extra_params")}
    metadata = client._run(client.exchanges.metadata, study, series, **vendor)
    plan = (batch, concurrency, progress, largest_frame(metadata))
    return _fetch(client, study, series, frames_of_series(metadata), plan, options)


def _fetch(
    client: SyncDriver,
    study: str,
    series: str,
    wanted: list[tuple[str, int]],
    plan: tuple[int | None, int, Progress | None, int | None],
    options: Any,
) -> Generator[Frame, None]:
    """Plan ``wanted`` (batch, concurrency, progress and the largest frame's bytes in
    ``plan``), send the planner's batches ``concurrency`` at a time, and yield the frames it
    releases."""
    batch, concurrency, progress, weight = plan
    planner = FramePlanner(
        wanted,
        batch=batch,
        concurrency=concurrency,
        dialect=client.exchanges.dialect,
        frame_bytes=weight,
    )
    feeds: Feeds[FrameBatch, _Part] = Feeds()
    running = 0
    try:
        while not planner.done:
            while running < planner.concurrency:
                asked = planner.next_batch()
                if asked is None:
                    break
                build = partial(frame_batch_exchange, client.operations, study, series, asked)
                feeds.start(asked, partial(client._stream, build, **options))
                running += 1
            if running == 0:
                raise ProtocolError("bulk frame retrieval stalled with no request running")
            fed = feeds.next()
            if fed.item is not None:
                planner.part(fed.key, *fed.item)
            elif fed.ended:
                running -= 1
                planner.finished(fed.key)
            else:
                running -= 1
                status = fed.error.status if isinstance(fed.error, HTTPError) else None
                if not planner.refused(fed.key, status):
                    raise fed.error or ProtocolError("a frames request failed")
            ready = planner.ready()
            for done, frame in enumerate(ready, planner.handed_out - len(ready) + 1):
                yield frame
                if progress is not None:
                    progress(done, planner.total)
    finally:
        feeds.close()
