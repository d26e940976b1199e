"""The judgement of answers that are not DICOMweb (core/operations/foreign.py), with no server.

Properties: DICOM JSON is read the same whatever of the two JSON types labels it; JSON that is
not DICOM JSON under application/json, and any body under a non-JSON type, is a
NotDicomWebError naming the URL; an answer labelled application/dicom+json is never judged.
"""

from __future__ import annotations

import json
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import DicomJSONError, NotDicomWebError, dicomweb_root_hint
from dicomkit.core.interface import Headers, Request
from dicomkit.core.operations.answers import parse_json_array
from dicomkit.core.operations.foreign import (
    json_answer,
    json_object_answer,
    refuse_foreign_retrieve,
)

SEARCH = Request("GET", "http://127.0.0.1:8042/studies?PatientID=P-1")
TAGS = st.text("0123456789ABCDEF", min_size=8, max_size=8)
ELEMENT = st.fixed_dictionaries({"vr": st.sampled_from(["UI", "LO", "DA", "PN"])})
DICOM_JSON = st.lists(st.dictionaries(TAGS, ELEMENT, max_size=4), max_size=5)
NOT_TAG = st.text(min_size=1, max_size=12).filter(lambda key: len(key) != 8)


def typed(content_type: str | None) -> Headers:
    return Headers([] if content_type is None else [("Content-Type", content_type)])


@given(DICOM_JSON, st.sampled_from([None, "application/dicom+json", "application/json"]))
def test_dicom_json_is_read_alike_under_either_json_type(
    items: list[dict[str, object]], content_type: str | None
) -> None:
    body = json.dumps(items).encode()
    assert json_answer(SEARCH, 200, typed(content_type), body) == parse_json_array(200, body)


@given(st.lists(st.text(max_size=20), min_size=1, max_size=5))
def test_a_list_of_ids_under_application_json_is_not_dicomweb(ids: list[str]) -> None:
    body = json.dumps(ids).encode()
    with pytest.raises(NotDicomWebError) as caught:
        json_answer(SEARCH, 200, typed("application/json; charset=utf-8"), body)
    assert caught.value.url == SEARCH.url
    assert caught.value.content_type == "application/json"
    assert isinstance(caught.value.__cause__, DicomJSONError)


@given(st.lists(st.dictionaries(NOT_TAG, st.integers(), min_size=1, max_size=3), min_size=1))
def test_objects_keyed_by_names_are_not_dicom_json(items: list[dict[str, int]]) -> None:
    with pytest.raises(NotDicomWebError):
        json_answer(SEARCH, 200, typed("application/json"), json.dumps(items).encode())


@given(st.binary(min_size=1, max_size=64).filter(lambda body: body.strip() != b""))
def test_any_body_under_a_web_page_type_is_not_dicomweb(body: bytes) -> None:
    with pytest.raises(NotDicomWebError):
        json_answer(SEARCH, 200, typed("text/html"), body)


@given(st.binary(max_size=64))
def test_an_answer_labelled_dicom_json_is_never_judged(body: bytes) -> None:
    try:
        json_answer(SEARCH, 200, typed("application/dicom+json"), body)
    except NotDicomWebError:  # pragma: no cover - the failure this test looks for
        pytest.fail("application/dicom+json was judged")
    except DicomJSONError:
        pass


@pytest.mark.parametrize("content_type", ["text/html", "application/json", "text/plain"])
def test_empty_answers_are_empty_results(content_type: str) -> None:
    assert json_answer(SEARCH, 200, typed(content_type), b"  ") == []
    assert json_answer(SEARCH, 204, typed(content_type), b"") == []


def test_an_empty_json_array_is_an_empty_result() -> None:
    """The documented limit: Orthanc's empty REST answer looks like an empty search."""
    assert json_answer(SEARCH, 200, typed("application/json"), b"[ ]") == []


def test_metadata_needs_one_object() -> None:
    metadata = Request("GET", "http://h/dicom-web/studies/1/series/2/instances/3/metadata")
    body = b'[{"00080018": {"vr": "UI", "Value": ["3"]}}]'
    assert json_object_answer(metadata, 200, typed("application/dicom+json"), body)
    with pytest.raises(DicomJSONError):
        json_object_answer(metadata, 200, typed("application/dicom+json"), b"[]")
    with pytest.raises(NotDicomWebError):
        json_object_answer(metadata, 200, typed("application/json"), b'{"ID": "x"}')


@pytest.mark.parametrize(
    ("content_type", "refused"),
    [
        ("text/html; charset=utf-8", True),
        ("application/json", True),
        ("application/dicom+json", True),
        ('multipart/related; type="application/dicom"; boundary=x', False),
        ("application/dicom", False),
        ("application/octet-stream", False),
        ("image/jpeg", False),
        (None, False),
    ],
)
def test_a_retrieve_refuses_web_pages_and_json(content_type: str | None, refused: bool) -> None:
    retrieve = Request("GET", "http://h:8042/studies/1.2.3")
    if refused:
        with pytest.raises(NotDicomWebError):
            refuse_foreign_retrieve(retrieve, typed(content_type))
    else:
        refuse_foreign_retrieve(retrieve, typed(content_type))


@pytest.mark.parametrize(
    ("url", "base", "orthanc"),
    [
        ("http://h:8042/studies?PatientID=1", "http://h:8042", "http://h:8042/dicom-web"),
        ("http://h:8042/series", "http://h:8042", "http://h:8042/dicom-web"),
        ("https://h/pacs/studies/1.2/series/3", "https://h/pacs", "https://h/dicom-web"),
        ("https://h/", "https://h", "https://h/dicom-web"),
        ("http://h/studies-archive/studies", "http://h/studies-archive", "http://h/dicom-web"),
    ],
)
def test_the_hint_names_the_base_url_and_orthancs_root(url: str, base: str, orthanc: str) -> None:
    hint = dicomweb_root_hint(url)
    assert hint.startswith(f"Is {base} the server's DICOMweb root?")
    assert f"for Orthanc {orthanc}," in hint


def test_the_error_survives_pickling() -> None:
    error = NotDicomWebError("GET", SEARCH.url, "text/html", expected="x", why="y")
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.url, copy.content_type) == (str(error), error.url, "text/html")
