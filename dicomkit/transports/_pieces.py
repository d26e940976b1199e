"""Byte plumbing for libraries that do not hand out chunk iterators (re-exported by
:mod:`.support`).

A callback-style library (libcurl through pycurl) asks for the request body with
``read(size)``, hands the answer over as raw header lines and body pieces of its own size, and
leaves a backend to rebuild what an iterator-style library gives for free: these helpers do
that once. None of them waits for bytes that have not arrived.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from dicomkit.core import errors

__all__ = ["MAX_PIECE", "ChunkReader", "HeadParser", "ParsedHead", "join_pieces"]

MAX_PIECE = 256 * 1024
"""The largest piece of a response body a backend hands out (``Response(stream=...)``): the
contract suite fails a backend that yields more at once, or that waits for more than this before
yielding the first piece."""


class ChunkReader:
    """A request body's chunks (``support.body_chunks(request)``) as ``read(size)``.

    ``read`` returns at most ``size`` bytes (all that is left for ``size < 0``), and ``b""``
    only at the end: what libcurl's ``READFUNCTION`` and file-like body APIs ask for. Chunks
    are read from the iterator one at a time, as they are needed, so the body still streams.
    """

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = memoryview(b"")

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            rest = bytes(self._buffer) + b"".join(self._chunks)
            self._buffer = memoryview(b"")
            return rest
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._buffer = memoryview(chunk)
        piece, self._buffer = self._buffer[:size], self._buffer[size:]
        return bytes(piece)

    def close(self) -> None:
        """Close the chunk source (and so the caller's files): ``support.close_body``."""
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


def join_pieces(pieces: Iterable[bytes], limit: int = MAX_PIECE) -> Iterator[bytes]:
    """Pieces that have *already arrived* joined up to ``limit`` bytes each, larger ones split.

    For a library that delivers many small pieces (libcurl's 16 KiB writes): hand over what the
    callbacks queued since the last read as a few pieces of at most ``limit``, never holding
    one back to wait for more. Empty pieces are dropped.
    """
    if limit < 1:
        raise errors.InvalidArgumentError("limit must be at least 1 byte")
    held: list[bytes] = []
    size = 0
    for piece in pieces:
        view = memoryview(piece)
        while view:
            take = view[: limit - size]
            held.append(bytes(take))
            size += len(take)
            view = view[len(take) :]
            if size == limit:
                yield b"".join(held)
                held, size = [], 0
    if held:
        yield b"".join(held)


@dataclass
class ParsedHead:
    """The final answer's status line and header fields, in order, repeated names kept."""

    status: int = 0
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    informational: list[int] = field(default_factory=list)
    """Statuses of the 1xx answers that came before (``100 Continue`` ...)."""


_OWS = " \t"


class HeadParser:
    """Raw header lines, one :meth:`feed` each (libcurl's ``HEADERFUNCTION``), into a head.

    A status line starts a new head (after a ``1xx`` answer, or a ``CONNECT`` answer from a
    proxy, the next head replaces it); folded lines (starting with a space or tab, RFC 9112
    5.2) continue the previous field; the blank line ends the head (``complete``). A line that
    is neither, or a status that is not three digits from 100 to 999, raises ``ProtocolError``.
    Values lose the spaces and tabs around them (HTTP's optional whitespace), nothing else.
    The stdlib backend reads its answers' heads with it too (:mod:`dicomkit.transports._wire`).
    """

    def __init__(self) -> None:
        self.head = ParsedHead()
        self.complete = False

    def feed(self, line: bytes) -> None:
        text = line.decode("latin-1").rstrip("\r\n")
        if text.startswith("HTTP/"):
            self._status(text)
        elif not text:
            if self.head.status:
                self.complete = not 100 <= self.head.status < 200
        elif text[0] in " \t":
            if not self.head.headers or self.complete:
                raise errors.ProtocolError(f"a folded header line with no field: {text!r}")
            name, value = self.head.headers[-1]
            self.head.headers[-1] = (name, f"{value} {text.strip(_OWS)}".strip(_OWS))
        else:
            name, colon, value = text.partition(":")
            if not colon or not name or name != name.strip():
                raise errors.ProtocolError(f"not a header field line: {text!r}")
            self.head.headers.append((name, value.strip(_OWS)))

    def _status(self, text: str) -> None:
        parts = text.split(" ", 2)
        code = parts[1] if len(parts) > 1 else ""
        if len(code) != 3 or not (code.isascii() and code.isdigit()) or code[0] == "0":
            raise errors.ProtocolError(f"not a status line: {text!r}")
        status = int(code)
        earlier = [*self.head.informational]
        if 100 <= self.head.status < 200:
            earlier.append(self.head.status)
        self.head = ParsedHead(status, parts[2] if len(parts) > 2 else "", [], earlier)
        self.complete = False
