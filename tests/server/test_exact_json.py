"""Differential test of the reference server's DICOM JSON against pydicom's, on pydicom's own
test files: every transfer syntax, the character-set files, sequences, private tags,
multi-frame, nested bulk data and a value that does not parse.

Each file is stored through STOW; its metadata must equal ``Dataset.to_json_dict`` (BulkDataURIs
aside), each BulkDataURI must return the bytes of the element it names (nested ones included),
and an instance-level QIDO with ``includefield=all`` must carry every top-level attribute that is
not bulk data, with the same value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydicom
import pytest
import requests
from pydicom.data import get_charset_files, get_testdata_file
from pydicom.dataset import Dataset

BULK_THRESHOLD = 1024
"""The reference server's threshold (dicomkit_server._dicomfile.BULK_THRESHOLD)."""

MARK = "bulk"
TEST_FILES = [
    # transfer syntaxes
    "CT_small.dcm",  # explicit VR little endian, private tags
    "MR_small_implicit.dcm",  # implicit VR little endian
    "MR_small_bigendian.dcm",  # explicit VR big endian
    "image_dfl.dcm",  # deflated explicit VR little endian
    "MR_small_RLE.dcm",  # RLE lossless
    "JPEG-lossy.dcm",  # JPEG extended
    "SC_rgb_jpeg_gdcm.dcm",  # JPEG lossless SV1
    "SC_rgb_jpeg_dcmtk.dcm",  # JPEG baseline, UTF-8
    "MR_small_jpeg_ls_lossless.dcm",  # JPEG-LS lossless
    "JPEGLSNearLossless_08.dcm",  # JPEG-LS near-lossless (no study and series UIDs: added)
    "MR_small_jp2klossless.dcm",  # JPEG 2000 lossless
    "JPEG2000.dcm",  # JPEG 2000
    "J2K_pixelrep_mismatch.dcm",  # ISO 2022 Japanese character sets
    # sequences, structured reports, empty numbers
    "rtplan.dcm",
    "test-SR.dcm",
    "reportsi_with_empty_number_tags.dcm",
    # multi-frame
    "rtdose.dcm",
    "SC_rgb_rle_2frame.dcm",
    # bulk data inside sequences: an icon image, two waveforms with the same tag
    "examples_overlay.dcm",
    "waveform_ecg.dcm",
    # NumberOfFrames "1A": stored, the value that does not parse left out (as Orthanc does)
    "badVR.dcm",
]
CHARSET_FILES = [
    "chrArab.dcm",
    "chrFrenMulti.dcm",
    "chrGreek.dcm",
    "chrH31.dcm",
    "chrHbrw.dcm",
    "chrJapMulti.dcm",
    "chrKoreanMulti.dcm",
    "chrRuss.dcm",
    "chrSQEncoding.dcm",  # character set inside a sequence (no UIDs: added)
    "chrX1.dcm",
]


def _file(name: str) -> Path:
    found = get_testdata_file(name)
    if found is None:
        found = next((f for f in get_charset_files(name) if f.endswith(name)), None)
    assert found is not None, f"{name} is not in the pydicom wheel"
    return Path(found)


_IDENTITY = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")


def _storable(path: Path, folder: Path) -> Path:
    """``path``, or a copy with the identifying UIDs a few test files lack (a STOW needs them)."""
    ds = pydicom.dcmread(path)
    missing = [keyword for keyword in _IDENTITY if not ds.get(keyword)]
    if not missing:
        return path
    for keyword in missing:
        value = pydicom.uid.SecondaryCaptureImageStorage if keyword == "SOPClassUID" else None
        setattr(ds, keyword, value or pydicom.uid.generate_uid(entropy_srcs=[path.name, keyword]))
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    copy = folder / path.name
    ds.save_as(copy, enforce_file_format=True)
    return copy


def _element_json(element: pydicom.DataElement) -> dict[str, Any]:
    """pydicom's JSON of one element; a value pydicom cannot encode (IS "1A") is left out."""
    try:
        return element.to_json_dict(
            bulk_data_element_handler=lambda _: MARK, bulk_data_threshold=BULK_THRESHOLD
        )
    except ValueError:
        return {"vr": element.VR}


def _expected(ds: Dataset) -> dict[str, Any]:
    """``Dataset.to_json_dict`` with every BulkDataURI replaced by MARK, element by element."""
    result: dict[str, Any] = {}
    for element in ds:
        key = f"{element.tag:08X}"
        if element.VR == "SQ":
            items = [_expected(item) for item in element.value]
            result[key] = {"vr": "SQ", "Value": items}
        else:
            result[key] = _element_json(element)
    return result


def _strip_links(
    node: dict[str, Any], ds: Dataset, found: list[tuple[str, bytes]]
) -> dict[str, Any]:
    """``node`` with each BulkDataURI replaced by MARK; (uri, element bytes) pairs collected."""
    out: dict[str, Any] = {}
    for key, element in node.items():
        tag = int(key, 16)
        if "BulkDataURI" in element:
            found.append((element["BulkDataURI"], bytes(ds[tag].value)))
            element = {**element, "BulkDataURI": MARK}
        elif element.get("vr") == "SQ" and "Value" in element:
            items = zip(element["Value"], ds[tag].value, strict=True)
            element = {**element, "Value": [_strip_links(i, d, found) for i, d in items]}
        out[key] = element
    return out


def _get(target: str, **params: str) -> requests.Response:
    response = requests.get(
        target, params=params, headers={"Accept": "application/dicom+json"}, timeout=30
    )
    assert response.status_code == 200, (target, response.status_code, response.text)
    return response


@pytest.mark.parametrize("name", TEST_FILES + CHARSET_FILES)
def test_server_json_and_bulk_data_match_pydicom(url, stow, name, tmp_path):
    path = _storable(_file(name), tmp_path)
    ds = pydicom.dcmread(path)
    stored = stow(url, [path.read_bytes()])
    assert stored.status_code == 200, stored.text
    instance = (
        f"{url}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}"
    )
    expected = _expected(ds)

    links: list[tuple[str, bytes]] = []
    (metadata,) = _get(f"{instance}/metadata").json()
    assert _strip_links(metadata, ds, links) == expected
    for uri, value in links:
        assert uri.startswith(f"{instance}/bulkdata/"), uri
        bulk = requests.get(uri, headers={"Accept": "application/octet-stream"}, timeout=30)
        assert bulk.status_code == 200, (uri, bulk.text)
        assert bulk.content == value, uri

    (found,) = _get(f"{url}/instances", SOPInstanceUID=ds.SOPInstanceUID, includefield="all").json()
    qido_links: list[tuple[str, bytes]] = []
    answered = _strip_links(found, ds, qido_links) if found else {}
    assert set(qido_links) <= set(links)  # the same URIs, naming the same elements
    for key, element in expected.items():
        if element.get("BulkDataURI") == MARK or "InlineBinary" in element or key == "00080056":
            continue
        assert answered.get(key) == element, key


def test_nested_bulk_data_is_the_nested_element(url, stow):
    """The icon image's BulkDataURI returns the icon, not the main PixelData (same tag)."""
    path = _file("examples_overlay.dcm")
    ds = pydicom.dcmread(path)
    assert stow(url, [path.read_bytes()]).status_code == 200
    (metadata,) = _get(
        f"{url}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}/metadata"
    ).json()
    icon = metadata["00880200"]["Value"][0]["7FE00010"]["BulkDataURI"]
    main = metadata["7FE00010"]["BulkDataURI"]
    assert icon != main
    got = requests.get(icon, headers={"Accept": "application/octet-stream"}, timeout=30)
    assert got.content == bytes(ds.IconImageSequence[0].PixelData)


def test_qido_all_has_no_internal_placeholder(url, stow):
    path = _file("waveform_ecg.dcm")
    ds = pydicom.dcmread(path)
    assert stow(url, [path.read_bytes()]).status_code == 200
    answer = _get(f"{url}/instances", SOPInstanceUID=ds.SOPInstanceUID, includefield="all")
    assert "dicomkit-bulk:" not in answer.text
    (found,) = answer.json()
    uris = [item["54001010"]["BulkDataURI"] for item in found["54000100"]["Value"]]
    assert len(set(uris)) == 2
    for uri, item in zip(uris, ds.WaveformSequence, strict=True):
        got = requests.get(uri, headers={"Accept": "application/octet-stream"}, timeout=30)
        assert got.content == bytes(item.WaveformData)


def test_qido_all_at_instance_level_keeps_group_0028(url, stow):
    path = _file("CT_small.dcm")
    ds = pydicom.dcmread(path)
    assert stow(url, [path.read_bytes()]).status_code == 200
    (found,) = _get(f"{url}/instances", SOPInstanceUID=ds.SOPInstanceUID, includefield="all").json()
    for keyword in ("SamplesPerPixel", "PhotometricInterpretation", "PixelSpacing", "BitsStored"):
        tag = f"{pydicom.datadict.tag_for_keyword(keyword):08X}"
        assert tag in found, keyword


def test_an_invalid_is_value_is_stored_like_orthanc_does(url, stow):
    path = _file("badVR.dcm")
    ds = pydicom.dcmread(path)
    stored = stow(url, [path.read_bytes()])
    assert stored.status_code == 200, stored.text
    (item,) = stored.json()["00081199"]["Value"]
    assert item["00081155"] == {"vr": "UI", "Value": [ds.SOPInstanceUID]}
    (metadata,) = _get(
        f"{url}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}/metadata"
    ).json()
    assert metadata["00280008"] == {"vr": "IS"}


@pytest.mark.parametrize(
    ("suffix", "status"),
    [
        ("54000100/0/54001010", 400),  # item numbers start at 1
        ("54000100/x/54001010", 400),
        ("54000100/1/5400101", 400),
        ("54000100/3/54001010", 404),  # two items only
        ("7FE00010/1/7FE00010", 404),  # not a sequence
        ("00880200/1/7FE00010", 404),  # no icon in this file
    ],
)
def test_bad_bulk_data_paths(url, stow, suffix, status):
    path = _file("waveform_ecg.dcm")
    ds = pydicom.dcmread(path)
    assert stow(url, [path.read_bytes()]).status_code == 200
    target = (
        f"{url}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}/bulkdata/{suffix}"
    )
    got = requests.get(target, headers={"Accept": "application/octet-stream"}, timeout=30)
    assert got.status_code == status, got.text


def test_a_text_value_like_the_placeholder_is_served_as_written(url, stow):
    from dicomkit.testing.data import make_instance

    ds = make_instance()
    ds.StudyDescription = "dicomkit-bulk:7FE00010"
    assert stow(url, [ds]).status_code == 200
    (metadata,) = _get(f"{url}/studies/{ds.StudyInstanceUID}/metadata").json()
    assert metadata["00081030"]["Value"] == ["dicomkit-bulk:7FE00010"]
