"""One part's body, collected from the pieces it arrives in and handed out as one ``bytes``.

Joining a list of pieces needs the pieces and the joined copy at once: twice the part, 1 GiB
for a 512 MiB whole-slide image. From :data:`GROW_IN_PLACE` bytes on, the body therefore grows
inside an in-memory ``BytesIO`` whose ``getvalue()`` hands its own ``bytes`` over without a
copy (CPython), each piece copied in as it arrives and then released: the part is held once,
plus one piece. Smaller parts keep the list and its single join, which is faster there.
"""

from __future__ import annotations

from io import BytesIO  # an in-memory buffer: no file, no I/O (tests/core/test_purity.py)

__all__ = ["GROW_IN_PLACE", "PartBody"]

GROW_IN_PLACE = 32 << 20
"""Bytes of a part from which it grows in place rather than being joined at its end.

glibc serves every allocation from 32 MiB up (its largest ``mmap`` threshold) with ``mmap``,
where growing a buffer remaps its pages instead of copying them; below that, growing may copy
the whole buffer each time, which made 4-32 MiB parts 3-8x slower to collect than one join.
A part is held in at most ``max(size, 2 * GROW_IN_PLACE)`` bytes plus one piece."""


class PartBody:
    """Pieces in, one ``bytes`` out (:meth:`take`); the collector is empty again afterwards."""

    __slots__ = ("_buffer", "_listed", "_pieces", "size")

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self._listed = 0
        self._buffer: BytesIO | None = None
        self.size = 0
        """Bytes collected so far."""

    @property
    def pending(self) -> int:
        """Bytes :meth:`take` (or the next :meth:`add`) may join: the work worth moving off an
        event loop. Zero once the body grows in place, where each piece is copied as it comes."""
        return self._listed

    def add(self, piece: bytes) -> None:
        """Append ``piece`` (``bytes`` or a memoryview, which stays referenced until joined)."""
        self.size += len(piece)
        buffer = self._buffer
        if buffer is not None:
            buffer.write(piece)
            return
        self._pieces.append(piece)
        self._listed += len(piece)
        if self._listed >= GROW_IN_PLACE:
            buffer = self._buffer = BytesIO(b"".join(self._pieces))
            buffer.seek(0, 2)
            self._pieces, self._listed = [], 0

    def take(self) -> bytes:
        """The whole body as ``bytes``; the collector starts over empty."""
        buffer, pieces = self._buffer, self._pieces
        self._pieces, self._listed, self._buffer, self.size = [], 0, None, 0
        if buffer is None:
            return b"".join(pieces)
        body = buffer.getvalue()
        buffer.close()
        return body
