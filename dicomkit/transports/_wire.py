"""HTTP/1.1 answers read straight off a socket, and plain TCP connections: the stdlib backend
without ``http.client``.

Why: ``http.client`` brings ``email`` (its header parser) and ``ssl`` with it, about 13 ms of
every command's start on this machine (benchmarks/cli.py), although a plain-HTTP download
needs neither; and it parses each answer's head with the ``email`` package, which also
compiles a regular expression per multipart answer. :func:`read_answer` reads the status line
and the header fields itself, by the rules of RFC 9112, with the limits ``http.client`` keeps
(64 KiB per line, 100 fields); :class:`PlainConnection` opens TCP as
``HTTPConnection.connect`` does. HTTPS and proxies still connect through ``http.client``
(:mod:`dicomkit.transports._stdlib_pool`); every answer, whatever the connection, is read here.

Every failure to read an answer raises :class:`BrokenAnswer`, which the backend's error table
makes ``ConnectionLostError`` (as it did ``http.client``'s ``RemoteDisconnected``,
``BadStatusLine``, ``LineTooLong`` and ``IncompleteRead``): the connection cannot be trusted
after it.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

from dicomkit.core import errors

__all__ = ["BrokenAnswer", "PlainConnection", "WireAnswer", "read_answer"]

MAX_LINE = 65536
"""Bytes per status, header or chunk-size line at most, as ``http.client`` allows."""
MAX_FIELDS = 100
"""Header fields per answer at most, as ``http.client`` allows."""
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
        # whose import (with ``stringprep`` and ``unicodedata``) costs a millisecond of a start
        host: str | bytes = self.host.encode("ascii") if self.host.isascii() else self.host
        sock = socket.create_connection((host, self.port), self.timeout)  # type: ignore[arg-type]
        with contextlib.suppress(OSError):  # not every system has it; requests work without
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()


class WireAnswer:
    """An answer's head, and the buffered reader its body comes from.

    ``length`` is the body's size when known (0 when the answer has none; a ``Content-Length``
    repeated with one value, ``5, 5``, is that value, as urllib3 reads it), ``chunked``
    whether the body is in chunked coding (then ``Content-Length`` is ignored, RFC 9112 6.3),
    ``will_close`` whether the connection ends with the answer (then it is not reused).
    """

    def __init__(self, fp: Any, method: str) -> None:
        self.fp = fp
        self.status, self.reason, version = _final_status(fp)
        self.headers = _fields(fp)
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
                _fields(self.fp)  # the trailer: read to the blank line, not kept
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


def _final_status(fp: Any) -> tuple[int, str, int]:
    """(status, reason, version as 10 or 11) of the final answer: interim ``1xx`` answers
    (``100 Continue``, ``103 Early Hints``) are read past, except ``101``, which ends HTTP."""
    while True:
        line = _line(fp, "status", at_end="the server closed the connection without answering")
        text = line.decode("iso-8859-1").rstrip("\r\n")
        version, _, rest = text.partition(" ")
        code, _, reason = rest.partition(" ")
        if version not in ("HTTP/1.1", "HTTP/1.0") or len(code) != 3 or not code.isdigit():
            raise BrokenAnswer(f"not an HTTP/1.x status line: {text[:80]!r}")
        status = int(code)
        if status < 100:
            raise BrokenAnswer(f"not an HTTP status: {text[:80]!r}")
        if 100 <= status < 200 and status != 101:
            _fields(fp)
            continue
        return status, reason.strip(), 11 if version == "HTTP/1.1" else 10


def _fields(fp: Any) -> list[tuple[str, str]]:
    """Header field lines up to the blank line, in order, repeated names kept. A folded line
    (RFC 9112 5.2, obs-fold) continues the field before it; a line that is no field (no
    colon, or space before it) is skipped, as browsers and urllib3 do."""
    fields: list[tuple[str, str]] = []
    while True:
        line = _line(fp, "header")
        if line in (b"\r\n", b"\n"):
            return fields
        text = line.decode("iso-8859-1").rstrip("\r\n")
        if text[0] in " \t":
            if fields:
                name, value = fields[-1]
                fields[-1] = (name, (value + " " + text.strip(" \t")).strip(" \t"))
            continue
        name, colon, value = text.partition(":")
        if not colon or not name or name != name.strip():
            continue
        if len(fields) >= MAX_FIELDS:
            raise BrokenAnswer(f"more than {MAX_FIELDS} header fields")
        fields.append((name, value.strip(" \t")))


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
