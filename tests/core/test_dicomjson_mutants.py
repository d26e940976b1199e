"""dicomkit.core.dicomjson at its edges: each repair of a loose DICOM JSON object and each
refusal's whole message, the Specific Character Set rules, previews at their length, tags and
person names read back, and STOW-RS answers with upper-case tags and odd values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dicomkit.core.dicomjson import (
    FailedInstance,
    StoredInstance,
    StoreResult,
    dataset_from_json,
    dataset_to_json,
    first_value,
    loads_json_array,
    normalise_charset,
    parse_store_response,
)
from dicomkit.core.errors import DicomJSONError, InvalidArgumentError

UTF8 = {"vr": "CS", "Value": ["ISO_IR 192"]}


def refusal(obj: Any) -> str:
    with pytest.raises(DicomJSONError) as refused:
        dataset_from_json(obj)
    return str(refused.value)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"xyz": {}}, "DICOM JSON keys are 8 hex digits, not 'xyz'"),
        ({1: {}}, "DICOM JSON keys are 8 hex digits, not '1'"),
        ({"00100010": 3}, "element 00100010 must be a JSON object"),
        ({"00091001": {}}, "element 00091001 has no 'vr' and is not in the dictionary"),
        ({"00100010": {"vr": "PNX"}}, "element 00100010 has an invalid vr 'PNX'"),
        (
            {"7fe00010": {"vr": "OB", "InlineBinary": "!!"}},
            "InlineBinary of element 7FE00010 is not base64",
        ),
        ({"00100020": {"vr": "LO", "Value": "x"}}, "'Value' of element 00100020 must be a list"),
        ([1], "a DICOM JSON dataset must be an object, not list"),
        (
            {"00081115": {"vr": "SQ", "Value": [7]}},
            "a DICOM JSON dataset must be an object, not int",
        ),
    ],
)
def test_each_refusal(obj: Any, message: str) -> None:
    assert refusal(obj) == message


def test_pydicoms_refusals_are_dicom_json_errors() -> None:
    assert refusal({"00280010": {"vr": "US", "Value": ["x"]}}) == (
        "invalid DICOM JSON: invalid literal for int() with base 10: 'x'"
    )


def test_nesting_past_the_stack_is_refused() -> None:
    obj: dict[str, Any] = {}
    for _ in range(5000):
        obj = {"00081115": {"vr": "SQ", "Value": [obj]}}
    assert refusal(obj) == "DICOM JSON is nested too deeply"


def test_a_missing_vr_is_the_first_of_the_dictionarys() -> None:
    ds = dataset_from_json({"00280106": {"Value": [5]}})
    assert ds[0x00280106].VR == "US"
    assert ds[0x00280106].value == 5


def test_items_of_sequences_are_repaired_too() -> None:
    item = {"0020000e": {"Value": ["1.2.3"]}, "00100010": {"vr": "PN", "Value": ["Doe^Jo"]}}
    ds = dataset_from_json({"00081115": {"vr": "SQ", "Value": [item]}})
    nested = ds.ReferencedSeriesSequence[0]
    assert nested.SeriesInstanceUID == "1.2.3"
    assert nested[0x00100010].VR == "PN"
    assert str(nested.PatientName) == "Doe^Jo"


def test_person_names_given_as_text_are_alphabetic() -> None:
    ds = dataset_from_json({"00100010": {"vr": "PN", "Value": ["Doe^John", {"Alphabetic": "A"}]}})
    assert [str(name) for name in ds[0x00100010].value] == ["Doe^John", "A"]
    assert dataset_to_json(ds)["00100010"]["Value"] == [
        {"Alphabetic": "Doe^John"},
        {"Alphabetic": "A"},
    ]


def test_a_dataset_pydicom_cannot_write_is_refused() -> None:
    from pydicom import Dataset

    ds = Dataset()
    with pytest.warns(UserWarning, match="cannot be assigned to a tag with VR US"):
        ds.add_new(0x00280010, "US", "abc")
    with pytest.raises(InvalidArgumentError) as refused:
        dataset_to_json(ds)
    assert str(refused.value) == (
        "dataset cannot be written as DICOM JSON: invalid literal for int() with base 10: 'abc'"
    )


def test_ascii_objects_without_a_character_set_are_kept() -> None:
    obj = {
        "00280010": {"vr": "US", "Value": [5]},
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe"}]},
        "00080005": {"vr": "CS"},
    }
    assert normalise_charset(obj) is obj


@pytest.mark.parametrize(
    "element",
    [
        {"vr": "OB", "InlineBinary": "\u00e9"},  # never text: not a reason for a character set
        {"vr": "P\u00d1"},
    ],
)
def test_only_text_counts_as_non_ascii(element: dict[str, Any]) -> None:
    obj = {"7FE00010": element}
    assert normalise_charset(obj) is obj


@pytest.mark.parametrize(
    "element",
    [
        {"vr": "LO", "Value": ["M\u00fcller"]},
        {"vr": "PN", "Value": [{"Alphabetic": "M\u00fcller"}]},
        {"vr": "SQ", "Value": [{"00100020": {"vr": "LO", "Value": ["\u00e9"]}}]},
    ],
)
def test_non_ascii_text_anywhere_sets_utf8(element: dict[str, Any]) -> None:
    obj = {"00100020": element, "00080018": {"vr": "UI", "Value": ["1.2"]}}
    fixed = normalise_charset(obj)
    assert list(fixed) == ["00080005", "00080018", "00100020"]
    assert fixed["00080005"] == UTF8
    assert fixed["00100020"] == element
    assert "00080005" not in obj


def test_a_named_character_set_becomes_utf8() -> None:
    obj = {
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe"}]},
        "00080005": {"vr": "CS", "Value": ["ISO_IR 100"]},
    }
    assert normalise_charset(obj) == {"00080005": UTF8, "00100010": obj["00100010"]}


def test_utf8_already_named_is_kept_as_it_is() -> None:
    obj = {"00100010": {"vr": "LO", "Value": ["\u00e9"]}, "00080005": dict(UTF8)}
    kept = normalise_charset(obj)
    assert kept is obj
    assert list(kept) == ["00100010", "00080005"]


@pytest.mark.parametrize(("size", "tail"), [(200, ""), (201, "...")])
def test_previews_stop_at_200_characters(size: int, tail: str) -> None:
    body = '"' + "x" * (size - 2) + '"'
    with pytest.raises(DicomJSONError) as refused:
        loads_json_array(body.encode())
    assert str(refused.value) == f"expected a JSON array of objects, got {body[:200]!r}{tail}"


def test_tags_with_more_than_brackets_and_commas_are_not_tags() -> None:
    obj = {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^MAX"}]}}
    assert first_value(obj, "(0010,0010)") == "Doe^MAX"
    with pytest.raises(InvalidArgumentError) as refused:
        first_value(obj, "X00100010")
    assert str(refused.value) == "'X00100010' is neither a DICOM keyword nor a tag"


def test_person_names_keep_trailing_letters() -> None:
    obj = {"00100010": {"vr": "PN", "Value": [{"Alphabetic": "X", "Phonetic": "XX"}]}}
    assert first_value(obj, "PatientName") == "X==XX"


def test_the_summary_lists_reasons_sorted() -> None:
    result = StoreResult(status=409)
    result.failed += [FailedInstance("", "1", 272, "b reason"), FailedInstance("", "2", 272, "a")]
    assert result.summary() == "HTTP 409: 0 stored, 2 failed (a; b reason)"


def answer(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def test_store_answers_with_upper_case_tags_and_odd_values() -> None:
    body = {
        "0008119A": {
            "vr": "SQ",
            "Value": [
                {
                    "00081197": {"vr": "US", "Value": ["x", None, 272]},
                    "00000902": {"vr": "LO", "Value": ["first", "second"]},
                }
            ],
        },
        "00081199": {"vr": "SQ", "Value": [{}]},
    }
    result = parse_store_response(409, answer(body))
    assert result.failed == [FailedInstance("", "", 272, result.failed[0].reason, "first; second")]
    assert result.stored == [StoredInstance("", "")]


def test_a_success_whose_answer_is_not_dicom_json_is_refused() -> None:
    with pytest.raises(DicomJSONError) as array:
        parse_store_response(200, b"[1]")
    assert str(array.value) == "expected a DICOM JSON object, got '[1]'"
    with pytest.raises(DicomJSONError) as keys:
        parse_store_response(200, answer({"ABC": {}}))
    assert str(keys.value) == "body is JSON but not DICOM JSON: '{\"ABC\": {}}'"
    assert parse_store_response(409, answer({"ABC": {}})) == StoreResult(status=409)
