"""The clients against Orthanc, a DICOMweb server no one here wrote, for what Orthanc supports.

Orthanc has no DICOMweb DELETE (405), accepts duplicates with 200, sends JSON error bodies
without a Content-Type and ends multi-instance bodies at connection close.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.dicomjson import first_value
from dicomkit.core.errors import MethodNotAllowedError, NotFoundError, UnauthorizedError
from dicomkit.testing.data import make_instance, make_study, write_instances

from .conftest import QUICK_RETRY


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sync_client_against_orthanc(orthanc: Any, sync_backend: str, tmp_path: Path) -> None:
    study = make_study(3, n_series=2, patient_id="ORTHANC-1")
    study_uid = study[0].StudyInstanceUID
    sources = write_instances(tmp_path / "in", study)
    (tmp_path / "in" / "notes.txt").write_text("not DICOM")
    with DicomClient(orthanc.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        report = client.upload_dicom_folder(tmp_path / "in")
        assert sorted(report.stored) == sorted(sources)
        assert report.not_dicom == [tmp_path / "in" / "notes.txt"]
        assert client.get_patient_study_ids("ORTHANC-1") == [study_uid]
        assert len(client.search_for_series(study_uid)) == 2
        assert len(client.search_for_instances(study_uid, limit=1, get_remaining=True)) == 3

        retrieved = client.retrieve_study(study_uid)
        assert {ds.SOPInstanceUID for ds in retrieved} == {ds.SOPInstanceUID for ds in study}
        one = study[0]
        uids = (study_uid, one.SeriesInstanceUID, one.SOPInstanceUID)
        assert client.retrieve_instance(*uids).PixelData == one.PixelData
        series = client.retrieve_series(*uids[:2])
        assert one.SOPInstanceUID in {ds.SOPInstanceUID for ds in series}
        metadata = client.retrieve_instance_metadata(*uids)
        assert first_value(metadata, "PatientID") == "ORTHANC-1"
        assert len(client.retrieve_study_metadata(study_uid)) == 3
        assert client.retrieve_instance_frames(*uids, [1]) == [one.PixelData]

        written = client.download_dicom(tmp_path / "out", study_uid)
        assert sorted(map(digest, written)) == sorted(map(digest, sources))

        with pytest.raises(MethodNotAllowedError, match="does not support DICOMweb DELETE"):
            client.delete_dicom(study_uid)
        with pytest.raises(NotFoundError):
            client.retrieve_study_metadata("1.2.3.4.5.6.7")


async def test_async_client_against_orthanc(
    orthanc: Any, async_backend: str, tmp_path: Path
) -> None:
    ds = make_instance(patient_id="ORTHANC-2", frames=2)
    uids = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    client = AsyncDicomClient(orthanc.url, transport=async_backend, retry=QUICK_RETRY)
    async with client:
        assert len((await client.store_instances([ds])).stored) == 1
        assert len((await client.store_instances([ds])).stored) == 1  # duplicates accepted
        assert await client.get_patient_study_ids("ORTHANC-2") == [uids[0]]
        assert [d.SOPInstanceUID async for d in client.iter_study(uids[0])] == [uids[2]]
        frames = [f async for f in client.iter_instance_frames(*uids, [2])]
        assert frames == [ds.PixelData[len(ds.PixelData) // 2 :]]
        written = await client.download_dicom(tmp_path, *uids)
        assert len(written) == 1
        with pytest.raises(MethodNotAllowedError):
            await client.delete_study(uids[0])


def test_wrong_password_is_a_clear_401(orthanc_with_auth: Any, sync_backend: str) -> None:
    client = DicomClient(
        orthanc_with_auth.url, transport=sync_backend, auth=("alice", "wrong password")
    )
    with client, pytest.raises(UnauthorizedError) as info:
        client.search_for_studies()
    assert info.value.status == 401
