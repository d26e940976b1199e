"""The contract every AsyncTransport backend passes: same bytes, same errors, same lifecycle.

``contract/_async.py`` is the source of both halves of the contract: ``scripts/unasync.py``
generates ``contract/_sync.py`` from it. How a case runs its body (:class:`EventLoop`) lives in
the hand-written ``_support.py``; what only this side is asked, in ``_tasks.py``, which has a
hand-written twin.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given

from dicomkit.core.errors import (
    ConnectError,
    ConnectionLostError,
    ConnectTimeout,
    InvalidArgumentError,
    ReadTimeout,
    TooManyRedirectsError,
    TransportClosedError,
    TransportError,
)
from dicomkit.core.interface import AsyncTransport, Headers, Request, Response, StreamBody, Timeout
from dicomkit.testing._contract_server import Blackhole, ContractServer, payload
from dicomkit.testing.contract._fixtures import AsyncSessionFactory, TransportFixtures
from dicomkit.testing.contract._proxies_async import AsyncProxyCases
from dicomkit.testing.contract._support import (
    BAD_REQUESTS,
    CUT_BODIES,
    SHORT,
    VERBATIM_TARGETS,
    Case,
    EventLoop,
    HeldAnswer,
    HeldUpload,
    cases,
    check_echo,
    check_payload,
    check_piece,
    client_sockets,
    echo_of,
    echoed_target,
    exit_status,
    files_open,
    forked,
    free_port,
    open_fd_count,
    own_threads,
    server_idle,
    wait_until,
)
from dicomkit.testing.contract._tasks import Body, Factory, TaskCases

__all__ = ["AsyncTransportContract"]


async def _fetch(transport: AsyncTransport, request: Request) -> tuple[Response, bytes]:
    async with await transport.asend(request) as response:
        return response, await response.aread()


async def _with_transport(factory: Factory, body: Body) -> None:
    async with factory() as built:
        await body(built)


async def _build(factory: Factory) -> AsyncTransport:
    return factory()


def _file_body(path: Path) -> StreamBody:
    """``path`` streamed in 64 KiB reads, opened when the body is iterated (as uploads are)."""

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as file:
            while piece := file.read(65536):
                yield piece

    return StreamBody(chunks, path.stat().st_size)


async def _faulted_exchanges(transport: AsyncTransport, base: str, upload: Path) -> None:
    """Success, HTTP errors read or not, timeouts, resets mid-request and mid-response."""
    await _fetch(transport, Request("GET", f"{base}/echo?n=100000"))
    for status in (503, 404, 400, 500):
        await _fetch(transport, Request("GET", f"{base}/echo?status={status}&n=5000"))
        await (
            await transport.asend(Request("GET", f"{base}/echo?status={status}&n=900000"))
        ).aclose()
    with pytest.raises(ReadTimeout):
        await transport.asend(Request("GET", f"{base}/echo?delay=1", timeout=SHORT))
    with pytest.raises(ReadTimeout):
        await _fetch(
            transport, Request("GET", f"{base}/echo?n=200000&pause_at=1000&pause=1", timeout=SHORT)
        )
    with pytest.raises(ConnectionLostError):
        await _fetch(transport, Request("GET", f"{base}/echo?n=300000&cut=70000&reset=1"))
    with pytest.raises(TransportError):
        await _fetch(
            transport, Request("PUT", f"{base}/echo?reset_at=65536", body=_file_body(upload))
        )
    assert files_open(upload) in (0, None), "a failed upload left its file open"
    await _fetch(transport, Request("PUT", f"{base}/echo", body=_file_body(upload)))
    refused = Request("GET", f"http://127.0.0.1:{free_port()}/", timeout=SHORT)
    with pytest.raises(ConnectError):
        await transport.asend(refused)


class AsyncTransportContract(TaskCases, AsyncProxyCases, TransportFixtures):
    """Mix into a test class whose fixtures build the AsyncTransport backend under test."""

    def _run(self, factory: Factory, body: Body) -> None:
        """Build a transport, run ``body`` with it, close it."""
        EventLoop.once(lambda: _with_transport(factory, body))

    # -- bytes, headers, statuses -------------------------------------------------------------

    def test_random_exchanges_keep_status_headers_and_bytes(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        with EventLoop() as loop:
            built = loop.run(lambda: _build(async_transport_factory))
            try:

                @given(cases())
                def exchange(case: Case) -> None:
                    request = case.request(contract_server.url)
                    response, received = loop.run(lambda: _fetch(built, request))
                    check_echo(case, response, received)

                exchange()
            finally:
                loop.run(built.aclose)

    @pytest.mark.parametrize("mode", ["length", "chunked", "close"])
    def test_response_framings_deliver_the_whole_body(
        self, async_transport_factory: Factory, contract_server: ContractServer, mode: str
    ) -> None:
        url = f"{contract_server.url}/echo?n=300000&seed=1&mode={mode}&chunks=1,7,65536,100"

        async def body(transport: AsyncTransport) -> None:
            response, received = await _fetch(transport, Request("GET", url))
            assert response.status == 200
            check_payload(received, payload(1, 300000))

        self._run(async_transport_factory, body)

    def test_large_body_streams_in_pieces(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        size = 8 * 1024 * 1024
        url = f"{contract_server.url}/echo?n={size}&seed=2"

        async def body(transport: AsyncTransport) -> None:
            digest = hashlib.sha256()
            pieces = 0
            async with await transport.asend(Request("GET", url)) as response:
                async for chunk in response.aiter_bytes():
                    check_piece(chunk)
                    digest.update(chunk)
                    pieces += 1
            assert pieces > 1
            assert digest.hexdigest() == hashlib.sha256(payload(2, size)).hexdigest()

        self._run(async_transport_factory, body)

    @pytest.mark.parametrize("mode", ["length", "chunked"])
    def test_response_body_streams_before_the_server_sends_the_rest(
        self, async_transport_factory: Factory, contract_server: ContractServer, mode: str
    ) -> None:
        async def body(transport: AsyncTransport) -> None:
            with HeldAnswer(contract_server, mode, self.stream_wait) as held:
                async with await transport.asend(Request("GET", held.url)) as response:
                    async for piece in response.aiter_bytes():
                        held.seen(piece)
                held.check()

        self._run(async_transport_factory, body)

    @pytest.mark.parametrize("sized", [True, False], ids=["length", "chunked"])
    def test_request_body_streams_before_the_source_produces_the_rest(
        self, async_transport_factory: Factory, contract_server: ContractServer, sized: bool
    ) -> None:
        async def body(transport: AsyncTransport) -> None:
            with HeldUpload(contract_server, sized, self.stream_wait) as held:
                response, _ = await _fetch(transport, Request("PUT", held.url, body=held.body))
                held.check(response)

        self._run(async_transport_factory, body)

    def test_head_has_no_body(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        async def body(transport: AsyncTransport) -> None:
            request = Request("HEAD", f"{contract_server.url}/echo?n=5000")
            response, received = await _fetch(transport, request)
            assert (response.status, received) == (200, b"")
            assert response.headers.get("Content-Length") == "5000"

        self._run(async_transport_factory, body)

    def test_gzip_content_is_decoded(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        async def body(transport: AsyncTransport) -> None:
            url = f"{contract_server.url}/echo?n=100000&seed=3&gzip=1"
            request = Request("GET", url, Headers({"Accept-Encoding": "gzip"}))
            _, received = await _fetch(transport, request)
            check_payload(received, payload(3, 100000))

        self._run(async_transport_factory, body)

    def test_repeated_response_fields_are_kept(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        fields = '[["Set-Cookie","a=1"],["Set-Cookie","b=2"],["X-Many","1"],["x-many","2"]]'
        url = f"{contract_server.url}/echo?rh={quote(fields, safe='')}"

        async def body(transport: AsyncTransport) -> None:
            response, _ = await _fetch(transport, Request("GET", url))
            assert response.headers.get_all("set-cookie") == ["a=1", "b=2"]
            assert response.headers.get_all("X-MANY") == ["1", "2"]

        self._run(async_transport_factory, body)

    def test_repeated_request_fields_differing_in_case_all_arrive(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        sent = Headers([("X-Dup", "1"), ("x-dup", "2"), ("X-DUP", "3")])

        async def body(transport: AsyncTransport) -> None:
            request = Request("GET", f"{contract_server.url}/echo", sent)
            response, _ = await _fetch(transport, request)
            seen = echo_of(response)["headers"].get_all("x-dup")
            # RFC 9110 5.3 lets a sender fold them into one line; the sync contract allows it
            # (requests does), the async one asks for three lines.
            assert seen == ["1", "2", "3"]  # unasync: sync=assert ", ".join(seen) == "1, 2, 3"

        self._run(async_transport_factory, body)

    @pytest.mark.parametrize("target", VERBATIM_TARGETS)
    def test_request_target_is_sent_byte_for_byte(
        self, async_transport_factory: Factory, contract_server: ContractServer, target: str
    ) -> None:
        async def body(transport: AsyncTransport) -> None:
            request = Request("GET", contract_server.url + target)
            response, received = await _fetch(transport, request)
            assert response.status == 200
            assert echoed_target(received) == target

        self._run(async_transport_factory, body)

    @pytest.mark.parametrize(("url", "header"), BAD_REQUESTS)
    def test_bad_urls_and_headers_are_invalid_arguments(
        self, async_transport_factory: Factory, url: str, header: tuple[str, str]
    ) -> None:
        async def body(transport: AsyncTransport) -> None:
            with pytest.raises(InvalidArgumentError):
                await transport.asend(Request("GET", url, Headers([header]), timeout=SHORT))

        self._run(async_transport_factory, body)

    def test_sized_stream_body_is_sent_with_content_length(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        data = payload(4, 200000)
        sized = StreamBody(
            lambda: (data[i : i + 4096] for i in range(0, len(data), 4096)), len(data)
        )

        async def body(transport: AsyncTransport) -> None:
            request = Request("PUT", f"{contract_server.url}/echo", body=sized)
            response, _ = await _fetch(transport, request)
            echo = echo_of(response)
            assert echo["framing"] == "length"
            assert echo["headers"].get("Content-Length") == str(len(data))
            assert echo["sha256"] == hashlib.sha256(data).hexdigest()

        self._run(async_transport_factory, body)

    def test_no_body_sends_no_length_and_an_empty_body_sends_zero(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        """A GET without body carries neither Content-Length nor Transfer-Encoding (RFC 9110
        8.6: servers and proxies may refuse one); an empty POST says ``Content-Length: 0``."""
        url = f"{contract_server.url}/echo"

        async def body(transport: AsyncTransport) -> None:
            response, _ = await _fetch(transport, Request("GET", url))
            seen = echo_of(response)["headers"]
            assert "Content-Length" not in seen
            assert "Transfer-Encoding" not in seen
            response, _ = await _fetch(transport, Request("POST", url, body=b""))
            assert echo_of(response)["headers"].get("Content-Length") == "0"

        self._run(async_transport_factory, body)

    def test_request_body_errors_pass_through(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        failure = ValueError("the caller's body broke")
        url = f"{contract_server.url}/echo"

        def broken() -> Iterator[bytes]:
            yield b"first"
            raise failure

        async def body(transport: AsyncTransport) -> None:
            with pytest.raises(ValueError, match="body broke") as caught:
                await _fetch(transport, Request("POST", url, body=StreamBody(broken)))
            assert caught.value is failure
            response, _ = await _fetch(transport, Request("GET", url))
            assert response.status == 200

        self._run(async_transport_factory, body)

    # -- failures -----------------------------------------------------------------------------

    def test_refused_connection_is_connect_error(self, async_transport_factory: Factory) -> None:
        async def body(transport: AsyncTransport) -> None:
            refused = Request("GET", f"http://127.0.0.1:{free_port()}/", timeout=SHORT)
            with pytest.raises(ConnectError) as caught:
                await transport.asend(refused)
            assert caught.value.__cause__ is not None

        self._run(async_transport_factory, body)

    def test_connect_timeout(self, async_transport_factory: Factory) -> None:
        with Blackhole() as hole:
            if not hole.works:
                pytest.skip("this platform accepts connections beyond the listen backlog")
            request = Request("GET", hole.url + "/", timeout=Timeout(connect=0.3, read=5.0))

            async def body(transport: AsyncTransport) -> None:
                with pytest.raises(ConnectTimeout):
                    await transport.asend(request)

            self._run(async_transport_factory, body)

    def test_read_timeout_before_headers(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        request = Request("GET", f"{contract_server.url}/echo?delay=1.5", timeout=SHORT)

        async def body(transport: AsyncTransport) -> None:
            with pytest.raises(ReadTimeout) as caught:
                await transport.asend(request)
            assert caught.value.__cause__ is not None

        self._run(async_transport_factory, body)

    def test_read_timeout_mid_body(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        url = f"{contract_server.url}/echo?n=200000&pause_at=70000&pause=1.5"

        async def body(transport: AsyncTransport) -> None:
            response = await transport.asend(Request("GET", url, timeout=SHORT))
            with pytest.raises(ReadTimeout):
                await response.aread()
            assert response.is_closed

        self._run(async_transport_factory, body)

    def test_a_head_cut_at_a_line_boundary_is_connection_lost(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        """A head with no blank line before a clean close is no complete (empty) answer."""
        url = f"{contract_server.url}/echo?mode=close&cut_head=1"

        async def body(transport: AsyncTransport) -> None:
            with pytest.raises(ConnectionLostError):
                await _fetch(transport, Request("GET", url, timeout=SHORT))

        self._run(async_transport_factory, body)

    @pytest.mark.parametrize(("mode", "size", "cut"), CUT_BODIES)
    def test_body_cut_short_is_connection_lost(
        self,
        async_transport_factory: Factory,
        contract_server: ContractServer,
        mode: str,
        size: int,
        cut: int,
    ) -> None:
        url = f"{contract_server.url}/echo?n={size}&mode={mode}&cut={cut}"

        async def body(transport: AsyncTransport) -> None:
            with pytest.raises(ConnectionLostError) as caught:
                await _fetch(transport, Request("GET", url, timeout=SHORT))
            assert caught.value.__cause__ is not None
            response, _ = await _fetch(transport, Request("GET", f"{contract_server.url}/echo"))
            assert response.status == 200

        self._run(async_transport_factory, body)

    # -- redirects ----------------------------------------------------------------------------

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    @pytest.mark.parametrize("method", ["GET", "HEAD"])
    def test_redirects_are_followed(
        self,
        async_transport_factory: Factory,
        contract_server: ContractServer,
        status: int,
        method: str,
    ) -> None:
        url = f"{contract_server.url}/redirect?n=2&status={status}&to=%2Fecho%3Fstatus%3D201"

        async def body(transport: AsyncTransport) -> None:
            response, _ = await _fetch(transport, Request(method, url))
            assert response.status == 201
            assert echo_of(response)["method"] == method
            assert response.url == f"{contract_server.url}/echo?status=201"

        self._run(async_transport_factory, body)

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    def test_post_redirect_is_not_followed(
        self, async_transport_factory: Factory, contract_server: ContractServer, status: int
    ) -> None:
        url = f"{contract_server.url}/redirect?status={status}"

        async def body(transport: AsyncTransport) -> None:
            response, received = await _fetch(transport, Request("POST", url, body=b"x"))
            assert (response.status, received) == (status, b"redirecting")
            assert response.headers.get("Location") == "/echo"

        self._run(async_transport_factory, body)

    def test_too_many_redirects(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        async def body(transport: AsyncTransport) -> None:
            with pytest.raises(TooManyRedirectsError):
                await transport.asend(Request("GET", f"{contract_server.url}/redirect?n=11"))

        self._run(async_transport_factory, body)

    def test_max_redirects_option(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        base = contract_server.url

        async def body(transport: AsyncTransport) -> None:
            response, _ = await _fetch(transport, Request("GET", f"{base}/redirect?n=1"))
            assert response.status == 200
            with pytest.raises(TooManyRedirectsError):
                await transport.asend(Request("GET", f"{base}/redirect?n=2"))

        self._run(lambda: async_transport_factory(max_redirects=2), body)

    def test_cross_host_redirect_drops_credentials(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        secrets = {"Authorization": "Bearer s3cret", "Cookie": "k=v", "X-Keep": "1"}
        targets = [(contract_server.other_host_url, False), (contract_server.url, True)]

        async def body(transport: AsyncTransport) -> None:
            for target, kept in targets:
                url = f"{contract_server.url}/redirect?to={target}%2Fecho"
                response, _ = await _fetch(transport, Request("GET", url, Headers(secrets)))
                seen = echo_of(response)["headers"]
                assert response.url == f"{target}/echo"
                assert seen.get("X-Keep") == "1"
                assert (seen.get("Authorization") == "Bearer s3cret") is kept
                assert (seen.get("Cookie") == "k=v") is kept

        self._run(async_transport_factory, body)

    # -- lifecycle ----------------------------------------------------------------------------

    def test_close_twice_and_use_after_close(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        request = Request("GET", f"{contract_server.url}/echo")

        async def body() -> None:
            built = async_transport_factory()
            await _fetch(built, request)
            for _ in range(2):
                await built.aclose()
            with pytest.raises(TransportClosedError):
                await built.asend(request)

        EventLoop.once(body)

    def test_context_manager_closes(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        url = f"{contract_server.url}/echo"

        async def body() -> None:
            async with async_transport_factory() as built:
                await _fetch(built, Request("GET", url))
            with pytest.raises(TransportClosedError):
                await built.asend(Request("GET", url))

        EventLoop.once(body)

    def test_response_closed_early_leaves_transport_usable(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        base = contract_server.url

        async def body(transport: AsyncTransport) -> None:
            for _ in range(3):
                response = await transport.asend(Request("GET", f"{base}/echo?n=3000000"))
                await response.aiter_bytes().__anext__()
                await response.aclose()
                with pytest.raises(TransportClosedError):
                    await response.aread()
            _, received = await _fetch(transport, Request("GET", f"{base}/echo?n=10&seed=5"))
            assert received == payload(5, 10)

        self._run(async_transport_factory, body)

    def test_caller_owned_session_is_left_open(
        self, async_session_transport_factory: AsyncSessionFactory, contract_server: ContractServer
    ) -> None:
        url = f"{contract_server.url}/echo"

        async def body() -> None:
            built, probe = await async_session_transport_factory()
            await _fetch(built, Request("GET", url))
            await built.aclose()
            assert await probe(url) == 200

        EventLoop.once(body)

    def test_sequential_requests_reuse_a_connection(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        request = Request("GET", f"{contract_server.url}/echo?n=1000")

        async def body(transport: AsyncTransport) -> None:
            await _fetch(transport, request)
            before = contract_server.connections_accepted
            for _ in range(10):
                await _fetch(transport, request)
            assert contract_server.connections_accepted == before

        self._run(async_transport_factory, body)

    def test_close_releases_every_handle_without_the_garbage_collector(
        self, async_transport_factory: Factory, contract_server: ContractServer, tmp_path: Path
    ) -> None:
        """Sockets, the uploaded file and threads go at close, with ``gc`` off (issue 13):
        nothing may wait for a reference cycle to be collected."""
        upload = tmp_path / "upload.bin"
        upload.write_bytes(payload(6, 4 * 1024 * 1024))
        port = contract_server.port
        gc.collect()
        threads = own_threads()
        sockets = client_sockets(port)
        gc.disable()
        try:
            self._run(
                async_transport_factory,
                lambda transport: _faulted_exchanges(transport, contract_server.url, upload),
            )
            assert files_open(upload) in (0, None), "the uploaded file is still open"
            assert client_sockets(port) == sockets, "a socket to the server is still open"
            assert wait_until(lambda: own_threads() <= threads), own_threads() - threads
        finally:
            gc.enable()

    @pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
    def test_a_forked_child_never_shares_the_parents_connections(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        """A transport used before ``os.fork()`` is safe in the child (issue 16): the child
        opens connections of its own, and parent and children all get every byte."""
        base = contract_server.url
        children = 4

        async def use(transport: AsyncTransport, seed: int) -> None:
            for n in range(3):
                url = f"{base}/echo?n=300000&seed={seed + n}&chunks=7000"
                _, received = await _fetch(transport, Request("GET", url))
                check_payload(received, payload(seed + n, 300000))

        with EventLoop() as loop:
            built = loop.run(lambda: _build(async_transport_factory))
            try:
                loop.run(lambda: use(built, 10))  # the parent keeps an idle connection
                before = contract_server.connections_accepted

                async def child(k: int) -> None:
                    await use(built, 20 + 3 * k)

                pids = [forked(partial(EventLoop.once, partial(child, k))) for k in range(children)]
                assert [exit_status(pid) for pid in pids] == [0] * children
                assert contract_server.connections_accepted >= before + children
                loop.run(lambda: use(built, 40))
            finally:
                loop.run(built.aclose)

    def test_no_leaked_connections_or_descriptors(
        self, async_transport_factory: Factory, contract_server: ContractServer
    ) -> None:
        base = contract_server.url
        assert wait_until(lambda: server_idle(contract_server))
        before = open_fd_count()

        async def body(transport: AsyncTransport) -> None:
            for _ in range(5):
                await _fetch(transport, Request("GET", f"{base}/echo?n=100000"))
            await (await transport.asend(Request("GET", f"{base}/echo?n=3000000"))).aclose()
            with pytest.raises(TransportError):
                await _fetch(transport, Request("GET", f"{base}/echo?n=5000&cut=100"))
            with pytest.raises(TransportError):
                await transport.asend(Request("GET", f"{base}/echo?delay=1", timeout=SHORT))
            refused = Request("GET", f"http://127.0.0.1:{free_port()}/", timeout=SHORT)
            with pytest.raises(TransportError):
                await transport.asend(refused)
            await _fetch(transport, Request("GET", f"{base}/redirect?n=3"))

        self._run(async_transport_factory, body)
        assert wait_until(lambda: server_idle(contract_server))
        if before is not None:
            assert wait_until(lambda: (open_fd_count() or 0) <= before), (before, open_fd_count())
