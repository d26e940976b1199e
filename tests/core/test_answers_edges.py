"""Reading answers in the core: which error class and message each status gives, the reasons
read from error bodies and Warning headers, byte ranges a server ignored, distinct values, and
the patient filter's refusals."""

from __future__ import annotations

import pytest

from dicomkit.core.errors import (
    BadRequestError,
    ClientError,
    ConflictError,
    DicomJSONError,
    ForbiddenError,
    GatewayTimeoutError,
    HTTPError,
    InvalidArgumentError,
    MethodNotAllowedError,
    NotAcceptableError,
    NotFoundError,
    ServerError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
from dicomkit.core.interface import Headers, Request
from dicomkit.core.operations import (
    ERROR_BODY_LIMIT,
    apply_byte_range,
    distinct_values,
    error_from_response,
    parse_json_array,
    parse_json_object,
    patient_filter,
    raise_for_status,
    reasons_from_body,
)

URL = "http://h/dw/studies/1.2"
GET = Request("GET", URL)
DELETE = Request("DELETE", URL)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, BadRequestError),
        (401, UnauthorizedError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (405, MethodNotAllowedError),
        (406, NotAcceptableError),
        (409, ConflictError),
        (415, UnsupportedMediaTypeError),
        (418, ClientError),
        (429, TooManyRequestsError),
        (499, ClientError),
        (500, ServerError),
        (503, ServiceUnavailableError),
        (504, GatewayTimeoutError),
        (599, ServerError),
    ],
)
def test_each_status_has_its_error(status, kind):
    error = error_from_response(GET, status, {"X": "1"}, b"")
    assert type(error) is kind
    assert (error.status, error.method, error.url) == (status, "GET", URL)
    assert error.headers == {"X": "1"}
    assert str(error) == f"HTTP {status} for GET {URL}"


def test_the_body_is_kept_bounded_and_shown_on_one_line():
    body = b'{\n  "HttpError" : "Not Found",\n  "Url" : "/x"\n}' + b" " * ERROR_BODY_LIMIT
    error = error_from_response(GET, 404, {}, body)
    assert len(error.body) == ERROR_BODY_LIMIT
    assert error.body == body[:ERROR_BODY_LIMIT]
    assert str(error) == f'HTTP 404 for GET {URL}: {{ "HttpError" : "Not Found", "Url" : "/x" }}'


def test_reasons_come_before_the_body():
    error = error_from_response(GET, 400, {}, b'{"Message": "Bad file format"}')
    assert error.reasons == ["Bad file format"]
    assert str(error) == f"HTTP 400 for GET {URL}: Bad file format"


def test_a_delete_the_server_does_not_support_says_so():
    bare = error_from_response(DELETE, 405, {}, b"")
    assert str(bare) == f"HTTP 405 for DELETE {URL}: the server does not support DICOMweb DELETE"
    explained = error_from_response(DELETE, 405, {}, b'{"Message": "read-only"}')
    assert str(explained) == (
        f"HTTP 405 for DELETE {URL}: the server does not support DICOMweb DELETE (read-only)"
    )
    assert str(error_from_response(GET, 405, {}, b"")) == f"HTTP 405 for GET {URL}"


def test_a_redirect_that_was_not_followed_says_what_to_do():
    error = error_from_response(DELETE, 307, {"Location": "https://h/dw/studies/1.2"}, b"")
    assert type(error) is HTTPError
    assert str(error) == (
        f"HTTP 307 for DELETE {URL}: redirected to https://h/dw/studies/1.2, which is not "
        "followed for DELETE, so nothing was done there; use the final URL as the base URL"
    )


@pytest.mark.parametrize("status", [100, 200, 204, 302, 399])
def test_raise_for_status_passes_below_400(status):
    raise_for_status(GET, status, {}, b"")


@pytest.mark.parametrize("status", [400, 404, 500])
def test_raise_for_status_raises_from_400(status):
    with pytest.raises(HTTPError) as caught:
        raise_for_status(GET, status, {}, b"body")
    assert caught.value.status == status
    assert caught.value.body == b"body"


def test_reasons_from_json_bodies_in_order_without_repeats():
    body = (
        b'{"error_description": "ed", "Message": "m", "Details": "d", "message": "m",'
        b' "detail": "dt", "error": "e", "other": "o", "Status": 3}'
    )
    assert reasons_from_body(body) == ["m", "d", "dt", "e", "ed"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"plain text",
        b"[1, 2]",
        b"  {broken",
        b'{"Message": 5}',
        b'{"Message": ""}',
        b"[" * 10_000,
    ],
)
def test_bodies_without_reasons(body):
    assert reasons_from_body(body) == []


def test_reasons_from_warning_headers():
    headers = Headers(
        [
            ("Warning", '299 dicomkit "part 2: not DICOM"'),
            ("Warning", "299 - plain text"),
            ("Warning", "just text"),
            ("Warning", "  "),
            ("Warning", 'abc def "ghi"'),
        ]
    )
    assert reasons_from_body(b'{"Message": "just text"}', headers) == [
        "part 2: not DICOM",
        "plain text",
        "just text",
        'abc def "ghi"',
    ]


@pytest.mark.parametrize(
    ("status", "byte_range", "expected"),
    [
        (200, None, [b"0123456789"]),
        (200, (2, 4), [b"234"]),
        (200, (0, 0), [b"0"]),
        (200, (2, None), [b"23456789"]),
        (200, (8, 20), [b"89"]),
        (206, (2, 4), [b"0123456789"]),  # the server applied the range itself
    ],
)
def test_ranges_a_server_ignored_are_applied(status, byte_range, expected):
    assert apply_byte_range([b"0123456789"], status, byte_range) == expected


def test_json_arrays_and_objects():
    assert parse_json_array(204, b"[{}]") == []
    assert parse_json_array(200, b"  ") == []
    assert parse_json_array(200, b'[{"00100020": {"vr": "LO"}}]') == [{"00100020": {"vr": "LO"}}]
    assert parse_json_object(200, b'[{"A": 1}, {"B": 2}]') == {"A": 1}
    with pytest.raises(DicomJSONError) as caught:
        parse_json_object(200, b"[]")
    assert str(caught.value) == "the server answered with no metadata for the instance"


def test_distinct_values_in_order():
    def modality(value: str | None) -> dict[str, object]:
        return {} if value is None else {"00080060": {"vr": "CS", "Value": [value]}}

    items = [modality(v) for v in ("CT", "MR", None, "CT", "", "PT")]
    assert distinct_values(items, "Modality") == ["CT", "MR", "PT"]
    assert distinct_values([], "Modality") == []


def test_patient_filter():
    assert patient_filter("P-1 x") == {"PatientID": "P-1 x"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "patient_id must be a non-empty string"),
        ("  ", "patient_id must be a non-empty string"),
        (5, "patient_id must be a non-empty string"),
        ("P*", "patient_id may not contain '*', '?' or '\\': QIDO-RS would match other patients"),
        ("P?1", "patient_id may not contain '*', '?' or '\\': QIDO-RS would match other patients"),
        ("A\\B", "patient_id may not contain '*', '?' or '\\': QIDO-RS would match other patients"),
    ],
)
def test_patient_filter_refusals(value, message):
    with pytest.raises(InvalidArgumentError) as caught:
        patient_filter(value)
    assert str(caught.value) == message
