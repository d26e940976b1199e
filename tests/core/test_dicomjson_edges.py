"""DICOM JSON edges in the core: the bulk-data threshold at its exact edge, person names with
trailing empty component groups, and the messages of refused input."""

from __future__ import annotations

import pytest
from pydicom import Dataset

from dicomkit.core.dicomjson import (
    dataset_from_json,
    dataset_to_json,
    failure_reason_name,
    first_value,
    loads_json_array,
)
from dicomkit.core.errors import DicomJSONError, InvalidArgumentError


def _pixels(size: int) -> Dataset:
    ds = Dataset()
    ds.PixelData = b"\x01" * size
    ds["PixelData"].VR = "OB"
    return ds


def _kind(size: int, **kwargs: object) -> str:
    element = dataset_to_json(_pixels(size), bulk_data_uri=lambda _: "uri", **kwargs)["7FE00010"]
    return "BulkDataURI" if "BulkDataURI" in element else "InlineBinary"


@pytest.mark.parametrize(
    ("threshold", "inline_up_to"),
    [(None, 768), (1024, 768), (1023, 765), (4, 3), (3, 0), (0, 0)],
)
def test_bulk_data_threshold_edge(threshold, inline_up_to):
    kwargs = {} if threshold is None else {"bulk_data_threshold": threshold}
    if inline_up_to:
        assert _kind(inline_up_to, **kwargs) == "InlineBinary"
    assert _kind(inline_up_to + 1, **kwargs) == "BulkDataURI"


def test_without_a_uri_maker_everything_is_inline():
    element = dataset_to_json(_pixels(5000))["7FE00010"]
    assert set(element) == {"vr", "InlineBinary"}


def test_the_uri_maker_gets_the_element():
    seen = []
    dataset_to_json(_pixels(2000), bulk_data_uri=lambda e: seen.append(e.tag) or "u")
    assert seen == [0x7FE00010]


def test_a_negative_threshold_is_refused():
    with pytest.raises(InvalidArgumentError) as caught:
        dataset_to_json(_pixels(1), bulk_data_threshold=-1)
    assert str(caught.value) == "bulk_data_threshold must not be negative"


def _pn(value: dict[str, object]) -> dict[str, object]:
    return {"00100010": {"vr": "PN", "Value": [value]}}


@pytest.mark.parametrize(
    ("groups", "text"),
    [
        ({"Alphabetic": "Doe^Jane", "Ideographic": "", "Phonetic": ""}, "Doe^Jane"),
        ({"Alphabetic": "Doe^Jane", "Ideographic": ""}, "Doe^Jane"),
        ({"Alphabetic": "Doe", "Ideographic": "ド", "Phonetic": ""}, "Doe=ド"),
        ({"Alphabetic": "", "Ideographic": "ド"}, "=ド"),
        ({"Alphabetic": "A", "Phonetic": "P"}, "A==P"),
        ({"Phonetic": "P"}, "==P"),
        ({"Alphabetic": "Doe^Jane^^^"}, "Doe^Jane^^^"),  # empty components are the caller's
        ({"Alphabetic": None, "Ideographic": "I"}, "=I"),
    ],
)
def test_person_names_with_empty_groups(groups, text):
    assert first_value(_pn(groups), "PatientName") == text


def test_a_person_name_with_no_group_is_empty_text():
    assert first_value(_pn({}), "PatientName", "default") == ""


def test_person_name_components_must_be_strings():
    with pytest.raises(DicomJSONError) as caught:
        first_value(_pn({"Alphabetic": 5}), "PatientName")
    assert str(caught.value) == ("person name components must be strings: \"{'Alphabetic': 5}\"")


def test_a_person_name_given_as_text_is_read():
    ds = dataset_from_json({"00100010": {"vr": "PN", "Value": ["Doe^Jane"]}})
    assert str(ds.PatientName) == "Doe^Jane"


@pytest.mark.parametrize(
    ("obj", "default", "expected"),
    [
        ({}, "d", "d"),
        ({"00100020": {"vr": "LO"}}, "d", "d"),
        ({"00100020": {"vr": "LO", "Value": []}}, "d", "d"),
        ({"00100020": {"vr": "LO", "Value": [None, "x"]}}, "d", "d"),
        ({"00100020": {"vr": "LO", "Value": ["a", "b"]}}, "d", "a"),
        ({"00100020": {"vr": "LO", "Value": [0]}}, "d", 0),
        ({"00100020": {"vr": "LO", "Value": [""]}}, "d", ""),
        ({"00100020".lower(): {"vr": "LO", "Value": ["low"]}}, None, "low"),
    ],
)
def test_first_value(obj, default, expected):
    assert first_value(obj, "PatientID", default) == expected


@pytest.mark.parametrize("name", ["PatientID", "00100020", "(0010,0020)", "0010,0020"])
def test_first_value_accepts_keywords_and_tags(name):
    assert first_value({"00100020": {"vr": "LO", "Value": ["p"]}}, name) == "p"


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"00100020": "x"}, "element 00100020 must be a JSON object"),
        ({"00100020": {"vr": "LO", "Value": "x"}}, "'Value' of element 00100020 must be a list"),
    ],
)
def test_first_value_refusals(obj, message):
    with pytest.raises(DicomJSONError) as caught:
        first_value(obj, "PatientID")
    assert str(caught.value) == message


@pytest.mark.parametrize("name", ["0008103E", "0008103e", "(0008,103E)", "SeriesDescription"])
def test_first_value_tags_with_hex_letters(name):
    assert first_value({"0008103E": {"vr": "LO", "Value": ["d"]}}, name) == "d"


def test_first_value_of_an_unknown_name():
    with pytest.raises(InvalidArgumentError) as caught:
        first_value({}, "NoSuchKeyword")
    assert str(caught.value) == "'NoSuchKeyword' is neither a DICOM keyword nor a tag"


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0x0110, "Processing failure"),
        (0x0111, "Duplicate SOP Instance"),
        (0x0122, "SOP Class not supported"),
        (0xFFFF, "Unknown reason 0xFFFF"),
        (0, "Unknown reason 0x0000"),
    ],
)
def test_failure_reason_names(code, name):
    assert failure_reason_name(code) == name


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{", r"body is not JSON \(Expecting property name enclosed in double quotes"),
        (b"{}", "expected a JSON array"),
        (b"[1]", r"expected a JSON array of objects, got '\[1\]'"),
    ],
)
def test_json_arrays_that_are_not(body, message):
    with pytest.raises(DicomJSONError, match=message):
        loads_json_array(body)
