"""Which answers the core takes for another API than DICOMweb, and the exact messages
(issue 13.4): each branch of ``json_answer``, ``json_object_answer`` and
``refuse_foreign_retrieve`` with the Content-Type forms servers send."""

from __future__ import annotations

import pytest

from dicomkit.core.dicomxml import json_to_native_model
from dicomkit.core.errors import DicomJSONError, NotDicomWebError, dicomweb_root_hint
from dicomkit.core.interface import Headers, Request
from dicomkit.core.multipart import Part, encode_multipart
from dicomkit.core.operations.foreign import (
    json_answer,
    json_object_answer,
    looks_like_xml_parts,
    refuse_foreign_retrieve,
)

URL = "http://h:8042/studies"
REQUEST = Request("GET", URL)
HINT = dicomweb_root_hint(URL)
ITEM = {"00100020": {"vr": "LO", "Value": ["P"]}}
BODY = b'[{"00100020": {"vr": "LO", "Value": ["P"]}}]'
SEARCH = "application/dicom+json"
RETRIEVE = "DICOM parts (multipart/related)"


def _headers(content_type: str | None) -> Headers:
    return Headers({} if content_type is None else {"Content-Type": content_type})


def _message(kind: str | None, expected: str, why: str = "") -> str:
    label = kind or "no Content-Type"
    detail = f" ({why})" if why else ""
    return (
        f"GET {URL} answered {label}{detail}, not {expected}: this is not a DICOMweb answer. {HINT}"
    )


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "   ",
        "application/dicom+json",
        "Application/DICOM+JSON; charset=utf-8",
        "application/json",
        "application/json; charset=utf-8",
        "application/fhir+json",
    ],
)
def test_dicom_json_is_read_whatever_json_label(content_type: str | None) -> None:
    assert json_answer(REQUEST, 200, _headers(content_type), BODY) == [ITEM]


@pytest.mark.parametrize("content_type", ["text/html", "application/json", None])
def test_no_content_is_an_empty_answer_whatever_the_label(content_type: str | None) -> None:
    headers = _headers(content_type)
    assert json_answer(REQUEST, 204, headers, b"<html>not json</html>") == []
    assert json_answer(REQUEST, 200, headers, b" \r\n") == []
    assert json_answer(REQUEST, 200, headers, b"") == []


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("text/html; charset=utf-8", "text/html"),
        ("TEXT/HTML", "text/html"),
        ("application/xml", "application/xml"),
        ("text/plain", "text/plain"),
        ("multipart/related; boundary=b", "multipart/related"),
        ('multipart/related; type="application/dicom"; boundary=b', "multipart/related"),
        ("  Not A Type  ", "not a type"),
    ],
)
def test_other_types_with_a_body_are_foreign(content_type: str, kind: str) -> None:
    with pytest.raises(NotDicomWebError) as caught:
        json_answer(REQUEST, 200, _headers(content_type), b"<html></html>")
    assert str(caught.value) == _message(kind, SEARCH)
    assert caught.value.content_type == kind


def test_json_that_is_not_dicom_json_is_foreign_with_its_reason() -> None:
    with pytest.raises(NotDicomWebError) as caught:
        json_answer(REQUEST, 200, _headers("application/json"), b'{"ID": "x"')
    assert str(caught.value) == _message("application/json", SEARCH, "not DICOM JSON")
    assert isinstance(caught.value.__cause__, DicomJSONError)
    with pytest.raises(NotDicomWebError) as caught:
        json_answer(REQUEST, 200, _headers("application/json"), b'["abc", "def"]')
    assert str(caught.value) == _message("application/json", SEARCH, "not DICOM JSON")
    with pytest.raises(NotDicomWebError) as caught:
        json_answer(REQUEST, 200, _headers("application/json"), b'[{"00100020": {}, "ID": 1}]')
    assert str(caught.value) == _message(
        "application/json", SEARCH, "objects whose keys are not DICOM tags"
    )


def test_a_malformed_answer_labelled_dicom_json_stays_a_dicom_json_error() -> None:
    with pytest.raises(DicomJSONError) as caught:
        json_answer(REQUEST, 200, _headers(SEARCH), b"<html>")
    assert not isinstance(caught.value, NotDicomWebError)


XML = json_to_native_model(ITEM)


def test_dicom_xml_answers_are_read() -> None:
    assert json_answer(REQUEST, 200, _headers("application/dicom+xml"), XML) == [ITEM]
    assert json_answer(REQUEST, 200, _headers("Application/DICOM+XML; charset=utf-8"), XML) == [
        ITEM
    ]
    body = b"".join(encode_multipart([Part(XML, {"Content-Type": "application/dicom+xml"})], "b"))
    for content_type in (
        'multipart/related; type="application/dicom+xml"; boundary=b',
        'multipart/related; type=" Application/DICOM+XML; transfer-syntax=x"; boundary=b',
    ):
        assert json_answer(REQUEST, 200, _headers(content_type), body) == [ITEM]


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ('multipart/related; type="application/dicom+xml"; boundary=b', True),
        ('multipart/related; type="application/dicom+json"; boundary=b', False),
        ("multipart/related; boundary=b", False),
        (None, False),
        ("not a type", False),
    ],
)
def test_looks_like_xml_parts(content_type: str | None, expected: bool) -> None:
    assert looks_like_xml_parts(_headers(content_type)) is expected


def test_the_metadata_of_one_instance() -> None:
    body = b'[{"00100020": {"vr": "LO"}}, {"00100021": {"vr": "LO"}}]'
    assert json_object_answer(REQUEST, 200, _headers(SEARCH), body) == {"00100020": {"vr": "LO"}}
    for empty in (b"[]", b""):
        with pytest.raises(DicomJSONError) as caught:
            json_object_answer(REQUEST, 200, _headers(SEARCH), empty)
        assert str(caught.value) == "the server answered with no metadata for the instance"
    with pytest.raises(DicomJSONError) as caught:
        json_object_answer(REQUEST, 204, _headers("text/html"), b"<html>")
    assert str(caught.value) == "the server answered with no metadata for the instance"
    with pytest.raises(NotDicomWebError) as caught:
        json_object_answer(REQUEST, 200, _headers("text/html"), b"<html>")
    assert str(caught.value) == _message("text/html", SEARCH)


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("text/html", "text/html"),
        ("Text/HTML; charset=utf-8", "text/html"),
        ("application/xhtml+xml", "application/xhtml+xml"),
        ("application/json", "application/json"),
        ("application/problem+json", "application/problem+json"),
    ],
)
def test_retrieves_labelled_as_pages_or_json_are_foreign(content_type: str, kind: str) -> None:
    with pytest.raises(NotDicomWebError) as caught:
        refuse_foreign_retrieve(REQUEST, _headers(content_type))
    assert str(caught.value) == _message(kind, RETRIEVE)


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        'multipart/related; type="application/dicom"; boundary=b',
        "application/dicom",
        "application/octet-stream",
        "image/jpeg",
        "application/dicom+xml",
        "application/jsonx",
    ],
)
def test_retrieves_of_other_types_pass(content_type: str | None) -> None:
    assert refuse_foreign_retrieve(REQUEST, _headers(content_type)) is None
