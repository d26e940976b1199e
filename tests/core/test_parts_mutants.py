"""dicomkit.core.operations.parts and core._partbody at their edges: which bodies are multipart,
the headers a bare part gets, the bytes type handed out, whole parts with their headers, the
declared length, sinks, and the part collector's switch to growing in place."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import multipart
from dicomkit.core._partbody import GROW_IN_PLACE, PartBody
from dicomkit.core.errors import InvalidArgumentError, ProtocolError
from dicomkit.core.interface import Headers
from dicomkit.core.operations.parts import PartAssembler, PartEvents, WrittenPart, writer_of

TWO_PARTS = (
    b"--b\r\nContent-Type: application/dicom\r\nContent-Location: /a\r\n\r\nfirst\r\n"
    b"--b\r\nContent-Type: application/octet-stream\r\n\r\nsecond\r\n--b--"
)
RELATED = [("Content-Type", 'multipart/related; type="application/dicom"; boundary=b')]


def events_of(headers: Any, body: bytes, **options: Any) -> list[multipart.Event]:
    events = PartEvents(headers, **options)
    return [*events.feed(body), *events.close()]


def bodies(events: list[multipart.Event]) -> list[Any]:
    return [event.data for event in events if isinstance(event, multipart.PartData)]


def test_a_multipart_answer_is_decoded_into_bytes_by_default() -> None:
    found = events_of(RELATED, TWO_PARTS)
    starts = [event.headers.items() for event in found if isinstance(event, multipart.PartStart)]
    assert starts == [
        [("Content-Type", "application/dicom"), ("Content-Location", "/a")],
        [("Content-Type", "application/octet-stream")],
    ]
    assert [type(data) for data in bodies(found)] == [bytes, bytes]
    assert b"".join(bodies(found)) == b"firstsecond"
    assert sum(isinstance(event, multipart.PartEnd) for event in found) == 2


def test_views_hand_out_memoryviews_of_the_chunks() -> None:
    found = events_of(RELATED, TWO_PARTS, views=True)
    assert [type(data) for data in bodies(found)] == [memoryview, memoryview]
    assert b"".join(bodies(found)) == b"firstsecond"


def test_a_boundary_on_a_type_that_is_not_multipart_is_one_part() -> None:
    headers = [("Content-Type", "application/dicom; boundary=b")]
    found = events_of(headers, TWO_PARTS)
    assert found == [
        multipart.PartStart(Headers([("Content-Type", "application/dicom; boundary=b")])),
        multipart.PartData(TWO_PARTS),
        multipart.PartEnd(),
    ]


def test_multipart_without_a_boundary_is_one_part_of_its_type() -> None:
    headers = [
        ("Content-Type", 'multipart/related; type="image/jp2"'),
        ("Content-Location", "https://pacs.test/frames/1"),
    ]
    found = events_of(headers, b"jp2")
    assert isinstance(found[0], multipart.PartStart)
    assert found[0].headers.items() == [
        ("Content-Type", "image/jp2"),
        ("Content-Location", "https://pacs.test/frames/1"),
    ]
    assert found[1:] == [multipart.PartData(b"jp2"), multipart.PartEnd()]


def test_multipart_without_boundary_or_type_is_octet_stream() -> None:
    found = events_of([("Content-Type", "multipart/related")], b"x")
    assert isinstance(found[0], multipart.PartStart)
    assert found[0].headers.items() == [("Content-Type", "application/octet-stream")]


def test_no_content_type_is_octet_stream_and_no_location_is_none() -> None:
    found = events_of([], b"raw")
    assert found == [
        multipart.PartStart(Headers([("Content-Type", "application/octet-stream")])),
        multipart.PartData(b"raw"),
        multipart.PartEnd(),
    ]


def test_a_bare_part_keeps_its_own_media_type() -> None:
    headers = [("Content-Type", "image/jpeg"), ("Content-Location", "/rendered")]
    found = events_of(headers, b"")
    assert found == [
        multipart.PartStart(
            Headers([("Content-Type", "image/jpeg"), ("Content-Location", "/rendered")])
        ),
        multipart.PartEnd(),
    ]


def test_the_part_start_comes_once_whatever_the_chunks() -> None:
    events = PartEvents([("Content-Type", "application/dicom")])
    first = events.feed(b"")
    assert first == [multipart.PartStart(Headers([("Content-Type", "application/dicom")]))]
    assert events.feed(b"a") == [multipart.PartData(b"a")]
    assert events.feed(b"") == []
    assert events.close() == [multipart.PartEnd()]


@given(length=st.integers(1, 40), cut=st.integers(0, 40))
def test_a_bare_part_short_of_its_content_length_is_refused(length: int, cut: int) -> None:
    received = min(cut, length)
    events = PartEvents([("Content-Type", "application/dicom"), ("Content-Length", str(length))])
    events.feed(b"x" * received)
    if received < length:
        with pytest.raises(ProtocolError) as short:
            events.close()
        assert str(short.value) == f"the answer ended after {received} of its {length} bytes"
    else:
        assert events.close() == [multipart.PartEnd()]


@pytest.mark.parametrize("encoding", ["", "identity"])
def test_an_identity_encoding_keeps_the_length_check(encoding: str) -> None:
    headers = [("Content-Length", "4"), ("Content-Encoding", encoding)]
    events = PartEvents(headers)
    events.feed(b"abc")
    with pytest.raises(ProtocolError) as short:
        events.close()
    assert str(short.value) == "the answer ended after 3 of its 4 bytes"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_decoded_body_is_not_held_to_the_declared_length(encoding: str) -> None:
    events = PartEvents([("Content-Length", "400"), ("Content-Encoding", encoding)])
    events.feed(b"abc")
    assert events.close() == [multipart.PartEnd()]


def test_the_assembler_keeps_each_parts_headers() -> None:
    assembler = PartAssembler(RELATED)
    parts = assembler.feed(TWO_PARTS[:40]) + assembler.feed(TWO_PARTS[40:]) + assembler.close()
    assert [(headers.items(), body) for headers, body in parts] == [
        ([("Content-Type", "application/dicom"), ("Content-Location", "/a")], b"first"),
        ([("Content-Type", "application/octet-stream")], b"second"),
    ]
    assert all(type(body) is bytes for _, body in parts)
    assert assembler.held == 0
    assert assembler.pending == 0


def test_the_assembler_counts_what_it_holds() -> None:
    body = b"--b\r\nContent-Type: application/dicom\r\n\r\n" + b"x" * 100
    assembler = PartAssembler(RELATED)
    assert assembler.feed(body) == []
    released = sum(len(data) for data in bodies(PartEvents(RELATED).feed(body)))
    assert released > 50
    assert assembler.held == released
    assert assembler.pending == released


def test_the_assembler_of_a_bare_part() -> None:
    assembler = PartAssembler([("Content-Type", "application/dicom"), ("Content-Length", "6")])
    assert assembler.feed(b"abc") == []
    assert assembler.feed(b"def") == []
    parts = assembler.close()
    assert [(headers.items(), body) for headers, body in parts] == [
        ([("Content-Type", "application/dicom")], b"abcdef")
    ]


def test_writer_of_each_kind_of_sink() -> None:
    buffer = io.BytesIO()
    assert writer_of(buffer) == buffer.write
    received: list[bytes] = []
    assert writer_of(received.append) == received.append

    class NotCallableWrite:
        write = "no"

        def __call__(self, data: bytes) -> None:
            received.append(data)

    sink = NotCallableWrite()
    assert writer_of(sink) is sink
    with pytest.raises(InvalidArgumentError) as refused:
        writer_of(42)
    assert str(refused.value) == "a sink has a write method or is a callable taking bytes, not int"


def test_a_written_part_is_what_it_was_given() -> None:
    headers = Headers([("Content-Type", "application/dicom")])
    part = WrittenPart(headers, 3, "sink")
    assert (part.headers, part.size, part.sink) == (headers, 3, "sink")


def test_part_body_joins_small_parts_and_starts_over() -> None:
    body = PartBody()
    assert (body.size, body.pending) == (0, 0)
    body.add(b"ab")
    body.add(memoryview(b"cd"))  # type: ignore[arg-type]  # views are taken too
    assert (body.size, body.pending) == (4, 4)
    assert body.take() == b"abcd"
    assert (body.size, body.pending) == (0, 0)
    assert body.take() == b""


def test_part_body_grows_in_place_from_the_threshold_on() -> None:
    assert GROW_IN_PLACE == 32 * 1024 * 1024
    body = PartBody()
    body.add(bytes(GROW_IN_PLACE - 2))
    body.add(b"\x01")
    assert (body.size, body.pending) == (GROW_IN_PLACE - 1, GROW_IN_PLACE - 1)
    body.add(b"\x02")
    # the threshold reached: the pieces went into the buffer, nothing is left to join
    assert (body.size, body.pending) == (GROW_IN_PLACE, 0)
    body.add(b"\x03\x04")
    assert (body.size, body.pending) == (GROW_IN_PLACE + 2, 0)
    whole = body.take()
    assert type(whole) is bytes
    assert len(whole) == GROW_IN_PLACE + 2
    assert whole[-4:] == b"\x01\x02\x03\x04"
    assert whole[: GROW_IN_PLACE - 2] == bytes(GROW_IN_PLACE - 2)
    assert (body.size, body.pending) == (0, 0)
    body.add(b"again")
    assert (body.size, body.pending) == (5, 5)
    assert body.take() == b"again"
