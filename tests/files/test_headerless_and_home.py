"""Files pydicom reads only with force=True, and ``~`` in path arguments (issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydicom
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomkit import DicomClient, InvalidArgumentError
from dicomkit.files.folder import HEADERLESS_PROBLEM, sniff_file
from dicomkit.files.uid_scan import scan_headerless, scan_sop_uid
from dicomkit.testing.data import dataset_bytes, make_instance, write_instances
from tests.files.test_uid_scan import instances


def _headerless(ds: pydicom.Dataset, syntax: str, with_meta: bool) -> bytes:
    """What old exports write: the data set, maybe its file meta, no preamble and no DICM."""
    ds.file_meta.TransferSyntaxUID = syntax
    body = dataset_bytes(ds)
    if with_meta:
        return body[132:]
    meta_end = 132
    while body[meta_end : meta_end + 2] == b"\x02\x00":
        length = int.from_bytes(body[meta_end + 6 : meta_end + 8], "little")
        vr = body[meta_end + 4 : meta_end + 6]
        if vr in (b"OB", b"UN"):
            length = int.from_bytes(body[meta_end + 8 : meta_end + 12], "little") + 4
        meta_end += 8 + length
    return body[meta_end:]


@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
@pytest.mark.parametrize("with_meta", [True, False])
def test_headerless_files_are_dicom_with_a_reason(
    tmp_path: Path, syntax: str, with_meta: bool
) -> None:
    ds = make_instance()
    path = tmp_path / "rtstruct"
    path.write_bytes(_headerless(ds, syntax, with_meta))
    read = pydicom.dcmread(path, force=True)
    assert read.SOPInstanceUID == ds.SOPInstanceUID  # pydicom reads it with force=True only
    with pytest.raises(pydicom.errors.InvalidDicomError):
        pydicom.dcmread(path)
    scanned = sniff_file(path)
    assert scanned.is_dicom
    assert scanned.headerless
    assert scanned.problem == HEADERLESS_PROBLEM
    assert "force=True" in HEADERLESS_PROBLEM
    assert scanned.sop_instance_uid == ds.SOPInstanceUID
    forced = sniff_file(path, force=True)
    assert forced.problem is None
    assert forced.sop_instance_uid == ds.SOPInstanceUID


@given(st.binary(max_size=300))
def test_random_bytes_are_not_headerless_dicom(data: bytes) -> None:
    assert scan_headerless(data) is None


def test_text_is_not_dicom(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("StudyInstanceUID 1.2.3\n" * 20)
    assert not sniff_file(path).is_dicom


def test_headerless_files_upload_only_on_request(dicomweb_server: Any, tmp_path: Path) -> None:
    plain, raw = make_instance(patient_id="H-1"), make_instance(patient_id="H-1")
    folder = tmp_path / "in"
    write_instances(folder, [plain])
    raw_path = folder / "export.raw"
    raw_path.write_bytes(_headerless(raw, ImplicitVRLittleEndian, with_meta=False))
    with DicomClient(dicomweb_server.url) as client:
        report = client.upload_dicom_folder(folder)
        assert not report.ok
        assert report.failed == {raw_path: HEADERLESS_PROBLEM}
        assert len(report.stored) == 1
        with pytest.raises(InvalidArgumentError, match="force=True"):
            client.upload_dicom_file(raw_path)
        report = client.upload_dicom_folder(folder, force=True)
        assert report.ok, report
        assert report.stored == [raw_path]
        single = make_instance(patient_id="H-2")
        single_path = tmp_path / "single.raw"
        single_path.write_bytes(_headerless(single, ExplicitVRLittleEndian, with_meta=True))
        assert client.upload_dicom_file(single_path, force=True).ok
        assert client.get_patient_study_ids("H-2") == [single.StudyInstanceUID]
        studies = client.get_patient_study_ids("H-1")
        stored = client.retrieve_instance(
            raw.StudyInstanceUID, raw.SeriesInstanceUID, raw.SOPInstanceUID
        )
    assert stored.PatientID == "H-1"
    assert stored.file_meta.TransferSyntaxUID  # re-encoded as a Part 10 file
    assert raw.StudyInstanceUID in studies


def test_tilde_is_expanded_in_every_path_argument(
    dicomweb_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    study = [make_instance(patient_id="T-1")]
    write_instances(tmp_path / "in", study)
    one = write_instances(tmp_path / "one", [make_instance(patient_id="T-2")])[0]
    with DicomClient(dicomweb_server.url) as client:
        assert client.upload_dicom_folder("~/in").ok
        assert client.upload_dicom_file(f"~/one/{one.relative_to(tmp_path / 'one')}").ok
        other = make_instance(patient_id="T-3")
        write_instances(tmp_path / "more", [other])
        [more] = list((tmp_path / "more").rglob("*.dcm"))
        assert client.store_instances([f"~/{more.relative_to(tmp_path)}"]).ok
        written = client.download_dicom("~/dl", study[0].StudyInstanceUID)
    assert written
    assert all(path.is_relative_to(tmp_path / "dl") for path in written)
    assert not (tmp_path / "~").exists()


@given(instances(), st.booleans())
def test_the_headerless_walk_finds_what_pydicom_finds_with_force(
    instance: tuple[bytes, str], with_meta: bool
) -> None:
    data, _ = instance
    body = data[132:] if with_meta else _without_meta(data)
    expected = str(pydicom.dcmread(pydicom.filebase.DicomBytesIO(body), force=True).SOPInstanceUID)
    assert scan_headerless(body) == expected
    assert scan_sop_uid(data) == expected


def _without_meta(data: bytes) -> bytes:
    end = 132
    while data[end : end + 2] == b"\x02\x00":
        if data[end + 4 : end + 6] in (b"OB", b"UN"):
            end += 12 + int.from_bytes(data[end + 8 : end + 12], "little")
        else:
            end += 8 + int.from_bytes(data[end + 6 : end + 8], "little")
    return data[end:]


@given(st.binary(max_size=400))
def test_damaged_part10_heads_give_a_uid_or_none(tail: bytes) -> None:
    head = b"\0" * 128 + b"DICM" + tail
    for found in (scan_sop_uid(head), scan_headerless(tail)):
        assert found is None or isinstance(found, str)
