"""The exchange state machine at its edges, in the core: the status boundary between reading
and rejecting, what a fresh exchange holds, the bytes held while a body is read, and the error
a rejected answer becomes."""

from __future__ import annotations

import pytest

from dicomkit.core.errors import InvalidArgumentError, NotFoundError
from dicomkit.core.interface import Headers, Request
from dicomkit.core.operations import (
    DeleteExchange,
    Exchange,
    Exchanges,
    JsonArrayExchange,
    JsonObjectExchange,
    Operations,
    Step,
)
from dicomkit.core.operations.exchange import Capabilities, CapabilitiesExchange
from dicomkit.core.urls import DicomWebURLs

REQUEST = Request("GET", "http://h/dw/studies")


def test_a_fresh_exchange():
    exchange: Exchange[object, object] = Exchange(REQUEST)
    assert exchange.request is REQUEST
    assert exchange.status == 0
    assert exchange.headers == Headers()
    assert exchange.done is False
    assert exchange.pending == 0
    assert exchange.feed(b"x") == []
    with pytest.raises(NotImplementedError):
        exchange.result()


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (200, Step.READ),
        (299, Step.READ),
        (300, Step.REJECT),
        (301, Step.REJECT),
        (404, Step.REJECT),
    ],
)
def test_the_status_boundary(status, step):
    exchange = JsonArrayExchange(REQUEST)
    assert exchange.start(status, {"A": "1"}) is step
    assert exchange.status == status
    assert exchange.headers == Headers({"A": "1"})


def test_bytes_held_while_reading_and_restarting():
    exchange = JsonArrayExchange(REQUEST)
    exchange.start(200, {})
    exchange.feed(b"[{")
    exchange.feed(b"}]")
    assert exchange.pending == 4
    assert exchange.body == b"[{}]"
    exchange.start(200, {})
    assert exchange.pending == 0
    assert exchange.body == b""
    exchange.feed(b"[]")
    assert exchange.close() == []
    assert exchange.done
    assert exchange.result() == []


def test_json_answers():
    exchange = JsonArrayExchange(REQUEST)
    exchange.start(204, {})
    assert exchange.result() == []
    one = JsonObjectExchange(REQUEST)
    one.start(200, {"Content-Type": "application/dicom+json"})
    one.feed(b'[{"00100020": {"vr": "LO", "Value": ["P"]}}]')
    assert one.result() == {"00100020": {"vr": "LO", "Value": ["P"]}}


def test_a_rejected_answer_keeps_its_headers_and_body():
    exchange = JsonArrayExchange(REQUEST)
    error = exchange.error(404, {"Warning": '299 - "gone"'}, b"body")
    assert type(error) is NotFoundError
    assert error.reasons == ["gone"]
    assert error.headers == {"Warning": '299 - "gone"'}
    assert error.body == b"body"
    assert str(error) == "HTTP 404 for GET http://h/dw/studies: gone"


def test_a_delete_reads_no_body():
    exchange = DeleteExchange(Request("DELETE", "http://h/dw/studies/1.2"))
    assert exchange.start(204, {}) is Step.SKIP
    assert exchange.done
    assert exchange.result() is None
    assert DeleteExchange(REQUEST).start(404, {}) is Step.REJECT


# -- capabilities (OPTIONS, PS3.18 8.9) -----------------------------------------------------------

CAPABILITIES_ACCEPT = "application/vnd.sun.wadl+xml, application/json; q=0.9, */*; q=0.1"


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("", "http://h/dw"),
        ("/", "http://h/dw"),
        ("studies", "http://h/dw/studies"),
        ("/studies/1.2//series/", "http://h/dw/studies/1.2/series"),
    ],
)
def test_capabilities_request(path, url):
    exchange = Exchanges(Operations(DicomWebURLs("http://h/dw"))).capabilities(path)
    assert type(exchange) is CapabilitiesExchange
    assert exchange.request.method == "OPTIONS"
    assert exchange.request.url == url
    assert exchange.request.headers.get("Accept") == CAPABILITIES_ACCEPT


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a?b", "capabilities path 'a?b' is not a path below the root"),
        ("a#b", "capabilities path 'a#b' is not a path below the root"),
        ("a b", "capabilities path 'a b' is not a path below the root"),
        ("a\\b", "capabilities path 'a\\\\b' is not a path below the root"),
        (5, "capabilities path 5 is not a path below the root"),
        ("a/../b", "capabilities path 'a/../b' has '.' or '..' segments"),
        ("./a", "capabilities path './a' has '.' or '..' segments"),
    ],
)
def test_capabilities_path_refusals(path, message):
    with pytest.raises(InvalidArgumentError) as caught:
        Operations(DicomWebURLs("http://h/dw")).capabilities(path)
    assert str(caught.value) == message


def test_capabilities_answer():
    exchange = CapabilitiesExchange(Request("OPTIONS", "http://h/dw"))
    headers = Headers(
        [("Allow", "get, HEAD ,"), ("Allow", "OPTIONS, GET"), ("Content-Type", "a/b")]
    )
    exchange.start(200, headers)
    exchange.feed(b"<app/>")
    assert exchange.result() == Capabilities(("GET", "HEAD", "OPTIONS"), "a/b", b"<app/>")
    empty = CapabilitiesExchange(Request("OPTIONS", "http://h/dw"))
    empty.start(204, {})
    assert empty.result() == Capabilities((), None, b"")
