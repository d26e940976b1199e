"""The toolkit for every kind of library: lifecycle, error codes, read(size), raw head lines,
piece joining, the read-timeout watchdog (dicomkit.transports.support)."""

from __future__ import annotations

import asyncio
import ssl
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import errors
from dicomkit.core.interface import AsyncTransport, Request, Response, Transport
from dicomkit.transports.support import (
    MAX_PIECE,
    ChunkReader,
    ExceptionTranslator,
    HeadParser,
    ReadWatchdog,
    TransportLifecycle,
    join_pieces,
    tls_alert,
)

_pieces = st.lists(st.binary(max_size=300), max_size=20)


# -- lifecycle ------------------------------------------------------------------------------


class _Both(TransportLifecycle, Transport, AsyncTransport):
    def __init__(self) -> None:
        super().__init__("mylib")
        self.released = 0

    def _release(self) -> None:
        self.released += 1

    def send(self, request: Request) -> Response:
        self.check_open()
        return Response(200, stream=[b"ok"], request=request)

    async def asend(self, request: Request) -> Response:
        self.check_open()
        return Response(200, stream=[b"ok"], request=request)


def test_lifecycle_releases_once_whoever_closes_and_refuses_use_after() -> None:
    transport = _Both()
    assert transport.send(Request("GET", "http://127.0.0.1/")).status == 200
    threads = [threading.Thread(target=transport.close) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    asyncio.run(transport.aclose())
    assert transport.released == 1
    assert transport.closed
    with pytest.raises(errors.TransportClosedError, match="the mylib transport is closed"):
        transport.send(Request("GET", "http://127.0.0.1/"))


def test_lifecycle_aclose_releases_through_arelease() -> None:
    transport = _Both()

    async def run() -> None:
        async with transport:
            pass

    asyncio.run(run())
    assert transport.released == 1


# -- translation by error code --------------------------------------------------------------


class LibError(Exception):
    """One class for every failure, a code in ``args[0]`` (as pycurl.error)."""


def _code(exc: BaseException) -> object:
    return exc.args[0] if exc.args else None


TRANSLATOR = ExceptionTranslator(
    "mylib",
    lambda: {LibError: errors.TransportError},
    codes=lambda: {7: errors.ConnectError, 28: errors.ReadTimeout, 60: errors.TLSError},
    code_of=_code,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [(7, errors.ConnectError), (28, errors.ReadTimeout), (60, errors.TLSError), (99, None)],
)
def test_a_code_decides_before_the_class(code: int, expected: type | None) -> None:
    with pytest.raises(errors.TransportError) as caught, TRANSLATOR.translated():
        raise LibError(code, "message")
    assert type(caught.value) is (expected or errors.TransportError)
    assert isinstance(caught.value.__cause__, LibError)


def test_codes_need_code_of() -> None:
    with pytest.raises(errors.InvalidArgumentError):
        ExceptionTranslator("x", dict, codes=dict)


def test_translate_is_the_documented_hook() -> None:
    class Mine(ExceptionTranslator):
        def translate(self, exc: BaseException) -> errors.DicomkitError | None:
            if isinstance(exc, LibError) and exc.args == ("special",):
                return errors.ConnectionLostError("special")
            return super().translate(exc)

    mine = Mine("mylib", lambda: {LibError: errors.TransportError})
    with pytest.raises(errors.ConnectionLostError), mine.translated():
        raise LibError("special")


# -- read(size) -----------------------------------------------------------------------------


@given(_pieces, st.lists(st.integers(1, 500), min_size=1, max_size=10))
def test_chunk_reader_gives_every_byte_in_reads_of_at_most_size(
    chunks: list[bytes], sizes: list[int]
) -> None:
    reader = ChunkReader(iter(chunks))
    received = b""
    for index in range(10_000):
        size = sizes[index % len(sizes)]
        piece = reader.read(size)
        if not piece:
            break
        assert len(piece) <= size
        received += piece
    assert received == b"".join(chunks)
    assert reader.read(10) == b""


def test_chunk_reader_reads_lazily_and_closes_its_source() -> None:
    pulled: list[int] = []

    def source():  # type: ignore[no-untyped-def]
        for n in range(3):
            pulled.append(n)
            yield b"x" * 10

    generator = source()
    reader = ChunkReader(generator)
    assert reader.read(4) == b"xxxx"
    assert pulled == [0]
    assert reader.read(-1) == b"x" * 26
    reader.close()


# -- piece joining ----------------------------------------------------------------------------


@given(_pieces, st.integers(1, 700))
def test_join_pieces_keeps_bytes_and_limit(pieces: list[bytes], limit: int) -> None:
    joined = list(join_pieces(pieces, limit))
    assert b"".join(joined) == b"".join(pieces)
    assert all(0 < len(piece) <= limit for piece in joined)
    assert all(len(piece) == limit for piece in joined[:-1])


def test_join_pieces_defaults_to_the_documented_limit() -> None:
    joined = list(join_pieces([b"a" * 16384] * 40))
    assert [len(piece) for piece in joined] == [MAX_PIECE, MAX_PIECE, 40 * 16384 - 2 * MAX_PIECE]


# -- raw header lines -----------------------------------------------------------------------


def test_head_parser_skips_1xx_and_unfolds_lines() -> None:
    parser = HeadParser()
    for line in [
        b"HTTP/1.1 100 Continue\r\n",
        b"\r\n",
        b"HTTP/1.1 200 OK\r\n",
        b"Content-Type: multipart/related;\r\n",
        b'\ttype="application/dicom"\r\n',
        b"Set-Cookie: a=1\r\n",
        b"Set-Cookie: b=2\r\n",
    ]:
        parser.feed(line)
        assert not parser.complete
    parser.feed(b"\r\n")
    assert parser.complete
    head = parser.head
    assert (head.status, head.reason, head.informational) == (200, "OK", [100])
    assert head.headers == [
        ("Content-Type", 'multipart/related; type="application/dicom"'),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]


@pytest.mark.parametrize("line", [b"no colon here\r\n", b" folded first\r\n", b"HTTP/1.1 x\r\n"])
def test_head_parser_refuses_what_is_no_head(line: bytes) -> None:
    parser = HeadParser()
    if not line.startswith(b"HTTP/"):
        parser.feed(b"HTTP/1.1 200 OK\r\n")
    with pytest.raises(errors.ProtocolError):
        parser.feed(line)


# -- the read-timeout watchdog --------------------------------------------------------------


def test_the_watchdog_aborts_and_raises_read_timeout_with_a_cause() -> None:
    aborted = threading.Event()
    with pytest.raises(errors.ReadTimeout) as caught, ReadWatchdog(0.05, aborted.set):
        assert aborted.wait(10)  # the library's transfer, stalled until aborted
    assert isinstance(caught.value.__cause__, TimeoutError)


def test_a_kicked_watchdog_stays_quiet() -> None:
    aborted = threading.Event()
    with ReadWatchdog(30.0, aborted.set) as dog:
        for _ in range(3):
            dog.kick()
    assert not aborted.is_set()
    assert not dog.expired
    with ReadWatchdog(None, aborted.set):
        pass
    assert not aborted.is_set()


# -- TLS 1.3: a refused client certificate ----------------------------------------------------


def test_a_tls_alert_read_after_the_handshake_is_a_tls_error() -> None:
    """TLS 1.3 sends the refusal of a missing client certificate after the handshake, so
    libraries raise it as a read error; the translator makes it a TLSError on every backend."""
    alert = ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert")
    alert.reason = "TLSV13_ALERT_CERTIFICATE_REQUIRED"
    translator = ExceptionTranslator("mylib", lambda: {LibError: errors.ConnectionLostError})
    assert tls_alert(alert)
    with pytest.raises(errors.TLSError) as caught, translator.translated():
        raise LibError("read failed") from alert
    assert caught.value.__cause__ is not None
    assert not tls_alert(LibError("plain"))


# -- a bad status line with the head check (found by tests/chaos) ---------------------------


def test_a_bad_status_line_stays_a_dicomkit_error_with_the_head_check() -> None:
    """http.client closes the response file on a bad status line; the head check must not put
    the closed file back (urllib3 then raised ValueError: I/O operation on closed file)."""
    import socket

    from dicomkit.transports import Urllib3Transport

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"garbage\r\n\r\n")

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        with Urllib3Transport() as transport, pytest.raises(errors.TransportError):
            transport.send(Request("POST", url, body=b"x"))
        thread.join()
