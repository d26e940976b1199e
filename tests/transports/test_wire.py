"""The stdlib backend's own HTTP/1.1 answer reader (dicomkit.transports._wire): heads, framing
and the chunked coding, read from a real socket pair."""

from __future__ import annotations

import socket
import sys
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import errors
from dicomkit.transports import _wire as wire
from dicomkit.transports._wire import (
    LOOPBACK_RECEIVE_BUFFER,
    MAX_FIELDS,
    MAX_LINE,
    BrokenAnswer,
    PlainConnection,
    WireAnswer,
    read_answer,
    tune_loopback,
)

_TOKEN = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$%&'*+.^_`|~",
    min_size=1,
    max_size=20,
)
_VALUE = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=40
).map(lambda text: text.strip())


def _answer(raw: bytes, method: str = "GET") -> tuple[WireAnswer, socket.socket]:
    """``raw`` sent through a socket pair (the writer closes after it), read as an answer."""
    reader, writer = socket.socketpair()
    sender = threading.Thread(target=lambda: (writer.sendall(raw), writer.close()))
    sender.start()
    try:
        answer = read_answer(reader, method)
    except BaseException:
        sender.join()
        reader.close()
        raise
    sender.join()
    return answer, reader


@given(
    status=st.integers(200, 599),
    reason=st.text("abcdefghij ", max_size=20).map(str.strip),
    fields=st.lists(st.tuples(_TOKEN, _VALUE), max_size=20),
)
def test_status_reason_and_fields_are_read_in_order(
    status: int, reason: str, fields: list[tuple[str, str]]
) -> None:
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{n}: {v}\r\n" for n, v in fields)
    answer, sock = _answer((head + "Content-Length: 0\r\n\r\n").encode("latin-1"))
    with sock:
        assert (answer.status, answer.reason) == (status, reason)
        assert answer.headers == [*fields, ("Content-Length", "0")]
        answer.close()


@given(
    body=st.binary(max_size=5000),
    cuts=st.lists(st.integers(1, 700), max_size=12),
    size=st.integers(1, 600),
    extension=st.sampled_from(["", ";name=value", ' ; q="x"']),
)
def test_a_chunked_body_is_decoded_in_pieces_of_at_most_size(
    body: bytes, cuts: list[int], size: int, extension: str
) -> None:
    chunks, rest = [], body
    for cut in cuts:
        if rest:
            chunks.append(rest[:cut])
            rest = rest[cut:]
    if rest:
        chunks.append(rest)
    coded = b"".join(b"%x%s\r\n%s\r\n" % (len(c), extension.encode(), c) for c in chunks)
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + coded + b"0\r\nX-T: 1\r\n\r\n"
    answer, sock = _answer(raw)
    with sock:
        assert (answer.chunked, answer.length, answer.will_close) == (True, None, False)
        pieces = list(answer.chunks(size))
        assert b"".join(pieces) == body
        assert all(0 < len(piece) <= size for piece in pieces)
        assert answer.fp.read(1) == b""  # the trailer was read to its end, nothing more
        answer.close()


def test_interim_answers_are_read_past() -> None:
    """Every 1xx, as the toolkit's HeadParser reads them (101 too: this backend never asks to
    switch protocols, so a 101 is read past like the others)."""
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    answer, sock = _answer(raw + b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
    with sock:
        assert (answer.status, answer.headers, answer.length) == (201, [("Content-Length", "2")], 2)
        assert answer.fp.read(2) == b"ok"
    raw = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nHTTP/1.0 204 No Content\r\n\r\n"
    answer, sock = _answer(raw)
    with sock:
        assert (answer.status, answer.length, answer.will_close) == (204, 0, True)
    with pytest.raises(BrokenAnswer, match="before the answer's status line"):
        _answer(b"HTTP/1.1 100 Continue\r\n\r\n")


def test_folded_lines_continue_their_field_and_values_lose_only_spaces_and_tabs() -> None:
    raw = b"HTTP/1.1 200 OK\r\nA: one\r\n  two\r\nC:\tx \r\nD: \xa0y\xa0\r\n\r\n"
    answer, sock = _answer(raw)
    with sock:
        assert answer.headers == [("A", "one two"), ("C", "x"), ("D", "\xa0y\xa0")]


@pytest.mark.parametrize("line", [b"not a field", b"B : spaced", b" folded before any field"])
def test_a_line_that_is_no_field_loses_the_connection(line: bytes) -> None:
    """The toolkit's HeadParser refuses it; the parser's error is the cause."""
    with pytest.raises(BrokenAnswer) as caught:
        _answer(b"HTTP/1.1 200 OK\r\n" + line + b"\r\n\r\n")
    assert isinstance(caught.value.__cause__, errors.ProtocolError)


@pytest.mark.parametrize(
    ("method", "status", "fields", "length", "chunked", "closes"),
    [
        ("HEAD", 200, "Content-Length: 9\r\n", 0, False, False),
        ("GET", 204, "", 0, False, False),
        ("GET", 304, "Transfer-Encoding: chunked\r\n", 0, False, False),
        ("GET", 200, "Content-Length: 5, 5\r\n", 5, False, False),
        ("GET", 200, "Connection: keep-alive, Close\r\nContent-Length: 1\r\n", 1, False, True),
        ("GET", 200, "", None, False, True),
        ("GET", 200, "Transfer-Encoding: gzip\r\nContent-Length: 4\r\n", None, False, True),
        ("GET", 200, "Transfer-Encoding: gzip, Chunked\r\n", None, True, False),
    ],
)
def test_framing(
    method: str, status: int, fields: str, length: int | None, chunked: bool, closes: bool
) -> None:
    answer, sock = _answer(f"HTTP/1.1 {status} X\r\n{fields}\r\n".encode(), method)
    with sock:
        assert (answer.length, answer.chunked, answer.will_close) == (length, chunked, closes)


@pytest.mark.parametrize(
    ("fields", "closes"),
    [("", True), ("Connection: keep-alive\r\n", False), ("Connection: close\r\n", True)],
)
def test_http_1_0_keeps_the_connection_only_when_asked(fields: str, closes: bool) -> None:
    answer, sock = _answer(f"HTTP/1.0 200 OK\r\n{fields}Content-Length: 0\r\n\r\n".encode())
    with sock:
        assert answer.will_close is closes


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "without answering"),
        (b"HTTP/1.1 200 OK\r\nA: b", "inside the answer's header line"),
        (b"HTTP/1.1 200 OK\r\nA: b\r\n", "before the answer's header line"),
        (b"HTTP/2 200 OK\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "not a status line"),
        (b"HTTP/1.1 099 OK\r\n\r\n", "not a status line"),
        (b"HTTP/1.1 2\xb200 OK\r\n\r\n", "not a status line"),
        (b"ICY 200 OK\r\n\r\n", "not an HTTP/1.x status line"),
        (b"HTTP/1.1 200 OK\r\nA: " + b"x" * MAX_LINE + b"\r\n\r\n", "longer than"),
        (b"HTTP/1.1 200 OK\r\n" + b"A: b\r\n" * (MAX_FIELDS + 1) + b"\r\n", "header fields"),
    ],
)
def test_a_head_that_is_cut_or_not_http_1_is_a_broken_answer(raw: bytes, message: str) -> None:
    with pytest.raises(BrokenAnswer, match=message):
        _answer(raw)


@pytest.mark.parametrize("size_line", [b"0x10", b"-1", b"g", b"", b"1 1", b"+1", b"1_0"])
def test_a_bad_chunk_size_line_is_a_broken_answer(size_line: bytes) -> None:
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\nx\r\n0\r\n\r\n"
    )
    answer, sock = _answer(raw)
    with sock, pytest.raises(BrokenAnswer, match="chunk size"):
        list(answer.chunks(100))


@pytest.mark.parametrize(
    ("coded", "message"),
    [(b"5\r\nabc", "inside a chunk"), (b"2\r\nabcd\r\n0\r\n\r\n", "longer than its size")],
)
def test_a_chunk_cut_or_overlong_is_a_broken_answer(coded: bytes, message: str) -> None:
    answer, sock = _answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + coded)
    with sock, pytest.raises(BrokenAnswer, match=message):
        list(answer.chunks(100))


@pytest.mark.parametrize("field", ["5, 6", "-5", "five", ""])
def test_a_content_length_that_is_not_one_length_is_a_protocol_error(field: str) -> None:
    with pytest.raises(errors.ProtocolError, match="Content-Length"):
        _answer(f"HTTP/1.1 200 OK\r\nContent-Length: {field}\r\n\r\n".encode())


class _Peer:
    """A socket stand-in that only says who its peer is."""

    def __init__(self, address: tuple[str, int] | OSError) -> None:
        self.address = address
        self.options: list[tuple[int, int, int]] = []

    def getpeername(self) -> tuple[str, int]:
        if isinstance(self.address, OSError):
            raise self.address
        return self.address

    def setsockopt(self, level: int, name: int, value: int) -> None:
        self.options.append((level, name, value))


@pytest.mark.parametrize(
    ("peer", "tuned"),
    [
        (("127.0.0.1", 80), True),
        (("127.8.9.10", 80), True),
        (("::1", 80), True),
        (("::ffff:127.0.0.1", 80), True),
        (("10.0.0.7", 80), False),  # a real link keeps the system's autotuning
        (("192.168.1.127", 80), False),
        (("2001:db8::1", 80), False),
        (OSError("not connected"), False),
    ],
)
def test_only_a_loopback_connection_on_linux_gets_the_large_receive_buffer(
    peer: tuple[str, int] | OSError, tuned: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for platform, limit in (("linux", LOOPBACK_RECEIVE_BUFFER), ("darwin", 1 << 30)):
        monkeypatch.setattr(wire.sys, "platform", platform)
        monkeypatch.setattr(wire, "_RECEIVE_LIMIT", [limit])
        sock = _Peer(peer)
        expected = tuned and platform == "linux"
        assert tune_loopback(sock) is expected  # type: ignore[arg-type]
        wanted = [(socket.SOL_SOCKET, socket.SO_RCVBUF, LOOPBACK_RECEIVE_BUFFER)]
        assert sock.options == (wanted if expected else [])


def test_a_system_limit_below_the_buffer_leaves_autotuning_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wire.sys, "platform", "linux")
    monkeypatch.setattr(wire, "_RECEIVE_LIMIT", [LOOPBACK_RECEIVE_BUFFER - 1])
    sock = _Peer(("127.0.0.1", 80))
    assert tune_loopback(sock) is False  # type: ignore[arg-type]
    assert sock.options == []


def test_a_real_loopback_connection_gets_it_where_the_system_allows() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        connection = PlainConnection("127.0.0.1", server.getsockname()[1], 5)
        connection.connect()
        try:
            assert connection.sock is not None
            got = connection.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            if sys.platform == "linux" and wire._receive_limit() >= LOOPBACK_RECEIVE_BUFFER:
                assert got >= LOOPBACK_RECEIVE_BUFFER  # Linux reports twice what was asked
            else:
                assert got < LOOPBACK_RECEIVE_BUFFER
        finally:
            connection.close()
