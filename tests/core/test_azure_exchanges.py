"""The Azure DICOM service's own APIs as the core builds and reads them (issue 13.4, third
round): the method, URL, headers, body and timeout of every request (change feed v1 and v2,
latest entry, extended query tags, operations, bulk update, export), the answers each one
reads (success, empty, error statuses, malformed bodies) and the messages users read. Pure:
requests are built and canned answers fed, as a client would, without one."""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import (
    ConflictError,
    DicomJSONError,
    InvalidArgumentError,
    InvalidUIDError,
    NotFoundError,
)
from dicomkit.core.interface import Request, Timeout
from dicomkit.core.operations.azure import (
    ChangeFeedEntry,
    ExtendedQueryTag,
    ExtendedQueryTagError,
    OperationReference,
    OperationState,
    QueryTagSpec,
)
from dicomkit.core.operations.azure_exchanges import (
    AzureExchanges,
    AzureJsonExchange,
    api_version_number,
)
from dicomkit.core.operations.builder import Operations
from dicomkit.core.operations.exchange import DeleteExchange, Exchange, Step
from dicomkit.core.urls import DicomWebURLs
from dicomkit.core.version import USER_AGENT

BASE = "https://dicom.example/svc"
TIMEOUT = Timeout(3.0, 7.0)
JSON = "application/json"


def azure(api_version: str | None = "v2", partition: str | None = None) -> AzureExchanges:
    urls = DicomWebURLs(BASE, api_version=api_version, partition=partition)
    return AzureExchanges(Operations(urls, timeout=TIMEOUT, headers={"X-Tenant": "t"}))


def run(exchange: Exchange[Any, Any], status: int, body: bytes, chunk: int = 3, **head: str) -> Any:
    """Drive ``exchange`` over one canned answer as a client's loop would; its result."""
    step = exchange.start(status, head)
    if step is Step.REJECT:
        raise exchange.error(status, head, body)
    if step is Step.READ:
        for start in range(0, len(body), chunk):
            assert exchange.feed(body[start : start + chunk]) == []
        assert exchange.close() == []
    assert exchange.done
    return exchange.result()


def answer(exchange: Exchange[Any, Any], document: Any, status: int = 200) -> Any:
    return run(exchange, status, json.dumps(document).encode())


def head(request: Request) -> list[tuple[str, str]]:
    return request.headers.items()


def json_head(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("X-Tenant", "t"), ("User-Agent", USER_AGENT), *extra, ("Accept", JSON)]


# -- versions and roots --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("v1", 1),
        ("/v2", 2),
        ("v2.0-prerelease", 2),
        ("/v1.0-prerelease", 1),
        ("v2-beta", 2),
        ("v10", 10),
        ("", None),
        (None, None),
        ("v", None),
        ("vx", None),
        ("v2x", None),
        ("2", None),
        ("dev2", None),
        ("V2", None),
        ("//v2", None),
    ],
)
def test_api_version_numbers(text: str, number: int | None) -> None:
    assert api_version_number(text) == number


def test_roots_follow_version_and_partition() -> None:
    made = azure("v1", "north")
    assert made.global_root == f"{BASE}/v1"
    assert made.root == f"{BASE}/v1/partitions/north"
    assert made.version == 1
    assert made.operations.urls.root == made.root
    unversioned = azure(None)
    assert (unversioned.global_root, unversioned.root, unversioned.version) == (BASE, BASE, None)


@pytest.mark.parametrize(
    ("base", "version"),
    [
        ("https://dicom.example/v2", 2),
        ("https://dicom.example/v1/", 1),
        ("https://dicom.example/x/v3", 3),
        ("https://dicom.example/dev2", None),
        ("https://dicom.example", None),
    ],
)
def test_the_version_may_be_the_base_urls_last_segment(base: str, version: int | None) -> None:
    assert AzureExchanges(Operations(DicomWebURLs(base))).version == version


def test_the_api_version_wins_over_the_base_url() -> None:
    urls = DicomWebURLs("https://dicom.example/v1", api_version="v2")
    made = AzureExchanges(Operations(urls))
    assert made.version == 2
    assert made.global_root == "https://dicom.example/v1/v2"


# -- change feed ---------------------------------------------------------------------------------


def test_a_change_feed_request_whole() -> None:
    request = azure().change_feed(5, 10).request
    assert (request.method, request.url) == ("GET", f"{BASE}/v2/changefeed?offset=5&limit=10")
    assert head(request) == json_head()
    assert request.body is None
    assert request.timeout == TIMEOUT


@pytest.mark.parametrize(
    ("kwargs", "query"),
    [
        ({}, ""),
        ({"offset": 0}, "?offset=0"),
        ({"limit": 1}, "?limit=1"),
        ({"include_metadata": False}, "?includeMetadata=false"),
        ({"include_metadata": True, "offset": 3}, "?offset=3&includeMetadata=true"),
        (
            {
                "start_time": "2024-01-02T00:00:00+02:00",
                "end_time": datetime.datetime(2024, 1, 3, 4, 5, 6),
                "offset": 1,
                "limit": 2,
                "include_metadata": True,
            },
            "?startTime=2024-01-02T00:00:00%2B02:00&endTime=2024-01-03T04:05:06.000000Z"
            "&offset=1&limit=2&includeMetadata=true",
        ),
        ({"end_time": datetime.date(2024, 2, 1)}, "?endTime=2024-02-01T00:00:00Z"),
        ({"start_time": datetime.date(2024, 2, 1)}, "?startTime=2024-02-01T00:00:00Z"),
    ],
)
def test_change_feed_queries(kwargs: dict[str, Any], query: str) -> None:
    for version in ("v2", None):
        request = azure(version).change_feed(**kwargs).request
        root = BASE + ("/v2" if version else "")
        assert request.url == f"{root}/changefeed{query}"


@given(
    st.none() | st.integers(0, 10**12),
    st.none() | st.integers(1, 10**6),
    st.none() | st.booleans(),
)
def test_change_feed_paging_property(
    offset: int | None, limit: int | None, metadata: bool | None
) -> None:
    url = azure("v1").change_feed(offset, limit, include_metadata=metadata).request.url
    expected = [
        f"offset={offset}" if offset is not None else "",
        f"limit={limit}" if limit is not None else "",
        f"includeMetadata={'true' if metadata else 'false'}" if metadata is not None else "",
    ]
    query = "&".join(part for part in expected if part)
    assert url == f"{BASE}/v1/changefeed" + (f"?{query}" if query else "")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"offset": -1}, "offset must be an integer >= 0, not -1"),
        ({"limit": 0}, "limit must be an integer >= 1, not 0"),
        ({"offset": 1.0}, "offset must be an integer >= 0, not 1.0"),
        ({"limit": True}, "limit must be an integer >= 1, not True"),
        ({"start_time": "soon"}, "'soon' is not an ISO 8601 time"),
        ({"end_time": 5}, "a time is a datetime, a date or ISO 8601 text, not 5"),
    ],
)
def test_change_feed_arguments_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        azure().change_feed(**kwargs)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "window",
    [
        {"start_time": "2024-01-01"},
        {"end_time": "2024-01-01"},
        {"start_time": "2024-01-01", "end_time": "2024-01-02"},
    ],
)
def test_a_time_window_needs_v2(window: dict[str, str]) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        azure("v1").change_feed(**window)
    assert str(caught.value) == (
        "a change feed time window needs API version v2 or later (api_version='v2')"
    )
    for version in ("v2", "v3", None):
        assert "Time=2024-01-0" in azure(version).change_feed(**window).request.url


def test_v1_pages_without_a_window() -> None:
    assert azure("v1").change_feed(0, 1).request.url == f"{BASE}/v1/changefeed?offset=0&limit=1"


ENTRY = {"sequence": 2, "action": "Create", "state": "Current", "studyInstanceUid": "1.2"}


def test_a_change_feed_answer() -> None:
    exchange = azure().change_feed()
    items = [ENTRY, {**ENTRY, "sequence": 1, "action": "Delete"}, ENTRY]
    got = answer(exchange, items)
    assert [(e.sequence, e.action) for e in got] == [(1, "delete"), (2, "create")]
    assert got[1] == ChangeFeedEntry.from_json(ENTRY)


@pytest.mark.parametrize(
    ("status", "body"), [(200, b""), (200, b"null"), (200, b"[]"), (204, b"x")]
)
def test_an_empty_change_feed(status: int, body: bytes) -> None:
    assert run(azure().change_feed(), status, body) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{}", "the change feed answer is not a JSON array"),
        (b"<html>", "the change feed answer is not JSON: b'<html>'"),
        (b'[{"sequence": "x"}]', "a change feed entry has no whole-number sequence: 'x'"),
        (b"[1]", "a change feed entry must be a JSON object, not int"),
    ],
)
def test_change_feed_answers_refused(body: bytes, message: str) -> None:
    with pytest.raises(DicomJSONError) as caught:
        run(azure().change_feed(), 200, body)
    assert str(caught.value) == message


def test_the_latest_change() -> None:
    made = azure("v1")
    request = made.change_feed_latest().request
    assert (request.method, request.url) == ("GET", f"{BASE}/v1/changefeed/latest")
    assert head(request) == json_head()
    assert made.change_feed_latest(True).request.url == (
        f"{BASE}/v1/changefeed/latest?includeMetadata=true"
    )
    assert made.change_feed_latest(False).request.url == (
        f"{BASE}/v1/changefeed/latest?includeMetadata=false"
    )
    assert answer(made.change_feed_latest(), ENTRY) == ChangeFeedEntry.from_json(ENTRY)


@pytest.mark.parametrize(
    ("status", "body"), [(200, b""), (200, b"null"), (200, b"{}"), (204, b"?")]
)
def test_no_latest_change_in_an_empty_feed(status: int, body: bytes) -> None:
    assert run(azure().change_feed_latest(), status, body) is None


def test_latest_change_answers_refused() -> None:
    with pytest.raises(DicomJSONError) as caught:
        run(azure().change_feed_latest(), 200, b"{nope")
    assert str(caught.value) == "the latest change feed entry answer is not JSON: b'{nope'"
    with pytest.raises(DicomJSONError) as caught:
        answer(azure().change_feed_latest(), [ENTRY])
    assert str(caught.value) == "a change feed entry must be a JSON object, not list"


def test_change_feed_error_statuses() -> None:
    exchange = azure().change_feed()
    assert exchange.start(404, {}) is Step.REJECT
    error = exchange.error(404, {}, b'{"message": "no such feed"}')
    assert type(error) is NotFoundError
    assert str(error) == f"HTTP 404 for GET {BASE}/v2/changefeed: no such feed"


# -- the JSON exchange ---------------------------------------------------------------------------


def test_the_json_exchange_reads_its_body_whole() -> None:
    seen: list[Any] = []

    def parse(document: Any) -> str:
        seen.append(document)
        return "parsed"

    exchange = AzureJsonExchange(Request("GET", "http://h/x"), parse, "thing")
    assert run(exchange, 200, b'{"a": [1, 2, 3]}', chunk=1) == "parsed"
    assert seen == [{"a": [1, 2, 3]}]
    exchange = AzureJsonExchange(Request("GET", "http://h/x"), parse, "thing")
    assert run(exchange, 204, b"not json") == "parsed"
    assert (
        run(AzureJsonExchange(Request("GET", "http://h/x"), parse, "thing"), 205, b"") == "parsed"
    )
    assert seen[1:] == [None, None]
    with pytest.raises(DicomJSONError) as caught:
        run(AzureJsonExchange(Request("GET", "http://h/x"), parse, "thing"), 205, b"not json")
    assert str(caught.value) == "the thing answer is not JSON: b'not json'"


# -- extended query tags -------------------------------------------------------------------------

TAG = {
    "path": "00101010",
    "vr": "AS",
    "level": "Study",
    "status": "Ready",
    "queryStatus": "Enabled",
    "errors": {"count": 1, "href": "https://x/errors"},
}


def test_adding_tags() -> None:
    made = azure("v1", "north")
    exchange = made.add_query_tags(
        ["PatientAge", 0x00080060, {"path": "(0009,1001)", "vr": "lo", "privateCreator": "ACME"},
         QueryTagSpec("Modality", "series")]
    )  # fmt: skip
    request = exchange.request
    assert (request.method, request.url) == ("POST", f"{BASE}/v1/extendedquerytags")
    assert head(request) == json_head(("Content-Type", JSON))
    assert request.body == (
        b'[{"path":"00101010","level":"Study"},{"path":"00080060","level":"Study"},'
        b'{"path":"00091001","level":"Study","vr":"LO","privateCreator":"ACME"},'
        b'{"path":"00080060","level":"Series"}]'
    )
    assert request.timeout == TIMEOUT
    reference = answer(exchange, {"id": "op-1", "href": "https://x/op-1"}, 202)
    assert reference == OperationReference("op-1", "https://x/op-1")


def test_adding_tags_refused() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        azure().add_query_tags([])
    assert str(caught.value) == "add at least one extended query tag"
    with pytest.raises(InvalidArgumentError) as caught:
        azure().add_query_tags([None])  # type: ignore[list-item]
    assert str(caught.value) == "None is not an extended query tag to add"


def test_adding_tags_answers() -> None:
    exchange = azure().add_query_tags(["PatientAge"])
    assert exchange.start(409, {}) is Step.REJECT
    error = exchange.error(409, {}, b'{"error": "tag already exists"}')
    assert type(error) is ConflictError
    assert str(error) == f"HTTP 409 for POST {BASE}/v2/extendedquerytags: tag already exists"
    with pytest.raises(DicomJSONError) as caught:
        answer(azure().add_query_tags(["PatientAge"]), {"href": "x"}, 202)
    assert str(caught.value) == "an operation reference has no id"
    with pytest.raises(DicomJSONError) as caught:
        run(azure().add_query_tags(["PatientAge"]), 202, b"op-1")
    assert str(caught.value) == "the add tags answer is not JSON: b'op-1'"


@pytest.mark.parametrize(
    ("limit", "offset", "query"),
    [
        (None, None, ""),
        (1, None, "?limit=1"),
        (None, 0, "?offset=0"),
        (10, 20, "?limit=10&offset=20"),
    ],
)
def test_listing_tags(limit: int | None, offset: int | None, query: str) -> None:
    request = azure().list_query_tags(limit, offset).request
    assert (request.method, request.url) == ("GET", f"{BASE}/v2/extendedquerytags{query}")
    assert head(request) == json_head()
    request = azure().query_tag_errors("PatientAge", limit, offset).request
    assert request.url == f"{BASE}/v2/extendedquerytags/00101010/errors{query}"


@pytest.mark.parametrize(
    ("limit", "offset", "message"),
    [
        (0, None, "limit must be an integer >= 1, not 0"),
        (None, -1, "offset must be an integer >= 0, not -1"),
        ("5", None, "limit must be an integer >= 1, not '5'"),
        (None, False, "offset must be an integer >= 0, not False"),
    ],
)
def test_tag_paging_refused(limit: Any, offset: Any, message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        azure().list_query_tags(limit, offset)
    assert str(caught.value) == message
    with pytest.raises(InvalidArgumentError) as caught:
        azure().query_tag_errors("PatientAge", limit, offset)
    assert str(caught.value) == message


def test_listing_tags_answers() -> None:
    tags = answer(azure().list_query_tags(), [TAG, {**TAG, "path": "00080060"}])
    assert tags == [
        ExtendedQueryTag.from_json(TAG),
        ExtendedQueryTag.from_json({**TAG, "path": "00080060"}),
    ]
    assert tags[0].error_count == 1
    assert run(azure().list_query_tags(), 200, b"") == []
    assert run(azure().list_query_tags(), 204, b"") == []
    with pytest.raises(DicomJSONError) as caught:
        answer(azure().list_query_tags(), TAG)
    assert str(caught.value) == "the tags answer is not a JSON array"
    with pytest.raises(DicomJSONError) as caught:
        run(azure().list_query_tags(), 200, b"[")
    assert str(caught.value) == "the extended query tags answer is not JSON: b'['"


def test_one_tag() -> None:
    exchange = azure("v1").get_query_tag(0x00101010)
    request = exchange.request
    assert (request.method, request.url) == ("GET", f"{BASE}/v1/extendedquerytags/00101010")
    assert head(request) == json_head()
    assert answer(exchange, TAG) == ExtendedQueryTag.from_json(TAG)
    missing = azure().get_query_tag("(0009,1001)")
    assert missing.request.url == f"{BASE}/v2/extendedquerytags/00091001"
    assert missing.start(404, {}) is Step.REJECT
    error = missing.error(404, {}, b"")
    assert (type(error), str(error)) == (
        NotFoundError,
        f"HTTP 404 for GET {BASE}/v2/extendedquerytags/00091001",
    )
    with pytest.raises(DicomJSONError) as caught:
        run(azure().get_query_tag("PatientAge"), 200, b"tag")
    assert str(caught.value) == "the tag answer is not JSON: b'tag'"
    with pytest.raises(DicomJSONError) as caught:
        answer(azure().get_query_tag("PatientAge"), [TAG])
    assert str(caught.value) == "an extended query tag must be a JSON object, not list"
    with pytest.raises(InvalidArgumentError) as caught:
        azure().get_query_tag("NoSuchKeyword")
    assert str(caught.value) == "'NoSuchKeyword' is neither a tag nor a DICOM keyword"


@pytest.mark.parametrize(
    ("given_status", "sent"),
    [("Enabled", "Enabled"), ("disabled", "Disabled"), ("ENABLED", "Enabled")],
)
def test_updating_a_tag(given_status: str, sent: str) -> None:
    exchange = azure().update_query_tag("PatientAge", given_status)
    request = exchange.request
    assert (request.method, request.url) == ("PATCH", f"{BASE}/v2/extendedquerytags/00101010")
    assert head(request) == json_head(("Content-Type", JSON))
    assert request.body == b'{"queryStatus":"' + sent.encode() + b'"}'
    assert answer(exchange, {**TAG, "queryStatus": sent}).query_status == sent


def test_updating_a_tag_answers() -> None:
    with pytest.raises(DicomJSONError) as caught:
        run(azure().update_query_tag("PatientAge", "Disabled"), 200, b"ok")
    assert str(caught.value) == "the tag answer is not JSON: b'ok'"
    with pytest.raises(DicomJSONError) as caught:
        answer(azure().update_query_tag("PatientAge", "Disabled"), None)
    assert str(caught.value) == "an extended query tag must be a JSON object, not NoneType"


@pytest.mark.parametrize(("status", "shown"), [("on", "'On'"), ("", "''"), (True, "'True'")])
def test_updating_a_tag_refused(status: Any, shown: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        azure().update_query_tag("PatientAge", status)
    assert str(caught.value) == f"query_status is one of ('Enabled', 'Disabled'), not {shown}"


def test_deleting_a_tag() -> None:
    exchange = azure("v1", "north").delete_query_tag("PatientAge")
    assert type(exchange) is DeleteExchange
    request = exchange.request
    assert (request.method, request.url) == ("DELETE", f"{BASE}/v1/extendedquerytags/00101010")
    assert head(request) == [("X-Tenant", "t"), ("User-Agent", USER_AGENT)]
    assert (request.body, request.timeout) == (None, TIMEOUT)
    assert exchange.start(204, {}) is Step.SKIP
    assert exchange.done
    assert exchange.result() is None
    refused = azure().delete_query_tag("PatientAge")
    assert refused.start(404, {}) is Step.REJECT
    assert type(refused.error(404, {}, b"")) is NotFoundError


def test_tag_errors_answers() -> None:
    item = {"studyInstanceUid": "1.2", "errorMessage": "too long", "createdTime": "2024-01-02"}
    exchange = azure().query_tag_errors(0x00091001)
    assert (exchange.request.method, exchange.request.url) == (
        "GET",
        f"{BASE}/v2/extendedquerytags/00091001/errors",
    )
    assert head(exchange.request) == json_head()
    assert answer(exchange, [item]) == [ExtendedQueryTagError.from_json(item)]
    assert run(azure().query_tag_errors(0x00091001), 204, b"") == []
    with pytest.raises(DicomJSONError) as caught:
        answer(azure().query_tag_errors(0x00091001), item)
    assert str(caught.value) == "the errors answer is not a JSON array"
    with pytest.raises(DicomJSONError) as caught:
        run(azure().query_tag_errors(0x00091001), 200, b"]")
    assert str(caught.value) == "the tag errors answer is not JSON: b']'"


# -- operations ----------------------------------------------------------------------------------


def test_an_operation_status() -> None:
    made = azure("v1", "north")
    for operation in ("a1b2-c3", OperationReference("a1b2-c3", "https://x/op")):
        exchange = made.operation(operation)
        request = exchange.request
        assert (request.method, request.url) == ("GET", f"{BASE}/v1/operations/a1b2-c3")
        assert head(request) == json_head()
    running = answer(made.operation("op"), {"operationId": "op", "status": "Running"}, 202)
    assert running == OperationState("op", "", "running")
    assert not running.done
    done = answer(made.operation("op"), {"operationId": "op", "status": "Completed"})
    assert done.done
    assert done.succeeded
    with pytest.raises(DicomJSONError) as caught:
        run(made.operation("op"), 200, b"running")
    assert str(caught.value) == "the operation status answer is not JSON: b'running'"


@pytest.mark.parametrize(
    ("operation", "shown"),
    [("", "''"), ("a b", "'a b'"), ("a/b", "'a/b'"), ("a\n", "'a\\n'"), (5, "5"), (None, "None")],
)
def test_operation_ids_refused(operation: Any, shown: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        azure().operation(operation)
    assert str(caught.value) == f"{shown} is not an operation id"
    with pytest.raises(InvalidArgumentError) as caught:
        azure().operation(OperationReference(operation))
    assert str(caught.value) == f"{shown} is not an operation id"


@given(st.text("abcdefABCDEF0123456789-", min_size=1, max_size=40))
def test_operation_ids_go_into_the_url_as_they_are(identifier: str) -> None:
    assert azure().operation(identifier).request.url == f"{BASE}/v2/operations/{identifier}"


# -- bulk update ---------------------------------------------------------------------------------


def test_a_bulk_update_request_whole() -> None:
    exchange = azure("v2", "north").bulk_update(
        ["1.2.3", "1.2.4"],
        {
            "PatientName": "Doe^Jane",
            0x00101010: "030Y",
            "00100020": {"vr": "LO", "Value": ["P"]},
            "PatientBirthDate": None,
            "OtherPatientIDs": ["A", "B"],
            "PatientSex": "",
            "ReferringPhysicianName": [{"Alphabetic": "X"}, "Y^Z"],
        },
    )
    request = exchange.request
    assert (request.method, request.url) == (
        "POST",
        f"{BASE}/v2/partitions/north/studies/$bulkupdate",
    )
    assert head(request) == json_head(("Content-Type", JSON))
    assert request.timeout == TIMEOUT
    assert request.body == (
        b'{"studyInstanceUids":["1.2.3","1.2.4"],"changeDataset":{'
        b'"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^Jane"}]},'
        b'"00101010":{"vr":"AS","Value":["030Y"]},'
        b'"00100020":{"vr":"LO","Value":["P"]},'
        b'"00100030":{"vr":"DA"},'
        b'"00101000":{"vr":"LO","Value":["A","B"]},'
        b'"00100040":{"vr":"CS"},'
        b'"00080090":{"vr":"PN","Value":[{"Alphabetic":"X"},{"Alphabetic":"Y^Z"}]}}}'
    )
    assert answer(exchange, {"id": "op-9"}, 202) == OperationReference("op-9")


def test_bulk_update_values_in_every_form() -> None:
    def dataset(changes: Mapping[Any, Any]) -> Any:
        body = azure().bulk_update("1.2", changes).request.body
        return json.loads(body or b"")["changeDataset"]

    assert dataset({"PatientAge": []}) == {"00101010": {"vr": "AS"}}
    assert dataset({"PatientAge": [None]}) == {"00101010": {"vr": "AS"}}
    assert dataset({"PatientAge": [""]}) == {"00101010": {"vr": "AS"}}
    assert dataset({"PatientAge": ("030Y",)}) == {"00101010": {"vr": "AS", "Value": ["030Y"]}}
    assert dataset({"SeriesNumber": 0}) == {"00200011": {"vr": "IS", "Value": [0]}}
    assert dataset({"PatientName": None}) == {"00100010": {"vr": "PN"}}
    assert dataset({"PatientName": ""}) == {"00100010": {"vr": "PN"}}
    assert dataset({"PatientName": [None]}) == {"00100010": {"vr": "PN"}}
    assert dataset({"PatientName": ["A^B", None]}) == {
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "A^B"}, None]}
    }
    private = {"vr": "LO", "Value": ["x"]}
    assert dataset({"(0009,1001)": private}) == {"00091001": private}
    assert dataset({"PatientID": {"Value": ["x"]}}) == {
        "00100020": {"vr": "LO", "Value": [{"Value": ["x"]}]}
    }


def test_a_dicom_json_change_is_a_copy() -> None:
    element = {"vr": "LO", "Value": ["P"]}
    made = azure()
    exchange = made.bulk_update("1.2", {"PatientID": element})
    element["Value"] = ["changed"]
    assert json.loads(exchange.request.body or b"")["changeDataset"]["00100020"]["Value"] == ["P"]


@pytest.mark.parametrize(
    ("studies", "changes", "kind", "message"),
    [
        ("1.2", {}, InvalidArgumentError, "a bulk update needs at least one attribute to change"),
        ([], {"PatientAge": "1"}, InvalidArgumentError, "studies: give at least one"),
        (
            ["1.2", "x"],
            {"PatientAge": "1"},
            InvalidUIDError,
            "StudyInstanceUID 'x' may contain only digits and dots",
        ),
        (
            "1.2",
            {"(0009,1001)": "x"},
            InvalidArgumentError,
            "give '(0009,1001)' as DICOM JSON: its VR is not known",
        ),
        (
            "1.2",
            {0x00091001: "x"},
            InvalidArgumentError,
            "give 593921 as DICOM JSON: its VR is not known",
        ),
        ("1.2", {"Nope": "x"}, InvalidArgumentError, "'Nope' is neither a tag nor a DICOM keyword"),
    ],
)
def test_bulk_updates_refused(
    studies: Any, changes: dict[Any, Any], kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind) as caught:
        azure().bulk_update(studies, changes)
    assert type(caught.value) is kind
    assert str(caught.value) == message


def test_one_study_may_be_given_as_text() -> None:
    body = json.loads(azure().bulk_update("1.2.3", {"PatientAge": "1"}).request.body or b"")
    assert body["studyInstanceUids"] == ["1.2.3"]
    body = json.loads(
        azure().bulk_update(iter(["1.2", "1.3"]), {"PatientAge": "1"}).request.body or b""
    )
    assert body["studyInstanceUids"] == ["1.2", "1.3"]


def test_bulk_update_answers() -> None:
    with pytest.raises(DicomJSONError) as caught:
        run(azure().bulk_update("1.2", {"PatientAge": "1"}), 202, b"accepted")
    assert str(caught.value) == "the bulk update answer is not JSON: b'accepted'"


# -- export --------------------------------------------------------------------------------------


def test_an_export_request_whole() -> None:
    exchange = azure("v2", "north").export(
        ["1.2", ("1.2", "1.3"), "1.2/1.3/1.4", ["1.5"]],
        {"blobContainerUri": "https://blob/c", "useManagedIdentity": True},
    )
    request = exchange.request
    assert (request.method, request.url) == ("POST", f"{BASE}/v2/partitions/north/export")
    assert head(request) == json_head(("Content-Type", JSON))
    assert request.timeout == TIMEOUT
    assert request.body == (
        b'{"source":{"type":"identifiers","settings":{"values":'
        b'["1.2","1.2/1.3","1.2/1.3/1.4","1.5"]}},'
        b'"destination":{"type":"azureblob","settings":'
        b'{"blobContainerUri":"https://blob/c","useManagedIdentity":true}}}'
    )
    assert answer(exchange, {"operationId": "e-1", "href": "h"}, 202) == OperationReference(
        "e-1", "h"
    )
    with pytest.raises(DicomJSONError) as caught:
        run(azure().export(["1.2"], {}), 202, b"\xff")
    assert str(caught.value) == "the export answer is not JSON: b'\\xff'"


@pytest.mark.parametrize(
    ("identifiers", "kind", "message"),
    [
        ([], InvalidArgumentError, "export at least one study, series or instance"),
        (["1/2/3/4"], InvalidArgumentError,
         "'1/2/3/4' is not a study, series or instance to export"),
        ([()], InvalidArgumentError, "() is not a study, series or instance to export"),
        ([("1", "2", "3", "4")], InvalidArgumentError,
         "('1', '2', '3', '4') is not a study, series or instance to export"),
        (["x"], InvalidUIDError, "StudyInstanceUID 'x' may contain only digits and dots"),
        (["1.2/x"], InvalidUIDError, "SeriesInstanceUID 'x' may contain only digits and dots"),
        (["1.2/1.3/x"], InvalidUIDError, "SOPInstanceUID 'x' may contain only digits and dots"),
        (["1.2/"], InvalidUIDError, "SeriesInstanceUID '' is empty"),
    ],
)  # fmt: skip
def test_exports_refused(identifiers: list[Any], kind: type[Exception], message: str) -> None:
    with pytest.raises(kind) as caught:
        azure().export(identifiers, {})
    assert type(caught.value) is kind
    assert str(caught.value) == message
