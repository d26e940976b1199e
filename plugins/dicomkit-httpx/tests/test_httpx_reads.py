"""The httpx backend's own pools: 256 KiB socket reads, pieces within MAX_PIECE, TLS set up
only for ``https://``, httpcore's errors raised as httpx's (dicomkit_httpx._pools)."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpcore
import httpx
import pytest
from dicomkit_httpx import HttpxTransport
from dicomkit_httpx._pools import _SHARED_ERRORS, READ_SIZE, _httpx_errors

from dicomkit.core import Request
from dicomkit.testing.contract import ContractServer
from dicomkit.testing.tls import TLSFiles, TLSServer
from dicomkit.transports.support import MAX_PIECE

BODY = 8 * 1024 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[ContractServer]:
    with ContractServer() as running:
        yield running


def _expected(url: str) -> tuple[int, str]:
    """Length and SHA-256 of the body as plain httpx reads it: the reference."""
    with httpx.Client() as client:
        body = client.get(url).content
    return len(body), hashlib.sha256(body).hexdigest()


def _summary(pieces: list[bytes]) -> tuple[int, str]:
    return sum(map(len, pieces)), hashlib.sha256(b"".join(pieces)).hexdigest()


class _Asked:
    """A network stream that notes the size of every read asked of it."""

    def __init__(self, stream: Any, asked: list[int]) -> None:
        self._stream, self._asked = stream, asked

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self._asked.append(max_bytes)
        return bytes(self._stream.read(max_bytes, timeout))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _AsyncAsked(_Asked):
    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # type: ignore[override]
        self._asked.append(max_bytes)
        return bytes(await self._stream.read(max_bytes, timeout))


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every read size asked of the sockets of the pools built from now on."""
    sizes: list[int] = []

    class Sync(httpcore.SyncBackend):
        def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
            return _Asked(super().connect_tcp(*args, **kwargs), sizes)

    class Async(httpcore.AnyIOBackend):
        async def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
            return _AsyncAsked(await super().connect_tcp(*args, **kwargs), sizes)

    monkeypatch.setattr(httpcore, "SyncBackend", Sync)
    monkeypatch.setattr(httpcore, "AnyIOBackend", Async)
    return sizes


@pytest.mark.parametrize("mode", ["length", "chunked", "close"])
def test_sync_reads_are_256_kib_and_pieces_stay_within_the_bound(
    server: ContractServer, asked: list[int], mode: str
) -> None:
    url = f"{server.url}/echo?n={BODY}&seed=3&mode={mode}&chunks=1048576"
    with HttpxTransport() as transport, transport.send(Request("GET", url)) as response:
        pieces = list(response.iter_bytes())
    assert asked
    assert set(asked) == {READ_SIZE}
    assert READ_SIZE == MAX_PIECE > 64 * 1024
    assert max(map(len, pieces)) <= MAX_PIECE
    assert _summary(pieces) == _expected(url)


@pytest.mark.parametrize("mode", ["length", "chunked", "close"])
async def test_async_reads_are_256_kib_and_pieces_stay_within_the_bound(
    server: ContractServer, asked: list[int], mode: str
) -> None:
    url = f"{server.url}/echo?n={BODY}&seed=4&mode={mode}&chunks=1048576"
    async with (
        HttpxTransport() as transport,
        await transport.asend(Request("GET", url)) as response,
    ):
        pieces = [piece async for piece in response.aiter_bytes()]
    assert asked
    assert set(asked) == {READ_SIZE}
    assert max(map(len, pieces)) <= MAX_PIECE
    assert _summary(pieces) == _expected(url)


@pytest.fixture(scope="module")
def gzip_url() -> Iterator[str]:
    """A server whose answer is 4 MiB of zeros gzipped to a few KiB: one read decodes to far
    more than MAX_PIECE."""
    body = gzip.compress(bytes(4 * 1024 * 1024))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    running = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{running.server_address[1]}/"
    finally:
        running.shutdown()
        running.server_close()
        thread.join()


async def test_a_decoded_piece_larger_than_the_bound_is_handed_out_in_pieces(
    gzip_url: str,
) -> None:
    with HttpxTransport() as transport, transport.send(Request("GET", gzip_url)) as response:
        pieces = list(response.iter_bytes())
    assert len(pieces) >= 16
    assert max(map(len, pieces)) == MAX_PIECE
    assert b"".join(pieces) == bytes(4 * 1024 * 1024)
    async with (
        HttpxTransport() as transport,
        await transport.asend(Request("GET", gzip_url)) as response,
    ):
        pieces = [piece async for piece in response.aiter_bytes()]
    assert len(pieces) >= 16
    assert max(map(len, pieces)) == MAX_PIECE
    assert b"".join(pieces) == bytes(4 * 1024 * 1024)


async def test_a_callers_client_handing_out_large_pieces_is_bounded_too() -> None:
    body = bytes(range(256)) * 4096  # 1 MiB, handed over by the mock in one piece

    class OnePiece(httpx.SyncByteStream, httpx.AsyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield body

        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield body

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=OnePiece())

    with (
        httpx.Client(transport=httpx.MockTransport(answer)) as client,
        HttpxTransport(client=client) as transport,
        transport.send(Request("GET", "http://127.0.0.1/any")) as response,
    ):
        pieces = list(response.iter_bytes())
    assert [len(piece) for piece in pieces] == [MAX_PIECE] * 4
    assert b"".join(pieces) == body
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(answer)) as aclient,
        HttpxTransport(async_client=aclient) as transport,
        await transport.asend(Request("GET", "http://127.0.0.1/any")) as response,
    ):
        pieces = [piece async for piece in response.aiter_bytes()]
    assert [len(piece) for piece in pieces] == [MAX_PIECE] * 4


async def test_the_tls_context_is_built_for_https_only_and_once(
    server: ContractServer,
    tls_server: TLSServer,
    tls_files: TLSFiles,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[object] = []
    plain = httpx.create_ssl_context

    def counted(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs.get("verify"))
        return plain(*args, **kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", counted)
    cert = tls_files.client_cert if tls_server.needs_client_cert else None
    with HttpxTransport(verify=str(tls_files.ca), cert=cert) as transport:
        for _ in range(2):
            assert transport.send(Request("GET", f"{server.url}/echo")).read()
        assert built == []
        for _ in range(2):
            assert transport.send(Request("GET", f"{tls_server.url}/echo")).read()
        assert len(built) == 1
    async with HttpxTransport(verify=str(tls_files.ca), cert=cert) as transport:
        assert await (await transport.asend(Request("GET", f"{server.url}/echo"))).aread()
        assert len(built) == 1
        assert await (await transport.asend(Request("GET", f"{tls_server.url}/echo"))).aread()
        assert len(built) == 2


@pytest.mark.parametrize("name", _SHARED_ERRORS)
def test_httpcore_errors_are_raised_as_httpx_errors_of_the_same_name(name: str) -> None:
    original = getattr(httpcore, name)("went wrong")
    with pytest.raises(getattr(httpx, name)) as info, _httpx_errors():
        raise original
    assert type(info.value) is getattr(httpx, name)
    assert info.value.__cause__ is original
    assert str(info.value) == "went wrong"


def test_other_errors_pass_through_unchanged() -> None:
    original = ValueError("ours")
    with pytest.raises(ValueError) as info, _httpx_errors():
        raise original
    assert info.value is original
