"""The UPS-RS requests the core builds and what it reads from their answers (no I/O)."""

from __future__ import annotations

import json

import pytest

from dicomkit.core.errors import InvalidArgumentError, InvalidUIDError, ProtocolError
from dicomkit.core.operations import Operations
from dicomkit.core.operations.exchange import Step
from dicomkit.core.operations.ups import COMPLETED, WorkitemExchanges, state_change
from dicomkit.core.urls import DicomWebURLs

ROOT = "https://pacs.example/dicom-web/v1"


@pytest.fixture
def exchanges() -> WorkitemExchanges:
    return WorkitemExchanges(
        Operations(DicomWebURLs("https://pacs.example/dicom-web", api_version="v1"))
    )


def test_create_posts_one_object_and_reads_the_uid_from_location(
    exchanges: WorkitemExchanges,
) -> None:
    exchange = exchanges.create({"00741204": {"vr": "LO", "Value": ["x"]}}, "1.2.3")
    request = exchange.request
    assert (request.method, request.url) == ("POST", f"{ROOT}/workitems?1.2.3")
    assert request.headers["Content-Type"] == "application/dicom+json"
    assert json.loads(request.body or b"") == [{"00741204": {"vr": "LO", "Value": ["x"]}}]
    assert exchange.start(201, {"Location": f"{ROOT}/workitems/1.2.3"}) is Step.READ
    exchange.close()
    assert exchange.result() == "1.2.3"


def test_a_create_answer_without_any_uid_is_a_protocol_error(
    exchanges: WorkitemExchanges,
) -> None:
    exchange = exchanges.create({})
    exchange.start(201, {})
    exchange.close()
    with pytest.raises(ProtocolError):
        exchange.result()


def test_change_state_update_cancel_and_search_requests(exchanges: WorkitemExchanges) -> None:
    put = exchanges.change_state("1.2.3", COMPLETED, "2.25.9").request
    assert (put.method, put.url) == ("PUT", f"{ROOT}/workitems/1.2.3/state")
    assert json.loads(put.body or b"") == [state_change(COMPLETED, "2.25.9")]
    update = exchanges.update("1.2.3", {}, "2.25.9").request
    assert update.url == f"{ROOT}/workitems/1.2.3?transaction-uid=2.25.9"
    cancel = exchanges.request_cancellation("1.2.3").request
    assert (cancel.method, cancel.url) == ("POST", f"{ROOT}/workitems/1.2.3/cancelrequest")
    search = exchanges.search({"ProcedureStepState": "SCHEDULED"}, limit=5).request
    assert search.url == f"{ROOT}/workitems?ProcedureStepState=SCHEDULED&limit=5"


def test_a_state_change_result_is_its_warnings(exchanges: WorkitemExchanges) -> None:
    exchange = exchanges.change_state("1.2.3", COMPLETED, "2.25.9")
    assert exchange.start(200, {"Warning": '299 s "B306: already COMPLETED"'}) is Step.SKIP
    assert exchange.done
    assert exchange.result() == ["B306: already COMPLETED"]
    refused = exchanges.change_state("1.2.3", COMPLETED, "2.25.9")
    assert refused.start(409, {}) is Step.REJECT


def test_bad_arguments_fail_before_anything_is_sent(exchanges: WorkitemExchanges) -> None:
    with pytest.raises(InvalidArgumentError):
        state_change("DONE", "2.25.9")
    with pytest.raises(InvalidUIDError):
        exchanges.retrieve("not a uid")
    with pytest.raises(InvalidArgumentError):
        exchanges.create([])  # type: ignore[arg-type]
