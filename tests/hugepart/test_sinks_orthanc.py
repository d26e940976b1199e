"""Parts streamed to sinks (issue 19) against Orthanc, a server no one here wrote, through
every backend of both clients: the exact bytes in bounded writes, and a series' sinks."""

from __future__ import annotations

import hashlib
from typing import Any

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.interface import Headers
from dicomkit.testing.data import make_instance
from dicomkit.transports.support import MAX_PIECE
from tests.client.conftest import QUICK_RETRY
from tests.hugepart.test_sinks_reference import AsyncRecordingSink, RecordingSink, sha256, uids

ROWS = 1024


def stored(url: str, count: int, rows: int = ROWS) -> tuple[list[Any], list[bytes]]:
    first = make_instance(rows=rows, cols=rows, patient_id="HUGEPART")
    datasets = [first] + [
        make_instance(
            study_uid=first.StudyInstanceUID,
            series_uid=first.SeriesInstanceUID,
            rows=rows,
            cols=rows,
            patient_id="HUGEPART",
        )
        for _ in range(count - 1)
    ]
    with DicomClient(url, retry=QUICK_RETRY) as client:
        client.store_instances(datasets)
        served = [body for ds in datasets for _, body in client.iter_parts(*uids(ds))]
    return datasets, served


def test_orthanc_sync_instance_series_and_bulk_data(orthanc: Any, sync_backend: str) -> None:
    datasets, served = stored(orthanc.url, 2)
    ds = datasets[0]
    sink = RecordingSink()
    with DicomClient(orthanc.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        written = client.retrieve_instance_to(sink, *uids(ds))
        series = client.retrieve_series_to(lambda h: RecordingSink(), *uids(ds)[:2])
        uri = client.retrieve_instance_metadata(*uids(ds))["7FE00010"]["BulkDataURI"]
        ranged = RecordingSink()
        client.retrieve_bulkdata_to(ranged, uri, (100, 1_500_000))
    assert sink.hash.hexdigest() == sha256(served[0])
    assert written.size == len(served[0])
    assert len(sink.writes) >= len(served[0]) // MAX_PIECE
    assert max(sink.writes) <= MAX_PIECE
    assert sorted(p.sink.hash.hexdigest() for p in series) == sorted(map(sha256, served))
    assert ranged.hash.hexdigest() == sha256(ds.PixelData[100:1_500_001])


async def test_orthanc_async_instance_and_series(orthanc: Any, async_backend: str) -> None:
    datasets, served = stored(orthanc.url, 2, rows=512)
    awaited, hasher = AsyncRecordingSink(), hashlib.sha256()

    async def opened(headers: Headers) -> RecordingSink:
        return RecordingSink()

    client = AsyncDicomClient(orthanc.url, transport=async_backend, retry=QUICK_RETRY)
    async with client:
        await client.retrieve_instance_to(awaited, *uids(datasets[0]))
        await client.retrieve_instance_to(hasher.update, *uids(datasets[1]))
        series = await client.retrieve_series_to(opened, *uids(datasets[0])[:2])
    assert awaited.hash.hexdigest() == sha256(served[0])
    assert max(awaited.writes) <= MAX_PIECE
    assert hasher.hexdigest() == sha256(served[1])
    assert sorted(p.sink.hash.hexdigest() for p in series) == sorted(map(sha256, served))
