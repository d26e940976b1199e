"""HTTP/1.1 answers read straight off a socket, and plain TCP connections: the stdlib backend
without ``http.client``.

Why: ``http.client`` brings ``email`` (its header parser) and ``ssl`` with it, about 13 ms of
every command's start on this machine (benchmarks/cli.py), although a plain-HTTP download
needs neither; and it parses each answer's head with the ``email`` package, which also
compiles a regular expression per multipart answer. :func:`read_answer` reads the head's lines
off the socket, with the limits ``http.client`` keeps (64 KiB per line, 100 fields), and hands
them to the toolkit's :class:`~dicomkit.transports.support.HeadParser` (the one parser of
status lines and header fields, ``1xx`` answers and folded lines: the pycurl backend's too);
it reads the framing and the chunked coding itself. :class:`PlainConnection` opens TCP as
``HTTPConnection.connect`` does. HTTPS and proxies still connect through ``http.client``
(:mod:`dicomkit.transports._stdlib_pool`); every answer, whatever the connection, is read here.

Every failure to read an answer (a head the parser refuses included) raises
:class:`BrokenAnswer`, which the backend's error table makes ``ConnectionLostError`` (as it did
``http.client``'s ``RemoteDisconnected``, ``BadStatusLine``, ``LineTooLong`` and
``IncompleteRead``): the connection cannot be trusted after it.
"""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import Iterator
from typing import Any

from dicomkit.core import errors
from dicomkit.transports._pieces import HeadParser, ParsedHead

__all__ = [
    "LOOPBACK_RECEIVE_BUFFER",
    "BrokenAnswer",
    "PlainConnection",
    "WireAnswer",
    "read_answer",
    "tune_loopback",
]

MAX_LINE = 65536
"""Bytes per status, header or chunk-size line at most, as ``http.client`` allows."""
MAX_FIELDS = 100
"""Header fields per answer at most, as ``http.client`` allows."""
LOOPBACK_RECEIVE_BUFFER = 2 << 20
"""``SO_RCVBUF`` asked for on a connection to this machine (Linux doubles it): see
:func:`tune_loopback`."""
_NO_BODY_STATUSES = frozenset({204, 304})
_HEX_DIGITS = b"0123456789abcdefABCDEF"


class BrokenAnswer(Exception):
    """An answer that is not HTTP/1.x, or cut short: its connection is lost."""


class PlainConnection:
    """A TCP connection to ``host``:``port`` with no TLS and no proxy, made by :meth:`connect`
    (within ``timeout`` seconds); ``sock`` is None until then and after :meth:`close`."""

    def __init__(self, host: str, port: int, timeout: float | None) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock: socket.socket | None = None

    def connect(self) -> None:
        # an ASCII name as bytes: ``getaddrinfo`` would encode a str with the "idna" codec,
        # whose import (with ``stringprep`` and ``unicodedata``) costs 1.5 ms of a start
        host: str | bytes = self.host.encode("ascii") if self.host.isascii() else self.host
        sock = socket.create_connection((host, self.port), self.timeout)  # type: ignore[arg-type]
        with contextlib.suppress(OSError):  # not every system has it; requests work without
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tune_loopback(sock)
        self.sock = sock

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


def tune_loopback(sock: socket.socket) -> bool:
    """Give a TCP connection to this machine (a loopback peer) on Linux a receive buffer of
    LOOPBACK_RECEIVE_BUFFER, where the system allows that much; True when it was set.

    Why: on loopback the kernel runs the sender's transmit path in the receiver's context
    whenever the receiver's window reopens. Autotuning keeps a loopback buffer small (its
    round trips are microseconds), so a server like Orthanc filled the window, waited, and
    each of the download's ``recv`` calls sent the server's next segments itself. With
    2 MiB asked for, the server sends from its own threads: ``dicomkit download`` of the
    500 x 525 KB study took 8-14% less wall time and less CPU in three A/B runs of 20 (one
    more showed no difference; docs/transports.md). Only loopback: a fixed
    buffer turns autotuning off, which over a real link could cap a transfer at the buffer
    per round trip; and only where ``net.core.rmem_max`` allows the full size, since a
    clamped buffer would be smaller than autotuning makes it.
    """
    if sys.platform != "linux" or not _loopback(sock) or _receive_limit() < LOOPBACK_RECEIVE_BUFFER:
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, LOOPBACK_RECEIVE_BUFFER)
    except OSError:
        return False
    return True


def _loopback(sock: socket.socket) -> bool:
    try:
        peer = sock.getpeername()[0]
    except (OSError, IndexError):
        return False
    return isinstance(peer, str) and (peer.startswith(("127.", "::ffff:127.")) or peer == "::1")


_RECEIVE_LIMIT: list[int] = []


def _receive_limit() -> int:
    """``net.core.rmem_max``, the most ``SO_RCVBUF`` may ask for (read once; 0 if unknown)."""
    if not _RECEIVE_LIMIT:
        try:
            with open("/proc/sys/net/core/rmem_max", "rb") as handle:
                _RECEIVE_LIMIT.append(int(handle.read().strip() or b"0"))
        except (OSError, ValueError):
            _RECEIVE_LIMIT.append(0)
    return _RECEIVE_LIMIT[0]


class WireAnswer:
    """An answer's head, and the buffered reader its body comes from.

    ``length`` is the body's size when known (0 when the answer has none; a ``Content-Length``
    repeated with one value, ``5, 5``, is that value, as urllib3 reads it), ``chunked``
    whether the body is in chunked coding (then ``Content-Length`` is ignored, RFC 9112 6.3),
    ``will_close`` whether the connection ends with the answer (then it is not reused).
    """

    def __init__(self, fp: Any, method: str) -> None:
        self.fp = fp
        head, version = _read_head(fp)
        self.status, self.reason, self.headers = head.status, head.reason, head.headers
        coding = self.getheader("Transfer-Encoding")
        codings = [c.strip().lower() for c in coding.split(",")] if coding else []
        self.chunked = bool(codings) and codings[-1] == "chunked"
        content_length = None if codings else self.getheader("Content-Length")
        self.length: int | None = None
        if method == "HEAD" or self.status in _NO_BODY_STATUSES or self.status < 200:
            self.length, self.chunked = 0, False
        elif content_length is not None:
            self.length = _single_length(content_length)
        self.will_close = _closes(self.getheader("Connection"), version) or (
            self.length is None and not self.chunked
        )

    def getheader(self, name: str) -> str | None:
        """The field's value (repeated fields joined with ``", "``), or None."""
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return ", ".join(values) if values else None

    def chunks(self, size: int) -> Iterator[bytes]:
        """The chunked body decoded, in pieces of at most ``size`` bytes, each yielded as soon
        as it was read; returns after the last chunk and the trailer fields."""
        read = self.fp.read
        while True:
            line = _line(self.fp, "chunk size")
            text = line.split(b";", 1)[0].strip(b" \t\r\n")
            if not text or len(text) > 16 or text.strip(_HEX_DIGITS):
                raise BrokenAnswer(f"a bad chunk size line: {line[:80]!r}")
            left = int(text, 16)
            if left == 0:
                _trailer(self.fp)
                return
            while left:
                piece = read(size if left > size else left)
                if not piece:
                    raise BrokenAnswer("the connection closed inside a chunk")
                left -= len(piece)
                yield piece
            if _line(self.fp, "chunk end").strip():
                raise BrokenAnswer("a chunk longer than its size line said")

    def close(self) -> None:
        """Close the reader (not the socket, which the connection owns)."""
        self.fp.close()


def read_answer(sock: socket.socket, method: str) -> WireAnswer:
    """Read the answer's head from ``sock`` (the body is left to read); ``ConnectionLostError``
    when the head is cut or is not HTTP/1.x."""
    fp = sock.makefile("rb")
    try:
        return WireAnswer(fp, method)
    except BaseException:
        fp.close()
        raise


def _line(fp: Any, what: str, *, at_end: str = "") -> bytes:
    """One line, its end included; ``at_end`` is the message when the stream ends before it
    starts (by default, that the connection closed before the line)."""
    line: bytes = fp.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise BrokenAnswer(f"the answer's {what} line is longer than {MAX_LINE}")
    if not line:
        raise BrokenAnswer(at_end or f"the connection closed before the answer's {what} line")
    if not line.endswith(b"\n"):
        raise BrokenAnswer(f"the connection closed inside the answer's {what} line")
    return line


def _read_head(fp: Any) -> tuple[ParsedHead, int]:
    """The final answer's head (interim ``1xx`` answers read past) and its HTTP version, 10 or
    11. Every head starts with an HTTP/1.x status line; what the parser refuses, like a head
    cut short, loses the connection (``BrokenAnswer``, the parser's error as its cause)."""
    parser = HeadParser()
    at_status, fields, version = True, 0, 11
    while not parser.complete:
        if at_status:
            first = not parser.head.informational and not parser.head.status
            line = _line(
                fp,
                "status",
                at_end="the server closed the connection without answering" if first else "",
            )
            if not line.startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")):
                raise BrokenAnswer(f"not an HTTP/1.x status line: {line[:80]!r}")
            version, fields = (11 if line[7:8] == b"1" else 10), 0
        else:
            line = _line(fp, "header")
            fields += line not in (b"\r\n", b"\n")
            if fields > MAX_FIELDS:
                raise BrokenAnswer(f"more than {MAX_FIELDS} header fields")
        try:
            parser.feed(line)
        except errors.ProtocolError as exc:
            raise BrokenAnswer(str(exc)) from exc
        at_status = line in (b"\r\n", b"\n")
    return parser.head, version


def _trailer(fp: Any) -> None:
    """Read a chunked body's trailer fields to the blank line (they are not kept)."""
    for _ in range(MAX_FIELDS + 1):
        if _line(fp, "trailer") in (b"\r\n", b"\n"):
            return
    raise BrokenAnswer(f"more than {MAX_FIELDS} trailer fields")


def _single_length(field: str) -> int:
    """A ``Content-Length``, repeated with one value or not (``5, 5``: RFC 9112 6.3); other
    values are the server's error."""
    from dicomkit.core.numbers import parse_decimal

    values = {parse_decimal(value) for value in field.split(",")}
    if len(values) == 1:
        (length,) = values
        if length is not None:
            return length
    raise errors.ProtocolError(f"the answer's Content-Length is not one length: {field!r}")


def _closes(connection: str | None, version: int) -> bool:
    """Whether the server ends the connection after this answer: ``Connection: close``, or
    HTTP/1.0 without ``keep-alive``."""
    options = {o.strip().lower() for o in connection.split(",")} if connection else set()
    if version == 11:
        return "close" in options
    return "keep-alive" not in options
