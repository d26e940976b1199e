"""The contract every synchronous backend passes: same bytes, same errors, same lifecycle."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
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
from dicomkit.core.interface import Headers, Request, StreamBody, Timeout, Transport
from dicomkit.testing._contract_server import Blackhole, ContractServer, payload
from dicomkit.testing.contract._fixtures import SessionFactory, TransportFixtures
from dicomkit.testing.contract._support import (
    BAD_REQUESTS,
    CUT_BODIES,
    VERBATIM_TARGETS,
    Case,
    cases,
    check_echo,
    check_payload,
    echo_of,
    echoed_target,
    open_fd_count,
    wait_until,
)

__all__ = ["TransportContract"]

SHORT = Timeout(connect=5.0, read=0.5)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _read_all(transport: Transport, request: Request) -> bytes:
    with transport.send(request) as response:
        return response.read()


class TransportContract(TransportFixtures):
    """Mix into a test class whose fixtures build the sync backend under test."""

    # -- bytes, headers, statuses -------------------------------------------------------------

    def test_random_exchanges_keep_status_headers_and_bytes(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        @given(cases())
        def exchange(case: Case) -> None:
            with transport.send(case.request(contract_server.url)) as response:
                received = b"".join(response.iter_bytes())
            check_echo(case, response, received)

        exchange()

    @pytest.mark.parametrize("mode", ["length", "chunked", "close"])
    def test_response_framings_deliver_the_whole_body(
        self, transport: Transport, contract_server: ContractServer, mode: str
    ) -> None:
        url = f"{contract_server.url}/echo?n=300000&seed=1&mode={mode}&chunks=1,7,65536,100"
        with transport.send(Request("GET", url)) as response:
            assert response.status == 200
            check_payload(response.read(), payload(1, 300000))

    def test_large_body_streams_in_pieces(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        size = 8 * 1024 * 1024
        url = f"{contract_server.url}/echo?n={size}&seed=2"
        digest = hashlib.sha256()
        pieces = 0
        with transport.send(Request("GET", url)) as response:
            for chunk in response.iter_bytes():
                assert len(chunk) <= 4 * 1024 * 1024
                digest.update(chunk)
                pieces += 1
        assert pieces > 1
        assert digest.hexdigest() == hashlib.sha256(payload(2, size)).hexdigest()

    def test_head_has_no_body(self, transport: Transport, contract_server: ContractServer) -> None:
        with transport.send(Request("HEAD", f"{contract_server.url}/echo?n=5000")) as response:
            assert response.status == 200
            assert response.read() == b""
            assert response.headers.get("Content-Length") == "5000"

    def test_gzip_content_is_decoded(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        url = f"{contract_server.url}/echo?n=100000&seed=3&gzip=1"
        with transport.send(Request("GET", url, Headers({"Accept-Encoding": "gzip"}))) as response:
            check_payload(response.read(), payload(3, 100000))

    def test_repeated_response_fields_are_kept(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        fields = '[["Set-Cookie","a=1"],["Set-Cookie","b=2"],["X-Many","1"],["x-many","2"]]'
        url = f"{contract_server.url}/echo?rh={quote(fields, safe='')}"
        with transport.send(Request("GET", url)) as response:
            response.read()
        assert response.headers.get_all("set-cookie") == ["a=1", "b=2"]
        assert response.headers.get_all("X-MANY") == ["1", "2"]

    def test_repeated_request_fields_differing_in_case_all_arrive(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        sent = Headers([("X-Dup", "1"), ("x-dup", "2"), ("X-DUP", "3")])
        with transport.send(Request("GET", f"{contract_server.url}/echo", sent)) as response:
            response.read()
        # RFC 9110 5.3 lets a sender fold them into one line (requests does): same meaning.
        assert ", ".join(echo_of(response)["headers"].get_all("x-dup")) == "1, 2, 3"

    @pytest.mark.parametrize("target", VERBATIM_TARGETS)
    def test_request_target_is_sent_byte_for_byte(
        self, transport: Transport, contract_server: ContractServer, target: str
    ) -> None:
        with transport.send(Request("GET", contract_server.url + target)) as response:
            assert response.status == 200
            assert echoed_target(response.read()) == target

    @pytest.mark.parametrize(("url", "header"), BAD_REQUESTS)
    def test_bad_urls_and_headers_are_invalid_arguments(
        self, transport: Transport, url: str, header: tuple[str, str]
    ) -> None:
        with pytest.raises(InvalidArgumentError):
            transport.send(Request("GET", url, Headers([header]), timeout=SHORT))

    def test_sized_stream_body_is_sent_with_content_length(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        data = payload(4, 200000)
        body = StreamBody(
            lambda: (data[i : i + 4096] for i in range(0, len(data), 4096)), len(data)
        )
        with transport.send(Request("PUT", f"{contract_server.url}/echo", body=body)) as response:
            response.read()
        echo = echo_of(response)
        assert echo["framing"] == "length"
        assert echo["headers"].get("Content-Length") == str(len(data))
        assert echo["sha256"] == hashlib.sha256(data).hexdigest()

    def test_request_body_errors_pass_through(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        failure = ValueError("the caller's body broke")

        def broken() -> Iterator[bytes]:
            yield b"first"
            raise failure

        request = Request("POST", f"{contract_server.url}/echo", body=StreamBody(broken))
        with pytest.raises(ValueError, match="body broke") as caught:
            transport.send(request).close()
        assert caught.value is failure
        with transport.send(Request("GET", f"{contract_server.url}/echo")) as response:
            assert response.status == 200

    # -- failures -----------------------------------------------------------------------------

    def test_refused_connection_is_connect_error(self, transport: Transport) -> None:
        with pytest.raises(ConnectError) as caught:
            transport.send(Request("GET", f"http://127.0.0.1:{_free_port()}/", timeout=SHORT))
        assert caught.value.__cause__ is not None

    def test_connect_timeout(self, transport: Transport) -> None:
        with Blackhole() as hole:
            if not hole.works:
                pytest.skip("this platform accepts connections beyond the listen backlog")
            request = Request("GET", hole.url + "/", timeout=Timeout(connect=0.3, read=5.0))
            with pytest.raises(ConnectTimeout):
                transport.send(request)

    def test_read_timeout_before_headers(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        request = Request("GET", f"{contract_server.url}/echo?delay=1.5", timeout=SHORT)
        with pytest.raises(ReadTimeout) as caught:
            transport.send(request)
        assert caught.value.__cause__ is not None

    def test_read_timeout_mid_body(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        url = f"{contract_server.url}/echo?n=200000&pause_at=70000&pause=1.5"
        response = transport.send(Request("GET", url, timeout=SHORT))
        with pytest.raises(ReadTimeout):
            response.read()
        assert response.is_closed

    @pytest.mark.parametrize(("mode", "size", "cut"), CUT_BODIES)
    def test_body_cut_short_is_connection_lost(
        self, transport: Transport, contract_server: ContractServer, mode: str, size: int, cut: int
    ) -> None:
        url = f"{contract_server.url}/echo?n={size}&mode={mode}&cut={cut}"
        with pytest.raises(ConnectionLostError) as caught:
            _read_all(transport, Request("GET", url, timeout=SHORT))
        assert caught.value.__cause__ is not None
        with transport.send(Request("GET", f"{contract_server.url}/echo")) as response:
            assert response.status == 200

    # -- redirects ----------------------------------------------------------------------------

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    @pytest.mark.parametrize("method", ["GET", "HEAD"])
    def test_redirects_are_followed(
        self, transport: Transport, contract_server: ContractServer, status: int, method: str
    ) -> None:
        url = f"{contract_server.url}/redirect?n=2&status={status}&to=%2Fecho%3Fstatus%3D201"
        with transport.send(Request(method, url)) as response:
            response.read()
        assert response.status == 201
        assert echo_of(response)["method"] == method
        assert response.url == f"{contract_server.url}/echo?status=201"

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    def test_post_redirect_is_not_followed(
        self, transport: Transport, contract_server: ContractServer, status: int
    ) -> None:
        url = f"{contract_server.url}/redirect?status={status}"
        with transport.send(Request("POST", url, body=b"x")) as response:
            assert response.status == status
            assert response.headers.get("Location") == "/echo"
            assert response.read() == b"redirecting"

    def test_too_many_redirects(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        with pytest.raises(TooManyRedirectsError):
            transport.send(Request("GET", f"{contract_server.url}/redirect?n=11"))

    def test_max_redirects_option(
        self, transport_factory: Callable[..., Transport], contract_server: ContractServer
    ) -> None:
        with transport_factory(max_redirects=2) as built:
            with built.send(Request("GET", f"{contract_server.url}/redirect?n=1")) as response:
                assert response.status == 200
            with pytest.raises(TooManyRedirectsError):
                built.send(Request("GET", f"{contract_server.url}/redirect?n=2"))

    def test_cross_host_redirect_drops_credentials(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        secrets = {"Authorization": "Bearer s3cret", "Cookie": "k=v", "X-Keep": "1"}
        for target, kept in [(contract_server.other_host_url, False), (contract_server.url, True)]:
            url = f"{contract_server.url}/redirect?to={target}%2Fecho"
            with transport.send(Request("GET", url, Headers(secrets))) as response:
                response.read()
            seen = echo_of(response)["headers"]
            assert response.url == f"{target}/echo"
            assert seen.get("X-Keep") == "1"
            assert (seen.get("Authorization") == "Bearer s3cret") is kept
            assert (seen.get("Cookie") == "k=v") is kept

    # -- lifecycle ----------------------------------------------------------------------------

    def test_close_twice_and_use_after_close(
        self, transport_factory: Callable[..., Transport], contract_server: ContractServer
    ) -> None:
        built = transport_factory()
        with built.send(Request("GET", f"{contract_server.url}/echo")) as response:
            response.read()
        built.close()
        built.close()
        with pytest.raises(TransportClosedError):
            built.send(Request("GET", f"{contract_server.url}/echo"))

    def test_context_manager_closes(
        self, transport_factory: Callable[..., Transport], contract_server: ContractServer
    ) -> None:
        with transport_factory() as built:
            built.send(Request("GET", f"{contract_server.url}/echo")).close()
        with pytest.raises(TransportClosedError):
            built.send(Request("GET", f"{contract_server.url}/echo"))

    def test_response_closed_early_leaves_transport_usable(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        for _ in range(3):
            response = transport.send(Request("GET", f"{contract_server.url}/echo?n=3000000"))
            next(response.iter_bytes())
            response.close()
            with pytest.raises(TransportClosedError):
                response.read()
        with transport.send(Request("GET", f"{contract_server.url}/echo?n=10&seed=5")) as last:
            assert last.read() == payload(5, 10)

    def test_caller_owned_session_is_left_open(
        self, session_transport_factory: SessionFactory, contract_server: ContractServer
    ) -> None:
        built, probe = session_transport_factory()
        with built.send(Request("GET", f"{contract_server.url}/echo")) as response:
            response.read()
        built.close()
        assert probe(f"{contract_server.url}/echo") == 200

    def test_sequential_requests_reuse_a_connection(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        url = f"{contract_server.url}/echo?n=1000"
        transport.send(Request("GET", url)).read()
        before = contract_server.connections_accepted
        for _ in range(10):
            with transport.send(Request("GET", url)) as response:
                response.read()
        assert contract_server.connections_accepted == before

    def test_eight_threads_share_one_transport(
        self, transport: Transport, contract_server: ContractServer
    ) -> None:
        failures: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                for round_ in range(12):
                    data = payload(worker, 1000 * round_ + worker)
                    url = f"{contract_server.url}/echo?n={len(data)}&seed={round_ % 4}"
                    with transport.send(Request("POST", url, body=data)) as response:
                        received = response.read()
                    assert echo_of(response)["sha256"] == hashlib.sha256(data).hexdigest()
                    check_payload(received, payload(round_ % 4, len(data)))
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []

    def test_no_leaked_connections_or_descriptors(
        self, transport_factory: Callable[..., Transport], contract_server: ContractServer
    ) -> None:
        assert wait_until(lambda: contract_server.open_connections == 0)
        before = open_fd_count()
        built = transport_factory()
        base = contract_server.url
        for _ in range(5):
            built.send(Request("GET", f"{base}/echo?n=100000")).read()
        built.send(Request("GET", f"{base}/echo?n=3000000")).close()
        with pytest.raises(TransportError):
            built.send(Request("GET", f"{base}/echo?n=5000&cut=100")).read()
        with pytest.raises(TransportError):
            built.send(Request("GET", f"{base}/echo?delay=1", timeout=SHORT))
        with pytest.raises(TransportError):
            built.send(Request("GET", f"http://127.0.0.1:{_free_port()}/", timeout=SHORT))
        built.send(Request("GET", f"{base}/redirect?n=3")).read()
        built.close()
        del built
        assert wait_until(lambda: contract_server.open_connections == 0)
        if before is not None:
            assert wait_until(lambda: (open_fd_count() or 0) <= before), (before, open_fd_count())
