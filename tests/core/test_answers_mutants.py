"""dicomkit.core.operations.answers at its edges: reasons read from each JSON field, the whole
message of each 405 and redirect, a 206's Content-Range checked bound by bound, empty answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import DicomJSONError, MethodNotAllowedError, ProtocolError
from dicomkit.core.interface import Request
from dicomkit.core.operations.answers import (
    check_content_range,
    error_from_response,
    parse_json_array,
    parse_json_object,
    reasons_from_body,
)

ROOT = "https://pacs.test/dicom-web"
HINT = (
    f"Is {ROOT} the server's DICOMweb root? Pass the root the server documents as the base URL "
    f"(for Orthanc {ROOT}, not its REST root); see the troubleshooting page of the docs."
)


@pytest.mark.parametrize(
    "key", ["Message", "Details", "message", "detail", "error", "error_description"]
)
def test_each_json_field_is_a_reason(key: str) -> None:
    body = b'  {"%s": "disk full", "other": "ignored"}  ' % key.encode()
    assert reasons_from_body(body) == ["disk full"]


def test_json_reasons_follow_warnings_in_field_order_without_repeats() -> None:
    body = b'{"error": "e", "message": "m", "Message": "w", "detail": ""}'
    headers = [("Warning", '299 pacs "w"')]
    assert reasons_from_body(body, headers) == ["w", "m", "e"]


@pytest.mark.parametrize(
    "body", [b'["Message"]', b"[1, 2", b"{broken", b"plain text", b"", b'{"message": 3}']
)
def test_bodies_without_a_json_reason(body: bytes) -> None:
    assert reasons_from_body(body) == []


def test_a_405_on_post_says_there_is_no_stow_here() -> None:
    request = Request("POST", f"{ROOT}/studies")
    headers = [("Warning", '299 pacs "read only"')]
    error = error_from_response(request, 405, headers, b'{"message": "no writes"}')
    assert type(error) is MethodNotAllowedError
    assert str(error) == (
        f"HTTP 405 for POST {ROOT}/studies: no STOW-RS here (read only; no writes). {HINT}"
    )
    assert error.reasons == ["read only", "no writes"]
    bare = error_from_response(request, 405, [], b"")
    assert str(bare) == f"HTTP 405 for POST {ROOT}/studies: no STOW-RS here. {HINT}"


def test_a_405_on_delete_says_delete_is_not_supported() -> None:
    request = Request("DELETE", f"{ROOT}/studies/1.2")
    headers = [("Warning", '299 pacs "read only"')]
    error = error_from_response(request, 405, headers, b'{"Details": "locked"}')
    assert str(error) == (
        f"HTTP 405 for DELETE {ROOT}/studies/1.2: the server does not support DICOMweb DELETE "
        "(read only; locked)"
    )
    bare = error_from_response(request, 405, [], b"")
    assert str(bare) == (
        f"HTTP 405 for DELETE {ROOT}/studies/1.2: the server does not support DICOMweb DELETE"
    )


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH"])
def test_a_405_on_other_methods_is_the_plain_message(method: str) -> None:
    request = Request(method, f"{ROOT}/studies")
    error = error_from_response(request, 405, [], b"")
    assert str(error) == f"HTTP 405 for {method} {ROOT}/studies"


def test_a_redirect_names_where_it_pointed() -> None:
    request = Request("GET", f"{ROOT}/studies")
    moved = error_from_response(request, 301, [("Location", "https://new.test/")], b"")
    assert str(moved) == (
        f"HTTP 301 for GET {ROOT}/studies: redirected to https://new.test/, which is not "
        "followed for GET, so nothing was done there; use the final URL as the base URL"
    )
    nowhere = error_from_response(request, 307, [], b"")
    assert str(nowhere) == (
        f"HTTP 307 for GET {ROOT}/studies: redirected, which is not followed for GET, so "
        "nothing was done there; use the final URL as the base URL"
    )


def test_other_errors_get_the_default_message() -> None:
    request = Request("GET", f"{ROOT}/studies")
    error = error_from_response(request, 404, [], b"nothing\n  here")
    assert str(error) == f"HTTP 404 for GET {ROOT}/studies: nothing here"


@pytest.mark.parametrize("header", [None, "", "bytes 0-4", "items 0-4/10", "bytes a-4/10"])
def test_a_206_without_a_byte_range_is_refused(header: str | None) -> None:
    with pytest.raises(ProtocolError) as refused:
        check_content_range(header, (0, None), 5)
    assert str(refused.value) == (
        f"a 206 Partial Content answer needs a Content-Range of bytes, not {header!r}"
    )


@pytest.mark.parametrize(
    ("header", "asked", "length", "span"),
    [
        ("bytes 3-3/10", (3, 3), 1, (3, 3)),
        ("bytes 0-4/10", (0, None), 5, (0, 4)),
        ("BYTES 2-5/*", (2, 9), 4, (2, 5)),
        (" bytes 2-9/10 ", (2, 9), 8, (2, 9)),
    ],
)
def test_a_matching_range_is_returned(
    header: str, asked: tuple[int, int | None], length: int, span: tuple[int, int]
) -> None:
    assert check_content_range(header, asked, length) == span


@pytest.mark.parametrize(
    ("header", "asked", "length", "wanted"),
    [
        ("bytes 1-4/10", (0, None), 4, "0-"),  # another start
        ("bytes 5-4/10", (5, None), 0, "5-"),  # ends before it starts
        ("bytes 0-9/10", (0, 4), 10, "0-4"),  # past the end asked for
        ("bytes 0-4/10", (0, None), 4, "0-"),  # fewer bytes than announced
        ("bytes 0-4/10", (0, 4), 6, "0-4"),  # more bytes than announced
    ],
)
def test_a_range_that_does_not_match_is_refused(
    header: str, asked: tuple[int, int | None], length: int, wanted: str
) -> None:
    with pytest.raises(ProtocolError) as refused:
        check_content_range(header, asked, length)
    assert str(refused.value) == (
        f"asked for bytes {wanted} and the server answered {header!r} with {length} bytes"
    )


@given(first=st.integers(0, 100), size=st.integers(1, 100), slack=st.integers(0, 5))
def test_a_range_within_what_was_asked_is_accepted(first: int, size: int, slack: int) -> None:
    last = first + size - 1
    header = f"bytes {first}-{last}/*"
    assert check_content_range(header, (first, last + slack), size) == (first, last)
    if slack:
        with pytest.raises(ProtocolError):
            check_content_range(header, (first, last - 1), size)


def test_empty_answers() -> None:
    assert parse_json_array(204, b'[{"00100010": {"vr": "PN"}}]') == []
    assert parse_json_array(200, b"  \n") == []
    assert parse_json_array(200, b'[{"a": 1}]') == [{"a": 1}]
    with pytest.raises(DicomJSONError) as empty:
        parse_json_object(204, b'[{"00100010": {"vr": "PN"}}]')
    assert str(empty.value) == "the server answered with no metadata for the instance"
    assert parse_json_object(200, b'[{"a": 1}, {"b": 2}]') == {"a": 1}
