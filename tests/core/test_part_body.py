"""PartBody and everything that collects whole parts with it (issue 19): the same bytes as one
join, for any pieces and any threshold, and pieces released once the body grows in place."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import _partbody
from dicomkit.core._partbody import PartBody
from dicomkit.core.multipart import Part, encode_multipart, iter_parts, new_boundary
from dicomkit.core.operations import PartAssembler

pieces_strategy = st.lists(st.binary(max_size=64), max_size=20)


@given(pieces_strategy, st.integers(1, 200), st.booleans())
def test_take_gives_the_pieces_joined_for_any_threshold(
    pieces: list[bytes], threshold: int, as_views: bool
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_partbody, "GROW_IN_PLACE", threshold)
        body = PartBody()
        for piece in pieces:
            body.add(memoryview(piece) if as_views else piece)
        assert body.size == sum(map(len, pieces))
        taken = body.take()
        assert taken == b"".join(pieces)
        assert type(taken) is bytes
        assert (body.size, body.pending, body.take()) == (0, 0, b"")


def test_pending_counts_listed_bytes_until_the_body_grows_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_partbody, "GROW_IN_PLACE", 10)
    body = PartBody()
    body.add(b"abcd")
    assert body.pending == 4
    body.add(b"efghij")
    assert (body.pending, body.size) == (0, 10)
    body.add(b"k")
    assert (body.pending, body.size) == (0, 11)
    assert body.take() == b"abcdefghijk"


def test_a_single_bytes_piece_is_handed_out_as_is() -> None:
    body = PartBody()
    piece = bytes(range(200))
    body.add(piece)
    assert body.take() is piece


def test_pieces_are_released_once_copied_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bytearray cannot grow while a view of it is alive: it can here once the body grows
    in place, so the body keeps no piece; while the pieces are listed, it keeps them."""
    monkeypatch.setattr(_partbody, "GROW_IN_PLACE", 8)
    listed, grown = bytearray(b"1234"), bytearray(b"5678")
    body = PartBody()
    body.add(memoryview(listed))
    with pytest.raises(BufferError):
        listed.extend(b"x")
    body.add(memoryview(grown))  # reaches the threshold: both are copied and released
    listed.extend(b"x")
    body.add(memoryview(grown))
    grown.extend(b"y")
    assert body.take() == b"12345678" + b"5678"


@given(
    st.lists(st.binary(max_size=300), min_size=1, max_size=4),
    st.lists(st.integers(1, 97), min_size=1, max_size=20),
    st.integers(1, 400),
)
def test_whole_parts_are_exact_whether_joined_or_grown(
    bodies: list[bytes], sizes: list[int], threshold: int
) -> None:
    boundary = new_boundary()
    wire = b"".join(encode_multipart([Part(body) for body in bodies], boundary))
    chunks, start, index = [], 0, 0
    while start < len(wire):
        chunks.append(wire[start : start + sizes[index % len(sizes)]])
        start, index = start + sizes[index % len(sizes)], index + 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_partbody, "GROW_IN_PLACE", threshold)
        assert [body for _, body in iter_parts(chunks, boundary)] == bodies
        assembler = PartAssembler(
            [("Content-Type", f"multipart/related; type=application/dicom; boundary={boundary}")]
        )
        got = [body for chunk in chunks for _, body in assembler.feed(chunk)]
        got += [body for _, body in assembler.close()]
    assert got == bodies
    assert all(type(body) is bytes for body in got)
