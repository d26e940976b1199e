"""UPS-RS workitems as the core builds and reads them (issue 13.4, third round): the method,
URL, headers, body and timeout of create, retrieve, update, change state, cancellation request
and search, the answers each reads (Location, Warning, DICOM JSON, error statuses), and the
messages users read. Pure: requests are built and canned answers fed, without a client."""

from __future__ import annotations

import json
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
    ProtocolError,
)
from dicomkit.core.interface import Request, Timeout
from dicomkit.core.operations.builder import Operations
from dicomkit.core.operations.exchange import (
    MAX_JSON_BYTES,
    Exchange,
    JsonArrayExchange,
    JsonObjectExchange,
    Step,
)
from dicomkit.core.operations.ups import (
    CANCELED,
    COMPLETED,
    IN_PROGRESS,
    SCHEDULED,
    STATES,
    CreatedExchange,
    StatusExchange,
    WorkitemExchanges,
    new_transaction_uid,
    state_change,
)
from dicomkit.core.uids import validate_uid
from dicomkit.core.urls import DicomWebURLs
from dicomkit.core.version import USER_AGENT

ROOT = "https://pacs.example/dw/v1"
WORKITEMS = f"{ROOT}/workitems"
TIMEOUT = Timeout(2.0, 9.0)
DICOM_JSON = "application/dicom+json"
ITEM = {"00741204": {"vr": "LO", "Value": ["x"]}}


def ups(max_json_bytes: int | None = None) -> WorkitemExchanges:
    operations = Operations(
        DicomWebURLs("https://pacs.example/dw", api_version="v1"),
        timeout=TIMEOUT,
        headers={"X-Site": "s"},
    )
    if max_json_bytes is None:
        return WorkitemExchanges(operations)
    return WorkitemExchanges(operations, max_json_bytes=max_json_bytes)


def run(exchange: Exchange[Any, Any], status: int, body: bytes = b"", **head: Any) -> Any:
    """Drive ``exchange`` over one canned answer as a client's loop would; its result."""
    headers = head.pop("headers", head)
    step = exchange.start(status, headers)
    if step is Step.REJECT:
        raise exchange.error(status, headers, body)
    if step is Step.READ:
        for start in range(0, len(body), 2):
            assert exchange.feed(body[start : start + 2]) == []
        assert exchange.close() == []
    assert exchange.done
    return exchange.result()


def headers_of(request: Request) -> list[tuple[str, str]]:
    return request.headers.items()


GET_HEAD = [("X-Site", "s"), ("User-Agent", USER_AGENT), ("Accept", DICOM_JSON)]
POST_HEAD = [
    ("X-Site", "s"),
    ("User-Agent", USER_AGENT),
    ("Content-Type", DICOM_JSON),
    ("Accept", DICOM_JSON),
]


# -- states and transactions ---------------------------------------------------------------------


def test_the_states() -> None:
    assert STATES == ("SCHEDULED", "IN PROGRESS", "COMPLETED", "CANCELED")
    assert (SCHEDULED, IN_PROGRESS, COMPLETED, CANCELED) == STATES


def test_transaction_uids_are_fresh_uids() -> None:
    made = {new_transaction_uid() for _ in range(50)}
    assert len(made) == 50
    for uid in made:
        assert uid.startswith("2.25.")
        assert uid[5:].isdigit()
        assert validate_uid(uid, "TransactionUID") == uid


@pytest.mark.parametrize("state", STATES)
def test_a_state_change_body(state: str) -> None:
    assert state_change(state, "2.25.9") == {
        "00741000": {"vr": "CS", "Value": [state]},
        "00081195": {"vr": "UI", "Value": ["2.25.9"]},
    }
    assert list(state_change(state, "1.2")) == ["00741000", "00081195"]


@pytest.mark.parametrize(
    ("state", "transaction", "kind", "message"),
    [
        (
            "DONE",
            "2.25.9",
            InvalidArgumentError,
            "a workitem state is one of ('SCHEDULED', 'IN PROGRESS', 'COMPLETED', 'CANCELED'),"
            " not 'DONE'",
        ),
        (
            "completed",
            "2.25.9",
            InvalidArgumentError,
            "a workitem state is one of ('SCHEDULED', 'IN PROGRESS', 'COMPLETED', 'CANCELED'),"
            " not 'completed'",
        ),
        (COMPLETED, "x", InvalidUIDError, "TransactionUID 'x' may contain only digits and dots"),
        (COMPLETED, "", InvalidUIDError, "TransactionUID '' is empty"),
    ],
)
def test_state_changes_refused(
    state: str, transaction: str, kind: type[Exception], message: str
) -> None:
    with pytest.raises(kind) as caught:
        state_change(state, transaction)
    assert type(caught.value) is kind
    assert str(caught.value) == message


# -- create --------------------------------------------------------------------------------------


def test_a_create_request_whole() -> None:
    exchange = ups().create(ITEM, "1.2.3")
    assert type(exchange) is CreatedExchange
    request = exchange.request
    assert (request.method, request.url) == ("POST", f"{WORKITEMS}?1.2.3")
    assert headers_of(request) == POST_HEAD
    assert request.body == b'[{"00741204":{"vr":"LO","Value":["x"]}}]'
    assert request.timeout == TIMEOUT
    assert exchange.workitem_uid == "1.2.3"
    unnamed = ups().create({})
    assert unnamed.request.url == WORKITEMS
    assert unnamed.request.body == b"[{}]"
    assert unnamed.workitem_uid is None


@pytest.mark.parametrize(
    ("head", "uid"),
    [
        ({"Location": f"{WORKITEMS}/1.2.3"}, "1.2.3"),
        ({"Location": f"{WORKITEMS}/1.2.3/"}, "1.2.3"),
        ({"Location": f"{WORKITEMS}/1.2.3?x=1"}, "1.2.3"),
        ({"Location": f"{WORKITEMS}/1.2.3?x=1?y=2"}, "1.2.3"),
        ({"Location": "1.2.3"}, "1.2.3"),
        ({"Content-Location": f"{WORKITEMS}/1.2.4"}, "1.2.4"),
        ({"Location": f"{WORKITEMS}/1.2.5", "Content-Location": f"{WORKITEMS}/1.2.6"}, "1.2.5"),
        ({"Location": "", "Content-Location": f"{WORKITEMS}/1.2.6"}, "1.2.6"),
        ({}, "9.8"),
        ({"Location": ""}, "9.8"),
        ({"Location": "/"}, "9.8"),
        ({"Location": f"{WORKITEMS}/?a"}, "9.8"),
    ],
)
def test_the_created_uid(head: dict[str, str], uid: str) -> None:
    assert run(ups().create({}, "9.8"), 201, headers=head) == uid


@given(st.lists(st.integers(0, 999), min_size=2, max_size=6), st.sampled_from(["", "/", "?a=b"]))
def test_the_created_uid_is_the_last_segment(numbers: list[int], tail: str) -> None:
    uid = ".".join(map(str, numbers))
    head = {"Location": f"{WORKITEMS}/{uid}{tail}"}
    assert run(ups().create({}), 201, headers=head) == uid


def test_a_created_uid_missing_or_wrong() -> None:
    for head in ({}, {"Location": ""}, {"Location": "/"}):
        with pytest.raises(ProtocolError) as caught:
            run(ups().create({}), 201, headers=head)
        assert str(caught.value) == "the server created a workitem but did not say its UID"
    with pytest.raises(InvalidUIDError) as caught:
        run(ups().create({}), 201, headers={"Location": f"{WORKITEMS}/1.2.3X/"})
    assert str(caught.value) == "workitem UID '1.2.3X' may contain only digits and dots"


def test_a_created_exchange_reads_any_body() -> None:
    exchange = CreatedExchange(Request("POST", "http://h/workitems"), None)
    assert run(exchange, 201, b"ignored", headers={"Location": "http://h/workitems/1.9"}) == "1.9"


def test_create_refusals() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        ups().create([ITEM])  # type: ignore[arg-type]
    assert str(caught.value) == "a workitem is a DICOM JSON object (a dict keyed by tags)"
    with pytest.raises(InvalidUIDError) as caught:
        ups().create({}, "1.2.x")
    assert str(caught.value) == "workitem UID '1.2.x' may contain only digits and dots"
    exchange = ups().create(ITEM)
    assert exchange.start(409, {}) is Step.REJECT
    error = exchange.error(409, {"Warning": '299 s "the workitem already exists"'}, b"")
    assert type(error) is ConflictError
    assert str(error) == f"HTTP 409 for POST {WORKITEMS}: the workitem already exists"


# -- retrieve and search -------------------------------------------------------------------------


def test_a_retrieve_request_and_its_answer() -> None:
    exchange = ups().retrieve("1.2.3")
    assert type(exchange) is JsonObjectExchange
    request = exchange.request
    assert (request.method, request.url) == ("GET", f"{WORKITEMS}/1.2.3")
    assert headers_of(request) == GET_HEAD
    assert (request.body, request.timeout) == (None, TIMEOUT)
    assert exchange.max_bytes == MAX_JSON_BYTES
    assert run(exchange, 200, json.dumps([ITEM]).encode()) == ITEM
    assert ups(77).retrieve("1.2.3").max_bytes == 77


def test_retrieve_refusals() -> None:
    with pytest.raises(InvalidUIDError) as caught:
        ups().retrieve("not a uid")
    assert str(caught.value) == "workitem UID 'not a uid' may contain only digits and dots"
    with pytest.raises(ProtocolError) as caught:
        run(ups(10).retrieve("1.2.3"), 200, json.dumps([ITEM]).encode())
    assert "larger than max_json_bytes=10 bytes" in str(caught.value)
    with pytest.raises(DicomJSONError) as caught:
        run(ups().retrieve("1.2.3"), 200, b"[]")
    assert str(caught.value) == "the server answered with no metadata for the instance"
    with pytest.raises(NotFoundError) as caught:
        run(ups().retrieve("1.2.3"), 404, b"")
    assert str(caught.value) == f"HTTP 404 for GET {WORKITEMS}/1.2.3"


@pytest.mark.parametrize(
    ("kwargs", "query"),
    [
        ({}, ""),
        ({"search_filters": {"ProcedureStepState": "SCHEDULED"}}, "?ProcedureStepState=SCHEDULED"),
        ({"limit": 5}, "?limit=5"),
        ({"offset": 0}, "?offset=0"),
        (
            {"search_filters": {"PatientID": "a b"}, "limit": 2, "offset": 4,
             "fields": ["PatientName"]},
            "?PatientID=a%20b&includefield=PatientName&limit=2&offset=4",
        ),
    ],
)  # fmt: skip
def test_search_requests(kwargs: dict[str, Any], query: str) -> None:
    exchange = ups().search(**kwargs)
    assert type(exchange) is JsonArrayExchange
    request = exchange.request
    assert (request.method, request.url) == ("GET", WORKITEMS + query)
    assert headers_of(request) == GET_HEAD
    assert (request.body, request.timeout) == (None, TIMEOUT)
    assert exchange.max_bytes == MAX_JSON_BYTES
    assert ups(5).search(**kwargs).max_bytes == 5


def test_search_answers() -> None:
    assert run(ups().search(), 200, json.dumps([ITEM, ITEM]).encode()) == [ITEM, ITEM]
    assert run(ups().search(), 204, b"") == []
    assert run(ups().search(), 200, b"") == []
    with pytest.raises(InvalidArgumentError) as caught:
        ups().search(limit=0)
    assert str(caught.value) == "limit must be an integer >= 1, not 0"


# -- update, change state, cancellation ----------------------------------------------------------


def test_an_update_request_whole() -> None:
    exchange = ups().update("1.2.3", ITEM, "2.25.7")
    assert type(exchange) is StatusExchange
    request = exchange.request
    assert (request.method, request.url) == ("POST", f"{WORKITEMS}/1.2.3?transaction-uid=2.25.7")
    assert headers_of(request) == POST_HEAD
    assert request.body == b'[{"00741204":{"vr":"LO","Value":["x"]}}]'
    assert request.timeout == TIMEOUT
    assert ups().update("1.2.3", {}).request.url == f"{WORKITEMS}/1.2.3"


def test_update_refusals() -> None:
    with pytest.raises(InvalidUIDError) as caught:
        ups().update("1.2.3", {}, "t")
    assert str(caught.value) == "TransactionUID 't' may contain only digits and dots"
    with pytest.raises(InvalidUIDError) as caught:
        ups().update("u", {})
    assert str(caught.value) == "workitem UID 'u' may contain only digits and dots"
    with pytest.raises(InvalidArgumentError) as caught:
        ups().update("1.2.3", "x")  # type: ignore[arg-type]
    assert str(caught.value) == "a workitem is a DICOM JSON object (a dict keyed by tags)"


def test_a_change_state_request_whole() -> None:
    exchange = ups().change_state("1.2.3", IN_PROGRESS, "2.25.7")
    assert type(exchange) is StatusExchange
    request = exchange.request
    assert (request.method, request.url) == ("PUT", f"{WORKITEMS}/1.2.3/state")
    assert headers_of(request) == POST_HEAD
    assert request.body == (
        b'[{"00741000": {"vr": "CS", "Value": ["IN PROGRESS"]},'
        b' "00081195": {"vr": "UI", "Value": ["2.25.7"]}}]'
    )
    assert request.timeout == TIMEOUT
    with pytest.raises(InvalidUIDError) as caught:
        ups().change_state("1.2.x", IN_PROGRESS, "2.25.7")
    assert str(caught.value) == "workitem UID '1.2.x' may contain only digits and dots"


def test_a_cancellation_request_whole() -> None:
    exchange = ups().request_cancellation("1.2.3", {"00741238": {"vr": "LT", "Value": ["why"]}})
    assert type(exchange) is StatusExchange
    request = exchange.request
    assert (request.method, request.url) == ("POST", f"{WORKITEMS}/1.2.3/cancelrequest")
    assert headers_of(request) == POST_HEAD
    assert request.body == b'[{"00741238":{"vr":"LT","Value":["why"]}}]'
    assert request.timeout == TIMEOUT
    assert ups().request_cancellation("1.2.3").request.body == b"[{}]"
    assert ups().request_cancellation("1.2.3", {}).request.body == b"[{}]"


@pytest.mark.parametrize(
    "make",
    [
        lambda made: made.update("1.2.3", {}),
        lambda made: made.change_state("1.2.3", CANCELED, "2.25.1"),
        lambda made: made.request_cancellation("1.2.3"),
    ],
)
def test_status_answers(make: Any) -> None:
    exchange = make(ups())
    warning = {"Warning": '299 pacs "B304: already CANCELED", 299 pacs "second"'}
    assert exchange.start(200, warning) is Step.SKIP
    assert exchange.done
    assert exchange.result() == ["B304: already CANCELED", "second"]
    quiet = make(ups())
    assert quiet.start(204, {}) is Step.SKIP
    assert quiet.result() == []
    refused = make(ups())
    assert refused.start(409, {}) is Step.REJECT
    assert not refused.done
    error = refused.error(409, {"Warning": '299 pacs "C311: not the owner"'}, b"")
    assert type(error) is ConflictError
    request = refused.request
    assert str(error) == f"HTTP 409 for {request.method} {request.url}: C311: not the owner"
    assert error.reasons == ["C311: not the owner"]


def test_a_status_answer_to_a_redirect_is_an_error() -> None:
    exchange = StatusExchange(Request("POST", "http://h/workitems/1.2"))
    assert exchange.start(302, {"Location": "http://h/elsewhere"}) is Step.REJECT
    assert not exchange.done
