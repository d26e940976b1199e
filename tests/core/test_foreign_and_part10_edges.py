"""Core pieces that main's other branches test only through clients: the wrong-root hint and
NotDicomWebError, the foreign-answer check of JSON keys, and Part 10 encoding of a Dataset
built in memory."""

from __future__ import annotations

import json
import pickle

import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomkit.core.errors import InvalidArgumentError, NotDicomWebError, dicomweb_root_hint
from dicomkit.core.interface import Headers, Request
from dicomkit.core.operations.foreign import json_answer
from dicomkit.core.part10 import part10_bytes


def _hint(base: str, orthanc: str) -> str:
    return (
        f"Is {base} the server's DICOMweb root? Pass the root the server documents as the base"
        f" URL (for Orthanc {orthanc}, not its REST root); see the troubleshooting page of the"
        " docs."
    )


@pytest.mark.parametrize(
    ("url", "base", "orthanc"),
    [
        ("http://h:8042/studies?x=1", "http://h:8042", "http://h:8042/dicom-web"),
        (
            "http://h:8042/dicom-web/studies/1.2/series",
            "http://h:8042/dicom-web",
            "http://h:8042/dicom-web",
        ),
        ("http://h:8042", "http://h:8042", "http://h:8042/dicom-web"),
        ("http://h:8042/app/?q", "http://h:8042/app", "http://h:8042/dicom-web"),
        ("http://h/a/bulkdata#x", "http://h/a", "http://h/dicom-web"),
        ("http://h/a/workitems", "http://h/a", "http://h/dicom-web"),
        ("http://h/studiesX/y", "http://h/studiesX/y", "http://h/dicom-web"),
        ("h/x/instances", "h/x", "h/dicom-web"),
    ],
)
def test_the_wrong_root_hint(url, base, orthanc):
    assert dicomweb_root_hint(url) == _hint(base, orthanc)


def test_not_dicomweb_error_message_fields_and_pickling():
    error = NotDicomWebError(
        "GET",
        "http://h:8042/studies",
        "application/json",
        expected="application/dicom+json",
        why="a JSON object",
    )
    assert (error.method, error.url, error.content_type) == (
        "GET",
        "http://h:8042/studies",
        "application/json",
    )
    assert str(error) == (
        "GET http://h:8042/studies answered application/json (a JSON object), not "
        "application/dicom+json: this is not a DICOMweb answer. "
        + _hint("http://h:8042", "http://h:8042/dicom-web")
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is NotDicomWebError
    assert str(copy) == str(error)
    assert copy.content_type == "application/json"
    bare = NotDicomWebError("GET", "http://h/x", None, expected="multipart/related")
    assert str(bare).startswith(
        "GET http://h/x answered no Content-Type, not multipart/related: this is not"
    )


REQUEST = Request("GET", "http://h:8042/studies")


@pytest.mark.parametrize(
    "body",
    [b'[{"00100020": {"vr": "LO"}}]', b"[{}]", b"[]"],
)
def test_json_with_dicom_tags_is_accepted(body):
    headers = Headers({"Content-Type": "application/json"})
    assert json_answer(REQUEST, 200, headers, body) == json.loads(body)


@pytest.mark.parametrize("body", [b'[{"ID": "x"}]', b'[{"0010002": {}}]', b'[{"0010002g": {}}]'])
def test_json_whose_keys_are_not_tags_is_foreign(body):
    with pytest.raises(NotDicomWebError) as caught:
        json_answer(REQUEST, 200, Headers({"Content-Type": "application/json"}), body)
    assert "(objects whose keys are not DICOM tags)" in str(caught.value)


def _memory_dataset(**encoding: bool | None) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.3.4"
    ds.PatientID = "P"
    if encoding:
        ds.set_original_encoding(encoding["implicit"], encoding["little"])
    return ds


@pytest.mark.parametrize(
    ("encoding", "syntax"),
    [
        ({}, ExplicitVRLittleEndian),
        ({"implicit": True, "little": True}, ImplicitVRLittleEndian),
        ({"implicit": False, "little": True}, ExplicitVRLittleEndian),
        ({"implicit": False, "little": False}, ExplicitVRBigEndian),
    ],
)
def test_part10_of_a_dataset_built_in_memory(encoding, syntax):
    ds = _memory_dataset(**encoding)
    data = part10_bytes(ds)
    assert data[128:132] == b"DICM"
    back = pydicom.dcmread(pydicom.filebase.DicomBytesIO(data))
    assert back.file_meta.TransferSyntaxUID == syntax
    assert back.PatientID == "P"
    assert not hasattr(ds, "file_meta")  # the caller's Dataset is untouched


def test_part10_keeps_a_given_transfer_syntax_and_other_meta():
    ds = _memory_dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.ImplementationVersionName = "MINE"
    data = part10_bytes(ds)
    back = pydicom.dcmread(pydicom.filebase.DicomBytesIO(data))
    assert back.file_meta.ImplementationVersionName == "MINE"
    assert back.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert "TransferSyntaxUID" not in ds.file_meta
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    again = pydicom.dcmread(pydicom.filebase.DicomBytesIO(part10_bytes(ds)))
    assert again.file_meta.TransferSyntaxUID == ImplicitVRLittleEndian


def test_part10_refusal_message():
    ds = Dataset()
    ds.PatientID = "P"  # no SOP Class or Instance UID: no file meta can be written
    with pytest.raises(InvalidArgumentError) as caught:
        part10_bytes(ds)
    assert str(caught.value).startswith("cannot encode the dataset as a DICOM file: ")
