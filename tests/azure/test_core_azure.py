"""The pure half of the Azure APIs: requests built, answers read, times parsed (no server)."""

from __future__ import annotations

import datetime
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit import DicomClient
from dicomkit.core.errors import DicomJSONError, InvalidArgumentError
from dicomkit.core.operations import (
    ChangeFeedEntry,
    ExtendedQueryTag,
    OperationState,
    QueryTagSpec,
)
from dicomkit.core.operations.azure import format_time, parse_time, query_tag_path
from dicomkit.core.operations.azure_exchanges import AzureExchanges, api_version_number

UTC = datetime.timezone.utc


def exchanges(**options: object) -> AzureExchanges:
    return DicomClient("https://dicom.example/", **options).azure.exchanges  # type: ignore[arg-type]


@given(
    st.datetimes(min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(9999, 1, 1))
)
def test_times_survive_a_round_trip(moment: datetime.datetime) -> None:
    assert parse_time(format_time(moment)) == moment.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T10:00:00.1234567Z", datetime.datetime(2024, 5, 1, 10, 0, 0, 123456, UTC)),
        ("2024-05-01T10:00:00+02:00", datetime.datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)),
        ("2024-05-01T10:00:00", datetime.datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)),
        ("2024-05-01 10:00+0100", datetime.datetime(2024, 5, 1, 9, 0, 0, tzinfo=UTC)),
        ("yesterday", None),
        (12, None),
    ],
)
def test_service_times(text: object, expected: datetime.datetime | None) -> None:
    assert parse_time(text) == expected


def test_pascal_and_camel_case_read_alike() -> None:
    pascal = {
        "Sequence": 3,
        "StudyInstanceUid": "1.2",
        "SeriesInstanceUid": "1.2.3",
        "SopInstanceUid": "1.2.3.4",
        "Action": "Create",
        "Timestamp": "2024-05-01T10:00:00Z",
        "State": "Current",
        "Metadata": {"00100020": {"vr": "LO", "Value": ["P"]}},
    }
    camel = {key[0].lower() + key[1:]: value for key, value in pascal.items()}
    assert ChangeFeedEntry.from_json(pascal) == ChangeFeedEntry.from_json(camel)
    entry = ChangeFeedEntry.from_json(pascal)
    assert (entry.action, entry.state, entry.sequence) == ("create", "current", 3)
    with pytest.raises(DicomJSONError):
        ChangeFeedEntry.from_json({"Sequence": "three"})
    with pytest.raises(DicomJSONError):
        ChangeFeedEntry.from_json([])


def test_operation_results_and_errors() -> None:
    state = OperationState.from_json(
        {
            "operationId": "abc",
            "type": "Update",
            "status": "Failed",
            "percentComplete": 100,
            "results": {"studyFailed": 1, "errors": ["study 1.2 was not found"]},
        }
    )
    assert state.done
    assert not state.succeeded
    assert state.errors == ("study 1.2 was not found",)
    tag = ExtendedQueryTag.from_json(
        {"Path": "00101010", "VR": "AS", "Level": "Study", "Status": "Adding",
         "QueryStatus": "Enabled", "Errors": {"Count": 2, "Href": "x"},
         "Operation": {"Id": "op", "Href": "y"}}
    )  # fmt: skip
    assert (tag.error_count, tag.operation and tag.operation.id) == (2, "op")


def test_tag_paths_and_specs() -> None:
    assert query_tag_path("PatientAge") == "00101010"
    assert query_tag_path("(0009,1001)") == "00091001"
    assert query_tag_path(0x00091001) == "00091001"
    assert query_tag_path("0x0009100a") == "0009100A"
    for bad in ("NotAKeyword", "", -1, 1 << 33):
        with pytest.raises(InvalidArgumentError):
            query_tag_path(bad)  # type: ignore[arg-type]
    spec = QueryTagSpec.coerce({"Path": "00091001", "VR": "lo", "PrivateCreator": "A"})
    assert spec.to_json() == {
        "path": "00091001",
        "level": "Study",
        "vr": "LO",
        "privateCreator": "A",
    }
    with pytest.raises(InvalidArgumentError):
        QueryTagSpec("PatientAge", level="Patient").to_json()


def test_request_urls_follow_version_and_partition() -> None:
    v1 = exchanges(api_version="v1", partition="north")
    assert (
        v1.change_feed(5, 10).request.url == "https://dicom.example/v1/changefeed?offset=5&limit=10"
    )
    assert v1.change_feed_latest(False).request.url.endswith(
        "/v1/changefeed/latest?includeMetadata=false"
    )
    assert (
        v1.get_query_tag("PatientAge").request.url
        == "https://dicom.example/v1/extendedquerytags/00101010"
    )
    assert v1.operation("abc-1").request.url == "https://dicom.example/v1/operations/abc-1"
    update = v1.bulk_update("1.2.3", {"PatientName": "A^B", "PatientAge": None})
    assert update.request.url == "https://dicom.example/v1/partitions/north/studies/$bulkupdate"
    assert json.loads(update.request.body) == {  # type: ignore[arg-type]
        "studyInstanceUids": ["1.2.3"],
        "changeDataset": {
            "00100010": {"vr": "PN", "Value": [{"Alphabetic": "A^B"}]},
            "00101010": {"vr": "AS"},
        },
    }
    with pytest.raises(InvalidArgumentError, match="v2"):
        v1.change_feed(start_time="2024-01-01T00:00:00Z")
    v2 = exchanges(api_version="v2")
    window = v2.change_feed(start_time=datetime.date(2024, 1, 2), include_metadata=True)
    assert window.request.url == (
        "https://dicom.example/v2/changefeed?startTime=2024-01-02T00:00:00Z&includeMetadata=true"
    )
    assert api_version_number("/v2.0-prerelease") == 2
    assert api_version_number("") is None


def test_private_and_extended_tags_reach_the_query_string() -> None:
    client = DicomClient("https://dicom.example/")
    request = client.exchanges.search(
        "instances", None, None, {"(0009,1001)": "a b", 0x00101010: "030Y"}
    ).request
    assert request.url.endswith("/instances?00091001=a%20b&00101010=030Y")


def test_exports_check_their_identifiers() -> None:
    v2 = exchanges(api_version="v2")
    made = v2.export(["1.2", ("1.2", "1.2.3"), "1.2/1.2.3/1.2.3.4"], {"blobContainerName": "c"})
    body = json.loads(made.request.body)  # type: ignore[arg-type]
    assert body["source"]["settings"]["values"] == ["1.2", "1.2/1.2.3", "1.2/1.2.3/1.2.3.4"]
    for bad in ([], ["1.2/x"], ["1/2/3/4"]):
        with pytest.raises(InvalidArgumentError):
            v2.export(bad, {})


def test_the_version_may_be_in_the_base_url() -> None:
    assert exchanges().version is None
    assert DicomClient("https://dicom.example/v2").azure.exchanges.version == 2
    assert DicomClient("https://dicom.example/v1/").azure.exchanges.version == 1
    assert DicomClient("https://dicom.example/dev2").azure.exchanges.version is None
    with pytest.raises(InvalidArgumentError, match="v2"):
        DicomClient("https://dicom.example/v1").azure.exchanges.change_feed(end_time="2024-01-01")
    unversioned = exchanges().change_feed(end_time="2024-01-01")  # the server decides
    assert unversioned.request.url.endswith("/changefeed?endTime=2024-01-01")


@given(st.lists(st.booleans(), min_size=8, max_size=8), st.integers(0, 1 << 40))
def test_any_key_casing_reads_alike(upper: list[bool], sequence: int) -> None:
    names = ["Sequence", "StudyInstanceUid", "SeriesInstanceUid", "SopInstanceUid", "Action",
             "Timestamp", "State", "PartitionName"]  # fmt: skip
    values = [sequence, "1.2", "1.2.3", "1.2.3.4", "Delete", "2024-05-01T10:00:00Z", "deleted", "p"]
    cased = {
        (name.upper() if up else name.lower()): value
        for name, up, value in zip(names, upper, values, strict=True)
    }
    entry = ChangeFeedEntry.from_json(cased)
    assert entry == ChangeFeedEntry.from_json(dict(zip(names, values, strict=True)))
    assert (entry.sequence, entry.action, entry.partition_name) == (sequence, "delete", "p")
