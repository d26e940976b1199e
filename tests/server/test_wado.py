"""WADO-RS resources, transfer syntaxes and status codes, driven with plain HTTP."""

from __future__ import annotations

import io
import sys

import pydicom
import pytest
import requests
from pydicom.data import get_testdata_file
from pydicom.encaps import generate_frames
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless

from dicomkit.testing.data import make_instance, make_study

DICOM = 'multipart/related; type="application/dicom"'
OCTET = 'multipart/related; type="application/octet-stream"'


def _instance_url(url: str, ds: pydicom.Dataset) -> str:
    return (
        f"{url}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}"
    )


def _get(target: str, accept: str | None = None) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return requests.get(target, headers=headers, timeout=30)


def _bundled(name: str) -> pydicom.Dataset:
    path = get_testdata_file(name)
    assert path is not None, f"{name} is not in the pydicom wheel"
    return pydicom.dcmread(path)


def test_retrieve_study_series_instance(url, stow, split_multipart):
    datasets = make_study(3, n_series=2)
    assert stow(url, datasets).status_code == 200
    ds = datasets[0]
    study_url = f"{url}/studies/{ds.StudyInstanceUID}"
    targets = {
        study_url: 3,
        f"{study_url}/series/{ds.SeriesInstanceUID}": 2,
        _instance_url(url, ds): 1,
    }
    for target, expected in targets.items():
        response = _get(target, DICOM)
        assert response.status_code == 200
        assert int(response.headers["Content-Length"]) == len(response.content)
        parts = split_multipart(response.headers["Content-Type"], response.content)
        assert len(parts) == expected
        for headers, payload in parts:
            assert headers["content-type"] == (
                f"application/dicom; transfer-syntax={ExplicitVRLittleEndian}"
            )
            got = pydicom.dcmread(io.BytesIO(payload))
            original = next(d for d in datasets if d.SOPInstanceUID == got.SOPInstanceUID)
            assert got.PixelData == original.PixelData


def test_single_part_instance(url, stow):
    ds = make_instance()
    stow(url, [ds])
    response = _get(_instance_url(url, ds), "application/dicom")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/dicom")
    assert pydicom.dcmread(io.BytesIO(response.content)).SOPInstanceUID == ds.SOPInstanceUID


def test_implicit_vr_is_converted_to_explicit_by_default(url, stow, split_multipart):
    ds = _bundled("MR_small_implicit.dcm")
    assert stow(url, [ds]).status_code == 200
    converted = _get(_instance_url(url, ds), DICOM)
    headers, payload = split_multipart(converted.headers["Content-Type"], converted.content)[0]
    assert headers["content-type"].endswith(ExplicitVRLittleEndian)
    got = pydicom.dcmread(io.BytesIO(payload))
    assert got.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert got.PixelData == ds.PixelData

    as_stored = _get(_instance_url(url, ds), f"{DICOM}; transfer-syntax=*")
    headers, payload = split_multipart(as_stored.headers["Content-Type"], as_stored.content)[0]
    assert headers["content-type"].endswith(ImplicitVRLittleEndian)
    assert pydicom.dcmread(io.BytesIO(payload)).file_meta.TransferSyntaxUID == (
        ImplicitVRLittleEndian
    )


def test_compressed_instance_cannot_be_transcoded(url, stow, split_multipart):
    ds = _bundled("MR_small_RLE.dcm")
    assert stow(url, [ds]).status_code == 200
    target = _instance_url(url, ds)
    refused = _get(target, f"{DICOM}; transfer-syntax={ExplicitVRLittleEndian}")
    assert refused.status_code == 406
    for accept in (f"{DICOM}; transfer-syntax=*", DICOM, f"{DICOM}; transfer-syntax={RLELossless}"):
        response = _get(target, accept)
        assert response.status_code == 200
        headers, _ = split_multipart(response.headers["Content-Type"], response.content)[0]
        assert headers["content-type"].endswith(RLELossless)


def test_metadata_with_bulkdata_uri(url, stow, split_multipart):
    ds = make_instance(rows=32, cols=32)
    stow(url, [ds])
    response = _get(_instance_url(url, ds) + "/metadata")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/dicom+json")
    [metadata] = response.json()
    assert metadata["00080018"]["Value"] == [ds.SOPInstanceUID]
    uri = metadata["7FE00010"]["BulkDataURI"]
    assert uri == _instance_url(url, ds) + "/bulkdata/7FE00010"
    bulk = _get(uri)
    assert bulk.status_code == 200
    [(headers, payload)] = split_multipart(bulk.headers["Content-Type"], bulk.content)
    assert headers["content-type"] == "application/octet-stream"
    assert payload == ds.PixelData
    single = _get(uri, "application/octet-stream")
    assert single.content == ds.PixelData


def test_metadata_of_study_lists_every_instance(url, stow):
    datasets = make_study(4, n_series=2)
    stow(url, datasets)
    response = _get(f"{url}/studies/{datasets[0].StudyInstanceUID}/metadata")
    uids = sorted(item["00080018"]["Value"][0] for item in response.json())
    assert uids == sorted(ds.SOPInstanceUID for ds in datasets)


def test_metadata_as_xml_is_answered_and_other_types_are_406(url, stow):
    ds = make_instance()
    stow(url, [ds])
    accept = 'multipart/related; type="application/dicom+xml"'
    answer = _get(_instance_url(url, ds) + "/metadata", accept)
    assert answer.status_code == 200
    assert b"<NativeDicomModel" in answer.content
    assert _get(_instance_url(url, ds) + "/metadata", "text/html").status_code == 406


def test_native_frames(url, stow, split_multipart):
    ds = make_instance(rows=16, cols=8, frames=3)
    stow(url, [ds])
    frame_size = 16 * 8 * 2
    response = _get(
        _instance_url(url, ds) + "/frames/3,1",
        'multipart/related; type="application/octet-stream"; transfer-syntax=*',
    )
    assert response.status_code == 200
    parts = split_multipart(response.headers["Content-Type"], response.content)
    assert [payload for _, payload in parts] == [
        ds.PixelData[2 * frame_size :],
        ds.PixelData[:frame_size],
    ]
    assert parts[0][0]["content-type"].startswith("application/octet-stream")
    assert parts[0][0]["content-location"].endswith("/frames/3")


def test_encapsulated_frames_as_stored_and_decoded(url, stow, split_multipart):
    ds = make_instance(rows=16, cols=16, frames=3, transfer_syntax=RLELossless)
    stow(url, [ds])
    fragments = list(generate_frames(ds.PixelData, number_of_frames=3))
    stored = _get(
        _instance_url(url, ds) + "/frames/2", 'multipart/related; type="image/x-dicom-rle"'
    )
    [(headers, payload)] = split_multipart(stored.headers["Content-Type"], stored.content)
    assert headers["content-type"] == f"image/x-dicom-rle; transfer-syntax={RLELossless}"
    assert payload == fragments[1]

    decoded = _get(
        _instance_url(url, ds) + "/frames/2",
        f"{OCTET}; transfer-syntax={ExplicitVRLittleEndian}",
    )
    [(headers, payload)] = split_multipart(decoded.headers["Content-Type"], decoded.content)
    assert headers["content-type"].startswith("application/octet-stream")
    assert payload == ds.pixel_array[1].tobytes()


def test_bundled_multiframe_rle_and_jpeg_frames(url, stow, split_multipart):
    rle = _bundled("SC_rgb_rle_2frame.dcm")
    jpeg = _bundled("JPEG-lossy.dcm")
    assert stow(url, [rle, jpeg]).status_code == 200
    frames = _get(_instance_url(url, rle) + "/frames/1,2", 'multipart/related; type="*/*"')
    parts = split_multipart(frames.headers["Content-Type"], frames.content)
    assert [p for _, p in parts] == list(generate_frames(rle.PixelData, number_of_frames=2))
    first = _get(_instance_url(url, jpeg) + "/frames/1")
    [(headers, payload)] = split_multipart(first.headers["Content-Type"], first.content)
    assert headers["content-type"].startswith("image/jpeg")
    assert payload.startswith(b"\xff\xd8")


def test_native_frames_refuse_compressed_media_types(url, stow):
    ds = make_instance()
    stow(url, [ds])
    accept = 'multipart/related; type="image/jpeg"'
    assert _get(_instance_url(url, ds) + "/frames/1", accept).status_code == 406


@pytest.mark.parametrize(
    ("suffix", "accept", "magic"),
    [
        ("/rendered", None, b"\xff\xd8"),
        ("/rendered", "image/png", b"\x89PNG"),
        ("/frames/2/rendered", "image/jpeg", b"\xff\xd8"),
        ("/thumbnail", None, b"\xff\xd8"),
    ],
)
def test_rendered(url, stow, suffix, accept, magic):
    ds = make_instance(frames=2, transfer_syntax=RLELossless)
    stow(url, [ds])
    response = _get(_instance_url(url, ds) + suffix, accept)
    assert response.status_code == 200
    assert response.content.startswith(magic)


def test_rendered_statuses(url, stow, monkeypatch):
    ds = make_instance()
    stow(url, [ds])
    target = _instance_url(url, ds)
    assert _get(target + "/rendered", "image/gif").status_code == 406
    assert _get(target + "/frames/5/rendered").status_code == 404
    monkeypatch.setitem(sys.modules, "PIL", None)
    assert _get(target + "/rendered").status_code == 406


def test_unknown_uids_are_404(url, stow):
    ds = make_instance()
    stow(url, [ds])
    study = f"{url}/studies/{ds.StudyInstanceUID}"
    for target in (
        f"{url}/studies/1.2.3",
        f"{study}/series/1.2.3",
        f"{study}/series/{ds.SeriesInstanceUID}/instances/1.2.3",
        f"{url}/studies/1.2.3/metadata",
        f"{study}/series/{ds.SeriesInstanceUID}/instances/1.2.3/frames/1",
        _instance_url(url, ds) + "/frames/2",
        _instance_url(url, ds) + "/bulkdata/00091001",
    ):
        assert _get(target).status_code == 404, target
    assert _get(_instance_url(url, ds) + "/frames/one").status_code == 400


@pytest.mark.parametrize(
    "suffix",
    [
        "/frames/\u00b2",
        "/frames/1,\u00b2",
        "/frames/\u0661",
        "/frames/0",
        "/frames/\u00b2/rendered",
    ],
)
def test_frame_numbers_that_are_not_ascii_decimals_are_400(url, stow, suffix):
    """``str.isdigit`` passes superscript two, which ``int`` refuses (a 500 before), and
    Arabic-Indic digits, which ``int`` reads; neither is a DICOMweb frame number."""
    ds = make_instance()
    stow(url, [ds])
    assert _get(_instance_url(url, ds) + suffix).status_code == 400


@pytest.mark.parametrize("level", ["instance", "series", "study"])
def test_delete(url, stow, level):
    datasets = make_study(3, n_series=2)
    stow(url, datasets)
    ds = datasets[0]
    study = f"{url}/studies/{ds.StudyInstanceUID}"
    target = {
        "study": study,
        "series": f"{study}/series/{ds.SeriesInstanceUID}",
        "instance": _instance_url(url, ds),
    }[level]
    assert requests.delete(target, timeout=10).status_code == 204
    assert _get(target).status_code == 404
    remaining = {"study": 0, "series": 1, "instance": 2}[level]
    assert len(requests.get(f"{url}/instances", timeout=10).json()) == remaining
    assert requests.delete(target, timeout=10).status_code == 404


def test_wrong_method_is_405(url):
    assert requests.put(f"{url}/studies", timeout=10).status_code == 405
