"""Rendered studies and series, and bulk data byte ranges, against in-memory fake servers that
answer the ways real servers do: PS3.18 multipart, Orthanc's single image, 206 or a whole 200."""

from __future__ import annotations

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import InvalidArgumentError, NotAcceptableError
from dicomkit.core.interface import Request
from dicomkit.core.operations import ORTHANC

from .fakes import Answer, FakeTransport

BASE = "http://dicom.test/dicom-web"
STUDY = "1.2.3"
SERIES = "1.2.3.4"
JPEG_A = b"\xff\xd8 first image \xff\xd9"
JPEG_B = b"\xff\xd8 second image \xff\xd9"
VALUE = bytes(range(256)) * 4


def multipart(bodies: list[bytes], part_type: str, extra: str = "") -> Answer:
    chunks = [
        f"--b0undary\r\nContent-Type: {part_type}\r\n{extra}\r\n".encode() + body + b"\r\n"
        for body in bodies
    ]
    content_type = f'multipart/related; type="{part_type}"; boundary=b0undary'
    return 200, {"Content-Type": content_type}, b"".join(chunks) + b"--b0undary--\r\n"


def conformant(request: Request, body: bytes) -> Answer:
    """PS3.18 10.4.4: a rendered study or series is multipart; single-part types are a 406."""
    if "multipart/related" not in (request.headers.get("Accept") or ""):
        return 406, {"Content-Type": "text/plain"}, b"multipart only"
    return multipart([JPEG_A, JPEG_B], "image/jpeg")


def orthanc_like(request: Request, body: bytes) -> Answer:
    """Orthanc 1.10: one representative image; any multipart Accept is a 400."""
    accept = request.headers.get("Accept") or ""
    if "multipart" in accept:
        return 400, {}, b'{"Message": "Parameter out of range"}'
    return 200, {"Content-Type": "image/png" if accept == "image/png" else "image/jpeg"}, JPEG_A


def refusing(request: Request, body: bytes) -> Answer:
    return 406, {"Content-Type": "text/plain"}, b"cannot render"


@pytest.mark.parametrize(
    ("handler", "expected", "requests_sent"),
    [(conformant, [JPEG_A, JPEG_B], 1), (orthanc_like, [JPEG_A], 2)],
)
def test_rendered_study_and_series_sync(handler, expected, requests_sent) -> None:
    transport = FakeTransport(handler)
    with DicomClient(BASE, transport=transport) as client:
        assert client.retrieve_study_rendered(STUDY) == expected
        assert len(transport.seen) == requests_sent
        assert client.retrieve_series_rendered(STUDY, SERIES) == expected
    first = transport.seen[0].request
    assert first.url == f"{BASE}/studies/{STUDY}/rendered"
    assert first.headers.get("Accept") == 'multipart/related; type="image/jpeg"'
    if requests_sent == 2:
        assert transport.seen[1].request.headers.get("Accept") == "image/jpeg"
    assert transport.seen[-1].request.url == f"{BASE}/studies/{STUDY}/series/{SERIES}/rendered"


@pytest.mark.parametrize(
    ("handler", "expected"), [(conformant, [JPEG_A, JPEG_B]), (orthanc_like, [JPEG_A])]
)
async def test_rendered_study_and_series_async(handler, expected) -> None:
    transport = FakeTransport(handler)
    async with AsyncDicomClient(BASE, transport=transport) as client:
        assert await client.retrieve_study_rendered(STUDY, media_types=["image/png"]) == expected
        assert await client.retrieve_series_rendered(STUDY, SERIES) == expected
    assert transport.seen[0].request.headers.get("Accept") == 'multipart/related; type="image/png"'


@pytest.mark.parametrize("dialect", ["orthanc", ORTHANC])
async def test_the_orthanc_dialect_asks_single_part_at_once(dialect) -> None:
    transport = FakeTransport(orthanc_like)
    with DicomClient(BASE, transport=transport, dialect=dialect) as client:
        assert client.retrieve_study_rendered(STUDY) == [JPEG_A]
    atransport = FakeTransport(orthanc_like)
    async with AsyncDicomClient(BASE, transport=atransport, dialect=dialect) as aclient:
        assert await aclient.retrieve_series_rendered(STUDY, SERIES) == [JPEG_A]
    sent = [seen.request.headers.get("Accept") for seen in transport.seen + atransport.seen]
    assert sent == ["image/jpeg", "image/jpeg"]


def test_an_unknown_dialect_is_refused_at_construction() -> None:
    with pytest.raises(InvalidArgumentError, match="dialect"):
        DicomClient(BASE, transport=FakeTransport(refusing), dialect="dcm4chee")


def test_a_refusal_of_both_forms_is_raised() -> None:
    transport = FakeTransport(refusing)
    with DicomClient(BASE, transport=transport) as client, pytest.raises(NotAcceptableError):
        client.retrieve_study_rendered(STUDY)
    assert len(transport.seen) == 2


def test_an_instance_rendering_is_asked_once_in_single_part() -> None:
    transport = FakeTransport(orthanc_like)
    with DicomClient(BASE, transport=transport) as client:
        assert client.retrieve_instance_rendered(STUDY, SERIES, "1.2.3.4.5") == JPEG_A
    refused = FakeTransport(refusing)
    with DicomClient(BASE, transport=refused) as client, pytest.raises(NotAcceptableError):
        client.retrieve_instance_frames_rendered(STUDY, SERIES, "1.2.3.4.5", [2])
    sent = [seen.request.headers.get("Accept") for seen in transport.seen + refused.seen]
    assert sent == ["image/jpeg", "image/jpeg"]


def ranged_server(*, honour: bool, single_part: bool) -> FakeTransport:
    """Bulk data server that answers a Range with 206 (when ``honour``) or the whole value."""

    def handler(request: Request, body: bytes) -> Answer:
        spec = request.headers.get("Range")
        value, status, extra = VALUE, 200, ""
        if honour and spec:
            first_text, _, last_text = spec.removeprefix("bytes=").partition("-")
            first = int(first_text)
            last = int(last_text) if last_text else len(VALUE) - 1
            value, status = VALUE[first : last + 1], 206
            extra = f"Content-Range: bytes {first}-{last}/{len(VALUE)}\r\n"
        if single_part:
            headers = {"Content-Type": "application/octet-stream"}
            if extra:
                headers["Content-Range"] = extra.split(": ", 1)[1].strip()
            return status, headers, value
        _, headers, payload = multipart([value], "application/octet-stream", extra)
        return status, headers, payload

    return FakeTransport(handler)


@pytest.mark.parametrize("honour", [True, False], ids=["206", "200-whole"])
@pytest.mark.parametrize("single_part", [True, False], ids=["single", "multipart"])
@pytest.mark.parametrize(
    ("byte_range", "expected"), [((5, 9), VALUE[5:10]), ((1000, None), VALUE[1000:])]
)
def test_bulkdata_byte_range(honour, single_part, byte_range, expected) -> None:
    transport = ranged_server(honour=honour, single_part=single_part)
    uri = f"{BASE}/studies/{STUDY}/series/{SERIES}/instances/1.2.3.4.5/bulkdata/7FE00010"
    with DicomClient(BASE, transport=transport) as client:
        assert client.retrieve_bulkdata(uri, byte_range=byte_range) == [expected]
        assert client.retrieve_bulkdata(uri) == [VALUE]
    first, last = byte_range
    sent = transport.seen[0].request.headers.get("Range")
    assert sent == f"bytes={first}-{'' if last is None else last}"
    assert transport.seen[1].request.headers.get("Range") is None


@pytest.mark.parametrize("honour", [True, False], ids=["206", "200-whole"])
async def test_bulkdata_byte_range_async(honour) -> None:
    transport = ranged_server(honour=honour, single_part=False)
    uri = f"{BASE}/studies/{STUDY}/series/{SERIES}/instances/1.2.3.4.5/bulkdata/7FE00010"
    async with AsyncDicomClient(BASE, transport=transport) as client:
        assert await client.retrieve_bulkdata(uri, byte_range=(0, 0)) == [VALUE[:1]]
