"""PartStreamExchange (issue 19): the part events a client streams to sinks, checked as the
whole-part exchanges check them, without holding a part."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import errors, multipart
from dicomkit.core.operations import Exchanges, Operations, PartStreamExchange, Step
from dicomkit.core.urls import DicomWebURLs

STUDY, SERIES, INSTANCE = "1.2.3", "1.2.3.4", "1.2.3.4.5"
BULK = "https://pacs.test/dicom-web/bulk/1"


def exchanges() -> Exchanges:
    return Exchanges(Operations(DicomWebURLs("https://pacs.test/dicom-web")))


def multipart_wire(
    bodies: list[bytes], part_headers: list[dict[str, str]] | None = None
) -> tuple[str, bytes]:
    boundary = multipart.new_boundary(avoid=bodies)
    heads = part_headers or [{} for _ in bodies]
    parts = [
        multipart.Part(body, {"Content-Type": "application/dicom", **head})
        for body, head in zip(bodies, heads, strict=True)
    ]
    wire = b"".join(multipart.encode_multipart(parts, boundary))
    return f'multipart/related; type="application/dicom"; boundary={boundary}', wire


def cut(wire: bytes, size: int) -> list[bytes]:
    return [wire[start : start + size] for start in range(0, len(wire), size)]


def stream(
    exchange: PartStreamExchange, status: int, headers: dict[str, str], chunks: list[bytes]
) -> list[tuple[str, bytes]]:
    """(kind, bytes) for each event, PartData pieces joined per part."""
    assert exchange.start(status, headers) is Step.READ
    events = [e for chunk in chunks for batch in exchange.feed(chunk) for e in batch]
    assert exchange.pending == 0
    events += [e for batch in exchange.close() for e in batch]
    parts: list[tuple[str, bytes]] = []
    for event in events:
        if isinstance(event, multipart.PartStart):
            parts.append(("part", b""))
        elif isinstance(event, multipart.PartData):
            parts[-1] = ("part", parts[-1][1] + event.data)
    return parts


@given(st.lists(st.binary(max_size=200), min_size=1, max_size=4), st.integers(1, 64))
def test_every_part_streams_whole_in_order(bodies: list[bytes], size: int) -> None:
    content_type, wire = multipart_wire(bodies)
    exchange = exchanges().part_stream(STUDY, SERIES)
    got = stream(exchange, 200, {"Content-Type": content_type}, cut(wire, size))
    assert [body for _, body in got] == bodies
    assert exchange.done


def test_one_part_refuses_a_second_part_before_its_first_byte() -> None:
    content_type, wire = multipart_wire([b"first", b"second"])
    exchange = exchanges().part_stream(STUDY, SERIES, INSTANCE, one_part=True)
    exchange.start(200, {"Content-Type": content_type})
    second = wire.index(b"second")
    handed = [e for batch in exchange.feed(wire[: second - 10]) for e in batch]
    assert b"".join(e.data for e in handed if isinstance(e, multipart.PartData)) == b"first"
    with pytest.raises(errors.ProtocolError, match="more than one part"):
        exchange.feed(wire[second - 10 :])


def test_one_part_refuses_an_answer_without_any_part() -> None:
    exchange = exchanges().part_stream(STUDY, SERIES, INSTANCE, one_part=True)
    exchange.start(200, {"Content-Type": "multipart/related; boundary=b"})
    assert exchange.feed(b"--b--\r\n") == []
    with pytest.raises(errors.ProtocolError, match="no part"):
        exchange.close()


def test_a_single_part_answer_is_one_part_and_an_empty_one_is_an_empty_part() -> None:
    exchange = exchanges().bulkdata_stream(BULK)
    assert stream(exchange, 200, {"Content-Type": "application/octet-stream"}, [b""]) == [
        ("part", b"")
    ]


VALUE = bytes(range(256)) * 3


@given(
    st.integers(0, len(VALUE) + 10),
    st.one_of(st.none(), st.integers(0, len(VALUE) + 10)),
    st.integers(1, 97),
    st.booleans(),
)
def test_a_whole_value_answered_200_is_trimmed_to_the_range_as_it_streams(
    first: int, last: int | None, size: int, single: bool
) -> None:
    if last is not None and last < first:
        first, last = last, first
    exchange = exchanges().bulkdata_stream(BULK, (first, last), single_part=single)
    if single:
        headers, chunks = {"Content-Type": "application/octet-stream"}, cut(VALUE, size)
    else:
        content_type, wire = multipart_wire([VALUE])
        headers, chunks = {"Content-Type": content_type}, cut(wire, size)
    stop = None if last is None else last + 1
    assert stream(exchange, 200, headers, chunks) == [("part", VALUE[first:stop])]


def test_a_206_part_is_checked_against_its_content_range_when_it_ends() -> None:
    exchange = exchanges().bulkdata_stream(BULK, (2, 5))
    content_type, wire = multipart_wire([b"2345"], [{"Content-Range": "bytes 2-5/10"}])
    assert stream(exchange, 206, {"Content-Type": content_type}, cut(wire, 3)) == [
        ("part", b"2345")
    ]
    wrong = exchanges().bulkdata_stream(BULK, (2, 5))
    content_type, wire = multipart_wire([b"23456"], [{"Content-Range": "bytes 2-6/10"}])
    with pytest.raises(errors.ProtocolError, match="asked for bytes 2-5"):
        stream(wrong, 206, {"Content-Type": content_type}, cut(wire, 3))
    bare = exchanges().bulkdata_stream(BULK, (2, 5), single_part=True)
    with pytest.raises(errors.ProtocolError, match="Content-Range"):
        stream(bare, 206, {"Content-Type": "application/octet-stream"}, [b"2345"])
    answered = exchanges().bulkdata_stream(BULK, (2, 5), single_part=True)
    headers = {"Content-Type": "application/octet-stream", "Content-Range": "bytes 2-5/10"}
    assert stream(answered, 206, headers, [b"23", b"45"]) == [("part", b"2345")]


def test_a_refused_retrieve_and_a_web_page_are_not_streamed() -> None:
    exchange = exchanges().part_stream(STUDY, SERIES, INSTANCE, one_part=True)
    assert exchange.start(404, {}) is Step.REJECT
    page = exchanges().part_stream(STUDY)
    with pytest.raises(errors.NotDicomWebError):
        page.start(200, {"Content-Type": "text/html"})


def test_the_options_reach_the_request() -> None:
    exchange = exchanges().part_stream(
        STUDY, SERIES, INSTANCE, one_part=True, transfer_syntax="1.2.840.10008.1.2.1"
    )
    assert "transfer-syntax=1.2.840.10008.1.2.1" in exchange.request.headers["Accept"]
    assert exchange.request.url.endswith(f"/studies/{STUDY}/series/{SERIES}/instances/{INSTANCE}")
