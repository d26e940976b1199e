"""The messages and states of the core's interface types and errors, word for word: what a user
reads when a body, a response or an HTTP error is misused or fails."""

from __future__ import annotations

import pickle

import pytest

from dicomkit.core.dicomjson import StoreResult, loads_json_array, loads_json_object
from dicomkit.core.errors import (
    BadRequestError,
    ClientError,
    DicomJSONError,
    HTTPError,
    InvalidArgumentError,
    ServerError,
    StoreError,
    TransportClosedError,
    error_for_status,
)
from dicomkit.core.interface import ClosedState, Headers, Request, Response, StreamBody


def test_stream_body_needs_a_callable():
    with pytest.raises(InvalidArgumentError) as caught:
        StreamBody(b"bytes")  # type: ignore[arg-type]
    assert str(caught.value) == "StreamBody needs a callable that returns fresh chunks"


def test_stream_body_skips_empty_chunks_and_copies_views():
    body = StreamBody(lambda: [b"a", b"", bytearray(b"b"), memoryview(b"c")], 3)
    chunks = list(body)
    assert chunks == [b"a", b"b", b"c"]
    assert all(type(chunk) is bytes for chunk in chunks)
    assert body.length == 3


@pytest.mark.parametrize(
    ("body", "stored", "length"),
    [(None, None, 0), (b"", b"", 0), (b"ab", b"ab", 2), (bytearray(b"ab"), b"ab", 2)],
)
def test_request_bodies(body, stored, length):
    request = Request("post", "http://h/", body=body)
    assert request.method == "POST"
    assert request.body == stored
    assert request.content_length == length
    assert b"".join(request.iter_body()) == (stored or b"")


def test_a_callable_body_becomes_a_replayable_stream():
    request = Request("POST", "http://h/", body=lambda: iter([b"x", b"y"]))
    assert isinstance(request.body, StreamBody)
    assert request.content_length is None
    assert b"".join(request.iter_body()) == b"xy"
    assert b"".join(request.iter_body()) == b"xy"


def test_a_request_body_of_another_kind_is_refused():
    with pytest.raises(InvalidArgumentError) as caught:
        Request("POST", "http://h/", body="text")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "a request body is bytes, a StreamBody, or a callable returning chunks"
    )


def test_request_headers_from_pairs():
    request = Request("GET", "http://h/", headers=[("A", "1")])  # type: ignore[arg-type]
    assert request.headers == Headers([("A", "1")])


def test_closed_state():
    state = ClosedState("gone")
    assert not state.closed
    state.check()
    assert state.close_once() is True
    assert state.close_once() is False
    assert state.closed
    with pytest.raises(TransportClosedError) as caught:
        state.check()
    assert str(caught.value) == "gone"


def test_headers_missing_name_and_secret_repr():
    headers = Headers([("Authorization", "Bearer t"), ("Cookie", "c"), ("X", "v")])
    with pytest.raises(KeyError) as caught:
        headers["Y-Missing"]
    assert caught.value.args == ("Y-Missing",)
    assert repr(headers) == (
        "Headers([('Authorization', '[hidden]'), ('Cookie', '[hidden]'), ('X', 'v')])"
    )


def test_response_fields_and_messages():
    request = Request("GET", "http://h/")
    closed = []
    response = Response(
        200,
        {"A": "1"},
        stream=iter([b"a", b"", b"b"]),
        on_close=lambda: closed.append(1),
        url="http://h/x",
        request=request,
    )
    assert (response.status, response.url, response.request) == (200, "http://h/x", request)
    assert response.headers == Headers({"A": "1"})
    assert repr(response) == "<Response 200>"
    assert not response.is_closed
    assert response.read() == b"ab"
    assert response.is_closed
    assert closed == [1]
    with pytest.raises(TransportClosedError) as caught:
        response.read()
    assert str(caught.value) == "the response is closed"
    assert Response(204).url == ""
    assert Response(204).request is None


def test_a_body_is_read_once():
    response = Response(200, stream=iter([b"a"]))
    response._consumed = True
    with pytest.raises(TransportClosedError) as caught:
        response.read()
    assert str(caught.value) == "the response body was already read"


def test_closing_while_reading():
    response = Response(200, stream=iter([b"a", b"b"]))
    chunks = response.iter_bytes()
    assert next(chunks) == b"a"
    response._state.close_once()
    with pytest.raises(TransportClosedError) as caught:
        next(chunks)
    assert str(caught.value) == "the response was closed while reading"


def test_reading_in_the_wrong_style():
    async def body():
        yield b"x"

    with pytest.raises(TypeError) as caught:
        Response(200, astream=body()).read()
    assert str(caught.value) == "this response streams asynchronously: use aiter_bytes()"


async def test_reading_in_the_wrong_style_async():
    with pytest.raises(TypeError) as caught:
        await Response(200, stream=iter([b"x"])).aread()
    assert str(caught.value) == "this response streams synchronously: use iter_bytes()"


async def test_closing_while_reading_async():
    async def body():
        yield b"a"
        yield b"b"

    response = Response(200, astream=body())
    chunks = response.aiter_bytes()
    assert await chunks.__anext__() == b"a"
    response._state.close_once()
    with pytest.raises(TransportClosedError) as caught:
        await chunks.__anext__()
    assert str(caught.value) == "the response was closed while reading"


def test_http_error_defaults_and_message():
    error = HTTPError(500)
    assert (error.method, error.url, error.body, error.reasons) == ("", "", b"", [])
    assert error.headers == {}
    assert str(error) == "HTTP 500"
    assert str(HTTPError(500, reasons=["a", "b"])) == "HTTP 500: a; b"
    assert str(HTTPError(500, body="é".encode())) == "HTTP 500: é"
    assert str(HTTPError(400, "own", url="u")) == "own"
    copy = pickle.loads(
        pickle.dumps(BadRequestError(400, method="GET", url="http://h/", body=b"b"))
    )
    assert type(copy) is BadRequestError
    assert (copy.status, str(copy), copy.body) == (400, "HTTP 400 for GET http://h/: b", b"b")


@pytest.mark.parametrize(
    ("status", "kind"),
    [(399, HTTPError), (400, BadRequestError), (401, error_for_status(401)), (402, ClientError)],
)
def test_error_for_status_edges(status, kind):
    assert error_for_status(status) is kind
    assert error_for_status(500) is ServerError
    assert error_for_status(300) is HTTPError


def test_store_error():
    result = StoreResult(status=409)
    error = StoreError("nothing stored", result, status=409)
    assert (str(error), error.result, error.status) == ("nothing stored", result, 409)
    assert StoreError("x", result).status == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "JSON body is nested too deeply"),
        (b"{}", "expected a JSON array of objects, got '{}'"),
        (
            b"x" * 300,
            "body is not JSON (Expecting value: line 1 column 1 (char 0)): '" + "x" * 200 + "'...",
        ),
    ],
)
def test_json_array_messages(body, message):
    with pytest.raises(DicomJSONError) as caught:
        loads_json_array(body)
    assert str(caught.value) == message


def test_json_object_message():
    with pytest.raises(DicomJSONError) as caught:
        loads_json_object(b"[]")
    assert str(caught.value) == "expected a JSON object, got '[]'"
    assert loads_json_object('{"00100020": {"vr": "LO"}}') == {"00100020": {"vr": "LO"}}
