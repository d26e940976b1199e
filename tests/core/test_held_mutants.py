"""dicomkit.core.held at its edges: the exact lookups sent (chunk boundaries, pages, the study),
the state an exchange exposes, and every word of what a settled batch reports."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import errors
from dicomkit.core.dicomjson import FailedInstance, StoredInstance, StoreResult
from dicomkit.core.errors import StoreError
from dicomkit.core.held import (
    LOOKUP_CHUNK,
    NOT_ON_SERVER,
    NOT_YET,
    HeldExchange,
    confirmed,
    maybe_stored,
    sop_uids_of,
)
from dicomkit.core.interface import Headers, Request
from dicomkit.core.operations.exchange import Step
from tests.core.test_exchanges import byte_by_byte, exchanges, one_piece, run

BASE = "https://pacs.test/dicom-web"
JSON = [("Content-Type", "application/dicom+json")]


def paging_server(held: set[str]) -> Any:
    """Answers the asked UIDs it holds on the first page, nothing past it."""

    def serve(request: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        query = parse_qs(urlsplit(request.url).query)
        if "offset" in query:
            return 200, JSON, b"[]"
        asked = set(",".join(query.get("SOPInstanceUID", [])).split(","))
        found = sorted(held & asked)
        return 200, JSON, json.dumps([{"00080018": {"Value": [uid]}} for uid in found]).encode()

    return serve


def lookup(uids: list[str], study: str | None = None, offset: int | None = None) -> str:
    where = f"{BASE}/studies/{study}/instances" if study else f"{BASE}/instances"
    page = f"&offset={offset}" if offset else ""
    return f"{where}?SOPInstanceUID={','.join(uids)}&includefield=SOPInstanceUID{page}"


def test_the_first_request_is_a_lookup_of_the_first_chunk() -> None:
    exchange = HeldExchange(exchanges(), ["1.2.3", "1.2.4", "1.2.3"], "1.2")
    assert exchange.request.method == "GET"
    assert exchange.request.url == lookup(["1.2.3", "1.2.4"], "1.2")
    assert exchange.request.headers.items() == [
        ("User-Agent", exchange.request.headers["User-Agent"]),
        ("Accept", "application/dicom+json"),
    ]
    assert exchange.asked == ["1.2.3", "1.2.4"]
    assert exchange.done is False
    assert exchange.held == set()


def test_without_a_study_the_lookup_is_at_the_root() -> None:
    exchange = HeldExchange(exchanges(), ["1.2.3"])
    assert exchange.request.url == lookup(["1.2.3"])


@pytest.mark.parametrize("chunked", [one_piece, byte_by_byte])
def test_chunks_of_exactly_lookup_chunk_uids_each_page_followed(chunked: Any) -> None:
    assert LOOKUP_CHUNK == 50
    uids = [f"1.2.{n}" for n in range(2 * LOOKUP_CHUNK + 1)]
    held = {"1.2.0", "1.2.49", "1.2.50", "1.2.100", "9.9.9"}
    exchange = HeldExchange(exchanges(), uids, "1.2")
    items, sent = run(exchange, paging_server(held), chunked)
    first, second, third = uids[:50], uids[50:100], uids[100:]
    assert [request.url for request in sent] == [
        lookup(first, "1.2"),
        lookup(first, "1.2", offset=2),
        lookup(second, "1.2"),
        lookup(second, "1.2", offset=1),
        lookup(third, "1.2"),
        lookup(third, "1.2", offset=1),
    ]
    assert items == []
    assert exchange.done is True
    assert exchange.result() == {"1.2.0", "1.2.49", "1.2.50", "1.2.100"}
    assert exchange.status == 200
    assert exchange.headers.items() == JSON
    assert isinstance(exchange.headers, Headers)


def test_exactly_one_chunk_is_one_lookup_when_nothing_is_held() -> None:
    uids = [f"1.2.{n}" for n in range(LOOKUP_CHUNK)]
    exchange = HeldExchange(exchanges(), uids)
    _, sent = run(exchange, paging_server(set()))
    assert [request.url for request in sent] == [lookup(uids)]
    assert exchange.result() == set()


def test_the_exchange_hands_each_step_to_the_current_search() -> None:
    exchange = HeldExchange(exchanges(), ["1.2.3"])
    assert exchange.start(200, JSON) is Step.READ
    body = json.dumps([{"00080018": {"Value": ["1.2.3"]}}]).encode()
    assert exchange.feed(body[:5]) == []
    assert exchange.pending >= 0
    assert exchange.feed(body[5:]) == []
    assert exchange.close() == []
    # the page held something: the next page of the same lookup is asked for
    assert exchange.done is False
    assert exchange.request.url == lookup(["1.2.3"], offset=1)
    assert exchange.start(200, JSON) is Step.READ
    assert exchange.feed(b"[]") == []
    assert exchange.close() == []
    assert exchange.done is True
    assert exchange.result() == {"1.2.3"}


def test_the_result_is_a_copy() -> None:
    exchange = HeldExchange(exchanges(), ["1.2.3"])
    run(exchange, paging_server({"1.2.3"}))
    result = exchange.result()
    result.add("4.5")
    assert exchange.result() == {"1.2.3"}


def test_a_failed_lookup_is_the_search_error_naming_the_request() -> None:
    exchange = HeldExchange(exchanges(), ["1.2.3"])
    headers = [("Content-Type", "text/plain")]
    assert exchange.start(500, headers) is Step.REJECT
    error = exchange.error(500, headers, b"down")
    assert type(error) is errors.ServerError
    assert error.status == 500
    assert str(error) == f"HTTP 500 for GET {lookup(['1.2.3'])}: down"
    bad = exchange.error(400, headers, b"no such filter")
    assert type(bad) is errors.BadRequestError
    assert str(bad) == f"HTTP 400 for GET {lookup(['1.2.3'])}: no such filter"


def test_bad_uids_are_named_in_the_refusal() -> None:
    with pytest.raises(errors.InvalidUIDError) as study:
        HeldExchange(exchanges(), ["1.2"], "x..")
    assert str(study.value) == "StudyInstanceUID 'x..' may contain only digits and dots"
    with pytest.raises(errors.InvalidUIDError) as sop:
        HeldExchange(exchanges(), ["1.2", "x.."])
    assert str(sop.value) == "SOPInstanceUID 'x..' may contain only digits and dots"


def test_nothing_asked_is_done_before_any_request() -> None:
    exchange = HeldExchange(exchanges(), [], "1.2")
    assert exchange.done is True
    assert exchange.asked == []
    assert exchange.result() == set()
    assert exchange.request.url == f"{BASE}/studies/1.2/instances?includefield=SOPInstanceUID"


@given(st.integers(100, 599))
def test_maybe_stored_by_status(status: int) -> None:
    error = errors.error_for_status(status)(status, "boom")
    expected = status >= 500 and status not in (501, 503)
    assert maybe_stored(error) is expected


def test_maybe_stored_other_errors() -> None:
    assert maybe_stored(errors.ConnectionLostError("lost")) is True
    assert maybe_stored(errors.ReadTimeout("slow")) is True
    assert maybe_stored(errors.ProtocolError("garbled")) is True
    assert maybe_stored(errors.ConnectError("refused")) is False
    assert maybe_stored(errors.DicomkitError("other")) is False


def test_sop_uids_of_reads_every_value_as_text() -> None:
    found: list[dict[str, Any]] = [
        {"00080018": {"vr": "UI", "Value": ["1.2", "1.3"]}},
        {"00080018": {"vr": "UI", "Value": ["", None, 7]}},
        {"00080018": {"Value": "1.9"}},
        {"0020000D": {"Value": ["1.8"]}},
    ]
    assert sop_uids_of(found) == {"1.2", "1.3", "7"}
    assert sop_uids_of([]) == set()


def test_all_held_is_a_result_with_the_warning() -> None:
    result = confirmed(["1.1", "1.2"], {"1.1", "1.2", "9.9"}, errors.ConnectionLostError("reset"))
    assert result == StoreResult(
        stored=[StoredInstance("", "1.1"), StoredInstance("", "1.2")],
        warnings=[
            "no answer from the server (reset); QIDO-RS found 2 of 2 instance(s) of the "
            "request on the server"
        ],
        status=0,
    )


def test_some_held_is_a_store_error_saying_which() -> None:
    error = errors.ConnectionLostError("reset")
    outcome = confirmed(["1.1", "1.2", "1.3"], {"1.2"}, error)
    assert isinstance(outcome, StoreError)
    assert outcome.status == 0
    assert str(outcome) == (
        "STOW-RS broke without an answer (reset): 1 of 3 instance(s) are on the server, "
        "2 are not: 1.1, 1.3"
    )
    assert outcome.result == StoreResult(
        stored=[StoredInstance("", "1.2")],
        failed=[
            FailedInstance("", "1.1", None, NOT_ON_SERVER, "reset"),
            FailedInstance("", "1.3", None, NOT_ON_SERVER, "reset"),
        ],
        warnings=[
            "no answer from the server (reset); QIDO-RS found 1 of 3 instance(s) of the "
            "request on the server"
        ],
        status=0,
    )


@pytest.mark.parametrize(("count", "tail"), [(5, ""), (6, " ...")])
def test_the_message_lists_five_failures_at_most(count: int, tail: str) -> None:
    uids = [f"1.{n}" for n in range(count)]
    outcome = confirmed(uids, set(), errors.ReadTimeout("slow"))
    assert isinstance(outcome, StoreError)
    assert str(outcome) == (
        f"STOW-RS broke without an answer (slow): 0 of {count} instance(s) are on the server, "
        f"{count} are not: 1.0, 1.1, 1.2, 1.3, 1.4{tail}"
    )
    assert [failed.reason for failed in outcome.result.failed] == [NOT_YET] * count


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (errors.ReadTimeout("slow"), NOT_YET),
        (errors.GatewayTimeoutError(504, "gateway"), NOT_YET),
        (errors.ServerError(502, "bad gateway"), "HTTP 502; not on the server"),
        (errors.ServerError(505, "version"), "HTTP 505; not on the server"),
        (errors.ServiceUnavailableError(503, "busy"), "HTTP 503; not on the server"),
        (errors.ConnectionLostError("lost"), NOT_ON_SERVER),
        (errors.ProtocolError("garbled"), NOT_ON_SERVER),
    ],
)
def test_the_reason_of_each_break(error: errors.DicomkitError, reason: str) -> None:
    outcome = confirmed(["1.1"], set(), error)
    assert isinstance(outcome, StoreError)
    assert outcome.result.failed == [FailedInstance("", "1.1", None, reason, str(error))]


def test_the_answer_headers_reach_the_search() -> None:
    exchange = HeldExchange(exchanges(), ["1.2.3"])
    assert exchange.start(200, [("Content-Type", "text/html")]) is Step.READ
    assert exchange.feed(b"<html>hi</html>") == []
    with pytest.raises(errors.NotDicomWebError) as refused:
        exchange.close()
    assert str(refused.value).startswith(
        f"GET {lookup(['1.2.3'])} answered text/html, not application/dicom+json: "
        "this is not a DICOMweb answer."
    )


def test_the_error_headers_reach_the_search() -> None:
    exchange = HeldExchange(exchanges(), ["1.2.3"])
    error = exchange.error(400, [("Warning", '299 pacs "bad filter"')], b"")
    assert isinstance(error, errors.BadRequestError)
    assert str(error) == f"HTTP 400 for GET {lookup(['1.2.3'])}: bad filter"
    assert error.reasons == ["bad filter"]
