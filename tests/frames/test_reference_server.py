"""iter_frames / iter_series_frames against the reference server, through every backend: order,
bytes identical to single-frame requests, batching, the fallback when lists are refused (fault
injection), errors, progress and stopping early."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import Any

import pytest
from pydicom.dataset import Dataset

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import InvalidArgumentError, NotFoundError, ServerError
from dicomkit.core.operations.framebatch import Frame

from .conftest import QUICK_RETRY, frame_bytes

FRAMES = 400
FRAMES_PATH = re.compile(r"/frames/")
LIST_PATH = re.compile(r"/frames/\d+,")


def uids(ds: Dataset) -> tuple[str, str, str]:
    return (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)


@pytest.fixture
def stored(dicomweb_server: Any, numbered: Callable[..., Dataset]) -> Dataset:
    ds = numbered(FRAMES)
    with DicomClient(dicomweb_server.url, transport="urllib3") as client:
        client.store_instances([ds])
    return ds


@pytest.fixture
def client(dicomweb_server: Any, sync_backend: str) -> Any:
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK_RETRY) as made:
        yield made


@pytest.fixture
async def aclient(dicomweb_server: Any, async_backend: str) -> Any:
    async with AsyncDicomClient(
        dicomweb_server.url, transport=async_backend, retry=QUICK_RETRY
    ) as made:
        yield made


def counting(server: Any, pattern: re.Pattern[str]) -> Any:
    """A fault that never fires but counts the requests whose path matches ``pattern``."""
    return server.faults.add(pattern, after=10**9, times=None)


def test_every_frame_in_order_in_a_few_requests(
    client: DicomClient, stored: Dataset, dicomweb_server: Any
) -> None:
    requests = counting(dicomweb_server, FRAMES_PATH)
    seen: list[tuple[int, int | None]] = []
    frames = list(client.iter_frames(*uids(stored), progress=lambda d, t: seen.append((d, t))))
    assert [frame.number for frame in frames] == list(range(1, FRAMES + 1))
    assert [frame.data for frame in frames] == [frame_bytes(n) for n in range(1, FRAMES + 1)]
    assert {frame.sop_instance_uid for frame in frames} == {stored.SOPInstanceUID}
    assert all(frame.content_type.startswith("application/octet-stream") for frame in frames)
    assert requests.matched == 4, "400 frames, 4 requests side by side of 100 frames each"
    assert seen == [(done, FRAMES) for done in range(1, FRAMES + 1)]


def test_bytes_are_those_of_single_frame_requests(client: DicomClient, stored: Dataset) -> None:
    wanted = [400, 7, 7, 1, 399, 200, 3, 7]
    bulk = [frame.data for frame in client.iter_frames(*uids(stored), wanted, batch=3)]
    single = [client.retrieve_instance_frames(*uids(stored), [n])[0] for n in wanted]
    assert bulk == single
    assert bulk[0] != bulk[1]


def test_refused_lists_fall_back_to_single_frames(
    client: DicomClient, stored: Dataset, dicomweb_server: Any
) -> None:
    requests = counting(dicomweb_server, FRAMES_PATH)  # first: it sees the refused ones too
    refusals = dicomweb_server.faults.add(LIST_PATH, status=414, times=None)
    wanted = list(range(40, 0, -1))
    frames = list(client.iter_frames(*uids(stored), wanted, concurrency=2))
    assert [frame.data for frame in frames] == [frame_bytes(n) for n in wanted]
    assert refusals.applied > 0
    assert requests.matched == refusals.applied + len(wanted)


def test_a_frame_out_of_range_is_refused_before_any_frame_request(
    client: DicomClient, stored: Dataset, dicomweb_server: Any
) -> None:
    requests = counting(dicomweb_server, FRAMES_PATH)
    with pytest.raises(InvalidArgumentError, match=r"401 out of range: .* has 400 frame"):
        list(client.iter_frames(*uids(stored), [1, 401]))
    assert requests.matched == 0


def test_a_missing_instance_is_not_found(client: DicomClient, stored: Dataset) -> None:
    with pytest.raises(NotFoundError):
        list(client.iter_frames(stored.StudyInstanceUID, stored.SeriesInstanceUID, "1.2.3.4"))


def test_a_server_error_on_single_frames_is_raised(
    client: DicomClient, stored: Dataset, dicomweb_server: Any
) -> None:
    dicomweb_server.faults.add(FRAMES_PATH, status=500, times=None)
    with pytest.raises(ServerError):
        list(client.iter_frames(*uids(stored), [1, 2, 3]))


def test_stopping_early_leaves_the_client_usable(client: DicomClient, stored: Dataset) -> None:
    iterator = client.iter_frames(*uids(stored), batch=10, concurrency=4)
    first = next(iter(iterator))
    iterator.close()
    assert first.number == 1
    assert client.retrieve_instance_frames(*uids(stored), [2]) == [frame_bytes(2)]


def test_every_frame_of_a_series_by_instance_number(
    client: DicomClient, dicomweb_server: Any, numbered: Callable[..., Dataset]
) -> None:
    first = numbered(3, InstanceNumber=2)
    series = (first.StudyInstanceUID, first.SeriesInstanceUID)
    second = numbered(2, study_uid=series[0], series_uid=series[1], InstanceNumber=1)
    single = numbered(1, study_uid=series[0], series_uid=series[1], InstanceNumber=3)
    client.store_instances([first, second, single])
    frames = list(client.iter_series_frames(*series, concurrency=2))
    assert [(f.sop_instance_uid, f.number) for f in frames] == [
        (second.SOPInstanceUID, 1),
        (second.SOPInstanceUID, 2),
        (first.SOPInstanceUID, 1),
        (first.SOPInstanceUID, 2),
        (first.SOPInstanceUID, 3),
        (single.SOPInstanceUID, 1),
    ]
    assert [f.data for f in frames] == [frame_bytes(n) for n in (1, 2, 1, 2, 3, 1)]


async def test_async_frames_in_order_with_fallback(
    aclient: AsyncDicomClient, stored: Dataset, dicomweb_server: Any
) -> None:
    wanted = [5, 400, 5, 1, *range(100, 140)]
    frames = [frame async for frame in aclient.iter_frames(*uids(stored), wanted, batch=8)]
    assert [frame.data for frame in frames] == [frame_bytes(n) for n in wanted]
    refusals = dicomweb_server.faults.add(LIST_PATH, status=400, times=None)
    again = [frame async for frame in aclient.iter_frames(*uids(stored), wanted, batch=8)]
    assert again == frames
    assert refusals.applied > 0
    singles = await aclient.retrieve_instance_frames(*uids(stored), [400])
    assert singles == [frames[1].data]


async def test_async_errors_and_series(
    aclient: AsyncDicomClient, stored: Dataset, dicomweb_server: Any
) -> None:
    with pytest.raises(InvalidArgumentError, match="out of range"):
        async for _ in aclient.iter_frames(*uids(stored), [0]):
            pass
    series = [f async for f in aclient.iter_series_frames(*uids(stored)[:2], batch=64)]
    assert [f.number for f in series] == list(range(1, FRAMES + 1))
    assert all(isinstance(frame, Frame) for frame in series)
    dicomweb_server.faults.add(FRAMES_PATH, status=500, times=None)
    with pytest.raises(ServerError):
        async for _ in aclient.iter_frames(*uids(stored), [1, 2]):
            pass


async def test_async_stopping_early_cancels_the_requests(
    aclient: AsyncDicomClient, stored: Dataset
) -> None:
    frames = aclient.iter_frames(*uids(stored), batch=10, concurrency=4)
    async with contextlib.aclosing(frames):
        first = await anext(frames)
    assert first.number == 1
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not [t for t in pending if "_feed" in repr(t.get_coro())]
    assert await aclient.retrieve_instance_frames(*uids(stored), [2]) == [frame_bytes(2)]
