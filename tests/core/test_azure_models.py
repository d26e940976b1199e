"""What the core reads from the Azure DICOM service's own answers (issue 13.4, third round):
times, tag paths, change feed entries, operation states, extended query tags and their errors,
each field and each refusal with the exact message a user reads. No client, no server: the
objects are built from JSON documents as the service writes them."""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import DicomJSONError, DicomkitError, InvalidArgumentError
from dicomkit.core.operations.azure import (
    ChangeFeedEntry,
    ExtendedQueryTag,
    ExtendedQueryTagError,
    OperationFailedError,
    OperationReference,
    OperationState,
    OperationTimeoutError,
    QueryTagSpec,
    entries,
    format_time,
    json_list,
    load_json,
    parse_time,
    query_tag_path,
)

UTC = datetime.timezone.utc


def _utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", _utc(2024, 5, 1)),
        ("  2024-05-01T10:20:30Z  ", _utc(2024, 5, 1, 10, 20, 30)),
        ("2024-05-01T10:20:30z", _utc(2024, 5, 1, 10, 20, 30)),
        ("2024-05-01T10:20:30", _utc(2024, 5, 1, 10, 20, 30)),
        ("2024-05-01T10:20", _utc(2024, 5, 1, 10, 20)),
        ("2024-05-01 10:20:30Z", _utc(2024, 5, 1, 10, 20, 30)),
        ("2024-05-01t10:20:30Z", _utc(2024, 5, 1, 10, 20, 30)),
        ("2024-05-01T10:20:30.5Z", _utc(2024, 5, 1, 10, 20, 30, 500000)),
        ("2024-05-01T10:20:30.000001Z", _utc(2024, 5, 1, 10, 20, 30, 1)),
        ("2024-05-01T10:20:30.1234567Z", _utc(2024, 5, 1, 10, 20, 30, 123456)),
        ("2024-05-01T10:20:30.9999999", _utc(2024, 5, 1, 10, 20, 30, 999999)),
        ("2024-05-01T10:20:30+02:00", _utc(2024, 5, 1, 8, 20, 30)),
        ("2024-05-01T10:20:30+0200", _utc(2024, 5, 1, 8, 20, 30)),
        ("2024-05-01T10:20:30-0530", _utc(2024, 5, 1, 15, 50, 30)),
        ("2024-05-01T10:20:30 -05:30", _utc(2024, 5, 1, 15, 50, 30)),
        ("2024-05-01T00:20+0100", _utc(2024, 4, 30, 23, 20)),
        ("2024-05-01+0100", _utc(2024, 4, 30, 23, 0)),
    ],
)
def test_service_times_become_utc(text: str, expected: datetime.datetime) -> None:
    parsed = parse_time(text)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is UTC  # the timezone object itself, not the local zone


@pytest.mark.parametrize(
    "value",
    [
        None,
        12,
        20240501,
        b"2024-05-01",
        "",
        "yesterday",
        "2024-5-1",
        "2024-05-01T10",
        "2024-05-01T10:20:30ZZ",
        "2024-05-01T10:20:30.Z",
        "2024-13-01",
        "2024-02-30T10:00:00Z",
        "2024-05-01T25:00:00Z",
        "2024-05-01T10:61:00Z",
        "2024-05-01T10:00:00+25:00",
        "x2024-05-01",
    ],
)
def test_anything_else_is_no_time_rather_than_an_error(value: object) -> None:
    assert parse_time(value) is None


@given(
    st.datetimes(
        min_value=datetime.datetime(1901, 1, 1),
        max_value=datetime.datetime(9998, 12, 31),
        timezones=st.sampled_from(
            [UTC, datetime.timezone(datetime.timedelta(hours=5, minutes=30))]
        ),
    )
)
def test_isoformat_times_read_back_to_the_same_instant(moment: datetime.datetime) -> None:
    parsed = parse_time(moment.isoformat())
    assert parsed == moment
    assert parsed is not None
    assert parsed.tzinfo is UTC


@given(st.integers(0, 999999), st.sampled_from(["", "0", "00", "000"]))
def test_fractions_of_any_length(micros: int, padding: str) -> None:
    text = f"2024-05-01T10:20:30.{micros:06d}{padding}Z"
    assert parse_time(text) == _utc(2024, 5, 1, 10, 20, 30, micros)


def test_times_for_query_strings() -> None:
    naive = datetime.datetime(2024, 5, 1, 10, 20, 30, 40)
    assert format_time(naive) == "2024-05-01T10:20:30.000040Z"
    shifted = datetime.datetime(
        2024, 5, 1, 1, 0, tzinfo=datetime.timezone(-datetime.timedelta(hours=3))
    )
    assert format_time(shifted) == "2024-05-01T04:00:00.000000Z"
    assert format_time(datetime.date(2024, 1, 2)) == "2024-01-02T00:00:00Z"
    assert format_time("2024-01-02T03:04:05+01:00") == "2024-01-02T03:04:05+01:00"
    assert format_time("2024-01-02") == "2024-01-02"


@pytest.fixture
def local_zone_not_utc() -> Iterator[None]:
    """The process's local zone set to UTC-5 (UTC-4 in summer), so that a naive datetime read
    as local time gives another instant than one read as UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "EST5EDT"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is Unix only")
@pytest.mark.usefixtures("local_zone_not_utc")
def test_naive_times_are_utc_whatever_the_local_zone() -> None:
    assert datetime.datetime(2024, 1, 1, 12).astimezone().utcoffset() != datetime.timedelta(0)
    assert format_time(datetime.datetime(2024, 1, 1, 12)) == "2024-01-01T12:00:00.000000Z"
    aware = datetime.datetime(2024, 7, 1, 12, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert format_time(aware) == "2024-07-01T10:00:00.000000Z"
    assert format_time(datetime.date(2024, 7, 1)) == "2024-07-01T00:00:00Z"
    parsed = parse_time("2024-01-01T12:00:00")
    assert parsed == _utc(2024, 1, 1, 12)
    assert parsed is not None
    assert parsed.tzinfo is UTC


def test_times_for_query_strings_refuse_the_rest() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        format_time("tomorrow")
    assert str(caught.value) == "'tomorrow' is not an ISO 8601 time"
    with pytest.raises(InvalidArgumentError) as caught:
        format_time(1714557600)  # type: ignore[arg-type]
    assert str(caught.value) == "a time is a datetime, a date or ISO 8601 text, not 1714557600"
    with pytest.raises(InvalidArgumentError) as caught:
        format_time(None)  # type: ignore[arg-type]
    assert str(caught.value) == "a time is a datetime, a date or ISO 8601 text, not None"


@given(
    st.datetimes(min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(9999, 1, 1))
)
def test_formatted_times_read_back(moment: datetime.datetime) -> None:
    text = format_time(moment)
    assert text.endswith("Z")
    assert parse_time(text) == moment.replace(tzinfo=UTC)


# -- tag paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (0, "00000000"),
        (0x00100010, "00100010"),
        (0xFFFFFFFF, "FFFFFFFF"),
        ("PatientAge", "00101010"),
        (" PatientName ", "00100010"),
        ("00091001", "00091001"),
        ("0009100a", "0009100A"),
        ("(0009,1001)", "00091001"),
        ("(0009,100b)", "0009100B"),
        ("0009,1001", "00091001"),
        ("0x00091001", "00091001"),
        ("0X0009100c", "0009100C"),
        ("  0x00100020 ", "00100020"),
    ],
)
def test_tag_paths(path: str | int, expected: str) -> None:
    assert query_tag_path(path) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (-1, "tag -1 is out of range"),
        (0x100000000, "tag 4294967296 is out of range"),
        (True, "True is not a tag path or a keyword"),
        (False, "False is not a tag path or a keyword"),
        ("", "'' is not a tag path or a keyword"),
        ("   ", "'   ' is not a tag path or a keyword"),
        (None, "None is not a tag path or a keyword"),
        (1.5, "1.5 is not a tag path or a keyword"),
        ("NotAKeyword", "'NotAKeyword' is neither a tag nor a DICOM keyword"),
        ("0x0009100", "'0x0009100' is neither a tag nor a DICOM keyword"),
        ("000910011", "'000910011' is neither a tag nor a DICOM keyword"),
        ("0x", "'0x' is neither a tag nor a DICOM keyword"),  # pydicom knows a keyword ""
        ("0xPatientAge", "'0xPatientAge' is neither a tag nor a DICOM keyword"),
        ("x00091001", "'x00091001' is neither a tag nor a DICOM keyword"),
    ],
)
def test_tag_paths_refused(path: object, message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        query_tag_path(path)  # type: ignore[arg-type]
    assert str(caught.value) == message


@given(st.integers(0, 0xFFFFFFFF))
def test_every_tag_number_in_every_spelling(number: int) -> None:
    expected = f"{number:08X}"
    group, element = expected[:4], expected[4:]
    assert query_tag_path(number) == expected
    for text in (expected.lower(), f"0x{expected}", f"({group.lower()},{element})"):
        assert query_tag_path(text) == expected


# -- JSON answers --------------------------------------------------------------------------------


def test_load_json_reads_documents_and_empty_bodies() -> None:
    assert load_json(b'{"a": [1, "\xc3\xa9"]}', "x") == {"a": [1, "\u00e9"]}
    assert load_json(b"null", "x") is None
    assert load_json(b"", "x") is None
    assert load_json(b" \r\n\t", "x") is None
    assert load_json(b"0", "x") == 0


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (b"<html>", "b'<html>'"),
        (b"\xff\xfe", "b'\\xff\\xfe'"),
        (b"[" * 100_000, repr(b"[" * 80)),
        (b"{" + b"x" * 200, repr(b"{" + b"x" * 79)),
    ],
)
def test_load_json_names_the_answer_it_could_not_read(body: bytes, shown: str) -> None:
    with pytest.raises(DicomJSONError) as caught:
        load_json(body, "change feed")
    assert str(caught.value) == f"the change feed answer is not JSON: {shown}"


def test_json_list() -> None:
    items = [{"a": 1}]
    assert json_list(items, "tags") is items
    assert json_list(None, "tags") == []
    assert json_list([], "tags") == []
    for bad in ({}, "x", 0, {"value": []}):
        with pytest.raises(DicomJSONError) as caught:
            json_list(bad, "tags")
        assert str(caught.value) == "the tags answer is not a JSON array"


# -- change feed entries -------------------------------------------------------------------------

ENTRY = {
    "Sequence": 7,
    "StudyInstanceUid": "1.2",
    "SeriesInstanceUid": "1.2.3",
    "SopInstanceUid": "1.2.3.4",
    "Action": "Create",
    "Timestamp": "2024-05-01T10:00:00.5Z",
    "State": "Current",
    "PartitionName": "north",
    "Metadata": {"00100020": {"vr": "LO", "Value": ["P"]}},
    "FilePath": "a/b.dcm",
}


def test_a_change_feed_entry_field_by_field() -> None:
    entry = ChangeFeedEntry.from_json(ENTRY)
    assert entry == ChangeFeedEntry(
        sequence=7,
        action="create",
        state="current",
        timestamp=_utc(2024, 5, 1, 10, 0, 0, 500000),
        study_instance_uid="1.2",
        series_instance_uid="1.2.3",
        sop_instance_uid="1.2.3.4",
        partition_name="north",
        metadata={"00100020": {"vr": "LO", "Value": ["P"]}},
        file_path="a/b.dcm",
    )


def test_a_change_feed_entry_with_only_a_sequence() -> None:
    entry = ChangeFeedEntry.from_json({"sequence": "12", "metadata": [1], "timestamp": "now"})
    assert entry == ChangeFeedEntry(12, "", "", None, "", "", "", None, None, None)


def test_change_feed_values_are_text() -> None:
    entry = ChangeFeedEntry.from_json(
        {"sequence": 1, "action": "DELETE", "state": "Deleted", "studyInstanceUid": 12,
         "partitionName": 0, "filePath": 5}
    )  # fmt: skip
    assert (entry.action, entry.state, entry.study_instance_uid) == ("delete", "deleted", "12")
    assert (entry.partition_name, entry.file_path) == ("0", "5")


@pytest.mark.parametrize(
    ("value", "shown"),
    [("three", "'three'"), (None, "None"), (True, "True"), (1.5, "1.5"), ([1], "[1]")],
)
def test_a_sequence_must_be_a_whole_number(value: object, shown: str) -> None:
    with pytest.raises(DicomJSONError) as caught:
        ChangeFeedEntry.from_json({"Sequence": value})
    assert str(caught.value) == f"a change feed entry has no whole-number sequence: {shown}"


@pytest.mark.parametrize(("value", "kind"), [([], "list"), ("x", "str"), (None, "NoneType")])
def test_an_entry_must_be_an_object(value: object, kind: str) -> None:
    with pytest.raises(DicomJSONError) as caught:
        ChangeFeedEntry.from_json(value)
    assert str(caught.value) == f"a change feed entry must be a JSON object, not {kind}"


def test_entries_in_sequence_order_each_once() -> None:
    items = [
        {"sequence": 3, "action": "create"},
        {"sequence": 1, "action": "create"},
        {"sequence": 3, "action": "delete"},
        {"sequence": 2, "action": "update"},
    ]
    got = entries(items)
    assert [(e.sequence, e.action) for e in got] == [(1, "create"), (2, "update"), (3, "create")]
    assert entries([]) == []


@given(st.lists(st.integers(0, 50), max_size=30))
def test_entries_are_sorted_and_distinct(sequences: list[int]) -> None:
    items = [{"sequence": s, "action": f"a{i}"} for i, s in enumerate(sequences)]
    got = entries(items)
    assert [e.sequence for e in got] == sorted(set(sequences))
    for entry in got:  # the first one seen wins
        assert entry.action == f"a{sequences.index(entry.sequence)}"


# -- operations ----------------------------------------------------------------------------------


def test_operation_references() -> None:
    assert OperationReference.from_json({"id": "a-1", "href": "https://x/op"}) == (
        OperationReference("a-1", "https://x/op")
    )
    assert OperationReference.from_json({"OperationId": "b"}) == OperationReference("b", None)
    assert OperationReference.from_json({"Id": "a", "operationId": "b"}).id == "a"
    assert OperationReference.from_json({"id": "", "operationId": "b"}).id == "b"
    assert OperationReference.from_json({"id": 5}) == OperationReference("5")
    for bad in ({}, {"id": ""}, {"id": None, "href": "x"}):
        with pytest.raises(DicomJSONError) as caught:
            OperationReference.from_json(bad)
        assert str(caught.value) == "an operation reference has no id"
    with pytest.raises(DicomJSONError) as caught:
        OperationReference.from_json(["a"])
    assert str(caught.value) == "an operation reference must be a JSON object, not list"


STATUSES = {
    "notstarted": (False, False),
    "running": (False, False),
    "completed": (True, True),
    "succeeded": (True, True),
    "failed": (True, False),
    "canceled": (True, False),
    "cancelled": (True, False),
    "": (False, False),
    "unknown": (False, False),
}


@pytest.mark.parametrize(("status", "flags"), STATUSES.items())
def test_operation_done_and_succeeded(status: str, flags: tuple[bool, bool]) -> None:
    state = OperationState.from_json({"status": status.capitalize()})
    assert state.status == status
    assert (state.done, state.succeeded) == flags


def test_an_operation_state_field_by_field() -> None:
    state = OperationState.from_json(
        {
            "OperationId": "op-1",
            "Type": "Reindex",
            "Status": "Running",
            "PercentComplete": 40,
            "CreatedTime": "2024-05-01T10:00:00Z",
            "LastUpdatedTime": "2024-05-01T10:05:00+01:00",
            "Resources": ["https://x/tags/1", "", None, 3],
            "Results": {"studyUpdated": 2},
            "Errors": ["e1", 5],
        }
    )
    assert state == OperationState(
        operation_id="op-1",
        type="reindex",
        status="running",
        percent_complete=40,
        created_time=_utc(2024, 5, 1, 10),
        last_updated_time=_utc(2024, 5, 1, 9, 5),
        resources=("https://x/tags/1", "3"),
        results={"studyUpdated": 2},
        errors=("e1", "5"),
    )


def test_an_empty_operation_state() -> None:
    assert OperationState.from_json({}) == OperationState("", "", "")
    state = OperationState.from_json(
        {"id": "x", "percentComplete": "50", "results": [1], "errors": "bad", "resources": None}
    )
    assert state == OperationState("x", "", "")
    assert OperationState.from_json({"id": "x", "operationId": "y"}).operation_id == "y"
    with pytest.raises(DicomJSONError) as caught:
        OperationState.from_json("running")
    assert str(caught.value) == "an operation status must be a JSON object, not str"


def test_errors_of_the_results_follow_the_operation_errors() -> None:
    both = OperationState.from_json({"errors": ["a"], "results": {"errors": ["b", "c"]}})
    assert both.errors == ("a", "b", "c")
    assert both.results == {"errors": ["b", "c"]}
    only_results = OperationState.from_json({"results": {"errors": ["b"]}})
    assert only_results.errors == ("b",)
    not_a_list = OperationState.from_json({"errors": ["a"], "results": {"errors": "b"}})
    assert not_a_list.errors == ("a",)
    results_not_a_map = OperationState.from_json({"errors": ["a"], "results": ["b"]})
    assert (results_not_a_map.errors, results_not_a_map.results) == (("a",), {})


def test_the_results_are_a_copy() -> None:
    results = {"exported": 3}
    state = OperationState.from_json({"results": results})
    results["exported"] = 4
    assert state.results == {"exported": 3}


def test_operation_errors_carry_the_state() -> None:
    state = OperationState("op", "export", "failed")
    for kind in (OperationFailedError, OperationTimeoutError):
        error = kind("it failed", state)
        assert isinstance(error, DicomkitError)
        assert str(error) == "it failed"
        assert error.args == ("it failed",)
        assert error.state is state


# -- extended query tags -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (QueryTagSpec("PatientAge"), {"path": "00101010", "level": "Study"}),
        (QueryTagSpec(0x00080060, "series"), {"path": "00080060", "level": "Series"}),
        (QueryTagSpec("00080018", "INSTANCE"), {"path": "00080018", "level": "Instance"}),
        (
            QueryTagSpec("(0009,1001)", "Study", "lo", "ACME"),
            {"path": "00091001", "level": "Study", "vr": "LO", "privateCreator": "ACME"},
        ),
        (QueryTagSpec("PatientAge", vr="as"), {"path": "00101010", "level": "Study", "vr": "AS"}),
        (
            QueryTagSpec("00091001", private_creator=""),
            {"path": "00091001", "level": "Study", "privateCreator": ""},
        ),
    ],
)
def test_query_tag_specs_as_sent(spec: QueryTagSpec, expected: dict[str, str]) -> None:
    document = spec.to_json()
    assert document == expected
    assert list(document) == list(expected)


@pytest.mark.parametrize(
    ("level", "shown"), [("Patient", "'Patient'"), ("", "''"), (3, "3"), (None, "None")]
)
def test_query_tag_levels_refused(level: object, shown: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        QueryTagSpec("PatientAge", level).to_json()  # type: ignore[arg-type]
    assert str(caught.value) == (
        f"level must be one of ('Study', 'Series', 'Instance'), not {shown}"
    )


def test_query_tag_specs_from_what_users_give() -> None:
    spec = QueryTagSpec("PatientAge", "Series")
    assert QueryTagSpec.coerce(spec) is spec
    assert QueryTagSpec.coerce("PatientAge") == QueryTagSpec("PatientAge", "Study")
    assert QueryTagSpec.coerce(0x00101010) == QueryTagSpec(0x00101010, "Study")
    assert QueryTagSpec.coerce({"Path": "x", "Level": "Series", "VR": "LO"}) == QueryTagSpec(
        "x", "Series", "LO"
    )
    assert QueryTagSpec.coerce({"path": "x"}) == QueryTagSpec("x", "Study", None, None)
    assert QueryTagSpec.coerce({"path": "x", "PrivateCreator": "A"}).private_creator == "A"
    assert QueryTagSpec.coerce({"path": "x", "private_creator": "B"}).private_creator == "B"
    both = {"path": "x", "privateCreator": "A", "private_creator": "B"}
    assert QueryTagSpec.coerce(both).private_creator == "A"


def test_a_mapping_without_a_path_is_refused_when_sent() -> None:
    spec = QueryTagSpec.coerce({"level": "Study"})
    assert spec.path == ""
    with pytest.raises(InvalidArgumentError) as caught:
        spec.to_json()
    assert str(caught.value) == "'' is not a tag path or a keyword"


@pytest.mark.parametrize(("value", "shown"), [(None, "None"), (1.5, "1.5"), ([], "[]")])
def test_query_tag_specs_refused(value: object, shown: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        QueryTagSpec.coerce(value)  # type: ignore[arg-type]
    assert str(caught.value) == f"{shown} is not an extended query tag to add"


def test_an_extended_query_tag_field_by_field() -> None:
    tag = ExtendedQueryTag.from_json(
        {
            "Path": "00091001",
            "VR": "LO",
            "Level": "Study",
            "Status": "Adding",
            "QueryStatus": "Enabled",
            "PrivateCreator": "ACME",
            "Errors": {"Count": 2, "Href": "https://x/errors"},
            "Operation": {"Id": "op", "Href": "https://x/op"},
        }
    )
    assert tag == ExtendedQueryTag(
        path="00091001",
        vr="LO",
        level="Study",
        status="Adding",
        query_status="Enabled",
        private_creator="ACME",
        error_count=2,
        errors_href="https://x/errors",
        operation=OperationReference("op", "https://x/op"),
    )


def test_an_extended_query_tag_with_little_said() -> None:
    assert ExtendedQueryTag.from_json({}) == ExtendedQueryTag("", None, "", "", "")
    tag = ExtendedQueryTag.from_json({"errors": {"count": "2", "href": 3}, "operation": None})
    assert (tag.error_count, tag.errors_href, tag.operation) == (0, "3", None)
    tag = ExtendedQueryTag.from_json({"errors": [{"count": 2}]})
    assert (tag.error_count, tag.errors_href) == (0, None)
    with pytest.raises(DicomJSONError) as caught:
        ExtendedQueryTag.from_json({"operation": {"href": "x"}})
    assert str(caught.value) == "an operation reference has no id"
    with pytest.raises(DicomJSONError) as caught:
        ExtendedQueryTag.from_json({"operation": "op"})
    assert str(caught.value) == "an operation reference must be a JSON object, not str"
    with pytest.raises(DicomJSONError) as caught:
        ExtendedQueryTag.from_json(None)
    assert str(caught.value) == "an extended query tag must be a JSON object, not NoneType"


def test_an_extended_query_tag_error() -> None:
    error = ExtendedQueryTagError.from_json(
        {
            "StudyInstanceUid": "1.2",
            "SeriesInstanceUid": "1.2.3",
            "SopInstanceUid": "1.2.3.4",
            "CreatedTime": "2024-05-01T10:00:00Z",
            "ErrorMessage": "the value is too long",
        }
    )
    assert error == ExtendedQueryTagError(
        "1.2", "1.2.3", "1.2.3.4", _utc(2024, 5, 1, 10), "the value is too long"
    )
    assert ExtendedQueryTagError.from_json({}) == ExtendedQueryTagError("", "", "", None, "")
    with pytest.raises(DicomJSONError) as caught:
        ExtendedQueryTagError.from_json(3)
    assert str(caught.value) == "an extended query tag error must be a JSON object, not int"
