"""The contract's streaming cases fail a backend that buffers, sync or async, either direction.

Each test wraps a real backend into a copy that reads the whole answer (or joins the whole
upload) before going on, runs the contract case against it, and expects the failure to name
the buffering; the real backend passes the same case (the contract tests of every backend).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from dicomkit_httpx import HttpxTransport

from dicomkit.core.interface import AsyncTransport, Request, Response, StreamBody, Transport
from dicomkit.testing.contract import (
    AsyncTransportContract,
    ContractServer,
    TransportContract,
)
from dicomkit.testing.contract._support import contract_server
from dicomkit.transports import Urllib3Transport
from dicomkit.transports.support import MAX_PIECE, body_chunks


def _pieces(data: bytes) -> list[bytes]:
    return [data[i : i + MAX_PIECE] for i in range(0, len(data), MAX_PIECE)]


def _joined(request: Request) -> Request:
    """``request`` with a streamed body read whole first: the upload buffering under test."""
    if not isinstance(request.body, StreamBody):
        return request
    data = b"".join(body_chunks(request))
    return Request(request.method, request.url, request.headers, data, request.timeout)


class BufferingSync(Transport):
    """A real sync backend made to buffer answers (``answers``) or uploads (``uploads``)."""

    def __init__(self, *, answers: bool, uploads: bool, **options: Any) -> None:
        self._inner = Urllib3Transport(**options)
        self._answers = answers
        self._uploads = uploads

    def send(self, request: Request) -> Response:
        response = self._inner.send(_joined(request) if self._uploads else request)
        if not self._answers:
            return response
        data = response.read()
        return Response(response.status, response.headers, stream=_pieces(data), request=request)

    def close(self) -> None:
        self._inner.close()


class BufferingAsync(AsyncTransport):
    """A real async backend made to buffer answers (``answers``) or uploads (``uploads``)."""

    def __init__(self, *, answers: bool, uploads: bool, **options: Any) -> None:
        self._inner = HttpxTransport(**options)
        self._answers = answers
        self._uploads = uploads

    async def asend(self, request: Request) -> Response:
        response = await self._inner.asend(_joined(request) if self._uploads else request)
        if not self._answers:
            return response
        data = await response.aread()

        async def pieces() -> AsyncIterator[bytes]:
            for piece in _pieces(data):
                yield piece

        return Response(response.status, response.headers, astream=pieces(), request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class QuickSync(TransportContract):
    stream_wait = 1.0


class QuickAsync(AsyncTransportContract):
    stream_wait = 1.0


def _sync_factory(**flags: bool) -> Callable[..., Transport]:
    return lambda **options: BufferingSync(**flags, **options)


def _async_factory(**flags: bool) -> Callable[..., AsyncTransport]:
    return lambda **options: BufferingAsync(**flags, **options)


@pytest.fixture
def server() -> ContractServer:
    return contract_server()


@pytest.mark.parametrize("mode", ["length", "chunked"])
def test_a_sync_backend_buffering_answers_fails_naming_it(
    server: ContractServer, mode: str
) -> None:
    case = QuickSync().test_response_body_streams_before_the_server_sends_the_rest
    with pytest.raises(AssertionError, match="buffered the response body"):
        case(_sync_factory(answers=True, uploads=False), server, mode)
    case(_sync_factory(answers=False, uploads=False), server, mode)


@pytest.mark.parametrize("sized", [True, False])
def test_a_sync_backend_buffering_uploads_fails_naming_it(
    server: ContractServer, sized: bool
) -> None:
    case = QuickSync().test_request_body_streams_before_the_source_produces_the_rest
    with pytest.raises(AssertionError, match="buffered the request body"):
        case(_sync_factory(answers=False, uploads=True), server, sized)
    case(_sync_factory(answers=False, uploads=False), server, sized)


@pytest.mark.parametrize("mode", ["length", "chunked"])
def test_an_async_backend_buffering_answers_fails_naming_it(
    server: ContractServer, mode: str
) -> None:
    case = QuickAsync().test_response_body_streams_before_the_server_sends_the_rest
    with pytest.raises(AssertionError, match="buffered the response body"):
        case(_async_factory(answers=True, uploads=False), server, mode)
    case(_async_factory(answers=False, uploads=False), server, mode)


@pytest.mark.parametrize("sized", [True, False])
def test_an_async_backend_buffering_uploads_fails_naming_it(
    server: ContractServer, sized: bool
) -> None:
    case = QuickAsync().test_request_body_streams_before_the_source_produces_the_rest
    with pytest.raises(AssertionError, match="buffered the request body"):
        case(_async_factory(answers=False, uploads=True), server, sized)
    case(_async_factory(answers=False, uploads=False), server, sized)


def test_a_piece_larger_than_the_documented_limit_fails() -> None:
    from dicomkit.testing.contract._support import check_piece

    check_piece(b"x" * MAX_PIECE)
    with pytest.raises(AssertionError, match="MAX_PIECE"):
        check_piece(b"x" * (MAX_PIECE + 1))
