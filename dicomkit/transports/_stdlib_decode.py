"""gzip and deflate ``Content-Encoding`` for the stdlib backend, with ``zlib`` only.

The other backends' libraries decode these codings themselves; ``http.client`` does not, so
the stdlib backend does it here, in pieces no larger than the ones it reads (a small gzip
body may inflate a thousandfold: ``max_length`` keeps each decoded piece within
``chunk_size``). What urllib3 accepts is accepted here too: several gzip members one after
the other, bytes after the last member (ignored), and ``deflate`` both as the zlib format
RFC 9110 names and as the raw deflate some servers send. A stream that does not decode, or
that stops before its end, raises ``zlib.error`` (``ProtocolError`` once translated).
"""

from __future__ import annotations

import zlib
from collections.abc import Generator, Iterator

__all__ = ["decoded"]

_GZIP = 16 + zlib.MAX_WBITS
_GZIP_MAGIC = b"\x1f\x8b"


def _zlib_format(head: bytes) -> bool:
    """Whether two bytes open a zlib stream (RFC 1950: deflate method, header check)."""
    return head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


def decoded(pieces: Iterator[bytes], coding: str, size: int) -> Iterator[bytes]:
    """``pieces`` of a body in ``coding`` (gzip, x-gzip or deflate), decoded, each decoded
    piece at most ``size`` bytes."""
    state = _Decoding(coding != "deflate", size)
    for piece in pieces:
        yield from state.feed(piece)
    state.finish()


class _Decoding:
    """One body's decoding: the zlib decoder, and what is held until its next bytes tell
    what they are (deflate's format, or whether a gzip member follows the one that ended)."""

    def __init__(self, gzip: bool, size: int) -> None:
        self.gzip = gzip
        self.size = size
        self.decoder = zlib.decompressobj(_GZIP) if gzip else None
        self.held = b""  # fewer than two bytes not yet told apart
        self.between = False  # gzip: a member ended; another one, or bytes to ignore, follow
        self.ended = False  # the rest of the body is ignored (still read: the connection is
        # then reused)
        self.fed = False  # an empty body is no stream at all, not a cut one

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decode ``data``, the next bytes of the body."""
        self.fed = self.fed or bool(data)
        while data and not self.ended:
            if self.decoder is None or self.between:
                data, self.held = self.held + data, b""
                if len(data) < 2:
                    self.held = data
                    return
                if self.decoder is None:
                    raw = not _zlib_format(data)
                    self.decoder = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
                elif data.startswith(_GZIP_MAGIC):
                    self.decoder = zlib.decompressobj(_GZIP)
                    self.between = False
                else:
                    self.ended = True
                    return
            data = yield from self._inflate(self.decoder, data)

    def _inflate(self, decoder: zlib._Decompress, data: bytes) -> Generator[bytes, None, bytes]:
        """Yield what ``data`` decodes to in pieces of at most ``size``; return the bytes
        after the end of the stream or member, if it ended."""
        while True:
            out = decoder.decompress(data, self.size)
            if out:
                yield out
            data = decoder.unconsumed_tail
            if decoder.eof:
                self.between, self.ended = self.gzip, not self.gzip
                return decoder.unused_data
            if not data and len(out) < self.size:
                return b""

    def finish(self) -> None:
        """Refuse a stream that stopped before its end."""
        if self.ended or self.between or not self.fed:
            return
        if self.decoder is None or not self.decoder.eof:
            raise zlib.error("the compressed stream stopped before its end (truncated body)")
