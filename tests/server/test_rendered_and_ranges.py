"""Rendered and thumbnail resources at study and series level, and byte ranges on bulk data,
driven with plain HTTP (PS3.18 10.4.1.1.3-4, 10.4.4; RFC 9110 section 14)."""

from __future__ import annotations

import io

import pytest
import requests
from dicomkit_server._ranges import Unsatisfiable, byte_range
from hypothesis import given
from hypothesis import strategies as st
from pydicom.dataset import Dataset

from dicomkit.testing.data import make_instance
from tests._support.ci import require_module

Image = require_module("PIL.Image")

JPEG_PARTS = 'multipart/related; type="image/jpeg"'
PNG_PARTS = 'multipart/related; type="image/png"'
OCTET_PARTS = 'multipart/related; type="application/octet-stream"'


def _get(target: str, accept: str | None = None, **headers: str) -> requests.Response:
    if accept is not None:
        headers["Accept"] = accept
    return requests.get(target, headers=headers, timeout=30)


def _instance_url(url: str, ds: Dataset) -> str:
    return (
        f"{url}/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
        f"/instances/{ds.SOPInstanceUID}"
    )


@pytest.fixture
def study(url, stow) -> list[Dataset]:
    """Series A: two single-frame instances; series B: one 3-frame instance and one without
    pixel data (which cannot be rendered)."""
    first = make_instance(rows=16, cols=24)
    study_uid = first.StudyInstanceUID
    second = make_instance(
        rows=16, cols=24, study_uid=study_uid, series_uid=first.SeriesInstanceUID
    )
    multi = make_instance(rows=8, cols=8, frames=3, study_uid=study_uid)
    blank = make_instance(study_uid=study_uid, series_uid=multi.SeriesInstanceUID)
    del blank.PixelData
    datasets = [first, second, multi, blank]
    assert stow(url, datasets).status_code == 200
    return datasets


def _images(response: requests.Response, split_multipart, media_type: str) -> list[tuple]:
    assert response.status_code == 200, response.text
    parts = split_multipart(response.headers["Content-Type"], response.content)
    for headers, _ in parts:
        assert headers["content-type"] == media_type
    return parts


def test_rendered_study_is_one_part_per_frame(url, study, split_multipart):
    first, second, multi, blank = study
    response = _get(f"{url}/studies/{first.StudyInstanceUID}/rendered")
    assert response.headers["Content-Type"].startswith(JPEG_PARTS)
    parts = _images(response, split_multipart, "image/jpeg")
    expected = [f"{_instance_url(url, ds)}/rendered" for ds in (first, second)] + [
        f"{_instance_url(url, multi)}/frames/{n}/rendered" for n in (1, 2, 3)
    ]
    assert [headers["content-location"] for headers, _ in parts] == expected
    for (headers, body), ds in zip(parts, [first, second, multi, multi, multi], strict=True):
        image = Image.open(io.BytesIO(body))
        assert image.format == "JPEG"
        assert image.size == (ds.Columns, ds.Rows)
        single = _get(headers["content-location"], "image/jpeg")
        assert single.content == body, "a part differs from the same frame rendered alone"
    assert blank.SOPInstanceUID in response.headers["Warning"]


def test_rendered_series_in_png(url, study, split_multipart):
    multi = study[2]
    target = f"{url}/studies/{multi.StudyInstanceUID}/series/{multi.SeriesInstanceUID}/rendered"
    parts = _images(_get(target, PNG_PARTS), split_multipart, "image/png")
    assert len(parts) == 3
    assert all(Image.open(io.BytesIO(body)).format == "PNG" for _, body in parts)
    other = study[0]
    target = f"{url}/studies/{other.StudyInstanceUID}/series/{other.SeriesInstanceUID}/rendered"
    response = _get(target, f"{PNG_PARTS}; q=0.4, {JPEG_PARTS}")
    assert len(_images(response, split_multipart, "image/jpeg")) == 2
    assert "Warning" not in response.headers


@pytest.mark.parametrize("accept", ["*/*", "multipart/*", 'multipart/related; type="image/*"'])
def test_rendered_study_wildcards_give_jpeg_parts(url, study, split_multipart, accept):
    response = _get(f"{url}/studies/{study[0].StudyInstanceUID}/rendered", accept)
    assert len(_images(response, split_multipart, "image/jpeg")) == 5


@pytest.mark.parametrize("accept", ["image/jpeg", "image/png, image/jpeg", "text/html"])
def test_rendered_study_refuses_single_part_types(url, study, accept):
    for target in (
        f"{url}/studies/{study[0].StudyInstanceUID}/rendered",
        f"{url}/studies/{study[0].StudyInstanceUID}/series/{study[0].SeriesInstanceUID}/rendered",
    ):
        assert _get(target, accept).status_code == 406


def test_rendered_study_and_series_errors(url, stow):
    assert _get(f"{url}/studies/1.2.3.4/rendered").status_code == 404
    assert _get(f"{url}/studies/1.2.3.4/series/1.2.3.5/rendered").status_code == 404
    blank = make_instance()
    del blank.PixelData
    assert stow(url, [blank]).status_code == 200
    response = _get(f"{url}/studies/{blank.StudyInstanceUID}/rendered")
    assert response.status_code == 406
    assert "no pixel data" in response.text


def test_rendered_instance_as_multipart_has_every_frame(url, study, split_multipart):
    multi = study[2]
    target = f"{_instance_url(url, multi)}/rendered"
    parts = _images(_get(target, JPEG_PARTS), split_multipart, "image/jpeg")
    assert [h["content-location"] for h, _ in parts] == [
        f"{_instance_url(url, multi)}/frames/{n}/rendered" for n in (1, 2, 3)
    ]
    single = _get(target)
    assert single.headers["Content-Type"] == "image/jpeg"
    assert single.content == parts[0][1], "a single-part instance is its first frame"
    framed = _get(f"{_instance_url(url, multi)}/frames/2/rendered", PNG_PARTS)
    assert len(_images(framed, split_multipart, "image/png")) == 1
    no_pixels = _get(f"{_instance_url(url, study[3])}/rendered", JPEG_PARTS)
    assert no_pixels.status_code == 404


def test_thumbnails_at_every_level(url, study):
    first, _, multi, blank = study
    targets = [
        f"{url}/studies/{first.StudyInstanceUID}/thumbnail",
        f"{url}/studies/{first.StudyInstanceUID}/series/{first.SeriesInstanceUID}/thumbnail",
        f"{url}/studies/{multi.StudyInstanceUID}/series/{multi.SeriesInstanceUID}/thumbnail",
        f"{_instance_url(url, multi)}/thumbnail",
        f"{_instance_url(url, multi)}/frames/3/thumbnail",
    ]
    for target in targets:
        response = _get(target)
        assert response.status_code == 200, target
        assert response.headers["Content-Type"] == "image/jpeg"
        assert max(Image.open(io.BytesIO(response.content)).size) <= 128
    png = _get(targets[0], "image/png")
    assert Image.open(io.BytesIO(png.content)).format == "PNG"
    assert _get(targets[0], JPEG_PARTS).status_code == 406, "a thumbnail is a single image"
    assert _get(f"{_instance_url(url, blank)}/thumbnail").status_code == 404
    assert _get(f"{url}/studies/1.2.3.4/thumbnail").status_code == 404


@pytest.fixture
def bulk(url, stow) -> tuple[str, bytes]:
    ds = make_instance(rows=64, cols=64)
    assert stow(url, [ds]).status_code == 200
    return f"{_instance_url(url, ds)}/bulkdata/7FE00010", bytes(ds.PixelData)


@pytest.mark.parametrize(
    ("spec", "first", "stop"),
    [("bytes=3-9", 3, 10), ("bytes=8000-", 8000, None), ("bytes=-5", -5, None)],
)
def test_bulkdata_range_single_part(bulk, spec, first, stop):
    target, value = bulk
    response = _get(target, "application/octet-stream", Range=spec)
    assert response.status_code == 206
    expected = value[first:stop]
    assert response.content == expected
    start = first % len(value)
    assert response.headers["Content-Range"] == (
        f"bytes {start}-{start + len(expected) - 1}/{len(value)}"
    )


def test_bulkdata_range_multipart(bulk, split_multipart):
    target, value = bulk
    response = _get(target, OCTET_PARTS, Range="bytes=100-199")
    assert response.status_code == 206
    [(headers, body)] = split_multipart(response.headers["Content-Type"], response.content)
    assert body == value[100:200]
    assert headers["content-range"] == f"bytes 100-199/{len(value)}"
    clipped = _get(target, Range=f"bytes=8000-{len(value) + 50}")
    [(_, tail)] = split_multipart(clipped.headers["Content-Type"], clipped.content)
    assert clipped.status_code == 206
    assert tail == value[8000:]


@pytest.mark.parametrize("spec", [None, "bytes=1-2, 5-6", "bytes=9-3", "items=1-2", "bytes=x-"])
def test_bulkdata_without_a_usable_range_is_whole(bulk, spec):
    target, value = bulk
    headers = {"Range": spec} if spec else {}
    response = _get(target, "application/octet-stream", **headers)
    assert response.status_code == 200
    assert response.content == value
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in response.headers


@pytest.mark.parametrize("spec", ["bytes=8192-", "bytes=99999-100000", "bytes=-0"])
def test_bulkdata_unsatisfiable_range_is_416(bulk, spec):
    target, value = bulk
    response = _get(target, OCTET_PARTS, Range=spec)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(value)}"


def test_bulkdata_range_after_negotiation(bulk):
    target, _ = bulk
    assert _get(target, "image/png", Range="bytes=99999-").status_code == 406


@given(
    size=st.integers(0, 50),
    first=st.one_of(st.none(), st.integers(0, 60)),
    last=st.one_of(st.none(), st.integers(0, 60)),
)
def test_byte_range_matches_slicing(size, first, last):
    """Whatever ``byte_range`` accepts selects exactly what Python slicing of the value does."""
    value = bytes(range(size))
    spec = f"bytes={'' if first is None else first}-{'' if last is None else last}"
    try:
        span = byte_range(spec, size)
    except Unsatisfiable:
        if first is None:
            assert last == 0 or size == 0
        else:
            assert first >= size
        return
    if span is None:
        assert (first is None and last is None) or (
            first is not None and last is not None and last < first
        )
        return
    chosen = value[span[0] : span[1] + 1]
    if first is None:
        assert chosen == value[-last:]
    else:
        assert chosen == value[first : None if last is None else last + 1]
    assert chosen, "a satisfiable range is never empty"
