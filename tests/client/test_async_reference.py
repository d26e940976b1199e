"""Every public AsyncDicomClient method through every async backend, on the reference server."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from pydicom.uid import RLELossless

from dicomkit import AsyncDicomClient
from dicomkit.core.dicomjson import first_value
from dicomkit.core.errors import InvalidArgumentError, NotFoundError, StoreError, TransportError
from dicomkit.testing.data import dataset_bytes, make_instance, make_study, write_instances
from tests._support.ci import require_module


def uid_of(item: dict[str, Any], keyword: str) -> str:
    return str(first_value(item, keyword))


async def test_store_search_retrieve_delete(aclient: AsyncDicomClient, tmp_path: Path) -> None:
    study = make_study(4, n_series=2, patient_id="ASYNC-1")
    study_uid = study[0].StudyInstanceUID
    series_uids = sorted({ds.SeriesInstanceUID for ds in study})
    paths = write_instances(tmp_path, study[2:4])
    with open(paths[1], "rb") as handle:
        stored = await aclient.store_instances(
            [study[0], dataset_bytes(study[1]), paths[0], handle]
        )
    assert len(stored.stored) == 4

    studies = await aclient.search_for_studies({"PatientID": "ASYNC-1"})
    assert [uid_of(s, "StudyInstanceUID") for s in studies] == [study_uid]
    assert len(await aclient.search_for_series(study_uid)) == 2
    assert len(await aclient.search_for_instances(study_uid, series_uids[0])) == 2
    assert len(await aclient.search_for_instances(study_uid, limit=1, get_remaining=True)) == 4
    assert len([s async for s in aclient.iter_search_for_studies({"PatientID": "ASYNC-1"})]) == 1
    assert len([s async for s in aclient.iter_search_for_series(study_uid, limit=1)]) == 2
    assert len([i async for i in aclient.iter_search_for_instances(study_uid, limit=3)]) == 4
    assert await aclient.get_patient_study_ids("ASYNC-1") == [study_uid]
    assert await aclient.held_instances([study[0].SOPInstanceUID, "1.2.3"]) == {
        study[0].SOPInstanceUID
    }

    expected = {ds.SOPInstanceUID for ds in study}
    assert {ds.SOPInstanceUID for ds in await aclient.retrieve_study(study_uid)} == expected
    assert {ds.SOPInstanceUID async for ds in aclient.iter_study(study_uid)} == expected
    in_series = {ds.SOPInstanceUID for ds in study if ds.SeriesInstanceUID == series_uids[0]}
    got = await aclient.retrieve_series(study_uid, series_uids[0])
    assert {ds.SOPInstanceUID for ds in got} == in_series
    streamed = {ds.SOPInstanceUID async for ds in aclient.iter_series(study_uid, series_uids[0])}
    assert streamed == in_series
    one = study[0]
    uids = (study_uid, one.SeriesInstanceUID, one.SOPInstanceUID)
    assert (await aclient.retrieve_instance(*uids)).PixelData == one.PixelData
    parts = [part async for part in aclient.iter_parts(*uids)]
    assert parts[0][1] == dataset_bytes(one)
    assert "application/dicom" in (parts[0][0].get("Content-Type") or "")

    assert len(await aclient.retrieve_study_metadata(study_uid)) == 4
    assert len(await aclient.retrieve_series_metadata(study_uid, series_uids[0])) == 2
    metadata = await aclient.retrieve_instance_metadata(*uids)
    assert uid_of(metadata, "SOPInstanceUID") == one.SOPInstanceUID
    pixel = metadata["7FE00010"]
    if "BulkDataURI" in pixel:
        data = await aclient.retrieve_bulkdata(pixel["BulkDataURI"], byte_range=(2, 5))
        assert b"".join(data) == one.PixelData[2:6]
        parts = aclient.iter_bulkdata(pixel["BulkDataURI"], byte_range=(2, 5))
        assert [part async for part in parts] == data

    await aclient.delete_instance(*uids)
    other_series = next(s for s in series_uids if s != one.SeriesInstanceUID)
    await aclient.delete_series(study_uid, other_series)
    assert len(await aclient.search_for_instances(study_uid)) == 1
    await aclient.delete_study(study_uid)
    with pytest.raises(NotFoundError):
        await aclient.retrieve_study_metadata(study_uid)


def striped_frames(rows: int, cols: int, frames: int) -> bytes:
    """16-bit pixels where frame n is dark with a bright column n: frames render differently."""
    return b"".join(
        (4095 if col == frame else 0).to_bytes(2, "little")
        for frame in range(frames)
        for _ in range(rows)
        for col in range(cols)
    )


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.1", RLELossless])
async def test_frames_and_rendered(aclient: AsyncDicomClient, syntax: str) -> None:
    pixels = striped_frames(4, 4, 3)
    ds = make_instance(rows=4, cols=4, frames=3, transfer_syntax=syntax, PixelData=pixels)
    uids = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    await aclient.store_instances([ds])
    frames = await aclient.retrieve_instance_frames(*uids, [2, 3])
    assert [f async for f in aclient.iter_instance_frames(*uids, [2, 3])] == frames
    assert [f.data async for f in aclient.iter_frames(*uids, [2, 3], batch=1)] == frames
    assert [f.number async for f in aclient.iter_series_frames(*uids[:2])] == [1, 2, 3]
    if syntax != RLELossless:
        assert frames[0] == ds.PixelData[32:64]
    require_module("PIL")
    assert (await aclient.retrieve_instance_rendered(*uids))[:2] == b"\xff\xd8"
    rendered = await aclient.retrieve_instance_frames_rendered(*uids, [1])
    assert rendered[:2] == b"\xff\xd8"
    series = await aclient.retrieve_series_rendered(*uids[:2])
    assert len(series) == 3, "one rendered image per frame"
    assert series[0] == await aclient.retrieve_instance_rendered(*uids)
    assert series[2] == await aclient.retrieve_instance_frames_rendered(*uids, [3])
    assert series[1] not in (series[0], series[2])
    assert await aclient.retrieve_study_rendered(uids[0]) == series
    thumbnail = await aclient.retrieve_thumbnail(uids[0], params={"viewport": "16,16"})
    assert thumbnail[:2] == b"\xff\xd8"
    assert "GET" in (await aclient.capabilities("studies")).allow


async def test_partial_store_raises(aclient: AsyncDicomClient) -> None:
    good, stranger = make_instance(), make_instance()
    with pytest.raises(StoreError) as info:
        await aclient.store_instances([good, stranger], study_instance_uid=good.StudyInstanceUID)
    assert [f.sop_instance_uid for f in info.value.result.failed] == [stranger.SOPInstanceUID]


async def test_classic_methods(aclient: AsyncDicomClient, tmp_path: Path) -> None:
    study = make_study(3, patient_id="ACLASSIC")
    sources = write_instances(tmp_path / "in", study)
    (tmp_path / "in" / "readme.txt").write_text("not DICOM")
    first = await aclient.upload_dicom_file(sources[0])
    assert len(first.stored) == 1
    report = await aclient.upload_dicom_folder(tmp_path / "in")
    assert sorted(report.stored) == sorted(sources[1:])
    assert report.already_present == [sources[0]]
    assert report.not_dicom == [tmp_path / "in" / "readme.txt"]
    [study_uid] = await aclient.get_patient_study_ids("ACLASSIC")
    written = await aclient.download_dicom(tmp_path / "out", study_uid)

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert sorted(map(digest, written)) == sorted(map(digest, sources))
    with pytest.raises(InvalidArgumentError):
        await aclient.delete_dicom(study_uid, None, study[0].SOPInstanceUID)
    await aclient.delete_dicom(study_uid)
    assert await aclient.get_patient_study_ids("ACLASSIC") == []


async def test_async_storm_and_cut(
    aclient: AsyncDicomClient, dicomweb_server: Any, tmp_path: Path
) -> None:
    ds = make_instance(rows=32, cols=32)
    await aclient.store_instances([ds])
    dicomweb_server.faults.add("/studies", method="GET", status=503, retry_after=0, times=2)
    assert len(await aclient.search_for_studies()) == 1
    dicomweb_server.faults.add(f"/studies/{ds.StudyInstanceUID}", method="GET", cut_after=300)
    with pytest.raises(TransportError):
        await aclient.download_dicom(tmp_path / "out", ds.StudyInstanceUID)
    assert [p for p in (tmp_path / "out").rglob("*") if p.is_file()] == []
