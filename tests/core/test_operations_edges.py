"""The exact requests :class:`Operations` builds: method, URL, every header in order, body and
timeout, asserted whole so that a changed character anywhere is caught."""

from __future__ import annotations

import pytest

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import Request, StreamBody, Timeout
from dicomkit.core.operations import Operations, coerce_timeout, with_headers
from dicomkit.core.urls import DicomWebURLs
from dicomkit.core.version import USER_AGENT

ROOT = "http://pacs.example:8042/dicom-web"
INSTANCE = f"{ROOT}/studies/1.2/series/1.3/instances/1.4"
DICOM_ANY = 'multipart/related; type="application/dicom"; transfer-syntax=*'
OCTET_ANY = 'multipart/related; type="application/octet-stream"; transfer-syntax=*'


@pytest.fixture
def ops() -> Operations:
    return Operations(DicomWebURLs(ROOT), timeout=(3, 7), headers={"X-Site": "a"})


def _shape(request: Request) -> tuple[str, str, list[tuple[str, str]], object, Timeout]:
    return (
        request.method,
        request.url,
        list(request.headers.items()),
        request.body,
        request.timeout,
    )


def _common(accept: str | None) -> list[tuple[str, str]]:
    headers = [("X-Site", "a"), ("User-Agent", USER_AGENT)]
    return headers if accept is None else [*headers, ("Accept", accept)]


TIMEOUT = Timeout(connect=3, read=7)


@pytest.mark.parametrize(
    ("target", "url"),
    [
        (("1.2",), f"{ROOT}/studies/1.2"),
        (("1.2", "1.3"), f"{ROOT}/studies/1.2/series/1.3"),
        (("1.2", "1.3", "1.4"), INSTANCE),
    ],
)
def test_retrieve(ops, target, url):
    assert _shape(ops.retrieve(*target)) == ("GET", url, _common(DICOM_ANY), None, TIMEOUT)


def test_retrieve_with_a_transfer_syntax_and_media_types(ops):
    request = ops.retrieve("1.2", transfer_syntax="1.2.840.10008.1.2.1")
    accept = 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1'
    assert _shape(request) == ("GET", f"{ROOT}/studies/1.2", _common(accept), None, TIMEOUT)
    plain = ops.retrieve("1.2", media_types=["application/dicom"])
    assert plain.headers.get("Accept") == 'multipart/related; type="application/dicom"'


def test_frames(ops):
    request = ops.frames("1.2", "1.3", "1.4", [1, 3])
    assert _shape(request) == ("GET", f"{INSTANCE}/frames/1,3", _common(OCTET_ANY), None, TIMEOUT)
    one = ops.frames("1.2", "1.3", "1.4", [2], transfer_syntax="1.2.840.10008.1.2.1")
    assert one.url == f"{INSTANCE}/frames/2"
    assert one.headers.get("Accept") == (
        'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1'
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (("1.2", "1.3", None), "this resource needs study, series and instance UIDs"),
        (("1.2", None, "1.4"), "an instance UID needs its series UID"),
    ],
)
def test_frames_need_an_instance(ops, target, message):
    with pytest.raises(InvalidArgumentError) as caught:
        ops.frames(*target, [1])
    assert str(caught.value) == message


@pytest.mark.parametrize("frames", [[], [0], [1, -1], [True]])
def test_frames_are_positive_integers(ops, frames):
    with pytest.raises(InvalidArgumentError, match="frame number"):
        ops.frames("1.2", "1.3", "1.4", frames)


def test_request_merges_headers_and_keeps_the_body(ops):
    request = ops.request("put", f"{ROOT}/x", accept="a/b", headers={"x-site": "b"}, body=b"zz")
    assert _shape(request) == (
        "PUT",
        f"{ROOT}/x",
        [("User-Agent", USER_AGENT), ("x-site", "b"), ("Accept", "a/b")],
        b"zz",
        TIMEOUT,
    )


def test_request_without_accept_sends_none(ops):
    request = ops.request("GET", f"{ROOT}/y")
    assert _shape(request) == ("GET", f"{ROOT}/y", _common(None), None, TIMEOUT)


def test_a_caller_user_agent_is_kept():
    ops = Operations(DicomWebURLs(ROOT), headers={"user-agent": "mine/1"})
    assert list(ops.request("GET", ROOT).headers.items()) == [("user-agent", "mine/1")]


def test_default_timeout_is_ten_and_sixty_seconds():
    request = Operations(DicomWebURLs(ROOT)).metadata("1.2")
    assert request.timeout == Timeout(connect=10.0, read=60.0)


def test_metadata_and_delete(ops):
    metadata = ops.metadata("1.2", "1.3")
    assert _shape(metadata) == (
        "GET",
        f"{ROOT}/studies/1.2/series/1.3/metadata",
        _common("application/dicom+json"),
        None,
        TIMEOUT,
    )
    delete = ops.delete("1.2", "1.3", "1.4")
    assert _shape(delete) == ("DELETE", INSTANCE, _common(None), None, TIMEOUT)


def test_store_carries_its_body_and_content_type(ops):
    body = StreamBody(lambda: iter([b"abc"]), 3)
    request = ops.store(body, "BOUNDARY", "1.2")
    assert request.method == "POST"
    assert request.url == f"{ROOT}/studies/1.2"
    assert request.body is body
    assert list(request.headers.items()) == [
        ("X-Site", "a"),
        ("User-Agent", USER_AGENT),
        ("Content-Type", 'multipart/related; type="application/dicom"; boundary=BOUNDARY'),
        ("Accept", "application/dicom+json"),
    ]
    assert ops.store(b"", "B").url == f"{ROOT}/studies"


def test_bulkdata_resolves_relative_uris_against_the_wado_root(ops):
    request = ops.bulkdata("studies/1.2/bulk/7FE00010")
    assert request.url == f"{ROOT}/studies/1.2/bulk/7FE00010"
    assert request.timeout == TIMEOUT
    assert "Range" not in request.headers


@pytest.mark.parametrize(
    ("byte_range", "header"),
    [((0, None), "bytes=0-"), ((0, 0), "bytes=0-0"), ((5, 9), "bytes=5-9")],
)
def test_bulkdata_range_header(ops, byte_range, header):
    assert ops.bulkdata(f"{ROOT}/b", byte_range=byte_range).headers.get("Range") == header


@pytest.mark.parametrize(
    ("byte_range", "message"),
    [
        ((-1, None), "first byte must be an integer >= 0, not -1"),
        ((5, 4), "last byte must be an integer >= 5, not 4"),
        ((-1, 3), "first byte must be an integer >= 0, not -1"),
    ],
)
def test_bulkdata_bad_ranges(ops, byte_range, message):
    with pytest.raises(InvalidArgumentError) as caught:
        ops.bulkdata(f"{ROOT}/b", byte_range=byte_range)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, Timeout(10.0, 60.0)),
        (5, Timeout(5.0, 5.0)),
        (0.5, Timeout(0.5, 0.5)),
        ((1, None), Timeout(1, None)),
        (Timeout(2, 3), Timeout(2, 3)),
    ],
)
def test_coerce_timeout(value, expected):
    assert coerce_timeout(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "timeout must be a Timeout, seconds > 0, or (connect, read)"),
        (-1, "timeout must be a Timeout, seconds > 0, or (connect, read)"),
        (True, "timeout must be a Timeout, seconds > 0, or (connect, read)"),
        ("5", "timeout must be a Timeout, seconds > 0, or (connect, read)"),
        ((1, 2, 3), "timeout as a tuple is (connect, read)"),
    ],
)
def test_coerce_timeout_refusals(value, message):
    with pytest.raises(InvalidArgumentError) as caught:
        coerce_timeout(value)
    assert str(caught.value) == message


def test_with_headers_copies(ops):
    request = ops.metadata("1.2")
    assert with_headers(request, {}) is request
    signed = with_headers(request, {"Authorization": "Bearer t"})
    assert signed.headers.get("Authorization") == "Bearer t"
    assert "Authorization" not in request.headers
    assert (signed.url, signed.timeout) == (request.url, request.timeout)


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("offset", -1, "offset must be an integer >= 0, not -1"),
        ("offset", True, "offset must be an integer >= 0, not True"),
        ("limit", 2.0, "limit must be an integer >= 1, not 2.0"),
    ],
)
def test_search_counts_are_checked_with_a_message(ops, keyword, value, message):
    with pytest.raises(InvalidArgumentError) as caught:
        ops.search("studies", **{keyword: value})
    assert str(caught.value) == message


def test_search_sends_offset_zero_and_limit_one(ops):
    request = ops.search("studies", limit=1, offset=0)
    assert request.url == f"{ROOT}/studies?limit=1&offset=0"
    assert _shape(request)[2:] == (_common("application/dicom+json"), None, TIMEOUT)
    assert ops.search("series", offset=0).url == f"{ROOT}/series?offset=0"


def test_instances_of_a_series_without_its_study(ops):
    request = ops.search("instances", series="1.3")
    assert request.url == f"{ROOT}/instances?SeriesInstanceUID=1.3"
    with pytest.raises(InvalidArgumentError) as caught:
        ops.search("series", series="1.3")
    assert str(caught.value) == "a series UID needs its study UID here"
    with pytest.raises(InvalidArgumentError) as caught:
        ops.search("patients")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "search level must be one of ('studies', 'series', 'instances'), not 'patients'"
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "url", "accept"),
    [
        (("1.2",), {}, f"{ROOT}/studies/1.2/rendered", 'multipart/related; type="image/jpeg"'),
        (
            ("1.2", "1.3"),
            {"multipart": False},
            f"{ROOT}/studies/1.2/series/1.3/rendered",
            "image/jpeg",
        ),
        (("1.2", "1.3", "1.4"), {}, f"{INSTANCE}/rendered", "image/jpeg"),
        (
            ("1.2", "1.3", "1.4"),
            {"multipart": True},
            f"{INSTANCE}/rendered",
            'multipart/related; type="image/jpeg"',
        ),
        (
            ("1.2", "1.3", "1.4"),
            {"frame_numbers": [1, 2], "params": {"quality": 90, "viewport": [64, 64]}},
            f"{INSTANCE}/frames/1,2/rendered?quality=90&viewport=64,64",
            "image/jpeg",
        ),
        (
            ("1.2",),
            {
                "media_types": [("image/png", None, 0.5), "image/jpeg"],
                "params": {"annotation": "patient,technique"},
            },
            f"{ROOT}/studies/1.2/rendered?annotation=patient,technique",
            'multipart/related; type="image/png"; q=0.5, multipart/related; type="image/jpeg"',
        ),
    ],
)
def test_rendered(ops, args, kwargs, url, accept):
    request = ops.rendered(*args, **kwargs)
    assert _shape(request) == ("GET", url, _common(accept), None, TIMEOUT)


def test_rendered_frames_need_an_instance(ops):
    with pytest.raises(InvalidArgumentError) as caught:
        ops.rendered("1.2", frame_numbers=[1])
    assert str(caught.value) == "this resource needs study, series and instance UIDs"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ((None,), "a study UID is required"),
        (("1.2", None, "1.4"), "an instance UID needs its series UID"),
        (("1.x",), "StudyInstanceUID '1.x' may contain only digits and dots"),
        (("1.2", "1..3"), "SeriesInstanceUID '1..3' has an empty component"),
        (("1.2", "1.3", "a"), "SOPInstanceUID 'a' may contain only digits and dots"),
    ],
)
def test_targets_are_checked(ops, target, message):
    with pytest.raises(InvalidArgumentError) as caught:
        ops.retrieve(*target)
    assert str(caught.value) == message


def test_the_store_study_is_checked(ops):
    with pytest.raises(InvalidArgumentError, match="StudyInstanceUID"):
        ops.store(b"", "B", "1.x")
