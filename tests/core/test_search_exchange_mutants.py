"""Truncated searches in the core's exchanges, driven page by page (issue 13.4): which request
follows a page cut short, when following stops, what the SearchResult says, and the exact
message of each truncation policy; the paged exchange's requests and collected results."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dicomkit.core.errors import DicomJSONError, NotDicomWebError, ProtocolError
from dicomkit.core.interface import Request
from dicomkit.core.multipart import Part, encode_multipart
from dicomkit.core.operations.exchange import (
    BulkDataPartsExchange,
    Exchange,
    JsonArrayExchange,
    JsonObjectExchange,
    PartEventsExchange,
    PartsExchange,
    SearchExchange,
    SearchPagesExchange,
    Step,
)
from dicomkit.core.operations.paging import Pager, SearchTruncatedError, SearchTruncatedWarning

TEXT = "There are 3 additional results that can be requested"
CUT = {"Warning": f'299 svc "{TEXT}"'}


def _items(*numbers: int) -> list[dict[str, Any]]:
    return [{"00100020": {"vr": "LO", "Value": [str(n)]}} for n in numbers]


class Pages:
    """The ``page(limit, offset)`` callable: records each request asked for."""

    def __init__(self) -> None:
        self.asked: list[tuple[int | None, int | None]] = []

    def __call__(self, limit: int | None, offset: int | None) -> Request:
        self.asked.append((limit, offset))
        return Request("GET", f"http://h/studies?limit={limit}&offset={offset}")


def _answer(
    exchange: SearchExchange | SearchPagesExchange,
    items: list[dict[str, Any]],
    headers: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    head = {"Content-Type": "application/dicom+json", **(headers or {})}
    assert exchange.start(200, head) is Step.READ
    body = json.dumps(items).encode()
    assert exchange.feed(body[:5]) == []
    assert exchange.feed(body[5:]) == []
    assert exchange.pending == len(body)
    return exchange.close()


def test_an_answer_not_cut_short_is_the_result() -> None:
    pages = Pages()
    exchange = SearchExchange(pages)
    assert pages.asked == [(None, None)]
    assert _answer(exchange, _items(1, 2, 1)) == []
    assert exchange.done
    result = exchange.result()
    assert list(result) == _items(1, 2)
    assert (result.truncated, result.remaining, result.pages, result.warnings) == (
        False,
        None,
        1,
        [],
    )


def test_follow_asks_for_the_rest_from_the_next_offset() -> None:
    pages = Pages()
    exchange = SearchExchange(pages, offset=5)
    assert pages.asked == [(None, 5)]
    _answer(exchange, _items(1, 2, 3), CUT)
    assert not exchange.done
    assert pages.asked[-1] == (None, 8)
    assert exchange.request.url == "http://h/studies?limit=None&offset=8"
    _answer(exchange, _items(4, 5), {"Warning": '299 svc "fuzzy"'})
    assert exchange.done
    result = exchange.result()
    assert list(result) == _items(1, 2, 3, 4, 5)
    assert (result.truncated, result.remaining, result.pages) == (False, None, 2)
    assert result.warnings == [TEXT, "fuzzy"]


def test_follow_asks_only_for_what_the_limit_leaves() -> None:
    pages = Pages()
    exchange = SearchExchange(pages, limit=5)
    assert pages.asked == [(5, None)]
    _answer(exchange, _items(1, 2), CUT)
    assert pages.asked[-1] == (3, 2)
    _answer(exchange, _items(3, 4), CUT)
    assert pages.asked[-1] == (1, 4)
    _answer(exchange, _items(5), CUT)
    assert exchange.done
    result = exchange.result()
    assert len(result) == 5
    assert not result.truncated
    assert result.warnings == [TEXT]
    assert result.pages == 3


def test_follow_stops_on_a_page_with_nothing_new_and_says_so() -> None:
    exchange = SearchExchange(Pages())
    _answer(exchange, _items(1, 2), CUT)
    _answer(exchange, _items(2, 1), CUT)
    assert exchange.done
    result = exchange.result()
    assert list(result) == _items(1, 2)
    assert (result.truncated, result.remaining, result.pages) == (True, 3, 2)


MESSAGE = f"the server returned 2 results of a search and says 3 were left out ({TEXT})"


def test_return_keeps_the_partial_result_silently() -> None:
    pages = Pages()
    exchange = SearchExchange(pages, policy="return")
    _answer(exchange, _items(1, 2), CUT)
    assert exchange.done
    assert pages.asked == [(None, None)]
    result = exchange.result()
    assert (result.truncated, result.remaining, result.pages) == (True, 3, 1)


def test_raise_says_how_many_and_why() -> None:
    exchange = SearchExchange(Pages(), policy="raise")
    _answer(exchange, _items(1, 2), CUT)
    with pytest.raises(SearchTruncatedError) as caught:
        exchange.result()
    assert str(caught.value) == MESSAGE
    assert list(caught.value.result) == _items(1, 2)


def test_warn_says_so_too() -> None:
    exchange = SearchExchange(Pages(), policy="warn")
    _answer(exchange, _items(1, 2), CUT)
    with pytest.warns(SearchTruncatedWarning) as caught:
        result = exchange.result()
    assert [str(w.message) for w in caught] == [MESSAGE]
    assert result.truncated


def test_a_warning_without_a_count_says_more() -> None:
    exchange = SearchExchange(Pages(), policy="raise")
    notes = {"Warning": '299 a "more results available", 299 b "x"'}
    _answer(exchange, _items(1), notes)
    with pytest.raises(SearchTruncatedError) as caught:
        exchange.result()
    assert str(caught.value) == (
        "the server returned 1 results of a search and says more were left out"
        " (more results available; x)"
    )
    assert caught.value.result.remaining is None


def test_a_silent_page_size_counts_a_full_page_as_cut_short() -> None:
    pages = Pages()
    exchange = SearchExchange(pages, silent_page_size=2)
    _answer(exchange, _items(1, 2))
    assert not exchange.done
    assert pages.asked[-1] == (None, 2)
    _answer(exchange, _items(3))
    assert exchange.done
    assert len(exchange.result()) == 3
    over = SearchExchange(Pages(), silent_page_size=2, policy="return")
    _answer(over, _items(1, 2, 3))
    assert over.result().truncated
    short = SearchExchange(Pages(), silent_page_size=2, policy="return")
    _answer(short, _items(1))
    assert not short.result().truncated


def test_a_silent_page_size_does_not_apply_with_a_limit() -> None:
    exchange = SearchExchange(Pages(), limit=5, silent_page_size=2, policy="return")
    _answer(exchange, _items(1, 2))
    assert exchange.done
    assert not exchange.result().truncated


def test_the_body_limit_applies_to_each_page() -> None:
    exchange = SearchExchange(Pages(), max_bytes=10)
    exchange.start(200, {"Content-Type": "application/dicom+json"})
    exchange.feed(b"[" * 10)
    with pytest.raises(Exception, match="max_json_bytes=10 bytes"):
        exchange.feed(b"]")


def test_pages_of_the_paged_exchange() -> None:
    pages = Pages()
    exchange = SearchPagesExchange(pages, Pager(limit=2, offset=3))
    assert pages.asked == [(2, 3)]
    assert _answer(exchange, _items(1, 2), CUT) == _items(1, 2)
    assert pages.asked[-1] == (2, 5)
    assert not exchange.done
    assert _answer(exchange, _items(2, 3), CUT) == _items(3)
    assert _answer(exchange, _items(4), {"Warning": '299 svc "other"'}) == _items(4)
    assert exchange.done
    assert len(pages.asked) == 3
    result = exchange.result()
    assert list(result) == []
    assert result.warnings == [TEXT, "other"]


def test_the_paged_exchange_without_offset_asks_none() -> None:
    pages = Pages()
    exchange = SearchPagesExchange(pages, Pager(), collect=True)
    assert pages.asked == [(None, None)]
    assert _answer(exchange, _items(1, 2)) == []
    assert pages.asked[-1] == (None, 2)
    assert _answer(exchange, []) == []
    assert exchange.done
    assert list(exchange.result()) == _items(1, 2)
    assert exchange.collected == _items(1, 2)


def test_nothing_is_pending_before_the_first_answer() -> None:
    assert SearchExchange(Pages()).pending == 0
    assert SearchPagesExchange(Pages(), Pager()).pending == 0


def test_items_in_another_member_order_are_the_same_result() -> None:
    exchange = SearchExchange(Pages())
    _answer(exchange, [{"a": 1, "b": 2}], CUT)
    assert not exchange.done
    _answer(exchange, [{"b": 2, "a": 1}], CUT)
    assert exchange.done
    assert exchange.result() == [{"a": 1, "b": 2}]


XML_ITEM = (
    b'<NativeDicomModel><DicomAttribute tag="00100020" vr="LO"><Value number="1">X</Value>'
    b"</DicomAttribute></NativeDicomModel>"
)


@pytest.mark.parametrize("paged", [False, True])
def test_each_page_is_read_by_its_own_content_type(paged: bool) -> None:
    exchange: SearchExchange | SearchPagesExchange = (
        SearchPagesExchange(Pages(), Pager(), collect=True) if paged else SearchExchange(Pages())
    )
    exchange.start(200, {"Content-Type": "application/dicom+xml"})
    exchange.feed(XML_ITEM)
    exchange.close()
    if paged:
        exchange.start(200, {"Content-Type": "application/dicom+xml"})
        exchange.close()
    assert list(exchange.result()) == [{"00100020": {"vr": "LO", "Value": ["X"]}}]


def test_a_foreign_later_page_names_its_own_url() -> None:
    exchange = SearchPagesExchange(Pages(), Pager(limit=1))
    _answer(exchange, _items(1))
    exchange.start(200, {"Content-Type": "text/html"})
    exchange.feed(b"<html></html>")
    with pytest.raises(
        Exception, match=r"GET http://h/studies\?limit=1&offset=1 answered text/html"
    ):
        exchange.close()


def test_the_paged_exchange_keeps_its_body_limit_on_later_pages() -> None:
    exchange = SearchPagesExchange(Pages(), Pager(limit=1), max_bytes=64)
    _answer(exchange, _items(1))
    exchange.start(200, {"Content-Type": "application/dicom+json"})
    with pytest.raises(Exception, match="max_json_bytes=64 bytes"):
        exchange.feed(b" " * 65)


def test_the_paged_exchange_follows_a_short_page_cut_short() -> None:
    pages = Pages()
    exchange = SearchPagesExchange(pages, Pager(limit=5))
    assert _answer(exchange, _items(1, 2), CUT) == _items(1, 2)
    assert not exchange.done
    assert pages.asked[-1] == (5, 2)


def _bulk(
    status: int,
    byte_range: tuple[int, int | None] | None,
    parts: list[Part],
    head: dict[str, str] | None = None,
) -> list[bytes]:
    exchange = BulkDataPartsExchange(Request("GET", "http://h/bulk"), byte_range)
    body = b"".join(encode_multipart(parts, "bb"))
    content_type = 'multipart/related; type="application/octet-stream"; boundary=bb'
    assert exchange.start(status, {"Content-Type": content_type, **(head or {})}) is Step.READ
    items = exchange.feed(body) + exchange.close()
    assert exchange.done
    assert exchange.result() is None
    return items


OCTETS = {"Content-Type": "application/octet-stream"}


def test_bulk_data_parts_one_at_a_time() -> None:
    whole = [Part(b"0123456789", OCTETS), Part(b"abcdefghij", OCTETS)]
    assert _bulk(200, (2, 4), whole) == [b"234", b"cde"]
    assert _bulk(200, None, whole) == [b"0123456789", b"abcdefghij"]
    ranged = {**OCTETS, "Content-Range": "bytes 2-4/10"}
    assert _bulk(206, (2, 4), [Part(b"234", ranged)]) == [b"234"]
    answer_range = {"Content-Range": "bytes 2-4/10"}
    assert _bulk(206, (2, 4), [Part(b"234", OCTETS)], answer_range) == [b"234"]
    assert _bulk(206, None, [Part(b"345", OCTETS)]) == [b"345"]
    with pytest.raises(ProtocolError) as caught:
        _bulk(206, (2, 4), [Part(b"345", {**OCTETS, "Content-Range": "bytes 3-5/10"})])
    assert str(caught.value) == (
        "asked for bytes 2-4 and the server answered 'bytes 3-5/10' with 3 bytes"
    )


URL = "http://h/dw/studies/1.2"


def test_the_body_limit_message_and_what_is_kept() -> None:
    exchange = JsonArrayExchange(Request("GET", URL), max_bytes=4)
    assert exchange.body == b""
    exchange.start(200, {"Content-Type": "application/dicom+json"})
    exchange.feed(b"[]  ")
    with pytest.raises(ProtocolError) as caught:
        exchange.feed(b" ")
    assert str(caught.value) == (
        f"GET {URL}: the answer is larger than max_json_bytes=4 bytes (after decompression); "
        "pass a larger max_json_bytes= to the client if it is expected"
    )
    assert exchange.body == b""


def test_json_exchanges_pass_their_status_and_request_on() -> None:
    array = JsonArrayExchange(Request("GET", URL))
    array.start(204, {"Content-Type": "text/html"})
    array.feed(b"<html>")
    assert array.result() == []
    single = JsonObjectExchange(Request("GET", URL))
    single.start(204, {"Content-Type": "text/html"})
    single.feed(b"<html>")
    with pytest.raises(DicomJSONError) as caught:
        single.result()
    assert str(caught.value) == "the server answered with no metadata for the instance"
    single = JsonObjectExchange(Request("GET", URL))
    single.start(200, {"Content-Type": "text/html"})
    single.feed(b"<html>")
    with pytest.raises(NotDicomWebError) as refused:
        single.result()
    assert str(refused.value).startswith(
        f"GET {URL} answered text/html, not application/dicom+json"
    )


@pytest.mark.parametrize("kind", [PartsExchange, PartEventsExchange])
def test_retrieves_labelled_as_pages_name_the_url(kind: type[Exchange[Any, Any]]) -> None:
    exchange = kind(Request("GET", URL))
    with pytest.raises(NotDicomWebError) as caught:
        exchange.start(200, {"Content-Type": "text/html"})
    assert str(caught.value).startswith(f"GET {URL} answered text/html, not DICOM parts")
