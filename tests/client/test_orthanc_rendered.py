"""What Orthanc 1.10's DICOMweb plugin does with rendered studies and series, thumbnails and
byte ranges, pinned, and the clients working with it anyway.

Orthanc answers ``/studies/{s}/rendered`` and ``.../series/{se}/rendered`` with one image
(not PS3.18's multipart), refuses a multipart ``Accept`` there with 400, has no thumbnail
resources and ignores ``Range`` on bulk data.
"""

from __future__ import annotations

from typing import Any

import requests

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.testing.data import make_instance

from .conftest import QUICK_RETRY

JPEG = b"\xff\xd8"
PNG = b"\x89PNG\r\n\x1a\n"


def _uids(ds: Any) -> tuple[str, str, str]:
    return ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID


def test_orthanc_rendered_study_and_series(orthanc: Any, sync_backend: str) -> None:
    first = make_instance(rows=16, cols=16)
    second = make_instance(rows=16, cols=16, study_uid=first.StudyInstanceUID)
    study_uid = first.StudyInstanceUID
    with DicomClient(orthanc.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        client.store_instances([first, second])
        singles = [client.retrieve_instance_rendered(*_uids(ds)) for ds in (first, second)]
        assert all(image[:2] == JPEG for image in singles)
        study = client.retrieve_study_rendered(study_uid)
        assert len(study) == 1, "Orthanc renders one representative image of a study"
        assert study[0] in singles
        series = client.retrieve_series_rendered(*_uids(second)[:2])
        assert series == [singles[1]]
        png = client.retrieve_study_rendered(study_uid, media_types=["image/png"])
        assert len(png) == 1
        assert png[0][:8] == PNG


async def test_orthanc_rendered_async(orthanc: Any, async_backend: str) -> None:
    ds = make_instance(rows=8, cols=8)
    async with AsyncDicomClient(orthanc.url, transport=async_backend, retry=QUICK_RETRY) as client:
        await client.store_instances([ds])
        single = await client.retrieve_instance_rendered(*_uids(ds))
        assert await client.retrieve_study_rendered(ds.StudyInstanceUID) == [single]
        assert await client.retrieve_series_rendered(*_uids(ds)[:2]) == [single]


def test_orthanc_pinned_http_behaviour(orthanc: Any) -> None:
    ds = make_instance(rows=64, cols=64)
    with DicomClient(orthanc.url, retry=QUICK_RETRY) as client:
        client.store_instances([ds])
        study, series, sop = _uids(ds)
        study_url = f"{orthanc.url}/studies/{study}"
        instance_url = f"{study_url}/series/{series}/instances/{sop}"
        multipart = {"Accept": 'multipart/related; type="image/jpeg"'}
        for target in (f"{study_url}/rendered", f"{study_url}/series/{series}/rendered"):
            assert requests.get(target, headers=multipart, timeout=30).status_code == 400
            single = requests.get(target, headers={"Accept": "image/jpeg"}, timeout=30)
            assert single.status_code == 200
            assert single.headers["Content-Type"] == "image/jpeg"
        for target in (study_url, f"{study_url}/series/{series}", instance_url):
            assert requests.get(f"{target}/thumbnail", timeout=30).status_code == 404
        uri = client.retrieve_instance_metadata(study, series, sop)["7FE00010"]["BulkDataURI"]
        ranged = requests.get(uri, headers={"Range": "bytes=2-5"}, timeout=30)
        assert ranged.status_code == 200, "Orthanc ignores Range on bulk data"
        assert "Content-Range" not in ranged.headers
        assert client.retrieve_bulkdata(uri, byte_range=(2, 5)) == [ds.PixelData[2:6]]
        assert client.retrieve_bulkdata(uri, byte_range=(8000, None)) == [ds.PixelData[8000:]]
