"""DICOM JSON <-> pydicom, JSON body parsing, and STOW-RS responses as StoreResult."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydicom import Dataset
from pydicom.dataelem import DataElement
from pydicom.sequence import Sequence

from dicomkit.core.dicomjson import (
    FailedInstance,
    StoredInstance,
    StoreResult,
    dataset_from_json,
    dataset_to_json,
    failure_reason_name,
    first_value,
    loads_json_array,
    loads_json_object,
    parse_store_response,
)
from dicomkit.core.errors import DicomJSONError, InvalidArgumentError, ProtocolError

# -- dataset conversion ---------------------------------------------------------------------------


def test_from_json_reads_common_shapes() -> None:
    ds = dataset_from_json(
        {
            "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane", "Ideographic": "X"}]},
            "00100020": {"vr": "LO"},
            "00080018": {"vr": "UI", "Value": ["1.2.3"]},
            "00280030": {"vr": "DS", "Value": [0.5, "0.25"]},
            "00200013": {"vr": "IS", "Value": [7]},
            "00081199": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI", "Value": ["1.2"]}}]},
            "00420011": {"vr": "OB", "InlineBinary": base64.b64encode(b"\x00\x01").decode()},
        }
    )
    assert str(ds.PatientName) == "Doe^Jane=X"
    assert ds.PatientID == ""
    assert ds.SOPInstanceUID == "1.2.3"
    assert [float(v) for v in ds.PixelSpacing] == [0.5, 0.25]
    assert ds.InstanceNumber == 7
    assert ds.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == "1.2"
    assert ds.EncapsulatedDocument == b"\x00\x01"


def test_from_json_repairs_what_servers_send() -> None:
    ds = dataset_from_json(
        {
            "001021b0": {"Value": ["x"]},  # lower-case key, no vr: the dictionary knows it
            "00100010": {"vr": "PN", "Value": ["Bare^String"]},
            "00081199": {"vr": "SQ", "Value": [{"00100010": {"vr": "PN", "Value": ["A^B"]}}]},
        }
    )
    assert ds[0x001021B0].value == "x"
    assert str(ds.PatientName) == "Bare^String"
    assert str(ds.ReferencedSOPSequence[0].PatientName) == "A^B"


def test_bulk_data_uri_goes_through_the_handler() -> None:
    seen: list[tuple[str, str, str]] = []

    def handler(tag: str, vr: str, uri: str) -> bytes:
        seen.append((tag, vr, uri))
        return b"pixels"

    obj = {"7FE00010": {"vr": "OB", "BulkDataURI": "http://h/bulk/1"}}
    assert dataset_from_json(obj, handler).PixelData == b"pixels"
    assert seen == [("7FE00010", "OB", "http://h/bulk/1")]
    assert dataset_from_json(obj).PixelData is None


def test_handler_errors_pass_through_unchanged() -> None:
    class Boom(Exception):
        pass

    def handler(tag: str, vr: str, uri: str) -> bytes:
        raise Boom(uri)

    with pytest.raises(Boom):
        dataset_from_json({"7FE00010": {"vr": "OB", "BulkDataURI": "u"}}, handler)


@pytest.mark.parametrize(
    "obj",
    [
        [],
        {"zz": {"vr": "LO"}},
        {"0010002": {"vr": "LO"}},
        {"00100020": "x"},
        {"00100020": {"vr": "LO", "Value": "x"}},
        {"00100020": {"vr": "L"}},
        {"00100020": {"vr": 5}},
        {"00091010": {"Value": ["no vr, private"]}},
        {"00280010": {"vr": "US", "Value": ["abc"]}},
        {"00081199": {"vr": "SQ", "Value": ["not an item"]}},
        {"00420011": {"vr": "OB", "InlineBinary": "***"}},
    ],
)
def test_malformed_documents_raise_dicom_json_error(obj: Any) -> None:
    with pytest.raises(DicomJSONError):
        dataset_from_json(obj)


def test_deeply_nested_documents_raise_dicom_json_error() -> None:
    obj: dict[str, Any] = {}
    for _ in range(5000):
        obj = {"00081199": {"vr": "SQ", "Value": [obj]}}
    with pytest.raises(DicomJSONError, match="nested too deeply"):
        dataset_from_json(obj)


def test_to_json_inline_and_bulk_data() -> None:
    ds = Dataset()
    ds.PatientName = "Doe^Jane"
    ds.add_new(0x00420011, "OB", b"\x01" * 2000)
    inline = dataset_to_json(ds)
    assert inline["00100010"] == {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]}
    assert base64.b64decode(inline["00420011"]["InlineBinary"]) == b"\x01" * 2000

    def uri(element: DataElement) -> str:
        return f"http://h/bulk/{element.tag:08X}"

    bulk = dataset_to_json(ds, bulk_data_uri=uri)
    assert bulk["00420011"] == {"vr": "OB", "BulkDataURI": "http://h/bulk/00420011"}
    kept = dataset_to_json(ds, bulk_data_uri=uri, bulk_data_threshold=5000)
    assert "InlineBinary" in kept["00420011"]
    with pytest.raises(InvalidArgumentError):
        dataset_to_json(ds, bulk_data_threshold=-1)


def test_to_json_reports_unwritable_datasets() -> None:
    ds = Dataset()
    with pytest.warns(UserWarning, match="cannot be assigned"):
        ds.add(DataElement(0x00280010, "US", "not a number"))
    with pytest.raises(InvalidArgumentError):
        dataset_to_json(ds)


texts = st.text(
    st.characters(codec="utf-8", exclude_characters="\\", exclude_categories=("Cc", "Cs", "Zs")),
    min_size=1,
    max_size=16,
)
uid_strings = st.lists(st.integers(1, 10**6).map(str), min_size=2, max_size=6).map(".".join)


@st.composite
def datasets(draw: st.DrawFn, depth: int = 0) -> Dataset:
    ds = Dataset()
    if draw(st.booleans()):
        ds.PatientID = draw(texts)
    if draw(st.booleans()):
        ds.PatientName = "^".join(
            draw(
                st.lists(
                    texts.filter(lambda t: "^" not in t and "=" not in t), min_size=1, max_size=3
                )
            )
        )
    if draw(st.booleans()):
        ds.SOPInstanceUID = draw(uid_strings)
    if draw(st.booleans()):
        ds.InstanceNumber = draw(st.integers(-(2**31), 2**31 - 1))
    if draw(st.booleans()):
        ds.Rows = draw(st.integers(0, 65535))
    if draw(st.booleans()):
        ds.ImageType = draw(
            st.lists(st.sampled_from(["ORIGINAL", "PRIMARY", "AXIAL"]), min_size=1, max_size=3)
        )
    if draw(st.booleans()):
        ds.StudyDate = draw(st.dates(min_value=datetime.date(1900, 1, 1))).strftime("%Y%m%d")
    if draw(st.booleans()):
        ds.add_new(0x00189087, "FD", draw(st.floats(allow_nan=False, allow_infinity=False)))
    if draw(st.booleans()):
        # pydicom's empty value for OB is None, so an empty binary does not round-trip as b"".
        ds.add_new(0x00420011, "OB", draw(st.binary(min_size=1, max_size=64)))
    if draw(st.booleans()):
        ds.PatientComments = ""
    if depth < 2 and draw(st.booleans()):
        items = draw(st.lists(datasets(depth + 1), max_size=2))
        ds.ReferencedSOPSequence = Sequence(items)
    return ds


@given(datasets(), st.booleans())
def test_dataset_json_round_trip(ds: Dataset, through_text: bool) -> None:
    obj = dataset_to_json(ds)
    if through_text:
        obj = json.loads(json.dumps(obj))
    back = dataset_from_json(obj)
    if "00080005" in obj:  # normalised: DICOM JSON text is Unicode (ISO_IR 192)
        ds.SpecificCharacterSet = "ISO_IR 192"
    assert back == ds
    assert dataset_to_json(back) == obj


# -- JSON bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"  \r\n", "", b"[]"])
def test_empty_bodies_are_empty_arrays(body: bytes | str) -> None:
    assert loads_json_array(body) == []


def test_json_array_of_objects() -> None:
    body = json.dumps([{"00100020": {"vr": "LO", "Value": ["p"]}}]).encode()
    assert loads_json_array(body) == [{"00100020": {"vr": "LO", "Value": ["p"]}}]
    assert loads_json_array(b"\xef\xbb\xbf[{}]") == [{}]
    assert loads_json_array(bytearray(b"[{}]")) == [{}]


@pytest.mark.parametrize(
    "body", [b"{}", b"[1]", b"[{}, []]", b"<xml/>", b"[", b"\xff\xfe\x00", b"[" * 100_000]
)
def test_bad_json_arrays(body: bytes) -> None:
    with pytest.raises(DicomJSONError):
        loads_json_array(body)


def test_dicom_json_error_is_a_protocol_error_with_a_short_message() -> None:
    with pytest.raises(ProtocolError) as caught:
        loads_json_array(b"x" * 100_000)
    assert len(str(caught.value)) < 400


def test_json_object() -> None:
    assert loads_json_object(b'{"a": 1}') == {"a": 1}
    assert loads_json_object(b'[{"a": 1}]') == {"a": 1}
    for bad in (b"[]", b"[{}, {}]", b"3"):
        with pytest.raises(DicomJSONError):
            loads_json_object(bad)


def test_first_value() -> None:
    obj = {
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane", "Phonetic": "do"}]},
        "00100020": {"vr": "LO", "Value": ["p1", "p2"]},
        "0020000d": {"vr": "UI", "Value": ["1.2"]},
        "00080060": {"vr": "CS"},
        "00080061": {"vr": "CS", "Value": []},
        "00080062": {"vr": "CS", "Value": [None, "x"]},
        "00081199": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI", "Value": ["9"]}}]},
    }
    assert first_value(obj, "PatientName") == "Doe^Jane==do"
    assert first_value(obj, "PatientID") == "p1"
    assert first_value(obj, "00100020") == "p1"
    assert first_value(obj, "(0010,0020)") == "p1"
    assert first_value(obj, "StudyInstanceUID") == "1.2"
    assert first_value(obj, "Modality") is None
    assert first_value(obj, "ModalitiesInStudy", "none") == "none"
    assert first_value(obj, "SOPClassesInStudy") is None
    assert first_value(obj, "ReferencedSOPSequence") == {"00081155": {"vr": "UI", "Value": ["9"]}}
    assert first_value(obj, "AccessionNumber", default="") == ""
    with pytest.raises(InvalidArgumentError):
        first_value(obj, "NoSuchKeyword")
    with pytest.raises(DicomJSONError):
        first_value({"00100020": "x"}, "PatientID")
    with pytest.raises(DicomJSONError):
        first_value({"00100010": {"vr": "PN", "Value": [{"Alphabetic": 5}]}}, "PatientName")
    with pytest.raises(DicomJSONError):
        first_value({"00100020": {"vr": "LO", "Value": "x"}}, "PatientID")


# -- STOW-RS responses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (272, "Processing failure"),
        (0x0122, "SOP Class not supported"),
        (0xA700, "Out of resources"),
        (0xA7FF, "Out of resources"),
        (43264, "Data set does not match SOP Class"),
        (43265, "Study Instance UID does not match the request"),
        (0xC000, "Cannot understand"),
        (0xCFFF, "Cannot understand"),
        (0xC122, "Transfer syntax not supported"),
        (0xB000, "Coercion of data elements"),
        (0xB006, "Elements discarded"),
        (45063, "Data set does not match SOP Class"),
        (45070, "SOP Instance already exists"),
        (45071, "SOP Instance is being stored by another request"),
        (0x0111, "Duplicate SOP Instance"),
        (0x1234, "Unknown reason 0x1234"),
    ],
)
def test_failure_reason_names(code: int, name: str) -> None:
    assert failure_reason_name(code) == name


def _uid(value: str) -> dict[str, Any]:
    return {"vr": "UI", "Value": [value]}


def _seq(*items: dict[str, Any]) -> dict[str, Any]:
    return {"vr": "SQ", "Value": list(items)}


ORTHANC_BODY = {
    "00081190": {"vr": "UR", "Value": ["http://127.0.0.1:8042/dicom-web/studies/1.2"]},
    "00081198": {"vr": "SQ"},
    "00081199": _seq(
        {
            "00081150": _uid("1.2.840.10008.5.1.4.1.1.7"),
            "00081155": _uid("1.2.3.1"),
            "00081190": {"vr": "UR", "Value": ["http://127.0.0.1:8042/dicom-web/studies/1.2/x"]},
        }
    ),
}


def test_orthanc_success() -> None:
    result = parse_store_response(200, json.dumps(ORTHANC_BODY).encode())
    assert result.ok
    assert not result.partial
    assert result.retrieve_url == "http://127.0.0.1:8042/dicom-web/studies/1.2"
    assert result.stored == [
        StoredInstance(
            "1.2.840.10008.5.1.4.1.1.7",
            "1.2.3.1",
            "http://127.0.0.1:8042/dicom-web/studies/1.2/x",
            None,
        )
    ]
    assert result.failed == []
    assert result.warnings == []
    assert result.summary() == "HTTP 200: 1 stored, 0 failed"


def test_partial_failure_with_warnings_and_details() -> None:
    body = {
        "00081196": {"vr": "US", "Value": [0xB000]},
        "00081199": _seq(
            {
                "00081150": _uid("1.2.1"),
                "00081155": _uid("1.2.3.1"),
                "00081196": {"vr": "US", "Value": [45063]},
                "00741048": _seq({"00000902": {"vr": "LO", "Value": ["bad PatientAge"]}}),
            }
        ),
        "00081198": _seq(
            {
                "00081150": _uid("1.2.1"),
                "00081155": _uid("1.2.3.2"),
                "00081197": {"vr": "US", "Value": [45070]},
            },
            {
                "00081155": _uid("1.2.3.3"),
                "00081197": {"vr": "US", "Value": ["272"]},
                "00000902": {"vr": "LO", "Value": ["disk"]},
            },
            {"00081155": _uid("1.2.3.4"), "00081197": {"vr": "US", "Value": ["junk"]}},
        ),
        "0008119a": _seq({"00081197": {"vr": "US", "Value": [0xC000]}}),
    }
    result = parse_store_response(202, json.dumps([body]))
    assert not result.ok
    assert result.partial
    assert result.stored[0].warning_reason == 45063
    assert result.stored[0].warning == "Data set does not match SOP Class"
    assert result.warnings == [
        "Coercion of data elements",
        "1.2.3.1: Data set does not match SOP Class (bad PatientAge)",
    ]
    assert result.failed == [
        FailedInstance("1.2.1", "1.2.3.2", 45070, "SOP Instance already exists"),
        FailedInstance("", "1.2.3.3", 272, "Processing failure", "disk"),
        FailedInstance("", "1.2.3.4", None, "Unspecified failure"),
        FailedInstance("", "", 0xC000, "Cannot understand"),
    ]
    assert result.summary().startswith("HTTP 202: 1 stored, 4 failed (")


def test_stored_instance_without_warning_has_no_warning_name() -> None:
    assert StoredInstance("1.2", "1.3").warning is None


@pytest.mark.parametrize("body", [b"", b"  ", ""])
def test_empty_store_bodies(body: bytes | str) -> None:
    assert parse_store_response(200, body) == StoreResult(status=200)
    failed = parse_store_response(409, body)
    assert not failed.ok
    assert not failed.partial
    assert failed.status == 409


@pytest.mark.parametrize(
    "body",
    [b"<html>502</html>", b'{"HttpError": "Bad Request", "Message": "x"}', b"[1]", b"[]"],
)
def test_error_status_with_foreign_body_gives_an_empty_result(body: bytes) -> None:
    assert parse_store_response(400, body) == StoreResult(status=400)


@pytest.mark.parametrize("body", [b"<Other/>", b'{"Message": "x"}', b"[[]]", b"[]"])
def test_success_status_with_foreign_body_raises(body: bytes) -> None:
    with pytest.raises(DicomJSONError):
        parse_store_response(200, body)


def test_merged_array_of_several_objects() -> None:
    one = {"00081199": _seq({"00081155": _uid("1.1")})}
    two = {"00081199": _seq({"00081155": _uid("1.2")}), "00081190": {"vr": "UR", "Value": ["u"]}}
    result = parse_store_response(200, json.dumps([one, two]).encode())
    assert [s.sop_instance_uid for s in result.stored] == ["1.1", "1.2"]
    assert result.retrieve_url == "u"


def test_tolerates_odd_values() -> None:
    body = {
        "00081199": {"vr": "SQ", "Value": "x"},
        "00081198": _seq("not an item"),
        "00081190": "x",
    }
    result = parse_store_response(200, json.dumps(body))
    assert result == StoreResult(status=200)


@pytest.mark.parametrize("code", [b"1e999", b"Infinity", b"-Infinity", b"NaN"])
def test_a_reason_code_no_int_can_hold_is_skipped(code: bytes) -> None:
    failed = b'{"00081155": {"vr": "UI", "Value": ["1.2"]}, "00081197": {"vr": "US", '
    failed += b'"Value": [%s]}}'
    body = b'{"00081198": {"vr": "SQ", "Value": [%s]}, "00081196": {"vr": "US", "Value": [%s]}}'
    result = parse_store_response(409, body % (failed % code, code))
    assert [f.sop_instance_uid for f in result.failed] == ["1.2"]
    assert result.warnings == []


@given(
    stored=st.lists(uid_strings, max_size=4),
    failed=st.lists(st.tuples(uid_strings, st.integers(0, 0xFFFF)), max_size=4),
)
def test_store_response_round_trip(stored: list[str], failed: list[tuple[str, int]]) -> None:
    body = {
        "00081199": _seq(*({"00081155": _uid(uid)} for uid in stored)),
        "00081198": _seq(
            *(
                {"00081155": _uid(uid), "00081197": {"vr": "US", "Value": [code]}}
                for uid, code in failed
            )
        ),
    }
    result = parse_store_response(200, json.dumps(body).encode())
    assert [s.sop_instance_uid for s in result.stored] == stored
    assert [(f.sop_instance_uid, f.reason_code) for f in result.failed] == failed
    assert all(f.reason == failure_reason_name(f.reason_code or 0) for f in result.failed)
    assert result.ok is (not failed)
    assert result.partial is (bool(stored) and bool(failed))


# -- only the documented error escapes ------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
some_tags = st.sampled_from(
    ["00100010", "00100020", "00280010", "00081199", "7FE00010", "00081197", "00091010", "zz"]
)
elements = st.fixed_dictionaries(
    {},
    optional={
        "vr": st.sampled_from(["PN", "LO", "US", "SQ", "OB", "DS", "AT", "XX"]) | json_values,
        "Value": st.lists(json_values | st.dictionaries(some_tags, json_values), max_size=3)
        | json_values,
        "InlineBinary": st.sampled_from(["AAEC", "***"]) | json_values,
        "BulkDataURI": st.text(max_size=10) | json_values,
    },
)
documents = st.dictionaries(some_tags, elements | json_values, max_size=4)


@given(documents | json_values)
def test_from_json_raises_only_dicom_json_error(obj: Any) -> None:
    try:
        ds = dataset_from_json(obj, lambda tag, vr, uri: b"")
    except DicomJSONError:
        return
    assert isinstance(ds, Dataset)


@given(st.integers(100, 599), documents | st.lists(documents, max_size=2) | json_values)
def test_store_parsing_raises_only_dicom_json_error(status: int, obj: Any) -> None:
    body = json.dumps(obj).encode()
    try:
        result = parse_store_response(status, body)
    except DicomJSONError:
        assert status < 400
        return
    assert result.status == status


@given(st.binary(max_size=64) | (documents | json_values).map(lambda v: json.dumps(v).encode()))
def test_json_array_parsing_raises_only_dicom_json_error(body: bytes) -> None:
    try:
        value = loads_json_array(body)
    except DicomJSONError:
        return
    assert all(isinstance(item, dict) for item in value)


@given(documents, st.sampled_from(["PatientName", "PatientID", "Rows", "00081199"]))
def test_first_value_raises_only_dicom_json_error(obj: dict[str, Any], key: str) -> None:
    tag = {"PatientName": "00100010", "PatientID": "00100020", "Rows": "00280010"}.get(key, key)
    try:
        value = first_value(obj, key)
    except DicomJSONError:
        assert not isinstance(obj[tag], dict) or not isinstance(obj[tag].get("Value", []), list)
        return
    if value is not None:
        assert obj[tag]["Value"][0] is not None
