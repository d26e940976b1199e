"""The multipart codec's exact behaviour where a mutation survived the other tests (issue 13.4):
boundaries drawn and refused, header and boundary checks with their messages, file readers that
misbehave, the small-body and chunk-size edges, the decoder's hold-back of a possible delimiter
at its exact width, its fast path for chunks that are all body, and header values kept as sent."""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator

import pytest

from dicomkit.core import multipart
from dicomkit.core.errors import InvalidArgumentError, MultipartError, MultipartLimitError
from dicomkit.core.interface import Headers
from dicomkit.core.multipart import (
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
DELIMITER = b"\r\n--b0und4ry"


def _message(error: pytest.ExceptionInfo[BaseException]) -> str:
    return str(error.value)


def _opened(boundary: str = BOUNDARY) -> MultipartDecoder:
    """A decoder inside the body of a first part without headers."""
    decoder = MultipartDecoder(boundary)
    assert decoder.feed(b"--" + boundary.encode() + b"\r\n\r\n") == [PartStart(Headers())]
    return decoder


# --- boundaries ----------------------------------------------------------------------------


def test_new_boundary_shape() -> None:
    for _ in range(20):
        assert re.fullmatch(r"dicomkit-[0-9a-f]{48}", new_boundary())


def test_new_boundary_draws_again_when_a_body_holds_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draws = iter(["a" * 48, "b" * 48])
    monkeypatch.setattr(secrets, "token_hex", lambda size: next(draws))
    taken = b"payload --dicomkit-" + b"a" * 48 + b" more"
    assert new_boundary([taken, b"other"]) == "dicomkit-" + "b" * 48


def test_new_boundary_keeps_the_first_draw_when_no_body_holds_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    draws = iter(["a" * 48, "b" * 48])
    monkeypatch.setattr(secrets, "token_hex", lambda size: next(draws))
    assert new_boundary([b"dicomkit-" + b"a" * 48, b"--dicomkit-b"]) == "dicomkit-" + "a" * 48


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            'multipart/related; boundary="open',
            "cannot read the Content-Type 'multipart/related; boundary=\"open': unterminated "
            "quoted string in media type 'multipart/related; boundary=\"open'",
        ),
        (
            "application/dicom; boundary=x",
            "expected a multipart Content-Type, got 'application/dicom'",
        ),
        (
            "multipart/related; type=a/b",
            "the Content-Type 'multipart/related; type=a/b' has no boundary",
        ),
    ],
)
def test_boundary_from_content_type_messages(value: str, message: str) -> None:
    with pytest.raises(MultipartError) as caught:
        boundary_from_content_type(value)
    assert _message(caught) == message


def test_bytes_boundaries_encode_like_text() -> None:
    parts = [Part(b"abc", {"Content-Type": "a/b"})]
    as_bytes = b"".join(encode_multipart(parts, b"b0und4ry"))  # type: ignore[arg-type]
    assert as_bytes == b"".join(encode_multipart(parts, BOUNDARY))
    assert multipart_length(parts, b"b0und4ry") == len(as_bytes)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError) as caught:
        encode_multipart(parts, b"caf\xe9")  # type: ignore[arg-type]
    assert _message(caught).startswith("invalid boundary 'caf\xe9': ")


def test_an_invalid_boundary_is_named() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        list(encode_multipart([Part(b"x")], "bad boundary "))
    assert _message(caught) == (
        "invalid boundary 'bad boundary ': 1-70 characters of the RFC 2046 set, not ending in space"
    )


# --- the encoder ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\rb", "a\nb", "\r", "\n"])
def test_part_header_values_with_a_line_break_are_refused(value: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Part(b"", {"X-Test": value})
    assert _message(caught) == f"invalid part header 'X-Test': {value!r}"


def test_part_header_values_outside_latin_1_are_refused() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        Part(b"", {"X-Test": "\u20ac"})
    assert _message(caught) == "part header 'X-Test' is not latin-1 text"


def test_chunk_size_one_is_the_smallest() -> None:
    chunks = list(encode_multipart([Part(b"ab")], BOUNDARY, chunk_size=1))
    assert {len(chunk) for chunk in chunks} == {1}
    assert b"".join(chunks) == b"--b0und4ry\r\n\r\nab\r\n--b0und4ry--\r\n"
    with pytest.raises(InvalidArgumentError) as caught:
        encode_multipart([Part(b"ab")], BOUNDARY, chunk_size=0)
    assert _message(caught) == "chunk_size must be positive"


def test_a_body_of_exactly_the_small_size_travels_with_its_head() -> None:
    body = b"x" * (64 * 1024)
    chunks = list(encode_multipart([Part(body)], BOUNDARY, chunk_size=1 << 20))
    assert chunks == [b"--b0und4ry\r\n\r\n" + body, b"\r\n--b0und4ry--\r\n"]
    bigger = list(encode_multipart([Part(body + b"y")], BOUNDARY, chunk_size=1 << 20))
    assert bigger == [b"--b0und4ry\r\n\r\n", body + b"y", b"\r\n--b0und4ry--\r\n"]


class _Unseekable(io.RawIOBase):
    """A stream that cannot seek but would report a position if asked."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return 3

    def seek(self, offset: int, whence: int = 0) -> int:
        raise AssertionError("an unseekable body must not be sought")

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self._data.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def test_an_unseekable_body_is_neither_measured_nor_sought() -> None:
    part = Part(_Unseekable(b"payload"))
    assert part.length is None
    assert part._start is None
    body = b"".join(encode_multipart([part], BOUNDARY))
    assert body == b"--b0und4ry\r\n\r\npayload\r\n--b0und4ry--\r\n"


class _Generous:
    """A reader that ignores the size asked: ``block`` on each of its first three calls, then
    the end of the file."""

    def __init__(self, block: bytes) -> None:
        self.block = block
        self.asked: list[int] = []

    def read(self, size: int = -1) -> bytes:
        self.asked.append(size)
        return self.block if len(self.asked) <= 3 else b""


def test_a_file_is_not_read_again_once_its_length_is_reached() -> None:
    reader = _Generous(b"0123456789")
    part = Part(reader, length=10)  # type: ignore[arg-type]
    body = b"".join(encode_multipart([part], BOUNDARY, chunk_size=64))
    assert body == b"--b0und4ry\r\n\r\n0123456789\r\n--b0und4ry--\r\n"
    assert reader.asked == [10]


class _Text:
    def read(self, size: int = -1) -> str:
        return "text"


def test_a_text_file_is_refused_by_name() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        list(encode_multipart([Part(_Text(), length=4)], BOUNDARY))  # type: ignore[arg-type]
    assert _message(caught) == "part files must be opened in binary mode"


# --- the decoder: holding back a possible delimiter ----------------------------------------


def test_a_tail_of_exactly_the_delimiter_but_its_last_byte_is_held_back() -> None:
    decoder = _opened()
    chunk = b"abc" + DELIMITER[:-1]
    assert decoder.feed(chunk) == [PartData(b"abc")]
    assert decoder.buffered == len(DELIMITER) - 1
    assert decoder.feed(b"y--") == [PartEnd()]
    assert decoder.complete


def test_a_tail_one_byte_longer_is_body() -> None:
    decoder = _opened()
    chunk = b"abc\r" + DELIMITER[1:-1] + b"Z"
    assert decoder.feed(chunk) == [PartData(chunk)]
    assert decoder.buffered == 0


def test_only_the_last_cr_of_the_tail_can_begin_a_delimiter() -> None:
    decoder = _opened()
    assert decoder.feed(b"abc\r\r\n--b0") == [PartData(b"abc\r")]
    assert decoder.buffered == len(b"\r\n--b0")
    assert decoder.feed(b"und4ry--\r\n") == [PartEnd()]


def test_a_cr_that_cannot_begin_a_delimiter_is_not_held() -> None:
    decoder = _opened()
    chunk = b"abc\rX"
    (event,) = decoder.feed(chunk)
    assert event == PartData(chunk)
    assert event.data is chunk
    assert decoder.buffered == 0


def test_views_pass_a_whole_chunk_as_it_is() -> None:
    decoder = multipart._ViewingDecoder(BOUNDARY)
    decoder.feed(b"--b0und4ry\r\n\r\n")
    for chunk in (b"abc\rX", b"plain body"):
        (event,) = decoder.feed(chunk)
        assert event.data is chunk
    (event,) = decoder.feed(b"abc\r")
    assert type(event.data) is memoryview
    assert bytes(event.data) == b"abc"


def test_held_back_bytes_that_are_body_after_all_come_first() -> None:
    decoder = _opened()
    assert decoder.feed(b"abc\r\n--b0u") == [PartData(b"abc")]
    assert decoder.feed(b"X" * 40) == [PartData(b"\r\n--b0u"), PartData(b"X" * 40)]


# --- the decoder: its fast path ------------------------------------------------------------


def test_the_fast_path_turns_bytearrays_into_bytes() -> None:
    decoder = _opened()
    (event,) = decoder.feed(bytearray(b"abc"))
    assert type(event.data) is bytes
    (event,) = decoder.feed(memoryview(b"def"))
    assert type(event.data) is bytes
    assert decoder.feed(b"") == []


def test_the_fast_path_waits_for_held_bytes() -> None:
    decoder = _opened()
    decoder.feed(b"abc\r")
    assert decoder.feed(b"\n--b0und4ry\r\n\r\nnext") == [
        PartEnd(),
        PartStart(Headers()),
        PartData(b"next"),
    ]


def test_the_fast_path_is_only_for_bodies() -> None:
    decoder = MultipartDecoder(BOUNDARY)
    assert decoder.feed(b"preamble") == []
    assert decoder.feed(b"\r\n--b0und4ry\r\nX: 1\r\n") == []
    assert decoder.feed(b"Y: 2\r\n\r\n") == [PartStart(Headers([("X", "1"), ("Y", "2")]))]
    assert decoder.feed(b"body\r\n--b0und4ry--") == [PartData(b"body"), PartEnd()]
    assert decoder.feed(b"epilogue") == []
    decoder.close()
    with pytest.raises(MultipartError):
        decoder.feed(b"after close")


def test_a_chunk_holding_a_delimiter_splits_where_it_is() -> None:
    decoder = _opened()
    chunk = b"one" + DELIMITER + b"\r\n\r\ntwo" + DELIMITER + b"\r\n\r\nthree"
    assert decoder.feed(chunk) == [
        PartData(b"one"),
        PartEnd(),
        PartStart(Headers()),
        PartData(b"two"),
        PartEnd(),
        PartStart(Headers()),
        PartData(b"three"),
    ]


def test_a_part_after_a_preamble_finds_its_own_end() -> None:
    body = b"preamble\r\n--b0und4ry\r\n\r\nbody" + DELIMITER + b"--"
    assert [bytes(b) for _, b in iter_parts([body], BOUNDARY)] == [b"body"]
    decoder = MultipartDecoder(BOUNDARY)
    assert decoder.feed(body) == [PartStart(Headers()), PartData(b"body"), PartEnd()]


# --- the decoder: headers ------------------------------------------------------------------


def test_an_incomplete_header_block_is_measured_from_its_last_line() -> None:
    decoder = MultipartDecoder("b", max_header_line=16)
    assert decoder.feed(b"--b\r\nA: 1\r\nC: 2\r\nB: " + b"x" * 13) == []
    assert decoder.feed(b"\r\n\r\nbody\r\n--b--") == [
        PartStart(Headers([("A", "1"), ("C", "2"), ("B", "x" * 13)])),
        PartData(b"body"),
        PartEnd(),
    ]


def test_a_continuation_first_is_refused_by_name() -> None:
    decoder = MultipartDecoder("b")
    with pytest.raises(MultipartError) as caught:
        decoder.feed(b"--b\r\n folded\r\n\r\n")
    assert _message(caught) == "a part header continuation line has nothing to continue"


def test_a_malformed_line_is_quoted_up_to_80_characters() -> None:
    line = "x" * 100
    decoder = MultipartDecoder("b")
    with pytest.raises(MultipartError) as caught:
        decoder.feed(b"--b\r\n" + line.encode() + b"\r\n\r\n")
    assert _message(caught) == f"malformed part header line {line[:80]!r}"


def test_header_values_lose_only_spaces_and_tabs() -> None:
    body = b"--b\r\nA: X\r\nB: \xa0v\xa0\r\nC: a\r\n Xb\r\nD: c\r\n \xa0d\xa0\r\n\r\n\r\n--b--"
    ((headers, _),) = iter_parts([body], "b")
    assert list(headers.items()) == [
        ("A", "X"),
        ("B", "\xa0v\xa0"),
        ("C", "a Xb"),
        ("D", "c \xa0d\xa0"),
    ]


def test_a_header_line_limit_counts_the_line_not_the_block() -> None:
    fine = b"--b\r\nA: 1\r\nB: " + b"x" * 13 + b"\r\n\r\n\r\n--b--"
    assert len(list(iter_parts([fine], "b", max_header_line=16))) == 1
    with pytest.raises(MultipartLimitError):
        list(iter_parts([fine.replace(b"x" * 13, b"x" * 14)], "b", max_header_line=16))


def _chunked(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("size", [1, 2, 7, len(DELIMITER) - 1, len(DELIMITER), 64])
def test_bodies_full_of_crs_and_dashes_survive_any_chunk_size(size: int) -> None:
    bodies = [b"\r\r\n--b0und4r\r\n-", b"\r" * 40, b"x\r\n--b0und4rx\r\n--b0und4", b""]
    parts = [Part(body) for body in bodies]
    encoded = b"".join(encode_multipart(parts, BOUNDARY))
    decoded = [bytes(body) for _, body in iter_parts(_chunked(encoded, size), BOUNDARY)]
    assert decoded == bodies


# --- the decoder: after a delimiter, buffering and closing ---------------------------------


def test_nothing_is_buffered_once_the_closing_delimiter_is_read() -> None:
    decoder = _opened()
    assert decoder.feed(b"x\r\n--b0und4ry") == [PartData(b"x"), PartEnd()]
    assert decoder.buffered == 0
    assert decoder.feed(b"-") == []
    assert decoder.buffered == 1
    assert decoder.feed(b"-") == []
    assert decoder.complete
    assert decoder.buffered == 0


def test_a_preamble_keeps_only_what_could_begin_the_first_delimiter() -> None:
    decoder = MultipartDecoder(BOUNDARY)
    assert decoder.feed(b"p" * 100) == []
    assert decoder.buffered == len(DELIMITER) - 1


@pytest.mark.parametrize("tail", [b"X", b"\rX", b"  X"])
def test_a_wrong_byte_after_a_delimiter_fails_at_once(tail: bytes) -> None:
    decoder = MultipartDecoder("b")
    with pytest.raises(MultipartError) as caught:
        decoder.feed(b"--b" + tail)
    assert _message(caught).startswith("unexpected bytes after a boundary delimiter: ")


def test_the_unexpected_bytes_are_quoted_up_to_eight() -> None:
    decoder = MultipartDecoder("b")
    with pytest.raises(MultipartError) as caught:
        decoder.feed(b"--b  XYZ1234567890")
    assert _message(caught) == "unexpected bytes after a boundary delimiter: b'XYZ12345'"


_PART = [PartStart(Headers()), PartData(b"body"), PartEnd()]


@pytest.mark.parametrize(
    ("tail", "rest", "expected"),
    [
        (b"", b"\r\n\r\nbody\r\n--b--", _PART),
        (b"-", b"-", []),
        (b" ", b"\r\n\r\nbody\r\n--b--", _PART),
        (b"\r", b"\n\r\nbody\r\n--b--", _PART),
        (b" \t\r", b"\n\r\nbody\r\n--b--", _PART),
    ],
)
def test_what_could_still_become_a_delimiter_line_waits(
    tail: bytes, rest: bytes, expected: list[object]
) -> None:
    decoder = MultipartDecoder("b")
    assert decoder.feed(b"--b" + tail) == []
    assert decoder.buffered == len(tail)
    assert decoder.feed(rest) == expected
    assert decoder.complete


def test_a_held_tail_and_a_chunk_of_exactly_the_delimiter_length_stay_two_events() -> None:
    decoder = _opened()
    assert decoder.feed(b"abc\r") == [PartData(b"abc")]
    chunk = b"X" * len(DELIMITER)
    assert decoder.feed(chunk) == [PartData(b"\r"), PartData(chunk)]
    assert decoder.feed(b"\r") == []
    shorter = b"Y" * (len(DELIMITER) - 1)
    assert decoder.feed(shorter) == [PartData(b"\r" + shorter)]


def test_parts_are_counted() -> None:
    decoder = MultipartDecoder("b")
    decoder.feed(b"--b\r\n\r\none\r\n--b\r\nX: 1\r\n\r\ntwo\r\n--b\r\n\r\nthree")
    assert decoder.parts == 3
    with pytest.raises(MultipartError) as caught:
        decoder.close()
    assert _message(caught) == (
        "the multipart body ended inside part 3, without a closing delimiter"
    )
    with pytest.raises(MultipartError) as caught:
        decoder.close()
    assert _message(caught) == "the multipart body was malformed or cut short"


def test_a_body_cut_before_its_first_part_says_so() -> None:
    decoder = MultipartDecoder("b")
    decoder.feed(b"preamble")
    with pytest.raises(MultipartError) as caught:
        decoder.close()
    assert _message(caught) == (
        "the multipart body ended before the first part, without a closing delimiter"
    )


def test_an_incomplete_line_without_a_line_before_it_counts_from_its_start() -> None:
    decoder = MultipartDecoder("b", max_header_line=16)
    assert decoder.feed(b"--b\r\nX: " + b"v" * 13) == []
    assert decoder.feed(b"\r\n\r\n\r\n--b--") == [
        PartStart(Headers({"X": "v" * 13})),
        PartEnd(),
    ]


def test_an_incomplete_line_may_hold_its_limit_and_a_cr() -> None:
    line = b"B: " + b"x" * 13 + b"\r"
    decoder = MultipartDecoder("b", max_header_line=16)
    assert decoder.feed(b"--b\r\nA: 1\r\n" + line) == []
    assert decoder.feed(b"\n\r\n\r\n--b--") == [
        PartStart(Headers([("A", "1"), ("B", "x" * 13)])),
        PartEnd(),
    ]
    decoder = MultipartDecoder("b", max_header_line=16)
    with pytest.raises(MultipartLimitError) as caught:
        decoder.feed(b"--b\r\nA: 1\r\nB: " + b"x" * 14 + b"\r")
    assert _message(caught) == "a part header line exceeds 16 bytes"


@pytest.mark.parametrize("body", [b"--bX", b"--b\r\nX: " + b"v" * 60])
def test_a_failed_decoder_holds_nothing(body: bytes) -> None:
    decoder = MultipartDecoder("b", max_buffer=40)
    with pytest.raises(MultipartError):
        decoder.feed(body)
    assert decoder.buffered == 0
