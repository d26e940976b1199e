"""The exchange of each operation, as :class:`Exchanges` makes it: the request it starts with,
the first page of a paged search, the dialect's renderings, and the ``TypeError`` a misspelt
option raises, word for word as Python would."""

from __future__ import annotations

import pytest

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.operations import (
    ORTHANC,
    STANDARD,
    BulkDataExchange,
    DeleteExchange,
    Dialect,
    Exchanges,
    FramesExchange,
    JsonArrayExchange,
    JsonObjectExchange,
    Operations,
    PartEventsExchange,
    PartsExchange,
    RenderedExchange,
    RenderedImageExchange,
    SearchPagesExchange,
    resolve_dialect,
)
from dicomkit.core.urls import DicomWebURLs

ROOT = "http://h/dw"
INSTANCE = f"{ROOT}/studies/1.2/series/1.3/instances/1.4"


@pytest.fixture
def exchanges() -> Exchanges:
    return Exchanges(Operations(DicomWebURLs(ROOT)))


def test_a_single_page_search(exchanges):
    exchange = exchanges.search(
        "studies",
        search_filters={"PatientID": "P"},
        fuzzymatching=True,
        limit=5,
        offset=0,
        fields=["StudyDescription"],
    )
    assert exchange.request.url == (
        f"{ROOT}/studies?PatientID=P&includefield=StudyDescription"
        "&fuzzymatching=true&limit=5&offset=0"
    )


@pytest.mark.parametrize(("paged", "collect"), [(True, False), (False, True)])
def test_paged_searches_start_at_the_offset_with_the_page_size(exchanges, paged, collect):
    kwargs = {"paged": True} if paged else {"get_remaining": True}
    exchange = exchanges.search(
        "series", "1.2", search_filters={"Modality": "CT"}, limit=3, offset=6, **kwargs
    )
    assert type(exchange) is SearchPagesExchange
    assert exchange.collect is collect
    assert exchange.request.url == f"{ROOT}/studies/1.2/series?Modality=CT&limit=3&offset=6"


def test_a_paged_search_from_the_start_sends_no_offset(exchanges):
    exchange = exchanges.search("instances", get_remaining=True, fuzzymatching=False)
    assert exchange.request.url == f"{ROOT}/instances?fuzzymatching=false"
    exchange = exchanges.search("studies", paged=True, offset=0, fields=["all"])
    assert exchange.request.url == f"{ROOT}/studies?includefield=all"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limt": 5}, "search_for_studies() got an unexpected keyword argument 'limt'"),
        (
            {"paged": True, "get_remaining": True},
            "iter_search_for_studies() got an unexpected keyword argument 'get_remaining'",
        ),
        (
            {"paged": True, "get_remaining": False, "x": 1},
            "iter_search_for_studies() got an unexpected keyword argument 'get_remaining'",
        ),
        (
            {"paged": True, "x": 1},
            "iter_search_for_studies() got an unexpected keyword argument 'x'",
        ),
    ],
)
def test_misspelt_options_raise_what_python_would(exchanges, kwargs, message):
    with pytest.raises(TypeError) as caught:
        exchanges.search("studies", **kwargs)
    assert str(caught.value) == message


def test_retrieve_exchanges(exchanges):
    metadata = exchanges.metadata("1.2", "1.3")
    assert type(metadata) is JsonArrayExchange
    assert metadata.request.url == f"{ROOT}/studies/1.2/series/1.3/metadata"
    one = exchanges.instance_metadata("1.2", "1.3", "1.4")
    assert type(one) is JsonObjectExchange
    assert one.request.url == f"{INSTANCE}/metadata"
    parts = exchanges.parts("1.2", "1.3", "1.4", transfer_syntax="1.2.840.10008.1.2.1")
    assert type(parts) is PartsExchange
    assert parts.request.url == INSTANCE
    assert parts.request.headers.get("Accept") == (
        'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1'
    )
    events = exchanges.part_events("1.2", "1.3")
    assert type(events) is PartEventsExchange
    assert events.request.url == f"{ROOT}/studies/1.2/series/1.3"
    frames = exchanges.frames("1.2", "1.3", "1.4", [4, 2])
    assert type(frames) is FramesExchange
    assert frames.request.url == f"{INSTANCE}/frames/4,2"
    delete = exchanges.delete("1.2", "1.3")
    assert type(delete) is DeleteExchange
    assert (delete.request.method, delete.request.url) == (
        "DELETE",
        f"{ROOT}/studies/1.2/series/1.3",
    )
    bulk = exchanges.bulkdata("bulk/1")
    assert type(bulk) is BulkDataExchange
    assert bulk.request.url == f"{ROOT}/bulk/1"


def test_renderings_follow_the_dialect(exchanges):
    standard = exchanges.rendered("1.2", params={"quality": 90})
    assert type(standard) is RenderedExchange
    assert standard.request.url == f"{ROOT}/studies/1.2/rendered?quality=90"
    assert standard.request.headers.get("Accept").startswith("multipart/related")
    assert standard.fallback is not None
    assert not standard.fallback.headers.get("Accept").startswith("multipart/related")
    orthanc = Exchanges(exchanges.operations, ORTHANC).rendered("1.2", "1.3")
    assert orthanc.request.url == f"{ROOT}/studies/1.2/series/1.3/rendered"
    assert not orthanc.request.headers.get("Accept").startswith("multipart/related")
    assert orthanc.fallback is None
    no_fallback = Dialect("x", multipart_renderings=True, rendering_fallback=False)
    assert Exchanges(exchanges.operations, no_fallback).rendered("1.2").fallback is None


def test_an_instance_rendering(exchanges):
    image = exchanges.rendered_image("1.2", "1.3", "1.4", frame_numbers=[2])
    assert type(image) is RenderedImageExchange
    assert image.request.url == f"{INSTANCE}/frames/2/rendered"
    assert not image.request.headers.get("Accept").startswith("multipart/related")


@pytest.mark.parametrize(
    ("value", "dialect"),
    [(None, STANDARD), ("orthanc", ORTHANC), ("ORTHANC", ORTHANC), ("standard", STANDARD)],
)
def test_resolve_dialect(value, dialect):
    assert resolve_dialect(value) is dialect


def test_resolve_dialect_refusal():
    custom = Dialect("mine")
    assert resolve_dialect(custom) is custom
    with pytest.raises(InvalidArgumentError) as caught:
        resolve_dialect("dcm4chee")
    assert str(caught.value) == (
        "dialect must be a Dialect or one of ['azure', 'orthanc', 'standard'], not 'dcm4chee'"
    )
