"""The transport interface: Headers, replayable bodies, Request coercion, Response lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError, TransportClosedError
from dicomkit.core.interface import (
    AsyncTransport,
    Headers,
    Request,
    Response,
    StreamBody,
    Transport,
)

names = st.sampled_from(["Accept", "accept", "ACCEPT", "X-A", "x-a", "Content-Type"])
fields = st.lists(st.tuples(names, st.text("abc ;=", max_size=5)), max_size=8)


@given(fields, names)
def test_headers_match_names_whatever_their_case(pairs: list[tuple[str, str]], name: str) -> None:
    headers = Headers(pairs)
    expected = [v for k, v in pairs if k.lower() == name.lower()]
    assert headers.get_all(name) == expected
    assert (name in headers) == bool(expected)
    assert list(headers) == [k for k, _ in pairs]
    assert len(headers) == len(pairs)
    if expected:
        assert headers[name] == expected[0]
    else:
        with pytest.raises(KeyError):
            headers[name]
    assert headers == Headers(list(reversed(pairs)))
    assert headers != {"not": "headers"}
    copy = headers.copy()
    copy.set(name, "new")
    assert copy.get_all(name.upper()) == ["new"]
    assert headers.get_all(name) == expected


def test_headers_repr_hides_credentials() -> None:
    headers = Headers({"Authorization": "Bearer s3cret", "Cookie": "id=s3cret", "Accept": "x/y"})
    assert "s3cret" not in repr(headers)
    assert "x/y" in repr(headers)
    assert 42 not in headers


def test_stream_body_replays_from_the_first_byte_and_drops_empty_chunks() -> None:
    calls: list[int] = []

    def source() -> Iterator[bytes]:
        calls.append(1)
        yield b"ab"
        yield b""
        yield bytearray(b"cd")  # type: ignore[misc]

    body = StreamBody(source, 4)
    assert list(body) == [b"ab", b"cd"]
    assert all(type(chunk) is bytes for chunk in body)
    assert len(calls) == 2
    with pytest.raises(InvalidArgumentError):
        StreamBody(b"not callable")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "length", "chunks"),
    [
        (None, 0, []),
        (b"", 0, []),
        (b"abc", 3, [b"abc"]),
        (bytearray(b"abc"), 3, [b"abc"]),
        (memoryview(b"abc"), 3, [b"abc"]),
        (lambda: iter([b"a", b"bc"]), None, [b"a", b"bc"]),
        (StreamBody(lambda: [b"xy"], 2), 2, [b"xy"]),
    ],
)
def test_request_bodies_are_coerced_and_replayable(
    body: object, length: int | None, chunks: list[bytes]
) -> None:
    request = Request("get", "http://h/", {"Accept": "a/b"}, body)  # type: ignore[arg-type]
    assert request.method == "GET"
    assert isinstance(request.headers, Headers)
    assert request.content_length == length
    assert list(request.iter_body()) == chunks
    assert list(request.iter_body()) == chunks


def test_a_request_body_of_another_type_is_refused() -> None:
    with pytest.raises(InvalidArgumentError):
        Request("POST", "http://h/", body="text")  # type: ignore[arg-type]


def test_response_streams_once_then_is_closed() -> None:
    closed: list[bool] = []
    response = Response(
        200, {"A": "1"}, stream=iter([b"a", b"", b"b"]), on_close=lambda: closed.append(True)
    )
    assert repr(response) == "<Response 200>"
    with response:
        assert response.read() == b"ab"
    assert response.is_closed
    assert closed == [True]
    with pytest.raises(TransportClosedError):
        response.read()
    response.close()
    assert closed == [True]


def test_a_body_being_read_cannot_be_read_again() -> None:
    response = Response(200, stream=iter([b"a", b"b"]))
    chunks = response.iter_bytes()
    assert next(chunks) == b"a"
    with pytest.raises(TransportClosedError, match="already read"):
        response.read()


def test_closing_while_reading_stops_the_stream() -> None:
    response = Response(200, stream=iter([b"a", b"b", b"c"]))
    chunks = response.iter_bytes()
    assert next(chunks) == b"a"
    response.close()
    with pytest.raises(TransportClosedError, match="closed while reading"):
        next(chunks)


def test_a_response_without_a_body_reads_empty_and_refuses_the_wrong_flavour() -> None:
    assert Response(204).read() == b""

    async def agen() -> AsyncIterator[bytes]:
        yield b"x"

    with pytest.raises(TypeError, match="aiter_bytes"):
        Response(200, astream=agen()).read()


async def test_async_response_lifecycle() -> None:
    closed: list[str] = []

    async def agen() -> AsyncIterator[bytes]:
        yield b"a"
        yield b""
        yield b"b"

    async def on_aclose() -> None:
        closed.append("async")

    response = Response(200, astream=agen(), on_aclose=on_aclose)
    async with response:
        assert await response.aread() == b"ab"
    assert closed == ["async"]
    with pytest.raises(TransportClosedError):
        await response.aread()

    sync_closer = Response(200, on_close=lambda: closed.append("sync"))
    assert await sync_closer.aread() == b""
    assert closed == ["async", "sync"]

    with pytest.raises(TypeError, match="iter_bytes"):
        await Response(200, stream=iter([b"x"])).aread()

    cut = Response(200, astream=agen())
    chunks = cut.aiter_bytes()
    assert await chunks.__anext__() == b"a"
    await cut.aclose()
    with pytest.raises(TransportClosedError, match="closed while reading"):
        await chunks.__anext__()


class _Both(Transport, AsyncTransport):
    def __init__(self) -> None:
        self.closes = 0

    def send(self, request: Request) -> Response:
        return Response(200, stream=iter([request.url.encode()]))

    def close(self) -> None:
        self.closes += 1

    async def asend(self, request: Request) -> Response:
        return self.send(request)

    async def aclose(self) -> None:
        self.closes += 1


async def test_transports_close_when_their_context_ends() -> None:
    transport = _Both()
    with transport as same:
        assert same.send(Request("GET", "http://h/x")).read() == b"http://h/x"
    async with transport as same_async:
        assert same_async is transport
    assert transport.closes == 2


def test_a_transport_missing_a_method_fails_when_built() -> None:
    class Half(Transport):
        def close(self) -> None:
            pass

    with pytest.raises(TypeError):
        Half()  # type: ignore[abstract]
