"""The pure operation layer: request validation, error answers, single parts and paging."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import errors, multipart
from dicomkit.core.dicomjson import DicomJSONError
from dicomkit.core.interface import Request
from dicomkit.core.operations import (
    Operations,
    Pager,
    PartEvents,
    error_from_response,
    frame_list,
    parse_json_array,
    parse_json_object,
    reasons_from_body,
)
from dicomkit.core.stow import StowItem, plan_batches
from dicomkit.core.urls import DicomWebURLs

OPS = Operations(DicomWebURLs("https://pacs.test/dicom-web"))
STUDY, SERIES, INSTANCE = "1.2.3", "1.2.3.4", "1.2.3.4.5"


@pytest.mark.parametrize(
    "call",
    [
        lambda: OPS.search("patients"),  # type: ignore[arg-type]
        lambda: OPS.search("studies", limit=-1),
        lambda: OPS.search("studies", offset=-1),
        lambda: OPS.search("series", series=SERIES),
        lambda: OPS.retrieve(None, SERIES),  # type: ignore[arg-type]
        lambda: OPS.frames(STUDY, SERIES, None, [1]),  # type: ignore[arg-type]
        lambda: OPS.rendered(STUDY, SERIES, frame_numbers=[1]),
        lambda: OPS.bulkdata("https://pacs.test/dicom-web/bulk/1", byte_range=(-1, 3)),
        lambda: OPS.bulkdata("https://pacs.test/dicom-web/bulk/1", byte_range=(5, 3)),
    ],
)
def test_bad_requests_are_refused_before_they_exist(call: Any) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        call()


@pytest.mark.parametrize("frames", [[], [0], [True], ["1"], [1, -2]])
def test_frame_numbers_count_from_one(frames: list[Any]) -> None:
    with pytest.raises(errors.InvalidArgumentError):
        frame_list(frames)


def test_frame_list_accepts_one_number_or_many() -> None:
    assert frame_list(3) == [3]  # type: ignore[arg-type]
    assert frame_list(range(1, 4)) == [1, 2, 3]


def test_rendered_parameters_join_lists_with_commas() -> None:
    request = OPS.rendered(STUDY, SERIES, INSTANCE, params={"viewport": (64, 64), "quality": 90})
    assert request.url.endswith(f"/instances/{INSTANCE}/rendered?viewport=64,64&quality=90")


def test_byte_ranges_become_a_range_header() -> None:
    request = OPS.bulkdata("https://pacs.test/dicom-web/bulk/1", byte_range=(10, None))
    assert request.headers["Range"] == "bytes=10-"
    request = OPS.bulkdata("https://pacs.test/dicom-web/bulk/1", byte_range=(0, 9))
    assert request.headers["Range"] == "bytes=0-9"


def test_warning_headers_and_json_bodies_become_reasons() -> None:
    headers = [
        ("Warning", '299 pacs.test "The fuzzymatching parameter is not supported."'),
        ("Warning", "something went wrong"),
        ("Warning", "   "),
    ]
    body = b'{"Message": "Bad file format", "Details": "no pixel data", "HttpStatus": 400}'
    assert reasons_from_body(body, headers) == [
        "The fuzzymatching parameter is not supported.",
        "something went wrong",
        "Bad file format",
        "no pixel data",
    ]
    assert reasons_from_body(b"{not json") == []
    assert reasons_from_body(b'["a list"]') == []
    assert reasons_from_body(b"\xff{") == []
    assert reasons_from_body(b"[" * 5000) == []  # nested past json's stack


@pytest.mark.parametrize("length", ["\u00b2", "9" * 5000], ids=["superscript-two", "5000-digits"])
def test_a_content_length_int_cannot_read_is_ignored(length: str) -> None:
    events = PartEvents({"Content-Type": "image/jpeg", "Content-Length": length})
    assert events.feed(b"\xff\xd8")[1] == multipart.PartData(b"\xff\xd8")
    assert isinstance(events.close()[-1], multipart.PartEnd)


@given(st.binary(max_size=200))
def test_any_error_body_gives_a_message_and_never_fails(body: bytes) -> None:
    request = Request("GET", "https://pacs.test/dicom-web/studies")
    error = error_from_response(request, 500, {}, body)
    assert isinstance(error, errors.ServerError)
    assert str(error).startswith("HTTP 500 for GET https://pacs.test/dicom-web/studies")
    assert error.body == body


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, errors.BadRequestError),
        (404, errors.NotFoundError),
        (418, errors.ClientError),
        (429, errors.TooManyRequestsError),
        (500, errors.ServerError),
        (503, errors.ServiceUnavailableError),
        (302, errors.HTTPError),
    ],
)
def test_each_status_has_its_error_class(status: int, expected: type) -> None:
    assert errors.error_for_status(status) is expected


def test_http_errors_survive_pickling() -> None:
    request = Request("DELETE", "https://pacs.test/dicom-web/studies/1.2")
    error = error_from_response(request, 405, {}, b'{"Message": "not allowed"}')
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is errors.MethodNotAllowedError
    assert again.status == 405
    assert str(again) == str(error)
    assert "does not support DICOMweb DELETE" in str(again)
    assert again.body == error.body


def test_json_answers() -> None:
    assert parse_json_array(204, b"") == []
    assert parse_json_array(200, b"  \n") == []
    assert parse_json_object(200, b'[{"00100020": {"vr": "LO"}}]') == {"00100020": {"vr": "LO"}}
    with pytest.raises(DicomJSONError):
        parse_json_object(200, b"[]")


def test_a_single_part_answer_keeps_its_content_location() -> None:
    events = PartEvents({"Content-Type": "image/jpeg", "Content-Location": "https://p/x"})
    first = events.feed(b"\xff\xd8")
    rest = events.close()
    assert isinstance(first[0], multipart.PartStart)
    assert first[0].headers.get("Content-Location") == "https://p/x"
    assert first[1] == multipart.PartData(b"\xff\xd8")
    assert isinstance(rest[-1], multipart.PartEnd)


def test_paging_stops_when_a_page_shrinks_without_a_truncation_warning() -> None:
    pager = Pager()
    assert pager.accept([{"a": n} for n in range(5)]) == [{"a": n} for n in range(5)]
    assert not pager.done
    assert pager.offset == 5
    assert pager.accept([{"a": n} for n in range(5, 8)]) == [{"a": n} for n in range(5, 8)]
    assert pager.done
    with pytest.raises(errors.InvalidArgumentError):
        Pager(limit=0)


def test_batch_limits_must_be_positive() -> None:
    with pytest.raises(errors.InvalidArgumentError):
        plan_batches([StowItem(b"x")], max_count=0)


@pytest.mark.parametrize("name", ["limit", "offset"])
@pytest.mark.parametrize("value", ["ten", 2.0, True, [1]])
def test_search_counts_of_the_wrong_type_name_the_argument(name: str, value: Any) -> None:
    with pytest.raises(errors.InvalidArgumentError, match=name):
        OPS.search("studies", **{name: value})
    with pytest.raises(errors.InvalidArgumentError, match=name):
        Pager(**{name: value})
