"""What :class:`Exchanges` hands each operation (issue 13.4, third round): the very request
:class:`Operations` builds for the same arguments (every option passed on), the body limit,
the dialect's XML answers, bulk data read one part at a time, the arguments in either order,
and the messages users read."""

from __future__ import annotations

from typing import Any

import pytest

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import Timeout
from dicomkit.core.operations.builder import Operations
from dicomkit.core.operations.dialect import Dialect
from dicomkit.core.operations.exchange import (
    MAX_JSON_BYTES,
    BulkDataExchange,
    BulkDataPartsExchange,
    SearchExchange,
    SearchPagesExchange,
    Step,
)
from dicomkit.core.operations.factory import XML_PARTS, Exchanges
from dicomkit.core.urls import DicomWebURLs

ROOT = "http://h/dw"
OPS = Operations(DicomWebURLs(ROOT), timeout=Timeout(1.0, 2.0), headers={"X-A": "a"})
SYNTAX = "1.2.840.10008.1.2.1"
XML = Dialect("xml-only", answers="xml")


def made(dialect: Dialect | None = None, **kwargs: Any) -> Exchanges:
    return Exchanges(OPS, **kwargs) if dialect is None else Exchanges(OPS, dialect, **kwargs)


def test_defaults() -> None:
    exchanges = Exchanges(OPS)
    assert exchanges.operations is OPS
    assert exchanges.dialect.answers == "json"
    assert exchanges.max_json_bytes == MAX_JSON_BYTES


# -- searches --------------------------------------------------------------------------------


def test_a_paged_search_names_on_truncated_as_python_would() -> None:
    with pytest.raises(TypeError) as caught:
        made().search("series", paged=True, on_truncated="raise")
    assert str(caught.value) == (
        "iter_search_for_series() got an unexpected keyword argument 'on_truncated'"
    )


@pytest.mark.parametrize("kwargs", [{}, {"get_remaining": True}, {"paged": True}])
def test_searches_carry_the_body_limit(kwargs: dict[str, Any]) -> None:
    exchange = made(max_json_bytes=123).search("studies", **kwargs)
    assert type(exchange) is (SearchExchange if not kwargs else SearchPagesExchange)
    assert exchange.max_bytes == 123
    assert made().search("studies", **kwargs).max_bytes == MAX_JSON_BYTES


@pytest.mark.parametrize("kwargs", [{}, {"get_remaining": True}, {"paged": True}])
def test_searches_ask_for_xml_when_the_dialect_says_so(kwargs: dict[str, Any]) -> None:
    request = made(XML).search("studies", search_filters={"PatientID": "P"}, **kwargs).request
    expected = OPS.search("studies", search_filters={"PatientID": "P"})
    assert request.url == expected.url == f"{ROOT}/studies?PatientID=P"
    assert request.headers.items() == [("X-A", "a"), ("User-Agent", expected.headers["User-Agent"]),
                                       ("Accept", XML_PARTS)]  # fmt: skip
    assert made().search("studies", **kwargs).request.headers["Accept"] == "application/dicom+json"


# -- metadata --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", [("1.2",), ("1.2", "1.3"), ("1.2", "1.3", "1.4"), ("1.2", None, None)]
)
def test_metadata_requests(target: tuple[Any, ...]) -> None:
    exchange = made(max_json_bytes=55).metadata(*target)
    assert exchange.request == OPS.metadata(*target)
    assert exchange.max_bytes == 55
    xml = made(XML).metadata(*target).request
    assert xml.url == OPS.metadata(*target).url
    assert xml.headers.items()[-1] == ("Accept", XML_PARTS)


def test_instance_metadata_requests() -> None:
    exchange = made(max_json_bytes=66).instance_metadata("1.2", "1.3", "1.4")
    assert exchange.request == OPS.metadata("1.2", "1.3", "1.4")
    assert exchange.request.url == f"{ROOT}/studies/1.2/series/1.3/instances/1.4/metadata"
    assert exchange.max_bytes == 66
    assert made().instance_metadata("1.2", "1.3", "1.4").max_bytes == MAX_JSON_BYTES
    xml = made(XML).instance_metadata("1.2", "1.3", "1.4").request
    assert xml.headers.items()[-1] == ("Accept", XML_PARTS)
    assert xml.url == exchange.request.url


# -- retrieve, frames, renderings, delete ----------------------------------------------------


def test_part_events_of_an_instance() -> None:
    exchange = made().part_events("1.2", "1.3", "1.4")
    assert exchange.request == OPS.retrieve("1.2", "1.3", "1.4")
    assert exchange.request.url == f"{ROOT}/studies/1.2/series/1.3/instances/1.4"


def test_parts_take_every_retrieve_option() -> None:
    options: dict[str, Any] = {"transfer_syntax": SYNTAX}
    assert made().parts("1.2", "1.3", "1.4", **options).request == OPS.retrieve(
        "1.2", "1.3", "1.4", **options
    )


def test_frames_take_every_retrieve_option() -> None:
    exchange = made().frames("1.2", "1.3", "1.4", [3, 1], transfer_syntax=SYNTAX)
    expected = OPS.frames("1.2", "1.3", "1.4", [3, 1], transfer_syntax=SYNTAX)
    assert exchange.request == expected
    assert SYNTAX in (exchange.request.headers["Accept"] or "")
    plain = made().frames("1.2", "1.3", "1.4", [3, 1], media_types=["image/jpeg"])
    assert plain.request == OPS.frames("1.2", "1.3", "1.4", [3, 1], media_types=["image/jpeg"])


def test_a_series_rendering_and_its_fallback() -> None:
    options: dict[str, Any] = {"params": {"quality": 80}, "media_types": ["image/jpeg"]}
    exchange = made().rendered("1.2", "1.3", **options)
    assert exchange.request == OPS.rendered("1.2", "1.3", multipart=True, **options)
    assert exchange.fallback == OPS.rendered("1.2", "1.3", multipart=False, **options)
    assert exchange.fallback is not None
    assert exchange.fallback.url == f"{ROOT}/studies/1.2/series/1.3/rendered?quality=80"
    assert exchange.fallback.headers["Accept"] == "image/jpeg"


def test_thumbnails_and_images() -> None:
    thumb = made().thumbnail("1.2", "1.3", "1.4", [2], params={"viewport": "64,64"})
    assert thumb.request == OPS.rendered(
        "1.2", "1.3", "1.4", frame_numbers=[2], resource="thumbnail", params={"viewport": "64,64"}
    )
    assert thumb.request.url == (
        f"{ROOT}/studies/1.2/series/1.3/instances/1.4/frames/2/thumbnail?viewport=64,64"
    )
    image = made().rendered_image("1.2", "1.3", "1.4", media_types=["image/png"])
    assert image.request == OPS.rendered("1.2", "1.3", "1.4", media_types=["image/png"])


def test_deleting_an_instance() -> None:
    exchange = made().delete("1.2", "1.3", "1.4")
    assert exchange.request == OPS.delete("1.2", "1.3", "1.4")
    assert exchange.request.url == f"{ROOT}/studies/1.2/series/1.3/instances/1.4"


def test_capabilities_of_the_root_by_default() -> None:
    exchange = made().capabilities()
    assert exchange.request == OPS.capabilities()
    assert (exchange.request.method, exchange.request.url) == ("OPTIONS", ROOT)


# -- bulk data -------------------------------------------------------------------------------

URI = f"{ROOT}/bulk/7"


@pytest.mark.parametrize("kind", ["bulkdata", "bulkdata_parts"])
def test_bulk_data_requests(kind: str) -> None:
    build = getattr(made(), kind)
    expected_type = BulkDataExchange if kind == "bulkdata" else BulkDataPartsExchange
    plain = build(URI)
    assert type(plain) is expected_type
    assert plain.request == OPS.bulkdata(URI)
    assert plain.byte_range is None
    ranged = build(URI, (10, 19))
    assert ranged.request == OPS.bulkdata(URI, byte_range=(10, 19))
    assert ranged.byte_range == (10, 19)
    single = build(URI, (0, None), single_part=True)
    assert single.request == OPS.bulkdata(URI, byte_range=(0, None), single_part=True)
    assert single.request.headers["Accept"] == "application/octet-stream; transfer-syntax=*"
    typed = build(URI, media_types=["image/jpeg"])
    assert typed.request == OPS.bulkdata(URI, media_types=["image/jpeg"])
    assert typed.request != plain.request


@pytest.mark.parametrize("kind", ["bulkdata", "bulkdata_parts"])
@pytest.mark.parametrize(
    "media_types",
    [
        "image/jpeg",
        ["image/jpeg"],
        ("image/jpeg", "image/png"),
        [("image/jpeg", "1.2.840.10008.1.2.4.50")],
    ],
)
def test_media_types_in_dicomweb_clients_place(kind: str, media_types: Any) -> None:
    exchange = getattr(made(), kind)(URI, media_types)
    wanted = [media_types] if isinstance(media_types, str) else media_types
    assert exchange.request == OPS.bulkdata(URI, media_types=wanted)
    assert exchange.byte_range is None


@pytest.mark.parametrize("kind", ["bulkdata", "bulkdata_parts"])
def test_media_types_given_twice(kind: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        getattr(made(), kind)(URI, ["image/jpeg"], ["image/png"])
    assert str(caught.value) == "media types given twice (second argument and media_types)"


@pytest.mark.parametrize("kind", ["bulkdata", "bulkdata_parts"])
def test_other_origins_follow_the_argument_then_the_dialect(kind: str) -> None:
    elsewhere = "http://other:9/bulk/7"
    with pytest.raises(InvalidArgumentError) as refused:
        getattr(made(), kind)(elsewhere)
    assert "other" in str(refused.value)
    allowed = getattr(made(), kind)(elsewhere, other_origin="allow")
    assert allowed.request.url == elsewhere
    rewritten = getattr(made(Dialect("proxy", other_origin="rewrite")), kind)(elsewhere)
    assert rewritten.request.url == "http://h/bulk/7"
    chosen = getattr(made(Dialect("proxy", other_origin="rewrite")), kind)(
        elsewhere, other_origin="allow"
    )
    assert chosen.request.url == elsewhere


def test_bulk_data_parts_are_read_one_at_a_time() -> None:
    exchange = made().bulkdata_parts(URI, (2, 4))
    body = b"--b\r\nContent-Type: application/octet-stream\r\n\r\n0123456789\r\n--b--\r\n"
    assert exchange.start(200, {"Content-Type": "multipart/related; boundary=b"}) is Step.READ
    items = exchange.feed(body) + exchange.close()
    assert items == [b"234"]
    assert exchange.result() is None
