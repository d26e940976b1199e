"""The streaming exchanges' exact behaviour (issue 13.4, fifth round): ``PartStreamExchange``
with each of ``one_part`` and ``byte_range`` alone, whole answers in one chunk, the messages
users read; and the small promises of the other exchanges (``done`` after ``close``, the
headers a DELETE keeps, a warned truncation, the rendering fallback)."""

from __future__ import annotations

import warnings

import pytest

from dicomkit.core import errors, multipart
from dicomkit.core.interface import Headers, Request
from dicomkit.core.operations.exchange import (
    DeleteExchange,
    FramesExchange,
    PartEventsExchange,
    PartsExchange,
    PartStreamExchange,
    RenderedExchange,
    SearchExchange,
    Step,
)
from dicomkit.core.operations.paging import SearchTruncatedWarning

URL = "https://user:secret@pacs.test/dicom-web/bulk/1"
SHOWN = "https://pacs.test/dicom-web/bulk/1"
VALUE = b"0123456789"


def request() -> Request:
    return Request("GET", URL)


def wire(bodies: list[bytes], heads: list[dict[str, str]] | None = None) -> tuple[str, bytes]:
    parts = [
        multipart.Part(body, {"Content-Type": "application/octet-stream", **head})
        for body, head in zip(bodies, heads or [{} for _ in bodies], strict=True)
    ]
    boundary = multipart.new_boundary(avoid=bodies)
    content_type = f"multipart/related; type=application/octet-stream; boundary={boundary}"
    return content_type, b"".join(multipart.encode_multipart(parts, boundary))


def kinds(events: list[multipart.Event]) -> list[object]:
    """Each event as a comparable value: the class name, or the bytes of a PartData."""
    return [e.data if isinstance(e, multipart.PartData) else type(e).__name__ for e in events]


def whole(exchange: PartStreamExchange, status: int, headers: dict[str, str], body: bytes) -> list:
    """The answer fed in ONE chunk: every event of a part comes in one list."""
    assert exchange.start(status, headers) is Step.READ
    events = [e for batch in exchange.feed(body) for e in batch]
    return kinds(events + [e for batch in exchange.close() for e in batch])


def test_streaming_without_checks_is_the_default_and_passes_every_event() -> None:
    content_type, body = wire([b"one", b"", b"three"])
    exchange = PartStreamExchange(request())
    assert (exchange.one_part, exchange.byte_range) == (False, None)
    got = whole(exchange, 200, {"Content-Type": content_type}, body)
    assert got == [
        "PartStart",
        b"one",
        "PartEnd",
        "PartStart",
        "PartEnd",
        "PartStart",
        b"three",
        "PartEnd",
    ]
    assert exchange.done is True


def test_a_range_alone_trims_each_part_of_a_whole_answer() -> None:
    content_type, body = wire([VALUE, VALUE])
    exchange = PartStreamExchange(request(), byte_range=(2, 4))
    got = whole(exchange, 200, {"Content-Type": content_type}, body)
    assert got == ["PartStart", b"234", "PartEnd", "PartStart", b"234", "PartEnd"]


def test_a_range_without_an_end_keeps_the_tail_and_one_past_the_value_keeps_nothing() -> None:
    exchange = PartStreamExchange(request(), byte_range=(7, None))
    assert whole(exchange, 200, {}, VALUE) == ["PartStart", b"789", "PartEnd"]
    beyond = PartStreamExchange(request(), byte_range=(10, 20))
    assert whole(beyond, 200, {}, VALUE) == ["PartStart", "PartEnd"]
    everything = PartStreamExchange(request(), byte_range=(0, 9))
    assert whole(everything, 200, {}, VALUE) == ["PartStart", VALUE, "PartEnd"]


def test_a_range_is_cut_across_chunks() -> None:
    exchange = PartStreamExchange(request(), byte_range=(3, 6))
    exchange.start(200, {"Content-Type": "application/octet-stream"})
    pieces = [
        kinds(batch) for chunk in (b"012", b"345", b"678", b"9") for batch in exchange.feed(chunk)
    ]
    assert pieces == [["PartStart"], [b"345"], [b"6"]]
    assert [kinds(batch) for batch in exchange.close()] == [["PartEnd"]]


def test_a_206_in_one_chunk_is_checked_against_the_part_then_the_answer() -> None:
    content_type, body = wire([b"2345"], [{"Content-Range": "bytes 2-5/10"}])
    exchange = PartStreamExchange(request(), byte_range=(2, 5))
    assert whole(exchange, 206, {"Content-Type": content_type}, body) == [
        "PartStart",
        b"2345",
        "PartEnd",
    ]
    content_type, body = wire([b"2345"])
    headers = {"Content-Type": content_type, "Content-Range": "bytes 2-5/10"}
    answered = PartStreamExchange(request(), byte_range=(2, 5))
    assert whole(answered, 206, headers, body) == ["PartStart", b"2345", "PartEnd"]
    content_type, body = wire([b"23456"], [{"Content-Range": "bytes 2-6/10"}])
    wrong = PartStreamExchange(request(), byte_range=(2, 5))
    wrong.start(206, {"Content-Type": content_type})
    with pytest.raises(errors.ProtocolError, match="asked for bytes 2-5"):
        wrong.feed(body)


def test_one_part_messages_name_the_request_without_its_password() -> None:
    content_type, body = wire([b"a", b"b"])
    two = PartStreamExchange(request(), one_part=True)
    two.start(200, {"Content-Type": content_type})
    with pytest.raises(errors.ProtocolError) as caught:
        two.feed(body)
    assert str(caught.value) == (
        f"GET {SHOWN}: the answer holds more than one part, where one was expected"
    )
    none = PartStreamExchange(request(), one_part=True)
    none.start(200, {"Content-Type": "multipart/related; boundary=b"})
    none.feed(b"--b--\r\n")
    with pytest.raises(errors.ProtocolError) as caught:
        none.close()
    assert str(caught.value) == f"GET {SHOWN}: the answer holds no part, where one was expected"


def test_one_part_alone_passes_the_part_whole() -> None:
    content_type, body = wire([VALUE])
    exchange = PartStreamExchange(request(), one_part=True)
    assert whole(exchange, 200, {"Content-Type": content_type}, body) == [
        "PartStart",
        VALUE,
        "PartEnd",
    ]


def test_a_chunk_completing_no_event_gives_no_list() -> None:
    content_type, body = wire([VALUE])
    for exchange in (PartEventsExchange(request()), PartStreamExchange(request())):
        exchange.start(200, {"Content-Type": content_type})
        assert exchange.feed(body[:2]) == []
        assert exchange.feed(body[2:]) != []
        assert exchange.done is False
        assert [kinds(batch) for batch in exchange.close()] == [[]]
        assert exchange.done is True


def test_streamed_exchanges_are_done_once_closed() -> None:
    content_type, body = wire([b"x", b"y"])
    for exchange in (PartsExchange(request()), FramesExchange(request())):
        exchange.start(200, {"Content-Type": content_type})
        assert exchange.done is False
        items = exchange.feed(body) + exchange.close()
        assert len(items) == 2
        assert exchange.done is True


def test_a_delete_keeps_the_answers_headers_and_skips_its_body() -> None:
    exchange = DeleteExchange(Request("DELETE", URL))
    assert exchange.start(204, {"Warning": '299 h "kept"'}) is Step.SKIP
    assert exchange.headers.get("Warning") == '299 h "kept"'
    assert (exchange.status, exchange.done, exchange.result()) == (204, True, None)
    refused = DeleteExchange(Request("DELETE", URL))
    assert refused.start(409, {"Content-Type": "text/plain"}) is Step.REJECT
    assert refused.headers.get("Content-Type") == "text/plain"
    assert refused.done is False


def test_a_search_with_no_page_read_is_empty_and_whole() -> None:
    exchange = SearchExchange(lambda limit, offset: Request("GET", f"{URL}?l={limit}&o={offset}"))
    result = exchange.result()
    assert (list(result), result.truncated, result.remaining, result.pages) == ([], False, None, 0)


def test_a_warned_truncation_warns_once_and_returns_the_result() -> None:
    exchange = SearchExchange(
        lambda limit, offset: Request("GET", URL), policy="warn", silent_page_size=1
    )
    exchange.start(200, {"Content-Type": "application/dicom+json"})
    exchange.feed(b'[{"00100010": {"vr": "PN"}}]')
    exchange.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = exchange.result()
    assert result.truncated is True
    assert [w.category for w in caught] == [SearchTruncatedWarning]
    assert str(caught[0].message).startswith("the server returned 1 results of a search")


def test_the_rendering_fallback_is_asked_only_when_the_first_request_is_refused() -> None:
    first, fallback = Request("GET", f"{URL}/rendered"), Request("GET", f"{URL}/frames/1/rendered")
    answered = RenderedExchange(first, fallback)
    assert answered.start(200, {"Content-Type": "image/png"}) is Step.READ
    assert (answered.request, answered.fallback) == (first, fallback)
    for status in (400, 406):
        refused = RenderedExchange(first, fallback)
        assert refused.start(status, {}) is Step.SKIP
        assert (refused.request, refused.fallback) == (fallback, None)
        assert refused.start(status, {}) is Step.REJECT
    alone = RenderedExchange(first)
    assert alone.start(400, {}) is Step.REJECT
    assert alone.request is first
    assert isinstance(alone.error(400, Headers(), b""), errors.DicomkitError)
