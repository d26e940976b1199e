"""Parts streamed to sinks (issue 19) against the reference server, through every backend of
both clients: the exact bytes, in many bounded writes, and failures that never pass for a
finished part."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom import dcmread

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import (
    DicomkitError,
    InvalidArgumentError,
    NotFoundError,
    ProtocolError,
)
from dicomkit.core.interface import Headers
from dicomkit.testing.data import make_instance
from dicomkit.transports.support import MAX_PIECE
from tests.client.conftest import QUICK_RETRY

ROWS = 1024  # 2 MiB of pixel data: many pieces, still a small test instance


class RecordingSink:
    """A sink that hashes what it is given and remembers the size of every write."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.writes: list[int] = []

    def write(self, data: bytes) -> int:
        assert type(data) is bytes
        self.hash.update(data)
        self.writes.append(len(data))
        return len(data)

    @property
    def size(self) -> int:
        return sum(self.writes)


class AsyncRecordingSink(RecordingSink):
    async def write(self, data: bytes) -> int:  # type: ignore[override]
        return super().write(data)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def setup(dicomweb_server: Any) -> Iterator[DicomClient]:
    with DicomClient(dicomweb_server.url, retry=QUICK_RETRY) as made:
        yield made


def stored(client: DicomClient, count: int = 1, rows: int = ROWS) -> tuple[list[Any], list[bytes]]:
    """Instances stored on the server, and each one's bytes as served (read whole)."""
    first = make_instance(rows=rows, cols=rows)
    more = [
        make_instance(
            study_uid=first.StudyInstanceUID,
            series_uid=first.SeriesInstanceUID,
            rows=rows,
            cols=rows,
        )
        for _ in range(count - 1)
    ]
    datasets = [first, *more]
    client.store_instances(datasets)
    served = [
        body
        for ds in datasets
        for _, body in client.iter_parts(
            ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
        )
    ]
    return datasets, served


def uids(ds: Any) -> tuple[str, str, str]:
    return ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID


def check_streamed(sink: RecordingSink, served: bytes) -> None:
    assert sink.hash.hexdigest() == sha256(served)
    assert len(sink.writes) >= len(served) // MAX_PIECE
    assert max(sink.writes) <= MAX_PIECE


# -- sync ------------------------------------------------------------------------------------


def test_sync_an_instance_streams_exactly_in_bounded_writes(
    setup: DicomClient, dicomweb_server: Any, sync_backend: str
) -> None:
    (ds,), (served,) = stored(setup)
    sink = RecordingSink()
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        written = client.retrieve_instance_to(sink, *uids(ds))
    check_streamed(sink, served)
    assert written.size == len(served) == sink.size
    assert written.sink is sink
    assert written.headers.get("Content-Type", "").startswith("application/dicom")
    assert dcmread(io.BytesIO(served)).PixelData == ds.PixelData


def test_sync_a_series_streams_each_instance_to_its_own_sink(
    setup: DicomClient, dicomweb_server: Any, sync_backend: str
) -> None:
    datasets, served = stored(setup, count=3, rows=512)
    seen: list[Headers] = []

    def sinks(headers: Headers) -> RecordingSink:
        seen.append(headers)
        return RecordingSink()

    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        written = client.retrieve_series_to(sinks, *uids(datasets[0])[:2])
        whole_study = client.retrieve_study_to(
            lambda headers: RecordingSink(), uids(datasets[0])[0]
        )
    assert len(written) == len(seen) == 3
    assert [part.headers for part in written] == seen
    got = sorted(part.sink.hash.hexdigest() for part in written)
    assert got == sorted(map(sha256, served))
    assert [part.size for part in written] == [part.sink.size for part in written]
    assert sorted(p.sink.hash.hexdigest() for p in whole_study) == got


def test_sync_bulk_data_streams_whole_or_as_a_range(
    setup: DicomClient, dicomweb_server: Any, sync_backend: str
) -> None:
    (ds,), _ = stored(setup)
    meta = setup.retrieve_instance_metadata(*uids(ds))
    uri = meta["7FE00010"]["BulkDataURI"]
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        whole, ranged, single = RecordingSink(), RecordingSink(), RecordingSink()
        assert client.retrieve_bulkdata_to(whole, uri).size == len(ds.PixelData)
        assert client.retrieve_bulkdata_to(ranged, uri, (1000, 700_000)).size == 699_001
        client.retrieve_bulkdata_to(single, uri, (5, None), single_part=True)
    check_streamed(whole, ds.PixelData)
    assert ranged.hash.hexdigest() == sha256(ds.PixelData[1000:700_001])
    assert single.hash.hexdigest() == sha256(ds.PixelData[5:])


def test_sync_a_callable_sink_takes_the_bytes(
    setup: DicomClient, dicomweb_server: Any, sync_backend: str
) -> None:
    (ds,), (served,) = stored(setup, rows=256)
    hasher = hashlib.sha256()
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        written = client.retrieve_instance_to(hasher.update, *uids(ds))
    assert hasher.hexdigest() == sha256(served)
    assert written.size == len(served)


def test_sync_an_answer_cut_mid_part_raises_after_streaming_what_came(
    setup: DicomClient, dicomweb_server: Any, sync_backend: str
) -> None:
    """The sink saw the bytes that arrived before the cut (streamed, never held whole), and the
    call raises: nothing is returned as a finished part."""
    (ds,), (served,) = stored(setup)
    cut_at = len(served) * 3 // 4
    for fault in ({"cut_after": cut_at}, {"truncate_after": cut_at}):
        dicomweb_server.faults.add(re.compile(f"/instances/{ds.SOPInstanceUID}$"), **fault)
        sink = RecordingSink()
        client = DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK_RETRY)
        with client, pytest.raises(DicomkitError):
            client.retrieve_instance_to(sink, *uids(ds))
        assert cut_at - (1 << 20) - MAX_PIECE <= sink.size < len(served), fault


def test_sync_a_series_cut_in_its_second_part_keeps_the_first_sink_and_raises(
    setup: DicomClient, dicomweb_server: Any, sync_backend: str
) -> None:
    datasets, served = stored(setup, count=2, rows=512)
    dicomweb_server.faults.add(
        re.compile("/series/[^/]+$"), cut_after=len(served[0]) + len(served[1]) // 2
    )
    made: list[RecordingSink] = []

    def sinks(headers: Headers) -> RecordingSink:
        made.append(RecordingSink())
        return made[-1]

    client = DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK_RETRY)
    with client, pytest.raises(DicomkitError):
        client.retrieve_series_to(sinks, *uids(datasets[0])[:2])
    assert len(made) == 2
    assert made[0].hash.hexdigest() in {sha256(body) for body in served}
    assert made[1].size < max(map(len, served))


def test_sync_a_failing_sink_stops_the_answer_with_its_own_error(
    setup: DicomClient, dicomweb_server: Any, sync_backend: str
) -> None:
    (ds,), _ = stored(setup)

    class DiskFull(RecordingSink):
        def write(self, data: bytes) -> int:
            if self.size > 1 << 20:
                raise OSError(28, "No space left on device")
            return super().write(data)

    sink = DiskFull()
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        with pytest.raises(OSError, match="No space"):
            client.retrieve_instance_to(sink, *uids(ds))
        again = RecordingSink()
        client.retrieve_instance_to(again, *uids(ds))  # the connection pool is still usable
    assert again.size > sink.size


def test_sync_refusals_write_nothing(
    setup: DicomClient, dicomweb_server: Any, sync_backend: str
) -> None:
    ds = make_instance(rows=64, cols=64, frames=2)
    setup.store_instances([ds])
    sink = RecordingSink()
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        dicomweb_server.requests.clear()
        with pytest.raises(InvalidArgumentError, match="write method"):
            client.retrieve_instance_to(object(), *uids(ds))  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError, match="callable"):
            client.retrieve_series_to(object(), *uids(ds)[:2])  # type: ignore[arg-type]
        assert dicomweb_server.requests == []
        with pytest.raises(InvalidArgumentError, match="AsyncDicomClient"):
            client.retrieve_instance_to(AsyncRecordingSink(), *uids(ds))
        with pytest.raises(NotFoundError):
            client.retrieve_instance_to(sink, ds.StudyInstanceUID, ds.SeriesInstanceUID, "1.2.3")
        frames = f"{dicomweb_server.url}/studies/{ds.StudyInstanceUID}/series/"
        frames += f"{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}/frames/1,2"
        with pytest.raises(ProtocolError, match="more than one part"):
            client.retrieve_bulkdata_to(sink, frames)
    assert sink.size <= len(ds.PixelData) // 2  # at most the first frame: never the second


# -- async -----------------------------------------------------------------------------------


async def test_async_an_instance_streams_to_plain_and_async_sinks(
    setup: DicomClient, dicomweb_server: Any, async_backend: str
) -> None:
    (ds,), (served,) = stored(setup)
    plain, awaited, called = RecordingSink(), AsyncRecordingSink(), AsyncRecordingSink()

    class AsyncCallable:
        async def __call__(self, data: bytes) -> None:
            await called.write(data)

    client = AsyncDicomClient(dicomweb_server.url, transport=async_backend, retry=QUICK_RETRY)
    async with client:
        assert (await client.retrieve_instance_to(plain, *uids(ds))).size == len(served)
        assert (await client.retrieve_instance_to(awaited, *uids(ds))).size == len(served)
        assert (await client.retrieve_instance_to(AsyncCallable(), *uids(ds))).size == len(served)
    for sink in (plain, awaited, called):
        check_streamed(sink, served)


async def test_async_series_factories_and_bulk_data(
    setup: DicomClient, dicomweb_server: Any, async_backend: str
) -> None:
    datasets, served = stored(setup, count=2, rows=512)
    uri = setup.retrieve_instance_metadata(*uids(datasets[0]))["7FE00010"]["BulkDataURI"]

    async def opened(headers: Headers) -> RecordingSink:
        return AsyncRecordingSink()

    client = AsyncDicomClient(dicomweb_server.url, transport=async_backend, retry=QUICK_RETRY)
    async with client:
        plain = await client.retrieve_series_to(lambda h: RecordingSink(), *uids(datasets[0])[:2])
        awaited = await client.retrieve_study_to(opened, datasets[0].StudyInstanceUID)
        ranged = RecordingSink()
        await client.retrieve_bulkdata_to(ranged, uri, (10, 99))
    for written in (plain, awaited):
        assert sorted(p.sink.hash.hexdigest() for p in written) == sorted(map(sha256, served))
    assert ranged.hash.hexdigest() == sha256(datasets[0].PixelData[10:100])


async def test_async_an_answer_cut_mid_part_raises_after_streaming_what_came(
    setup: DicomClient, dicomweb_server: Any, async_backend: str
) -> None:
    (ds,), (served,) = stored(setup)
    cut_at = len(served) * 3 // 4
    dicomweb_server.faults.add(
        re.compile(f"/instances/{ds.SOPInstanceUID}$"), truncate_after=cut_at
    )
    sink = RecordingSink()
    client = AsyncDicomClient(dicomweb_server.url, transport=async_backend, retry=QUICK_RETRY)
    async with client:
        with pytest.raises(DicomkitError):
            await client.retrieve_instance_to(sink, *uids(ds))
    assert cut_at - (1 << 20) - MAX_PIECE <= sink.size < len(served)
