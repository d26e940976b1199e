"""The fast UID scan used by download_dicom agrees with pydicom, or steps aside (None)."""

from __future__ import annotations

import io

import pydicom
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    CTImageStorage,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    generate_uid,
)

from dicomkit.files.uid_scan import scan_uids

SYNTAXES = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]


UIDS = st.integers(1, 10**38).map(lambda n: f"2.25.{n}")


def _referenced(draw: st.DrawFn, n: int, undefined: bool) -> Sequence:
    items = []
    for _ in range(n):
        item = Dataset()
        item.ReferencedSOPClassUID = CTImageStorage
        item.ReferencedSOPInstanceUID = draw(UIDS)
        item.is_undefined_length_sequence_item = undefined
        items.append(item)
    return Sequence(items)


def _encode(ds: Dataset, syntax: str) -> bytes:
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = syntax
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def _pydicom_uids(data: bytes) -> tuple[str, str, str]:
    ds = pydicom.dcmread(io.BytesIO(data), force=True, stop_before_pixels=True)
    return str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID)


@st.composite
def instances(draw: st.DrawFn) -> tuple[bytes, str]:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = draw(UIDS)
    ds.StudyInstanceUID = draw(UIDS)
    ds.SeriesInstanceUID = draw(UIDS)
    ds.ImageType = draw(st.sampled_from([["ORIGINAL", "PRIMARY"], "DERIVED", ""]))
    ds.PatientName = draw(st.text(st.characters(codec="ascii", exclude_categories=["Cc"])))
    for keyword in (
        "ReferencedImageSequence",
        "ReferencedStudySequence",
        "OtherPatientIDsSequence",
    ):
        if draw(st.booleans()):
            setattr(ds, keyword, _referenced(draw, draw(st.integers(0, 3)), draw(st.booleans())))
            ds[keyword].is_undefined_length = draw(st.booleans())
    if draw(st.booleans()):
        ds.add_new(0x00091010, "LO", "private")
    ds.Rows = ds.Columns = 2
    ds.BitsAllocated = 16
    ds.PixelData = b"\x00" * 8
    syntax = draw(st.sampled_from(SYNTAXES))
    return _encode(ds, syntax), syntax


@given(instances())
def test_the_scan_finds_what_pydicom_finds(instance: tuple[bytes, str]) -> None:
    data, _ = instance
    assert scan_uids(data) == _pydicom_uids(data)


@given(instances(), st.data())
def test_a_cut_head_gives_the_same_uids_or_none(
    instance: tuple[bytes, str], data: st.DataObject
) -> None:
    body, _ = instance
    cut = data.draw(st.integers(0, len(body)))
    found = scan_uids(body[:cut])
    assert found is None or found == _pydicom_uids(body)


@given(instances(), st.data())
def test_damaged_bytes_never_give_other_uids(
    instance: tuple[bytes, str], data: st.DataObject
) -> None:
    body = bytearray(instance[0])
    for _ in range(data.draw(st.integers(1, 4))):
        body[data.draw(st.integers(128, len(body) - 1))] = data.draw(st.integers(0, 255))
    found = scan_uids(bytes(body))
    if found is not None:
        try:
            expected = _pydicom_uids(bytes(body))
        except Exception:  # pydicom cannot read it either: any answer is as good as an error
            return
        assert found == expected


def test_encodings_it_does_not_walk_are_left_to_pydicom() -> None:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    big_endian = _encode(ds, ExplicitVRBigEndian)
    assert scan_uids(big_endian) is None
    assert scan_uids(big_endian[128:]) is None  # no preamble
    assert scan_uids(b"") is None


def test_a_missing_uid_is_left_to_pydicom() -> None:
    ds = Dataset()
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    assert scan_uids(_encode(ds, ExplicitVRLittleEndian)) is None
