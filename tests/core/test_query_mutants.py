"""QIDO-RS query building, exact pairs and messages (issue 13.4): every date, time and datetime
form and range, lists and their VRs, vendor parameters, option checks and percent-encoding."""

from __future__ import annotations

import datetime
import sys

import pytest

from dicomkit.core.errors import InvalidArgumentError, InvalidUIDError
from dicomkit.core.query import (
    ValueList,
    build_query,
    encode_query,
    normalize_attribute,
    percent_encode,
)

HINT = (
    "ISO 8601 text or DICOM text (ranges as 'start-end' in DICOM form, 'start/end' in ISO form,"
    " or a (start, end) tuple)"
)


def _one(name: str, value: object) -> str:
    pairs = build_query({name: value})
    assert len(pairs) == 1
    assert pairs[0][0] == name
    return pairs[0][1]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("StudyDate", "20240102", "20240102"),
        ("StudyDate", " 20240102 ", "20240102"),
        ("StudyDate", "2024-01-02", "20240102"),
        ("StudyDate", "20240101-20240201", "20240101-20240201"),
        ("StudyDate", "20240101-", "20240101-"),
        ("StudyDate", "-20240201", "-20240201"),
        ("StudyDate", "2024-01-01-2024-02-01", "20240101-20240201"),
        ("StudyDate", "2024-01-01-", "20240101-"),
        ("StudyDate", "-2024-02-01", "-20240201"),
        ("StudyDate", "2024-01-01/2024-02-01", "20240101-20240201"),
        ("StudyDate", " 2024-01-01 / ", "20240101-"),
        ("StudyTime", "10", "10"),
        ("StudyTime", "1020", "1020"),
        ("StudyTime", "102030", "102030"),
        ("StudyTime", "102030.123456", "102030.123456"),
        ("StudyTime", "10:20", "102000"),
        ("StudyTime", "10:20:30", "102030"),
        ("StudyTime", "10:20:30.500", "102030.500000"),
        ("StudyTime", "10-11", "10-11"),
        ("StudyTime", "-1130", "-1130"),
        ("StudyTime", "10:00/11:00", "100000-110000"),
        ("AcquisitionDateTime", "2024", "2024"),
        ("AcquisitionDateTime", "20240102103000.5+0100", "20240102103000.5+0100"),
        ("AcquisitionDateTime", "20240101120000-0500", "20240101120000-0500"),
        ("AcquisitionDateTime", "20240101-0500", "20240101-0500"),
        ("AcquisitionDateTime", "2024-0500", "2024-0500"),
        ("AcquisitionDateTime", "20240101-20240201", "20240101-20240201"),
        ("AcquisitionDateTime", "2024-01-02T10:20:30Z", "20240102102030+0000"),
        ("AcquisitionDateTime", "2024-01-02T10:20:30.250", "20240102102030.250000"),
        ("AcquisitionDateTime", "2024-01-02", "20240102000000"),
        (
            "AcquisitionDateTime",
            "2024-01-02T10:00/2024-01-03T10:00",
            "20240102100000-20240103100000",
        ),
    ],
)
def test_temporal_text(name: str, value: str, expected: str) -> None:
    assert _one(name, value) == expected


@pytest.mark.parametrize(
    ("name", "vr", "value", "kind"),
    [
        ("StudyDate", "DA", "2024-13-01", "date"),
        ("StudyDate", "DA", "202401", "date"),
        ("StudyTime", "TM", "102030.1234567", "time"),
        ("StudyTime", "TM", "25:00:00", "time"),
        ("StudyTime", "TM", "1020x", "time"),
        ("AcquisitionDateTime", "DT", "2024-01-02Tx", "datetime"),
        ("AcquisitionDateTime", "DT", "2024x", "datetime"),
        ("AcquisitionDateTime", "DT", "10:20", "datetime"),
    ],
)
def test_temporal_text_refused(name: str, vr: str, value: str, kind: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        build_query({name: value})
    assert str(caught.value) == (
        f"{value.strip()!r} is not a {vr} value for {name}: give a {kind} object, {HINT}"
    )


def test_a_range_end_that_is_wrong_names_that_end() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        build_query({"StudyDate": "20240101-2024x"})
    assert str(caught.value).startswith("'20240101-2024x' is not a DA value for StudyDate")
    with pytest.raises(InvalidArgumentError) as caught:
        build_query({"StudyDate": "2024-01-01/2024x"})
    assert str(caught.value).startswith("'2024x' is not a DA value for StudyDate")


@pytest.mark.parametrize("value", ["-", " / ", "/"])
def test_a_range_with_no_end(value: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        build_query({"StudyDate": value})
    assert str(caught.value) == "a range for StudyDate needs at least one end"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("StudyDate", datetime.date(2024, 1, 2), "20240102"),
        ("StudyDate", datetime.datetime(2024, 1, 2, 10, 20), "20240102"),
        ("StudyTime", datetime.datetime(2024, 1, 2, 10, 20, 30, 5), "102030.000005"),
        ("StudyTime", datetime.time(10, 20), "102000"),
        ("AcquisitionDateTime", datetime.datetime(2024, 1, 2, 3, 4, 5), "20240102030405"),
        (
            "AcquisitionDateTime",
            datetime.datetime(2024, 1, 2, 3, 4, 5, 60, tzinfo=datetime.timezone.utc),
            "20240102030405.000060+0000",
        ),
        ("AcquisitionDateTime", datetime.date(2024, 1, 2), "20240102"),
        ("PatientID", datetime.date(2024, 1, 2), "20240102"),
        ("PatientID", datetime.time(1, 2, 3), "010203"),
        ("PatientID", 5, "5"),
        ("PatientID", 1.5, "1.5"),
        ("PatientName", "Doe^J*", "Doe^J*"),
        ("PatientName", "Doe, J", "Doe, J"),
    ],
)
def test_scalars(name: str, value: object, expected: str) -> None:
    got = _one(name, value)
    assert got == expected
    assert type(got) is str


def test_a_pydicom_person_name_is_its_text() -> None:
    from pydicom.valuerep import PersonName

    assert _one("PatientName", PersonName("Doe^Jane")) == "Doe^Jane"


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"PatientID": True}, "True is not a searchable value"),
        ({"PatientID": object}, "cannot search for a value of type type"),
        ({"PatientID": b"x"}, "cannot search for a value of type bytes"),
        (
            {"StudyDate": 20240101},
            "StudyDate is searched with a date, time or datetime, ISO 8601 or DICOM text, not int",
        ),
        (
            {"StudyTime": 1.5},
            "StudyTime is searched with a date, time or datetime, ISO 8601 or DICOM text,"
            " not float",
        ),
        ({"StudyDate": ["20240101", False]}, "False is not a searchable value"),
        ({"PatientID": []}, "an empty list cannot be matched for PatientID"),
        ({"PatientID": set()}, "an empty list cannot be matched for PatientID"),
        (
            {"StudyDate": (None, None)},
            "a range for StudyDate is a (start, end) pair with at least one end, not (None, None)",
        ),
        (
            {"StudyDate": ("20240101",)},
            "a range for StudyDate is a (start, end) pair with at least one end, not ('20240101',)",
        ),
        (
            {"StudyDate": ("20240101", "20240102", "20240103")},
            "a range for StudyDate is a (start, end) pair with at least one end, not"
            " ('20240101', '20240102', '20240103')",
        ),
        ({"StudyDate": ("20240101-20240102", None)}, "a range end for StudyDate cannot be a range"),
        ({"StudyTime": (None, "10-11")}, "a range end for StudyTime cannot be a range"),
    ],
)
def test_values_refused(filters: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        build_query(filters)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ((datetime.date(2024, 1, 1), None), "20240101-"),
        ((None, "2024-02-01"), "-20240201"),
        (("2024-01-01", datetime.date(2024, 2, 1)), "20240101-20240201"),
    ],
)
def test_tuple_ranges(value: tuple[object, object], expected: str) -> None:
    assert _one("StudyDate", value) == expected


def test_a_datetime_range_end_may_hold_an_offset() -> None:
    assert _one("AcquisitionDateTime", ("20240101120000-0500", None)) == "20240101120000-0500-"
    assert _one("PatientID", ("A-B", None)) == "A-B-"


def test_lists_sets_and_commas() -> None:
    listed = _one("ModalitiesInStudy", ["MR", "CT"])
    assert isinstance(listed, ValueList)
    assert listed.values == ("MR", "CT")
    assert listed == "MR,CT"
    assert _one("ModalitiesInStudy", {"MR", "CT"}).values == ("CT", "MR")
    assert _one("ModalitiesInStudy", frozenset({"MR", "CT"})).values == ("CT", "MR")
    assert _one("ModalitiesInStudy", "CT,MR").values == ("CT", "MR")
    assert _one("StudyDate", "20240101,2024-02-01").values == ("20240101", "20240201")
    single = _one("ModalitiesInStudy", ["CT"])
    assert single == "CT"
    assert type(single) is str
    assert type(_one("PatientName", "Doe,J")) is str
    assert _one("PatientName", ["Doe,J", "X"]).values == ("Doe,J", "X")


@pytest.mark.parametrize("vr_name", ["StudyInstanceUID", "0020000D"])
def test_uids_are_checked_one_by_one(vr_name: str) -> None:
    assert _one(vr_name, "1.2.3,1.2.4").values == ("1.2.3", "1.2.4")
    with pytest.raises(InvalidUIDError):
        build_query({vr_name: "1.2.3,1.2.x"})
    with pytest.raises(InvalidUIDError):
        build_query({vr_name: ["1.2.3", "01.2"]})


def test_vr_of_tags_and_sequence_paths() -> None:
    assert _one("00080020", "2024-01-02") == "20240102"
    assert build_query({"(0008,0020)": "2024-01-02"}) == [("00080020", "20240102")]
    assert _one("ReferencedStudySequence.StudyDate", "2024-01-02") == "20240102"
    assert _one("00081110.00080020", "2024-01-02") == "20240102"
    assert _one("99990010", "2024-01-02") == "2024-01-02"  # unknown tag: no VR, sent as given


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (0x00100020, "00100020"),
        (0, "00000000"),
        (0xFFFFFFFF, "FFFFFFFF"),
        ("00100020", "00100020"),
        ("0010,0020", "00100020"),
        ("(0010,0020)", "00100020"),
        ("(7fe0,0010)", "7FE00010"),
        (" 0010,0020 ", "00100020"),
        ("ReferencedStudySequence.00081150", "ReferencedStudySequence.00081150"),
        ("PatientID", "PatientID"),
    ],
)
def test_normalize_attribute(name: str | int, expected: str) -> None:
    assert normalize_attribute(name) == expected


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (-1, "tag -1 is out of range"),
        (0x100000000, "tag 4294967296 is out of range"),
        (True, "attribute True is not a keyword or a tag"),
        ("", "attribute '' is not a keyword or a tag"),
        (1.5, "attribute 1.5 is not a keyword or a tag"),
        ("Limit", "'Limit' is a query option, not an attribute: pass it as the limit= argument"),
        (
            "IncludeField",
            "'IncludeField' is a query option, not an attribute: pass it as the fields= argument",
        ),
        (
            "offset",
            "'offset' is a query option, not an attribute: pass it as the offset= argument",
        ),
        (
            "0x00100020",
            "'0x00100020' is neither a DICOM keyword nor a tag (pass a vendor's own query "
            "parameter as extra_params=)",
        ),
        (
            "Nonsense",
            "'Nonsense' is neither a DICOM keyword nor a tag (pass a vendor's own query "
            "parameter as extra_params=)",
        ),
        (
            "x" * 100,
            repr("x" * 100)[:80] + "... is neither a DICOM keyword nor a tag (pass a vendor's"
            " own query parameter as extra_params=)",
        ),
    ],
)
def test_normalize_attribute_refusals(name: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        normalize_attribute(name)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_options_in_order_and_their_checks() -> None:
    assert build_query(
        {"PatientID": "P", "PatientName": "", "StudyDate": None},
        fuzzymatching=True,
        emptyvaluematching=False,
        multiplevaluematching=True,
        limit=1,
        offset=0,
        fields=["StudyDescription", "00100010"],
        extra_params={"orderby": "-StudyDate"},
    ) == [
        ("PatientID", "P"),
        ("includefield", "PatientName"),
        ("includefield", "StudyDescription"),
        ("fuzzymatching", "true"),
        ("emptyvaluematching", "false"),
        ("multiplevaluematching", "true"),
        ("limit", "1"),
        ("offset", "0"),
        ("orderby", "-StudyDate"),
    ]
    assert build_query(fields="ALL") == [("includefield", "all")]
    assert build_query({"PatientName": ""}, fields=["PatientID", "all"]) == [
        ("includefield", "all")
    ]
    assert build_query(fields=0x00100020) == [("includefield", "00100020")]
    assert build_query(fields=["PatientID", "00100020", "(0010,0020)"]) == [
        ("includefield", "PatientID")
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"limit": 0}, "limit must be an integer >= 1, not 0"),
        ({"limit": True}, "limit must be an integer >= 1, not True"),
        ({"limit": "5"}, "limit must be an integer >= 1, not '5'"),
        ({"offset": -1}, "offset must be an integer >= 0, not -1"),
        ({"offset": 1.0}, "offset must be an integer >= 0, not 1.0"),
        ({"fuzzymatching": 1}, "fuzzymatching must be a bool, not 1"),
        ({"emptyvaluematching": "yes"}, "emptyvaluematching must be a bool, not 'yes'"),
        ({"multiplevaluematching": 0}, "multiplevaluematching must be a bool, not 0"),
    ],
)
def test_option_refusals(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        build_query(**options)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_one_attribute_given_twice() -> None:
    assert build_query({"PatientID": "P", "00100020": "P"}) == [("PatientID", "P")]
    assert build_query({"PatientID": "", 0x00100020: ""}) == [("includefield", "PatientID")]
    with pytest.raises(InvalidArgumentError) as caught:
        build_query({"PatientID": "P", "(0010,0020)": "Q"})
    assert str(caught.value) == (
        "PatientID and 00100020 are the same attribute with different values; give it once"
    )


def test_vendor_parameters() -> None:
    assert build_query(
        extra_params=[("a", True), ("b", False), ("c", 3), ("d", 1.5), ("e", ["x", 2]), ("f", "")]
    ) == [("a", "true"), ("b", "false"), ("c", "3"), ("d", "1.5"), ("e", "x,2"), ("f", "")]
    listed = build_query(extra_params={"e": ("x", 2)})[0][1]
    assert isinstance(listed, ValueList)
    assert listed.values == ("x", "2")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"": "x"}, "query parameter name '' is not a name"),
        ({"  ": "x"}, "query parameter name '  ' is not a name"),
        ([(5, "x")], "query parameter name 5 is not a name"),
        ({"Limit": 5}, "'Limit' is a standard query option: pass it as its own argument"),
        (
            {"includefield": "x"},
            "'includefield' is a standard query option: pass it as its own argument",
        ),
        ({"x": []}, "query parameter 'x' cannot be []"),
        ({"x": None}, "query parameter 'x' cannot be None"),
        ({"x": {"a": 1}}, "query parameter 'x' cannot be {'a': 1}"),
    ],
)
def test_vendor_parameter_refusals(params: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        build_query(extra_params=params)  # type: ignore[arg-type]
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "safe", "expected"),
    [
        ("Az09-._~", "", "Az09-._~"),
        ("a b", "", "a%20b"),
        ("a*b", "", "a%2Ab"),
        ("a*b", "*", "a*b"),
        ("é^", "", "%C3%A9%5E"),
        ("é^", "^", "%C3%A9^"),
        ("", "", ""),
    ],
)
def test_percent_encode(text: str, safe: str, expected: str) -> None:
    assert percent_encode(text, safe) == expected


def test_percent_encode_refuses_lone_surrogates() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        percent_encode("a\ud800")
    assert str(caught.value) == "'a\\ud800' is not valid Unicode text"


def test_encode_query() -> None:
    pairs = [
        ("PatientName", "Doe^J*"),
        ("ModalitiesInStudy", ValueList(["C,T", "MR"])),
        ("x y", "a&b=c,:@/!$'()?"),
    ]
    assert encode_query(pairs) == (
        "PatientName=Doe%5EJ*&ModalitiesInStudy=C%2CT,MR&x%20y=a%26b%3Dc%2C:@/!$'()?"
    )
    assert encode_query(pairs, raw="^,") == (
        "PatientName=Doe^J*&ModalitiesInStudy=C,T,MR&x%20y=a%26b%3Dc,:@/!$'()?"
    )
    assert encode_query([]) == ""


def _refused(filters: dict[str, object]) -> str:
    with pytest.raises(InvalidArgumentError) as caught:
        build_query(filters)
    return str(caught.value)


def test_the_end_named_in_a_message_is_the_wrong_one() -> None:
    assert _refused({"StudyDate": "2024-01-01/2024-01-02/2024-01-03"}).startswith(
        "'2024-01-02/2024-01-03' is not a DA value for StudyDate"
    )
    assert _refused({"StudyTime": "1-2"}).startswith("'1' is not a TM value for StudyTime")
    assert _refused({"StudyTime": "10-11-12"}).startswith("'11-12' is not a TM value")
    assert _refused({"StudyDate": ("2024x", None)}).startswith(
        "'2024x' is not a DA value for StudyDate"
    )
    assert _refused({"StudyDate": ["20240101", "2024x"]}).startswith(
        "'2024x' is not a DA value for StudyDate"
    )
    assert _refused({"StudyDate": "20240101,2024x"}).startswith(
        "'2024x' is not a DA value for StudyDate"
    )
    assert _refused({"StudyInstanceUID": "1.2.x"}) == (
        "StudyInstanceUID '1.2.x' may contain only digits and dots"
    )


def test_which_texts_are_read_as_iso_datetimes() -> None:
    if sys.version_info >= (3, 11):  # fromisoformat reads the basic format from 3.11 on
        assert _one("AcquisitionDateTime", "20240102T103000") == "20240102103000"
    else:
        assert _refused({"AcquisitionDateTime": "20240102T103000"}).startswith("'2024")
    assert _refused({"StudyTime": "20240102T100000"}).startswith(
        "'20240102T100000' is not a TM value for StudyTime"
    )
    assert _refused({"AcquisitionDateTime": "2024-01-01-2024-02-01"}).startswith(
        "'2024-01-01-2024-02-01' is not a DT value"
    )


def test_the_vr_of_a_nested_path_is_its_last_keyword() -> None:
    path = "ReferencedStudySequence.ReferencedSeriesSequence.StudyDate"
    assert _one(path, "2024-01-02") == "20240102"


def test_one_nested_attribute_given_twice() -> None:
    keyword, tag = "ReferencedStudySequence.StudyDate", "00081110.00080020"
    assert build_query({keyword: "20240101", tag: "20240101"}) == [(keyword, "20240101")]
    assert _refused({keyword: "20240101", tag: "20240102"}) == (
        f"{keyword} and {tag} are the same attribute with different values; give it once"
    )


def test_filters_after_a_repeated_attribute_are_kept() -> None:
    assert build_query({"PatientID": "P", "00100020": "P", "StudyDate": "20240101"}) == [
        ("PatientID", "P"),
        ("StudyDate", "20240101"),
    ]


def test_a_preview_of_exactly_eighty_characters_is_whole() -> None:
    name = "x" * 78  # repr adds two quotes
    assert _refused({"PatientID": True}) == "True is not a searchable value"
    with pytest.raises(InvalidArgumentError) as caught:
        normalize_attribute(name)
    assert str(caught.value).startswith(f"'{name}' is neither")


def test_names_keep_the_safe_characters_too() -> None:
    assert encode_query([("a*b:c", "d*")]) == "a*b:c=d*"
    assert encode_query([("a^b", "c")], raw="^") == "a^b=c"
