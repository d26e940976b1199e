"""Every public DicomClient method through every sync backend, against the reference server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.uid import RLELossless

from dicomkit import DicomClient
from dicomkit.core.dicomjson import first_value
from dicomkit.core.errors import (
    InvalidArgumentError,
    NotFoundError,
    StoreError,
)
from dicomkit.testing.data import dataset_bytes, make_instance, make_study, write_instances
from tests._support.ci import require_module


def uid_of(item: dict[str, Any], keyword: str) -> str:
    return str(first_value(item, keyword))


def test_store_search_retrieve_delete_round_trip(client: DicomClient, tmp_path: Path) -> None:
    study = make_study(4, n_series=2, patient_id="RT-1")
    study_uid = study[0].StudyInstanceUID
    series_uids = sorted({ds.SeriesInstanceUID for ds in study})
    paths = write_instances(tmp_path, study[2:4])
    with open(paths[1], "rb") as handle:
        result = client.store_instances([study[0], dataset_bytes(study[1]), paths[0], handle])
    assert len(result.stored) == 4
    assert result.ok
    lone = make_instance(patient_id="RT-1", study_uid=study_uid, series_uid=series_uids[0])
    assert len(client.store_instances(lone).stored) == 1
    client.delete_instance(study_uid, series_uids[0], lone.SOPInstanceUID)

    studies = client.search_for_studies({"PatientID": "RT-1"})
    assert [uid_of(s, "StudyInstanceUID") for s in studies] == [study_uid]
    series = client.search_for_series(study_uid)
    assert sorted(uid_of(s, "SeriesInstanceUID") for s in series) == series_uids
    instances = client.search_for_instances(study_uid, series_uids[0])
    expected = {ds.SOPInstanceUID for ds in study if ds.SeriesInstanceUID == series_uids[0]}
    assert {uid_of(i, "SOPInstanceUID") for i in instances} == expected
    everything = client.search_for_instances(study_uid, limit=1, get_remaining=True)
    assert len(everything) == 4
    assert len(list(client.iter_search_for_studies({"PatientID": "RT-1"}, limit=1))) == 1
    assert len(list(client.iter_search_for_series(study_uid, limit=1))) == 2
    assert len(list(client.iter_search_for_instances(study_uid, limit=3))) == 4
    assert client.get_patient_study_ids("RT-1") == [study_uid]

    retrieved = client.retrieve_study(study_uid)
    assert {ds.SOPInstanceUID for ds in retrieved} == {ds.SOPInstanceUID for ds in study}
    by_uid = {ds.SOPInstanceUID: ds for ds in study}
    for ds in retrieved:
        assert ds.PixelData == by_uid[ds.SOPInstanceUID].PixelData
    assert {ds.SOPInstanceUID for ds in client.iter_study(study_uid)} == set(by_uid)
    in_series = client.retrieve_series(study_uid, series_uids[0])
    assert {ds.SOPInstanceUID for ds in in_series} == expected
    assert {ds.SOPInstanceUID for ds in client.iter_series(study_uid, series_uids[0])} == expected
    one = study[0]
    got = client.retrieve_instance(study_uid, one.SeriesInstanceUID, one.SOPInstanceUID)
    assert got.PatientName == one.PatientName
    assert got.file_meta.TransferSyntaxUID == one.file_meta.TransferSyntaxUID

    client.delete_instance(study_uid, one.SeriesInstanceUID, one.SOPInstanceUID)
    assert len(client.search_for_instances(study_uid)) == 3
    client.delete_series(study_uid, series_uids[1])
    client.delete_study(study_uid)
    assert client.search_for_studies({"PatientID": "RT-1"}) == []
    with pytest.raises(NotFoundError):
        client.retrieve_study(study_uid)


def test_parts_carry_their_own_headers(client: DicomClient) -> None:
    ds = make_instance()
    client.store_instances([ds])
    parts = list(client.iter_parts(ds.StudyInstanceUID))
    assert len(parts) == 1
    headers, body = parts[0]
    assert "application/dicom" in (headers.get("Content-Type") or "")
    assert body == dataset_bytes(ds)


def test_metadata_and_bulkdata(client: DicomClient) -> None:
    ds = make_instance(rows=64, cols=64)
    uids = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    client.store_instances([ds])
    study_meta = client.retrieve_study_metadata(uids[0])
    series_meta = client.retrieve_series_metadata(*uids[:2])
    instance_meta = client.retrieve_instance_metadata(*uids)
    assert len(study_meta) == len(series_meta) == 1
    assert first_value(instance_meta, "Rows") == 64
    uri = instance_meta["7FE00010"]["BulkDataURI"]
    assert b"".join(client.retrieve_bulkdata(uri)) == ds.PixelData
    assert client.retrieve_bulkdata(uri, byte_range=(3, 9)) == [ds.PixelData[3:10]]
    assert list(client.iter_bulkdata(uri, byte_range=(3, 9))) == [ds.PixelData[3:10]]
    assert client.retrieve_bulkdata(uri, byte_range=(8000, None)) == [ds.PixelData[8000:]]


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2.1", RLELossless])
def test_frames(client: DicomClient, syntax: str) -> None:
    ds = make_instance(rows=4, cols=4, frames=3, transfer_syntax=syntax)
    uids = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    client.store_instances([ds])
    frames = client.retrieve_instance_frames(*uids, [3, 1])
    assert len(frames) == 2
    streamed = list(client.iter_instance_frames(*uids, [3, 1]))
    assert streamed == frames
    assert [frame.data for frame in client.iter_frames(*uids, [3, 1], batch=1)] == frames
    in_series = [frame.data for frame in client.iter_series_frames(*uids[:2])]
    assert in_series == [*frames[1:], client.retrieve_instance_frames(*uids, [2])[0], frames[0]]
    if syntax != RLELossless:
        size = 4 * 4 * 2
        assert frames == [ds.PixelData[2 * size : 3 * size], ds.PixelData[:size]]


def striped_frames(rows: int, cols: int, frames: int) -> bytes:
    """16-bit pixels where frame n is dark with a bright column n: frames render differently."""
    return b"".join(
        (4095 if col == frame else 0).to_bytes(2, "little")
        for frame in range(frames)
        for _ in range(rows)
        for col in range(cols)
    )


def test_rendered(client: DicomClient) -> None:
    require_module("PIL")
    ds = make_instance(rows=8, cols=8, frames=2, PixelData=striped_frames(8, 8, 2))
    other = make_instance(rows=8, cols=8, study_uid=ds.StudyInstanceUID)
    uids = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    other_uids = (other.StudyInstanceUID, other.SeriesInstanceUID, other.SOPInstanceUID)
    client.store_instances([ds, other])
    jpeg = client.retrieve_instance_rendered(*uids)
    assert jpeg[:2] == b"\xff\xd8"
    png = client.retrieve_instance_frames_rendered(*uids, [2], media_types=["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    second = client.retrieve_instance_frames_rendered(*uids, [2])
    assert second[:2] == b"\xff\xd8"
    assert second != jpeg
    assert client.retrieve_series_rendered(*uids[:2]) == [jpeg, second]
    study = client.retrieve_study_rendered(uids[0], media_types=["image/png"])
    assert len(study) == 3
    assert study[1] == png
    assert study[2] == client.retrieve_instance_rendered(*other_uids, media_types=["image/png"])
    thumbnail = client.retrieve_thumbnail(*uids, [2], media_types=["image/png"])
    assert thumbnail[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.retrieve_thumbnail(uids[0])[:2] == b"\xff\xd8"
    assert "GET" in client.capabilities("studies").allow


def test_partial_store_raises_store_error_with_the_result(client: DicomClient) -> None:
    good = make_instance()
    stranger = make_instance()
    with pytest.raises(StoreError) as info:
        client.store_instances([good, stranger], study_instance_uid=good.StudyInstanceUID)
    result = info.value.result
    assert [s.sop_instance_uid for s in result.stored] == [good.SOPInstanceUID]
    assert [f.sop_instance_uid for f in result.failed] == [stranger.SOPInstanceUID]
    assert result.partial


def test_classic_methods(client: DicomClient, tmp_path: Path) -> None:
    study = make_study(3, patient_id="CLASSIC")
    sources = write_instances(tmp_path / "in", study)
    stored = client.upload_dicom_file(sources[0])
    assert [s.sop_instance_uid for s in stored.stored] == [study[0].SOPInstanceUID]
    report = client.upload_dicom_folder(tmp_path / "in")
    assert sorted(report.stored) == sorted(sources[1:])
    assert report.already_present == [sources[0]]
    assert report.ok
    study_uid = client.get_patient_study_ids("CLASSIC")[0]
    written = client.download_dicom(tmp_path / "out", study_uid)
    assert sorted(p.read_bytes() for p in written) == sorted(p.read_bytes() for p in sources)
    one = study[1]
    single = client.download_dicom(
        tmp_path / "one", study_uid, one.SeriesInstanceUID, one.SOPInstanceUID
    )
    assert single == [
        tmp_path / "one" / study_uid / one.SeriesInstanceUID / f"{one.SOPInstanceUID}.dcm"
    ]
    client.delete_dicom(study_uid, one.SeriesInstanceUID, one.SOPInstanceUID)
    assert len(client.search_for_instances(study_uid)) == 2
    client.delete_dicom(study_uid)
    assert client.get_patient_study_ids("CLASSIC") == []
    with pytest.raises(InvalidArgumentError):
        client.delete_dicom(study_uid, None, one.SOPInstanceUID)


def test_downloaded_file_is_the_servers_bytes(client: DicomClient, tmp_path: Path) -> None:
    ds = make_instance(transfer_syntax=RLELossless)
    source = write_instances(tmp_path / "src", [ds])[0]
    client.upload_dicom_file(source)
    [written] = client.download_dicom(tmp_path / "dst", ds.StudyInstanceUID)
    assert written.read_bytes() == source.read_bytes()
    assert pydicom.dcmread(written).file_meta.TransferSyntaxUID == RLELossless


def test_api_version_and_partitions(tmp_path: Path, sync_backend: str) -> None:
    from dicomkit_server import ReferenceServer

    ds = make_instance(patient_id="PART")
    with ReferenceServer(tmp_path, api_version="v2") as url:
        base = url.rsplit("/v2", 1)[0]
        with (
            DicomClient(base, transport=sync_backend, api_version="v2", partition="north") as north,
            DicomClient(base, transport=sync_backend, api_version="v2", partition="south") as south,
        ):
            north.store_instances([ds])
            assert north.get_patient_study_ids("PART") == [ds.StudyInstanceUID]
            assert south.get_patient_study_ids("PART") == []
            assert north.retrieve_study(ds.StudyInstanceUID)[0].SOPInstanceUID == ds.SOPInstanceUID


def test_transfer_syntax_negotiation(client: DicomClient) -> None:
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    ds = make_instance(transfer_syntax=ImplicitVRLittleEndian)
    uids = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    client.store_instances([ds])
    as_stored = client.retrieve_instance(*uids)
    # PS3.18 8.7.3: Implicit VR Little Endian is re-encoded before it goes on the wire
    assert as_stored.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    explicit = client.retrieve_instance(*uids, transfer_syntax=ExplicitVRLittleEndian)
    assert explicit.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert explicit.PixelData == ds.PixelData
    by_media_type = client.retrieve_study(
        uids[0], media_types=[("application/dicom", ExplicitVRLittleEndian)]
    )
    assert by_media_type[0].file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
