"""Error paths through fault injection, and the users' view of folder upload and download."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from dicomkit import DicomClient
from dicomkit.core.dicomjson import first_value
from dicomkit.core.errors import ServiceUnavailableError, TransportError
from dicomkit.core.retry import RetryPolicy
from dicomkit.testing.data import make_instance, make_study, write_instances


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_503_storm_with_retry_after_is_retried_then_succeeds(
    client: DicomClient, dicomweb_server: Any
) -> None:
    ds = make_instance(patient_id="STORM")
    client.store_instances([ds])
    dicomweb_server.faults.add("/studies", method="GET", status=503, retry_after=0, times=3)
    found = client.search_for_studies({"PatientID": "STORM"})
    assert len(found) == 1


def test_a_storm_that_outlasts_the_policy_raises(dicomweb_server: Any, sync_backend: str) -> None:
    dicomweb_server.faults.add("/studies", status=503, retry_after=0, times=None)
    policy = RetryPolicy(max_attempts=2, backoff=0.0)
    client = DicomClient(dicomweb_server.url, transport=sync_backend, retry=policy)
    with client, pytest.raises(ServiceUnavailableError) as info:
        client.search_for_studies()
    assert info.value.status == 503


def test_stow_storm_is_retried_when_allowed_and_the_body_resent(
    dicomweb_server: Any, sync_backend: str, tmp_path: Path
) -> None:
    study = make_study(3)
    paths = write_instances(tmp_path, study)
    dicomweb_server.faults.add("/studies", method="POST", status=503, retry_after=0, times=2)
    policy = RetryPolicy(backoff=0.0, retry_stow=True)
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=policy) as client:
        result = client.store_instances(paths)
        assert len(result.stored) == 3
        assert len(client.search_for_instances(study[0].StudyInstanceUID)) == 3


@pytest.mark.parametrize("cut_after", [300, None])
def test_a_cut_mid_download_leaves_no_truncated_file(
    client: DicomClient, dicomweb_server: Any, tmp_path: Path, cut_after: int | None
) -> None:
    study = make_study(2, rows=32, cols=32)
    sources = {ds.SOPInstanceUID: ds for ds in study}
    client.store_instances(study)
    part_size = len(next(iter(client.iter_parts(study[0].StudyInstanceUID)))[1])
    cut = cut_after if cut_after is not None else part_size + 500
    dicomweb_server.faults.add(f"/studies/{study[0].StudyInstanceUID}", method="GET", cut_after=cut)
    out = tmp_path / "out"
    with pytest.raises(TransportError):
        client.download_dicom(out, study[0].StudyInstanceUID)
    left = [p for p in out.rglob("*") if p.is_file()]
    assert all(p.suffix == ".dcm" for p in left), left
    for path in left:
        assert path.stem in sources
        assert path.stat().st_size == part_size
    # A part completed before the cut may be kept (whole); how much arrived depends on buffering.
    assert len(left) <= (0 if cut_after is not None else 1)


def make_user_folder(root: Path) -> tuple[dict[Path, str], list[Path], str]:
    """A folder as users have them: nested duplicate names, odd extensions, non-DICOM files."""
    study = make_study(5, n_series=2, patient_id="FOLDER")
    layout = ["a/scan.dcm", "b/scan.dcm", "c/IMG0001", "c/UPPER.DCM", "nested/deeper/x.dcm"]
    dicom: dict[Path, str] = {}
    for relative, ds in zip(layout, study, strict=True):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(path, enforce_file_format=True)
        dicom[path] = ds.SOPInstanceUID
    others = {"notes.txt": b"not an image", "fake.dcm": b"hello", "empty.dcm": b""}
    not_dicom = []
    for relative, data in others.items():
        (root / relative).write_bytes(data)
        not_dicom.append(root / relative)
    return dicom, not_dicom, study[0].StudyInstanceUID


def test_upload_folder_then_download_gives_the_same_bytes(
    client: DicomClient, tmp_path: Path
) -> None:
    dicom, not_dicom, study_uid = make_user_folder(tmp_path / "in")
    progress: list[tuple[int, int | None]] = []
    report = client.upload_dicom_folder(
        tmp_path / "in", max_batch_instances=2, progress=lambda d, t: progress.append((d, t))
    )
    assert sorted(report.stored) == sorted(dicom)
    assert sorted(report.not_dicom) == sorted(not_dicom)
    assert report.failed == {}
    assert report.total == 8
    assert progress[-1] == (8, 8)

    again = client.upload_dicom_folder(tmp_path / "in")
    assert sorted(again.already_present) == sorted(dicom)
    assert again.stored == []

    written = client.download_dicom(tmp_path / "out", study_uid)
    assert sorted(sha256(p) for p in written) == sorted(sha256(p) for p in dicom)
    assert {p.stem for p in written} == set(dicom.values())
    for path in written:
        assert path.relative_to(tmp_path / "out").parts[0] == study_uid


def test_upload_folder_without_recursion(client: DicomClient, tmp_path: Path) -> None:
    top = write_instances(tmp_path, [make_instance()])
    write_instances(tmp_path / "sub", [make_instance()])
    report = client.upload_dicom_folder(tmp_path, recursive=False)
    assert report.stored == top


def test_a_connection_lost_on_one_folder_batch_is_settled_by_asking_the_server(
    client: DicomClient, dicomweb_server: Any, tmp_path: Path
) -> None:
    study = make_study(4)
    paths = write_instances(tmp_path, study)
    dicomweb_server.faults.add("/studies", method="POST", cut_after=0, times=1)
    report = client.upload_dicom_folder(tmp_path, max_batch_instances=1)
    # The server stored the cut batch before its answer was cut: QIDO-RS says so.
    assert report.failed == {}
    assert sorted(report.stored) == sorted(paths)
    stored = client.search_for_instances(study[0].StudyInstanceUID)
    on_server = {first_value(found, "SOPInstanceUID") for found in stored}
    assert on_server == {path.stem for path in report.stored}
    asked = [*on_server, "1.2.3.4"]
    assert client.held_instances(asked, study[0].StudyInstanceUID) == on_server
