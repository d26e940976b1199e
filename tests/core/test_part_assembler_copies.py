"""PartAssembler (one copy per part, from memoryviews) gives exactly the parts that were sent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.multipart import Part, encode_multipart, new_boundary
from dicomkit.core.operations import PartAssembler


@given(
    st.lists(st.binary(max_size=300), min_size=1, max_size=5),
    st.lists(st.integers(1, 97), min_size=1, max_size=40),
)
def test_parts_survive_any_chunking(bodies: list[bytes], sizes: list[int]) -> None:
    boundary = new_boundary()
    wire = b"".join(encode_multipart([Part(body) for body in bodies], boundary))
    assembler = PartAssembler(
        [("Content-Type", f'multipart/related; type="application/dicom"; boundary={boundary}')]
    )
    got: list[bytes] = []
    start, index = 0, 0
    while start < len(wire):
        size = sizes[index % len(sizes)]
        got += [body for _, body in assembler.feed(wire[start : start + size])]
        start, index = start + size, index + 1
    got += [body for _, body in assembler.close()]
    assert got == bodies
    assert all(type(body) is bytes for body in got)
