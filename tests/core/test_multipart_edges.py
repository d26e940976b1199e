"""The multipart decoder's limits at their exact edges (the limit passes, one more fails, fed
whole and byte by byte), the limit messages, and PartEvents' Content-Length check on a
single-part answer (truncation) in the core, without a client."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from dicomkit.core.errors import MultipartError, MultipartLimitError, ProtocolError
from dicomkit.core.interface import Headers
from dicomkit.core.multipart import (
    MultipartDecoder,
    PartData,
    PartEnd,
    PartStart,
)
from dicomkit.core.operations import PartAssembler, PartEvents


def _decode(chunks: Iterable[bytes], boundary: str = "b", **limits: int) -> list[object]:
    decoder = MultipartDecoder(boundary, **limits)
    events: list[object] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return events


def _bytewise(body: bytes) -> list[bytes]:
    return [body[i : i + 1] for i in range(len(body))]


def _both(body: bytes, **limits: int) -> None:
    """Decode ``body`` whole and byte by byte; both must succeed the same way."""
    whole = _decode([body], **limits)
    assert whole
    assert _parts(_decode(_bytewise(body), **limits)) == _parts(whole)


def _parts(events: list[object]) -> list[tuple[list[tuple[str, str]], bytes]]:
    parts: list[tuple[list[tuple[str, str]], bytes]] = []
    for event in events:
        if isinstance(event, PartStart):
            parts.append((list(event.headers.items()), b""))
        elif isinstance(event, PartData):
            parts[-1] = (parts[-1][0], parts[-1][1] + bytes(event.data))
    return parts


def _refused(body: bytes, message: str, bytewise: str | None = None, **limits: int) -> None:
    """Both ways of feeding fail; byte by byte may fail earlier, with ``bytewise``."""
    for chunks, expected in (([body], message), (_bytewise(body), bytewise or message)):
        with pytest.raises(MultipartLimitError) as caught:
            _decode(chunks, **limits)
        assert str(caught.value) == expected


def _with_header_line(length: int) -> bytes:
    line = b"X: " + b"v" * (length - 3)
    assert len(line) == length
    return b"--b\r\n" + line + b"\r\n\r\nbody\r\n--b--\r\n"


def test_defaults():
    decoder = MultipartDecoder("b")
    assert (decoder._max_header_line, decoder._max_headers, decoder._max_buffer) == (
        8192,
        64,
        64 * 1024,
    )
    MultipartDecoder("b" * 256)
    with pytest.raises(MultipartLimitError) as caught:
        MultipartDecoder("b" * 257)
    assert str(caught.value) == "boundary of 257 bytes exceeds max_boundary_length=256"


def test_boundary_length_edge():
    MultipartDecoder("b" * 10, max_boundary_length=10)
    with pytest.raises(MultipartLimitError) as caught:
        MultipartDecoder("b" * 11, max_boundary_length=10)
    assert str(caught.value) == "boundary of 11 bytes exceeds max_boundary_length=10"


def test_header_line_edge():
    _both(_with_header_line(20), max_header_line=20)
    _refused(
        _with_header_line(21),
        "a part header line exceeds 20 bytes",
        max_header_line=20,
    )


def test_header_count_edge():
    body = b"--b\r\n" + b"X: v\r\n" * 4 + b"\r\nbody\r\n--b--"
    _both(body, max_headers=4)
    too_many = b"--b\r\n" + b"X: v\r\n" * 5 + b"\r\nbody\r\n--b--"
    _refused(
        too_many,
        "a part has more than 4 header fields",
        "a part has more than 4 header lines",
        max_headers=4,
    )


def test_header_count_edge_while_the_block_is_incomplete():
    unfinished = b"--b\r\n" + b"X: v\r\n" * 6
    decoder = MultipartDecoder("b", max_headers=5)
    with pytest.raises(MultipartLimitError) as caught:
        decoder.feed(unfinished)
    assert str(caught.value) == "a part has more than 5 header lines"
    MultipartDecoder("b", max_headers=6).feed(unfinished)  # six lines may still end well


def test_padding_after_a_delimiter_edge():
    _both(b"--b" + b" " * 20 + b"\r\n\r\nbody\r\n--b--", max_header_line=20)
    _refused(
        b"--b" + b" " * 21 + b"\r\n\r\nbody\r\n--b--",
        "more than 20 bytes of padding",
        max_header_line=20,
    )


def test_buffer_edge():
    head = b"--b\r\nX: "
    decoder = MultipartDecoder("b", max_buffer=len(head) - 5 + 10, max_header_line=100)
    decoder.feed(head + b"v" * 10)  # 5 bytes of "--b\r\n" are consumed, the rest is held
    assert decoder.buffered == len(head) - 5 + 10
    decoder = MultipartDecoder("b", max_buffer=len(head) - 5 + 10, max_header_line=100)
    with pytest.raises(MultipartLimitError) as caught:
        decoder.feed(head + b"v" * 11)
    assert str(caught.value) == "14 bytes buffered exceed max_buffer=13"


def test_a_closed_decoder_refuses_more_data():
    decoder = MultipartDecoder("b")
    decoder.feed(b"--b\r\n\r\nx\r\n--b--")
    assert decoder.complete
    assert decoder.parts == 1
    decoder.close()
    with pytest.raises(MultipartError) as caught:
        decoder.feed(b"more")
    assert str(caught.value) == "the decoder is closed or failed; it accepts no more data"


# -- PartEvents: a single-part answer and its Content-Length ------------------------------------


def _single(headers: dict[str, str], chunks: list[bytes]) -> list[object]:
    events = PartEvents(headers)
    out: list[object] = []
    for chunk in chunks:
        out.extend(events.feed(chunk))
    out.extend(events.close())
    return out


def test_a_single_part_answer_with_its_whole_length():
    events = _single(
        {"Content-Type": "application/octet-stream", "Content-Length": "6"}, [b"abc", b"def"]
    )
    assert events == [
        PartStart(Headers([("Content-Type", "application/octet-stream")])),
        PartData(b"abc"),
        PartData(b"def"),
        PartEnd(),
    ]


@pytest.mark.parametrize(("received", "declared"), [(b"", 1), (b"abcde", 6), (b"a", 1000)])
def test_a_single_part_answer_cut_short_is_refused(received, declared):
    events = PartEvents({"Content-Type": "image/jpeg", "Content-Length": str(declared)})
    events.feed(received)
    with pytest.raises(ProtocolError) as caught:
        events.close()
    assert str(caught.value) == (f"the answer ended after {len(received)} of its {declared} bytes")


def test_content_length_zero_and_more_than_declared_pass():
    assert _single({"Content-Type": "a/b", "Content-Length": "0"}, []) == [
        PartStart(Headers([("Content-Type", "a/b")])),
        PartEnd(),
    ]
    assert len(_single({"Content-Type": "a/b", "Content-Length": "1"}, [b"ab"])) == 3


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "a/b", "Content-Length": "10", "Content-Encoding": "gzip"},
        {"Content-Type": "a/b", "Content-Length": "ten"},
        {"Content-Type": "a/b", "Content-Length": "-1"},
        {"Content-Type": "a/b"},
    ],
)
def test_no_usable_length_is_not_checked(headers):
    assert len(_single(headers, [b"abc"])) == 3


def test_identity_encoding_keeps_the_check():
    events = PartEvents({"Content-Type": "a/b", "Content-Length": "4", "Content-Encoding": ""})
    events.feed(b"abc")
    with pytest.raises(ProtocolError, match="after 3 of its 4 bytes"):
        events.close()
    events = PartEvents(
        {"Content-Type": "a/b", "Content-Length": "4", "Content-Encoding": "identity"}
    )
    events.feed(b"abc")
    with pytest.raises(ProtocolError, match="after 3 of its 4 bytes"):
        events.close()


def test_a_single_part_keeps_its_content_location_and_defaults_its_type():
    events = _single({"Content-Location": "http://h/x"}, [b"z"])
    assert events[0] == PartStart(
        Headers([("Content-Type", "application/octet-stream"), ("Content-Location", "http://h/x")])
    )


def test_a_multipart_answer_ignores_content_length_and_needs_its_closing_delimiter():
    headers = {"Content-Type": "multipart/related; boundary=b", "Content-Length": "9999"}
    assembler = PartAssembler(headers)
    assert assembler.feed(b"--b\r\n\r\nxy\r\n--b--") == [(Headers(), b"xy")]
    assert assembler.close() == []
    cut = PartAssembler(headers)
    assert cut.held == 0
    cut.feed(b"--b\r\n\r\nxy")
    assert cut.held == 2
    with pytest.raises(MultipartError):
        cut.close()
