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
from collections.abc import Iterator

__all__ = ["decoded"]

_GZIP = 16 + zlib.MAX_WBITS


def decoded(pieces: Iterator[bytes], coding: str, size: int) -> Iterator[bytes]:
    """``pieces`` of a body in ``coding`` (gzip, x-gzip or deflate), decoded, each decoded
    piece at most ``size`` bytes."""
    gzip = coding != "deflate"
    decoder = zlib.decompressobj(_GZIP if gzip else zlib.MAX_WBITS)
    first = not gzip  # deflate: the first bytes say zlib format or raw
    ended = False  # past the last gzip member: the rest is ignored
    empty = True  # an empty body is no stream at all, not a cut one
    for piece in pieces:
        if ended or not piece:
            continue
        empty = False
        if first:
            first = False
            try:
                probe = zlib.decompressobj(zlib.MAX_WBITS)
                probe.decompress(piece[:2])
            except zlib.error:
                decoder = zlib.decompressobj(-zlib.MAX_WBITS)
        data = piece
        while True:
            out = decoder.decompress(data, size)
            if out:
                yield out
            data = decoder.unconsumed_tail
            if decoder.eof:
                data = decoder.unused_data
                if not gzip or not data or not data.startswith(b"\x1f\x8b"):
                    ended = True
                    break
                decoder = zlib.decompressobj(_GZIP)  # another gzip member follows
                continue
            if not data and len(out) < size:
                break
    if not ended and not empty and not decoder.eof:
        raise zlib.error(f"the {coding} stream ended before its end (truncated body)")
