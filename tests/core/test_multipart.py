"""The multipart encoder and push decoder: examples for each rule, then properties."""

from __future__ import annotations

import io
from collections.abc import Iterable
from itertools import pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dicomkit.core.errors import (
    InvalidArgumentError,
    MultipartError,
    MultipartLimitError,
)
from dicomkit.core.interface import Headers
from dicomkit.core.multipart import (
    Event,
    MultipartDecoder,
    Part,
    PartData,
    PartEnd,
    PartStart,
    boundary_from_content_type,
    encode_multipart,
    iter_parts,
    multipart_length,
    new_boundary,
)

BOUNDARY = "b0und4ry"


def decode(chunks: Iterable[bytes], boundary: str | bytes = BOUNDARY, **limits: int) -> list:
    return [(dict(h.items()), body) for h, body in iter_parts(chunks, boundary, **limits)]


def rechunk(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def collapse(events: list[Event]) -> list[object]:
    """Merge consecutive PartData so event lists compare independently of chunking."""
    out: list[object] = []
    for event in events:
        if isinstance(event, PartData) and out and isinstance(out[-1], bytes):
            out[-1] += event.data
        elif isinstance(event, PartData):
            out.append(event.data)
        else:
            out.append(event)
    return out


# --- encoder ---------------------------------------------------------------------------------


def test_encode_exact_bytes() -> None:
    parts = [Part(b"one", {"Content-Type": "application/dicom"}), Part(b"")]
    body = b"".join(encode_multipart(parts, BOUNDARY))
    assert body == (
        b"--b0und4ry\r\nContent-Type: application/dicom\r\n\r\none"
        b"\r\n--b0und4ry\r\n\r\n"
        b"\r\n--b0und4ry--\r\n"
    )
    assert multipart_length(parts, BOUNDARY) == len(body)


def test_encode_streams_files_in_chunks_and_replays_from_their_start() -> None:
    payload = bytes(range(256)) * 40
    stream = io.BytesIO(b"skip" + payload)
    stream.read(4)
    part = Part(stream, {"Content-Type": "application/dicom"})
    assert part.length == len(payload)
    first = list(encode_multipart([part], BOUNDARY, chunk_size=1000))
    second = list(encode_multipart([part], BOUNDARY, chunk_size=1000))
    assert first == second
    assert max(len(chunk) for chunk in first) <= 1000
    assert decode(first) == [({"Content-Type": "application/dicom"}, payload)]
    assert multipart_length([part], BOUNDARY) == len(b"".join(first))


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._data.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _ViewReader:
    """A reader that hands out bytearrays, as some file-likes do."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytearray:
        return bytearray(self._data.read(size))


def test_encode_unseekable_and_bytearray_readers() -> None:
    part = Part(_Unseekable(b"x" * 5000))  # type: ignore[arg-type]
    assert part.length is None
    assert multipart_length([Part(b"a"), part], BOUNDARY) is None
    assert decode(encode_multipart([part], BOUNDARY, chunk_size=7)) == [({}, b"x" * 5000)]
    view = Part(_ViewReader(b"abc" * 10), length=30)  # type: ignore[arg-type]
    assert decode(encode_multipart([view], BOUNDARY, chunk_size=4)) == [({}, b"abc" * 10)]


def test_encode_stops_a_file_at_its_declared_length_and_fails_when_short() -> None:
    long = Part(_ViewReader(b"abcdef"), length=3)  # type: ignore[arg-type]
    assert decode(encode_multipart([long], BOUNDARY)) == [({}, b"abc")]
    short = Part(_ViewReader(b"ab"), length=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="1 bytes before"):
        b"".join(encode_multipart([short], BOUNDARY))


def test_part_repr_shows_length_and_headers() -> None:
    assert repr(Part(b"abc", {"Content-Type": "a/b"})) == (
        "Part(length=3, headers=Headers([('Content-Type', 'a/b')]))"
    )


def test_encode_big_bytes_body_in_chunk_size_slices() -> None:
    body = b"z" * 200_000
    chunks = list(encode_multipart([Part(body), Part(bytearray(b"q"))], BOUNDARY, chunk_size=65536))
    assert max(map(len, chunks)) <= 65536
    assert decode(chunks) == [({}, body), ({}, b"q")]


@pytest.mark.parametrize(
    "make",
    [
        lambda: b"".join(encode_multipart([], BOUNDARY)),
        lambda: b"".join(encode_multipart([Part(b"x--b0und4ry")], BOUNDARY)),
        lambda: encode_multipart([Part(b"x")], "bad\r\nboundary"),
        lambda: encode_multipart([Part(b"x")], "x" * 71),
        lambda: encode_multipart([Part(b"x")], "trailing "),
        lambda: encode_multipart([Part(b"x")], BOUNDARY, chunk_size=0),
        lambda: Part(b"x", length=2),
        lambda: Part(b"x", length=-1),
        lambda: Part("text"),  # type: ignore[arg-type]
        lambda: Part(b"x", {"Bad Name": "v"}),
        lambda: Part(b"x", {"X": "a\r\nInjected: 1"}),
        lambda: Part(b"x", {"X": "\u20ac"}),
        lambda: b"".join(encode_multipart([Part(io.StringIO("text"))], BOUNDARY)),  # type: ignore[arg-type]
    ],
)
def test_encode_rejects_bad_input(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgumentError):
        make()


def test_new_boundary_is_random_and_avoids_bodies() -> None:
    first, second = new_boundary(), new_boundary()
    assert first != second
    assert len(first) >= 32
    assert new_boundary(avoid=[b"anything"]) not in "anything"
    assert boundary_from_content_type(f"multipart/related; boundary={first}") == first


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('multipart/related; type="application/dicom"; boundary="q u o"', "q u o"),
        ("Multipart/Related; BOUNDARY=plain", "plain"),
    ],
)
def test_boundary_from_content_type(value: str, expected: str) -> None:
    assert boundary_from_content_type(value) == expected


@pytest.mark.parametrize(
    "value", ["application/dicom; boundary=x", "multipart/related", "not a type", 'm/r; b="x']
)
def test_boundary_from_content_type_rejects(value: str) -> None:
    with pytest.raises(MultipartError):
        boundary_from_content_type(value)


# --- decoder ---------------------------------------------------------------------------------


def test_decoder_emits_start_data_end_events() -> None:
    decoder = MultipartDecoder(BOUNDARY)
    events = decoder.feed(b"--b0und4ry\r\nContent-Type: a/b\r\n\r\nhello\r\n--b0und4ry--")
    assert events == [
        PartStart(Headers({"Content-Type": "a/b"})),
        PartData(b"hello"),
        PartEnd(),
    ]
    assert decoder.complete
    assert decoder.parts == 1
    assert decoder.feed(b"epilogue is ignored") == []
    assert decoder.close() == []
    assert decoder.close() == []
    with pytest.raises(MultipartError):
        decoder.feed(b"more")


def test_decoder_whole_chunk_is_passed_through_without_copy() -> None:
    decoder = MultipartDecoder(BOUNDARY)
    decoder.feed(b"--b0und4ry\r\n\r\n")
    chunk = b"x" * 1000
    (event,) = decoder.feed(chunk)
    assert isinstance(event, PartData)
    assert event.data is chunk


def test_decoder_holds_back_only_a_possible_delimiter_prefix() -> None:
    decoder = MultipartDecoder(BOUNDARY)
    decoder.feed(b"--b0und4ry\r\n\r\n")
    assert collapse(decoder.feed(b"abc\r\n--b0un")) == [b"abc"]
    assert decoder.buffered == len(b"\r\n--b0un")
    assert collapse(decoder.feed(b"dXXXXXXXXXXXXXXXX")) == [b"\r\n--b0undXXXXXXXXXXXXXXXX"]
    assert decoder.buffered == 0
    assert collapse(decoder.feed(b"\r\r\n")) == [b"\r"]
    assert decoder.buffered == 2


def test_decoder_accepts_bytearray_and_memoryview() -> None:
    body = b"--b0und4ry\r\n\r\nabc\r\n--b0und4ry--\r\n"
    decoder = MultipartDecoder(BOUNDARY.encode())
    events = decoder.feed(bytearray(body[:10])) + decoder.feed(memoryview(body)[10:])
    assert collapse(events) == [PartStart(Headers()), b"abc", PartEnd()]
    assert decoder.feed(b"") == []


def test_decoder_header_folding_and_value_whitespace() -> None:
    body = b"--b\r\nX-A:  one\r\n two\r\nX-B:\tv \r\n\r\n\r\n--b--"
    assert decode([body], "b") == [({"X-A": "one two", "X-B": "v"}, b"")]


@pytest.mark.parametrize(
    "body",
    [
        b"--b\r\n continuation first\r\n\r\nx\r\n--b--",
        b"--b\r\nno colon here\r\n\r\nx\r\n--b--",
        b"--b\r\nbad name: v\r\n\r\nx\r\n--b--",
        b"--bX\r\n\r\nx\r\n--b--",
        b"--b  x\r\n\r\nx\r\n--b--",
    ],
)
def test_decoder_rejects_malformed_bodies(body: bytes) -> None:
    decoder = MultipartDecoder("b")
    with pytest.raises(MultipartError) as caught:
        decoder.feed(body)
    assert not isinstance(caught.value, MultipartLimitError)
    with pytest.raises(MultipartError):
        decoder.feed(b"more")
    with pytest.raises(MultipartError):
        decoder.close()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"preamble only",
        b"--b",
        b"--b\r",
        b"--b\r\nContent-Type: a/b\r\n",
        b"--b\r\n\r\nbody",
        b"--b\r\n\r\nbody\r\n--b",
        b"--b\r\n\r\nbody\r\n--b-",
        b"--b\r\n\r\nbody\r\n--b\r\n",
    ],
)
def test_decoder_close_reports_truncation(body: bytes) -> None:
    decoder = MultipartDecoder("b")
    decoder.feed(body)
    assert not decoder.complete
    with pytest.raises(MultipartError, match="ended"):
        decoder.close()
    with pytest.raises(MultipartError, match="cut short"):
        decoder.close()


def test_decoder_limits() -> None:
    with pytest.raises(MultipartLimitError):
        MultipartDecoder("x" * 300)
    with pytest.raises(MultipartLimitError):
        MultipartDecoder("x" * 20, max_boundary_length=10)
    with pytest.raises(MultipartError):
        MultipartDecoder("")
    with pytest.raises(MultipartError):
        MultipartDecoder("a\r\nb")
    with pytest.raises(MultipartError):
        MultipartDecoder("gr\u00fc\u00df")
    with pytest.raises(MultipartLimitError):
        decode([b"--b\r\nX: " + b"v" * 100 + b"\r\n\r\n\r\n--b--"], "b", max_header_line=50)
    with pytest.raises(MultipartLimitError):
        decode([b"--b\r\nX: " + b"v" * 100], "b", max_header_line=50)
    with pytest.raises(MultipartLimitError):
        decode([b"--b\r\n" + b"X: v\r\n" * 5 + b"\r\n\r\n--b--"], "b", max_headers=4)
    with pytest.raises(MultipartLimitError):
        decode([b"--b\r\n" + b"X: v\r\n" * 5], "b", max_headers=4)
    with pytest.raises(MultipartLimitError):
        decode([b"--b" + b" " * 100 + b"\r\n\r\n\r\n--b--"], "b", max_header_line=50)
    with pytest.raises(MultipartLimitError):
        decode([b"--b\r\nX: " + b"v" * 60], "b", max_buffer=40)
    assert decode([b"--b\r\n" + b"X: v\r\n" * 4 + b"\r\n\r\n--b--"], "b", max_headers=4) == [
        ({"X": "v"}, b"")
    ]


def test_iter_parts_raises_on_truncation() -> None:
    with pytest.raises(MultipartError):
        decode([b"--b\r\n\r\nabc"], "b")


# --- properties ------------------------------------------------------------------------------

_ATOMS = st.sampled_from([b"--", b"\r\n", b"\r", b"\n", b"-", b"--dicomkit", b"\r\n--dicom", b"x"])
_BODIES = st.one_of(
    st.binary(max_size=300),
    st.lists(_ATOMS, max_size=30).map(b"".join),
)
_HEADER_VALUES = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=30)
_PARTS = st.lists(
    st.tuples(
        _BODIES,
        st.lists(
            st.tuples(st.sampled_from(["Content-Type", "Content-Location", "X-Y"]), _HEADER_VALUES),
            max_size=3,
        ),
    ),
    min_size=1,
    max_size=6,
)


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in pairwise(edges) if b > a]


@given(_PARTS, st.lists(st.integers(min_value=0), max_size=40), st.integers(1, 2000))
def test_encode_rechunk_decode_is_identity(
    specs: list[tuple[bytes, list[tuple[str, str]]]], cuts: list[int], chunk_size: int
) -> None:
    bodies = [body for body, _ in specs]
    boundary = new_boundary(avoid=bodies)
    parts = [Part(body, headers) for body, headers in specs]
    encoded = b"".join(encode_multipart(parts, boundary, chunk_size=chunk_size))
    assert len(encoded) == multipart_length(parts, boundary)
    decoded = list(iter_parts(_split(encoded, cuts), boundary))
    assert [body for _, body in decoded] == bodies
    expected = [[(k, v.strip(" \t")) for k, v in headers] for _, headers in specs]
    assert [h.items() for h, _ in decoded] == expected


@settings(max_examples=10)
@given(_PARTS)
def test_byte_by_byte_feeding_gives_the_same_events(
    specs: list[tuple[bytes, list[tuple[str, str]]]],
) -> None:
    boundary = new_boundary(avoid=[body for body, _ in specs])
    encoded = b"".join(encode_multipart([Part(b, h) for b, h in specs], boundary))
    whole = MultipartDecoder(boundary)
    expected = collapse(whole.feed(encoded) + whole.close())
    single = MultipartDecoder(boundary)
    events: list[Event] = []
    for index in range(len(encoded)):
        events += single.feed(encoded[index : index + 1])
        assert single.buffered <= len(boundary) + 4 + 8192
    assert collapse(events + single.close()) == expected
    assert sum(isinstance(e, PartEnd) for e in expected) == len(specs)


def _announcing(
    specs: list[tuple[bytes, list[tuple[str, str]]]], lengths: list[int | None]
) -> list[Part]:
    """Parts whose headers announce ``lengths`` (None: no Content-Length)."""
    parts = []
    for index, (body, headers) in enumerate(specs):
        length = lengths[index] if index < len(lengths) else None
        announced = [] if length is None else [("Content-Length", str(length))]
        parts.append(Part(body, [*headers, *announced]))
    return parts


@given(_PARTS, st.lists(st.booleans(), max_size=6), st.lists(st.integers(min_value=0), max_size=40))
def test_parts_that_announce_their_length_decode_as_when_searched(
    specs: list[tuple[bytes, list[tuple[str, str]]]], announce: list[bool], cuts: list[int]
) -> None:
    """Counting an announced length instead of searching the body changes nothing, however
    the answer is cut (a cut inside the delimiter that follows included)."""
    bodies = [body for body, _ in specs]
    boundary = new_boundary(avoid=bodies)
    lengths = [
        len(body) if flag else None for (body, _), flag in zip(specs, announce, strict=False)
    ]
    encoded = b"".join(encode_multipart(_announcing(specs, lengths), boundary))
    decoder = MultipartDecoder(boundary)
    events: list[Event] = []
    for chunk in _split(encoded, cuts):
        events += decoder.feed(chunk)
        assert decoder.buffered <= len(boundary) + 4 + 8192
    events += decoder.close()
    assert [event for event in collapse(events) if isinstance(event, bytes)] == [
        body for body in bodies if body
    ]
    assert sum(isinstance(event, PartEnd) for event in events) == len(specs)


@given(
    _PARTS,
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=-40, max_value=40).filter(bool),
    st.lists(st.integers(min_value=0), max_size=20),
)
def test_a_length_its_body_does_not_end_at_is_refused(
    specs: list[tuple[bytes, list[tuple[str, str]]]], which: int, off: int, cuts: list[int]
) -> None:
    bodies = [body for body, _ in specs]
    which %= len(specs)
    wrong = len(bodies[which]) + off
    assume(wrong >= 0)
    boundary = new_boundary(avoid=bodies)
    lengths = [wrong if index == which else None for index in range(len(specs))]
    encoded = b"".join(encode_multipart(_announcing(specs, lengths), boundary))
    decoder = MultipartDecoder(boundary)

    def decode_all() -> None:
        for chunk in _split(encoded, cuts):
            decoder.feed(chunk)
        decoder.close()

    with pytest.raises(MultipartError):
        decode_all()


def test_a_body_holding_its_delimiter_is_one_part_when_its_length_says_so() -> None:
    body = b"before\r\n--" + BOUNDARY.encode() + b"\r\nafter"
    head = f"--{BOUNDARY}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    encoded = head + body + f"\r\n--{BOUNDARY}--".encode()
    for size in (1, 7, len(encoded)):
        assert decode(rechunk(encoded, size)) == [({"Content-Length": str(len(body))}, body)]


@given(st.binary(max_size=2000), st.lists(st.integers(min_value=0), max_size=20))
def test_arbitrary_bytes_raise_only_multipart_errors_within_the_buffer_limit(
    data: bytes, cuts: list[int]
) -> None:
    decoder = MultipartDecoder("b", max_header_line=64, max_headers=4, max_buffer=100)
    try:
        for chunk in _split(b"--b\r\n" + data, cuts) + _split(data, cuts):
            decoder.feed(chunk)
            assert decoder.buffered <= 100
        decoder.close()
    except MultipartError:
        pass


_GRAMMAR = st.lists(
    st.one_of(
        st.sampled_from(
            [
                *(b"--b", b"\r\n", b"\r\n--b", b"\r\n--b--", b"--", b"X: v", b":", b" "),
                *(b"\t", b"\r", b"Content-Length: 0", b"Content-Length: 3", b"content-length:12"),
            ]
        ),
        st.binary(max_size=8),
        st.just(b"y" * 70),
    ),
    max_size=60,
).map(b"".join)


@given(_GRAMMAR, st.lists(st.integers(min_value=0), max_size=20))
def test_near_valid_bodies_raise_only_multipart_errors_within_the_buffer_limit(
    data: bytes, cuts: list[int]
) -> None:
    decoder = MultipartDecoder("b", max_header_line=64, max_headers=4, max_buffer=100)
    events: list[Event] = []
    try:
        for chunk in _split(data, cuts):
            events += decoder.feed(chunk)
            assert decoder.buffered <= 100
        decoder.close()
    except MultipartError:
        return
    assert decoder.complete
    assert sum(isinstance(e, PartStart) for e in events) == decoder.parts
    assert sum(isinstance(e, PartEnd) for e in events) == decoder.parts
