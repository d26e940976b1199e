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


def _zlib_format(head: bytes) -> bool:
    """Whether two bytes open a zlib stream (RFC 1950: deflate method, header check)."""
    return head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


def decoded(pieces: Iterator[bytes], coding: str, size: int) -> Iterator[bytes]:
    """``pieces`` of a body in ``coding`` (gzip, x-gzip or deflate), decoded, each decoded
    piece at most ``size`` bytes."""
    gzip = coding != "deflate"
    decoder = zlib.decompressobj(_GZIP) if gzip else None
    opening = b""  # deflate: the first two bytes, which say zlib format or raw
    empty = True  # an empty body is no stream at all, not a cut one
    ended = False  # past the last member: the rest is still read (the connection can then
    # be reused), and ignored
    for piece in pieces:
        if ended or not piece:
            continue
        empty = False
        if decoder is None:
            opening += piece
            if len(opening) < 2:
                continue
            decoder = zlib.decompressobj(
                zlib.MAX_WBITS if _zlib_format(opening) else -zlib.MAX_WBITS
            )
            piece, opening = opening, b""
        following = yield from _inflate(decoder, piece, size, gzip)
        if following is None:
            ended = True
        else:
            decoder = following
    if ended:
        return
    if decoder is None and opening:  # a one-byte body
        decoder = zlib.decompressobj(-zlib.MAX_WBITS)
        if (yield from _inflate(decoder, opening, size, gzip)) is None:
            return
    if not empty and decoder is not None and not decoder.eof:
        raise zlib.error(f"the {coding} stream ended before its end (truncated body)")


def _inflate(
    decoder: zlib._Decompress, data: bytes, size: int, gzip: bool
) -> Generator[bytes, None, zlib._Decompress | None]:
    """Yield what ``data`` decodes to in pieces of at most ``size``; return the decoder for
    what follows (a new one when another gzip member starts), None when the stream ended."""
    while True:
        out = decoder.decompress(data, size)
        if out:
            yield out
        data = decoder.unconsumed_tail
        if decoder.eof:
            data = decoder.unused_data
            if not gzip or not data.startswith(b"\x1f\x8b"):
                return None
            decoder = zlib.decompressobj(_GZIP)  # another gzip member follows
            continue
        if not data and len(out) < size:
            return decoder
