"""What the contract suite cannot see of the stdlib backend: its pool, its decoder, its
two error tables, and what it writes on the wire."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import errors
from dicomkit.core.interface import Headers, Request, StreamBody, Timeout
from dicomkit.testing._contract_server import ContractServer, payload
from dicomkit.transports import _stdlib, _urllib3
from dicomkit.transports._stdlib import CONNECT_ERRORS, EXCHANGE_ERRORS, StdlibTransport
from dicomkit.transports._stdlib_decode import decoded
from dicomkit.transports._stdlib_pool import connection_for, route
from dicomkit.transports._wire import BrokenAnswer

Handler = Callable[[socket.socket], None]


@pytest.fixture
def server() -> Iterator[ContractServer]:
    with ContractServer() as running:
        yield running


class RawServer:
    """A loopback server running ``handler`` on each connection it accepts, in turn."""

    def __init__(self, handler: Handler) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._handler = handler
        self._stop = threading.Event()
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            with conn:
                self._handler(conn)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            break
        data += piece
    return data


# -- the pool --------------------------------------------------------------------------------


def _idle(transport: StdlibTransport) -> int:
    pool = transport._pools.peek()
    return 0 if pool is None else sum(len(held) for held in pool._idle.values())


def test_at_most_pool_maxsize_idle_connections_are_kept(server: ContractServer) -> None:
    with StdlibTransport(pool_maxsize=2) as transport:
        held = [transport.send(Request("GET", f"{server.url}/echo?n=10")) for _ in range(4)]
        assert server.connections_accepted == 4
        for response in held:
            response.read()
        assert _idle(transport) == 2


def test_an_answer_not_read_to_the_end_closes_its_connection(server: ContractServer) -> None:
    with StdlibTransport() as transport:
        transport.send(Request("GET", f"{server.url}/echo?n=10")).read()
        before = server.connections_accepted
        response = transport.send(Request("GET", f"{server.url}/echo?n=3000000"))
        next(response.iter_bytes())
        response.close()
        assert _idle(transport) == 0
        transport.send(Request("GET", f"{server.url}/echo?n=10")).read()
        assert server.connections_accepted == before + 1


def _answer_once_then_close(conn: socket.socket) -> None:
    _read_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    with RawServer(_answer_once_then_close) as raw, StdlibTransport() as transport:
        for _ in range(3):
            assert transport.send(Request("GET", f"{raw.url}/")).read() == b"ok"
            time.sleep(0.05)  # the server's FIN arrives (a request racing it fails, as urllib3's)
        assert raw.accepted == 3


def test_a_closed_transport_closes_connections_given_back(server: ContractServer) -> None:
    transport = StdlibTransport()
    response = transport.send(Request("GET", f"{server.url}/echo?n=10"))
    transport.close()
    assert response.read()
    assert _idle(transport) == 0
    with pytest.raises(errors.TransportClosedError):
        transport.send(Request("GET", f"{server.url}/echo"))


# -- the wire --------------------------------------------------------------------------------


def _answer_early(conn: socket.socket) -> None:
    """Refuse an upload after its head, without reading the body, as a server over quota."""
    _read_head(conn)
    conn.sendall(b"HTTP/1.1 413 Too Large\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbig!")


def test_an_answer_before_the_whole_body_was_sent_is_the_result() -> None:
    body = b"x" * (32 * 1024 * 1024)  # far more than the socket buffers hold
    with RawServer(_answer_early) as raw, StdlibTransport() as transport:
        response = transport.send(Request("PUT", f"{raw.url}/", body=body))
        assert (response.status, response.read()) == (413, b"big!")


def _header_too_long(conn: socket.socket) -> None:
    _read_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 100_000 + b"\r\n\r\n")


def _answer_with_length(field: bytes) -> Handler:
    def handler(conn: socket.socket) -> None:
        _read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: " + field + b"\r\n\r\nhello")
        _read_head(conn)  # keep the connection open until the client closes it

    return handler


def test_a_content_length_repeated_with_one_value_is_that_length() -> None:
    with RawServer(_answer_with_length(b"5, 5")) as raw, StdlibTransport() as transport:
        request = Request("GET", f"{raw.url}/", timeout=Timeout(5, 2))
        assert transport.send(request).read() == b"hello"


@pytest.mark.parametrize("field", [b"5, 6", b"-5", b"five"])
def test_a_content_length_that_is_not_one_length_is_a_protocol_error(field: bytes) -> None:
    """Refused with the head: the body's end cannot be known, so none of it is handed out."""
    with (
        RawServer(_answer_with_length(field)) as raw,
        StdlibTransport() as transport,
        pytest.raises(errors.ProtocolError, match="Content-Length"),
    ):
        transport.send(Request("GET", f"{raw.url}/", timeout=Timeout(5, 2)))


def test_a_header_line_too_long_is_connection_lost() -> None:
    with RawServer(_header_too_long) as raw, StdlibTransport() as transport:
        with pytest.raises(errors.ConnectionLostError) as caught:
            transport.send(Request("GET", f"{raw.url}/", timeout=Timeout(5, 5)))
        assert isinstance(caught.value.__cause__, BrokenAnswer)
        assert "longer than" in str(caught.value)


def test_a_target_with_characters_outside_printable_ascii_is_percent_encoded(
    server: ContractServer,
) -> None:
    with StdlibTransport() as transport:
        response = transport.send(Request("GET", f"{server.url}/echo?q=caf\u00e9 au lait#frag"))
        assert response.status == 200
        assert b'"target": "/echo?q=caf%C3%A9%20au%20lait"' in response.read()


def test_a_proxy_with_credentials_gets_them_basic_in_both_forms() -> None:
    proxy = "http://us%40er:p%3Ass@proxy.example:3128"
    plain = route("http://pacs.example/dicom-web", proxy)
    assert plain.absolute
    assert plain.proxy_fields == (("Proxy-Authorization", "Basic dXNAZXI6cDpzcw=="),)
    tunnelled = route("https://pacs.example/dicom-web", proxy)
    assert not tunnelled.absolute
    assert tunnelled.proxy_fields == ()
    connection = connection_for(tunnelled.key, 1.0, ssl.create_default_context)
    assert (connection.host, connection.port) == ("proxy.example", 3128)
    assert connection._tunnel_host == "pacs.example"  # type: ignore[attr-defined]
    assert connection._tunnel_headers == {  # type: ignore[attr-defined]
        "Proxy-Authorization": "Basic dXNAZXI6cDpzcw=="
    }


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://[::1]:8080/x", "[::1]:8080"),
        ("https://pacs.example:443/x", "pacs.example"),
        ("http://b\u00fccher.example/x", "xn--bcher-kva.example"),
    ],
)
def test_host_field(url: str, host: str) -> None:
    assert route(url, None).host_field == host


def test_a_callers_content_length_frames_an_unsized_stream(server: ContractServer) -> None:
    body = StreamBody(lambda: iter([b"hel", b"lo"]))
    request = Request("PUT", f"{server.url}/echo", Headers({"Content-Length": "5"}), body)
    with StdlibTransport() as transport, transport.send(request) as response:
        assert response.headers.get("X-Echo-Framing") == "length"
        assert response.headers.get("X-Echo-Sha256") == hashlib.sha256(b"hello").hexdigest()


@pytest.mark.parametrize("given", [b"hell", b"hello!"], ids=["fewer", "more"])
def test_a_stream_that_breaks_its_declared_length_is_refused(
    server: ContractServer, given: bytes
) -> None:
    body = StreamBody(lambda: iter([given[:2], given[2:]]), 5)
    with StdlibTransport() as transport:
        with pytest.raises(errors.InvalidArgumentError, match="declared"):
            transport.send(Request("PUT", f"{server.url}/echo", body=body, timeout=Timeout(5, 5)))
        assert _idle(transport) == 0
        assert transport.send(Request("GET", f"{server.url}/echo?n=3")).read() == payload(0, 3)


def test_a_method_that_is_no_token_is_refused() -> None:
    with StdlibTransport() as transport, pytest.raises(errors.InvalidArgumentError):
        transport.send(Request("GET /x HTTP/1.1\r\nX-A:", "http://127.0.0.1:1/"))


# -- the decoder -----------------------------------------------------------------------------


def _compressed(data: bytes, form: str) -> bytes:
    if form == "gzip":
        return gzip.compress(data)
    if form == "gzip-members":
        half = len(data) // 2
        return gzip.compress(data[:half]) + gzip.compress(data[half:])
    if form == "zlib":
        return zlib.compress(data)
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return raw.compress(data) + raw.flush()


def _pieces(blob: bytes, cuts: list[int]) -> Iterator[bytes]:
    start = 0
    for cut in sorted({c % (len(blob) + 1) for c in cuts}):
        yield blob[start:cut]
        start = cut
    yield blob[start:]


@given(
    data=st.binary(max_size=20000) | st.integers(0, 300000).map(lambda n: b"\0" * n),
    form=st.sampled_from(["gzip", "gzip-members", "zlib", "raw-deflate"]),
    cuts=st.lists(st.integers(0, 10**6), max_size=6),
    size=st.integers(1, 70000),
)
def test_decoded_pieces_are_the_data_and_never_larger_than_asked(
    data: bytes, form: str, cuts: list[int], size: int
) -> None:
    coding = "gzip" if form.startswith("gzip") else "deflate"
    out = list(decoded(_pieces(_compressed(data, form), cuts), coding, size))
    assert b"".join(out) == data
    assert all(0 < len(piece) <= size for piece in out)


@given(data=st.binary(min_size=1, max_size=5000), keep=st.floats(0.05, 0.95))
def test_a_cut_gzip_stream_is_an_error(data: bytes, keep: float) -> None:
    blob = gzip.compress(data)
    with pytest.raises(zlib.error):
        list(decoded(iter([blob[: max(1, int(len(blob) * keep))]]), "gzip", 1024))


@pytest.mark.parametrize("size", [1, 3, 65536])
def test_gzip_members_split_anywhere_between_pieces(size: int) -> None:
    """A member may end exactly where a piece ends, and the next magic be split in two."""
    first, second = gzip.compress(b"dicom" * 7), gzip.compress(b"web" * 11)
    blob = first + second
    for cut in (len(first), len(first) + 1, len(first) - 1):
        out = list(decoded(iter([blob[:cut], blob[cut:]]), "gzip", size))
        assert b"".join(out) == b"dicom" * 7 + b"web" * 11
    many = gzip.compress(b"a") * 5000  # one piece of many members: no recursion per member
    assert b"".join(decoded(iter([many]), "gzip", size)) == b"a" * 5000


def test_bytes_after_the_last_gzip_member_are_ignored_and_garbage_is_an_error() -> None:
    blob = gzip.compress(b"dicom")
    assert b"".join(decoded(iter([blob + b"\0\0trailing"]), "gzip", 10)) == b"dicom"
    with pytest.raises(zlib.error):
        list(decoded(iter([b"not gzip at all"]), "gzip", 10))
    assert list(decoded(iter([b""]), "gzip", 10)) == []


def test_gzip_answers_come_decoded_in_chunk_size_pieces(server: ContractServer) -> None:
    url = f"{server.url}/echo?n=300000&seed=3&gzip=1"
    with StdlibTransport(chunk_size=4096) as transport:
        response = transport.send(Request("GET", url, Headers({"Accept-Encoding": "gzip"})))
        assert response.headers.get("Content-Encoding") == "gzip"
        pieces = list(response.iter_bytes())
    assert sum(map(len, pieces)) == 300000
    assert max(map(len, pieces)) <= 4096


def test_an_undecodable_answer_is_a_protocol_error() -> None:
    def handler(conn: socket.socket) -> None:
        _read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nnope!")

    with RawServer(handler) as raw, StdlibTransport() as transport:
        response = transport.send(Request("GET", f"{raw.url}/"))
        with pytest.raises(errors.ProtocolError):
            response.read()


# -- the two error tables ----------------------------------------------------------------------


def _translated(translator: object, exc: BaseException) -> BaseException:
    with pytest.raises(errors.DicomkitError) as caught, translator.translated():  # type: ignore[attr-defined]
        raise exc
    assert caught.value.__cause__ is exc
    return caught.value


CONNECTING = [
    (TimeoutError("timed out"), errors.ConnectTimeout),
    (ConnectionRefusedError(111, "refused"), errors.ConnectError),
    (socket.gaierror(-2, "Name or service not known"), errors.ConnectError),
    (ConnectionResetError(104, "reset"), errors.ConnectError),
    (OSError("Tunnel connection failed: 407 Proxy Authentication Required"), errors.ConnectError),
    (http.client.RemoteDisconnected("proxy hung up"), errors.ConnectError),
    (ssl.SSLCertVerificationError("certificate verify failed"), errors.TLSError),
    (ssl.SSLError("handshake failure"), errors.TLSError),
    (UnicodeError("label too long"), errors.InvalidArgumentError),
]

EXCHANGING = [
    (TimeoutError("timed out"), errors.ReadTimeout),
    (http.client.IncompleteRead(b"", 10), errors.ConnectionLostError),
    (http.client.RemoteDisconnected("closed"), errors.ConnectionLostError),
    (http.client.BadStatusLine("garbage"), errors.ConnectionLostError),
    (http.client.LineTooLong("header line"), errors.ConnectionLostError),
    (ConnectionResetError(104, "reset"), errors.ConnectionLostError),
    (BrokenPipeError(32, "broken pipe"), errors.ConnectionLostError),
    (ssl.SSLError("bad record mac"), errors.TLSError),
    (zlib.error("invalid stored block lengths"), errors.ProtocolError),
]


@pytest.mark.parametrize(("original", "expected"), CONNECTING, ids=lambda v: repr(v)[:40])
def test_what_connecting_raises(original: BaseException, expected: type[Exception]) -> None:
    assert type(_translated(CONNECT_ERRORS, original)) is expected


@pytest.mark.parametrize(("original", "expected"), EXCHANGING, ids=lambda v: repr(v)[:40])
def test_what_an_exchange_raises(original: BaseException, expected: type[Exception]) -> None:
    assert type(_translated(EXCHANGE_ERRORS, original)) is expected


def test_a_timeout_after_connecting_is_read_timeout_for_urllib3_too() -> None:
    """One entry, two backends: the kind is decided in ``after_connect_table``."""
    for translator in (_stdlib.EXCHANGE_ERRORS, _urllib3.URLLIB3_ERRORS):
        assert type(_translated(translator, TimeoutError("slow"))) is errors.ReadTimeout
