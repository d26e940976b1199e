"""Every exchange of the core, driven by a fake server: fed in one piece, byte by byte, and in
any chunking (Hypothesis); follow-up requests (pages, the rendering fallback) and rejections."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import errors, multipart, stow
from dicomkit.core.interface import Headers, Request
from dicomkit.core.operations import (
    ERROR_BODY_LIMIT,
    ORTHANC,
    STANDARD,
    Dialect,
    Exchange,
    Exchanges,
    Operations,
    Step,
    resolve_dialect,
)
from dicomkit.core.urls import DicomWebURLs

STUDY, SERIES, INSTANCE = "1.2.3", "1.2.3.4", "1.2.3.4.5"
Answer = tuple[int, list[tuple[str, str]], bytes]
Server = Callable[[Request], Answer]
Chunker = Callable[[bytes], Iterator[bytes]]


def exchanges(dialect: Dialect = STANDARD) -> Exchanges:
    return Exchanges(Operations(DicomWebURLs("https://pacs.test/dicom-web")), dialect)


def one_piece(body: bytes) -> Iterator[bytes]:
    yield body


def byte_by_byte(body: bytes) -> Iterator[bytes]:
    for index in range(len(body)):
        yield body[index : index + 1]


def run(
    exchange: Exchange[Any, Any],
    server: Server,
    chunks: Chunker = one_piece,
) -> tuple[list[Any], list[Request]]:
    """What a client's runner does, minus the transport: (items, requests sent)."""
    items: list[Any] = []
    sent: list[Request] = []
    while True:
        sent.append(exchange.request)
        status, headers, body = server(exchange.request)
        step = exchange.start(status, headers)
        if step is Step.REJECT:
            raise exchange.error(status, headers, body[:ERROR_BODY_LIMIT])
        if step is Step.READ:
            for chunk in chunks(body):
                items += exchange.feed(chunk)
            items += exchange.close()
        if exchange.done:
            return items, sent


def answer(status: int, body: bytes = b"", content_type: str = "application/dicom+json") -> Server:
    return lambda request: (status, [("Content-Type", content_type)], body)


def multipart_answer(bodies: list[bytes], status: int = 200) -> Server:
    boundary = multipart.new_boundary(avoid=bodies)
    parts = [multipart.Part(body, [("Content-Type", "application/dicom")]) for body in bodies]
    wire = b"".join(multipart.encode_multipart(parts, boundary))
    content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    return answer(status, wire, content_type)


CHUNKINGS = [one_piece, byte_by_byte]
OBJECTS = [{"0020000D": {"vr": "UI", "Value": [STUDY]}}, {"0020000D": {"vr": "UI", "Value": ["9"]}}]


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_search_reads_a_json_array(chunks: Chunker) -> None:
    exchange = exchanges().search("studies", limit=5)
    assert exchange.request.url.endswith("/studies?limit=5")
    items, _ = run(exchange, answer(200, json.dumps(OBJECTS).encode()), chunks)
    assert items == []
    assert exchange.result() == OBJECTS
    assert exchange.headers.get("Content-Type") == "application/dicom+json"


def test_search_of_a_series_without_its_study_filters_on_the_series() -> None:
    exchange = exchanges().search("instances", series=SERIES, search_filters={"Modality": "CT"})
    assert exchange.request.url.endswith(f"/instances?Modality=CT&SeriesInstanceUID={SERIES}")
    with pytest.raises(errors.InvalidArgumentError):
        exchanges().search("series", series=SERIES)


@pytest.mark.parametrize("status", [204, 200])
def test_an_empty_search_answer_is_no_result(status: int) -> None:
    exchange = exchanges().search("studies")
    run(exchange, answer(status))
    assert exchange.result() == []


@pytest.mark.parametrize("status", [301, 400, 401, 404, 500, 503])
def test_a_non_success_is_rejected_with_the_matching_error(status: int) -> None:
    exchange = exchanges().search("studies")
    with pytest.raises(errors.HTTPError) as caught:
        run(exchange, answer(status, b'{"Message": "no such thing"}'))
    assert caught.value.status == status
    assert type(caught.value) is errors.error_for_status(status)
    assert exchange.done is False


def test_metadata_of_an_instance_is_one_object_and_an_empty_answer_is_an_error() -> None:
    exchange = exchanges().instance_metadata(STUDY, SERIES, INSTANCE)
    assert exchange.request.url.endswith(f"/instances/{INSTANCE}/metadata")
    run(exchange, answer(200, json.dumps(OBJECTS[:1]).encode()), byte_by_byte)
    assert exchange.result() == OBJECTS[0]
    empty = exchanges().instance_metadata(STUDY, SERIES, INSTANCE)
    run(empty, answer(200, b"[]"))
    with pytest.raises(errors.DicomJSONError):
        empty.result()
    series = exchanges().metadata(STUDY, SERIES)
    run(series, answer(200, json.dumps(OBJECTS).encode()))
    assert series.result() == OBJECTS


def paged_server(total: int, *, ignore_offset: bool = False) -> Server:
    everything = [{"00080018": {"vr": "UI", "Value": [f"1.{n}"]}} for n in range(total)]

    def serve(request: Request) -> Answer:
        query = dict(p.split("=") for p in request.url.partition("?")[2].split("&") if p)
        limit = int(query.get("limit", total))
        offset = 0 if ignore_offset else int(query.get("offset", 0))
        body = json.dumps(everything[offset : offset + limit]).encode()
        return 200, [("Content-Type", "application/dicom+json")], body

    return serve


@given(total=st.integers(0, 23), limit=st.integers(1, 7), offset=st.integers(0, 5))
def test_search_pages_yield_every_result_once(total: int, limit: int, offset: int) -> None:
    exchange = exchanges().search("instances", limit=limit, offset=offset, paged=True)
    items, sent = run(exchange, paged_server(total))
    assert len(items) == max(0, total - offset)
    assert len({json.dumps(item) for item in items}) == len(items)
    assert len(sent) <= max(0, total - offset) // limit + 1
    assert exchange.result() == []
    collecting = exchanges().search("instances", limit=limit, offset=offset, get_remaining=True)
    assert run(collecting, paged_server(total)) == ([], sent)
    assert collecting.result() == items


def test_search_pages_stop_when_the_server_ignores_offset() -> None:
    exchange = exchanges().search("studies", limit=2, paged=True)
    items, sent = run(exchange, paged_server(10, ignore_offset=True))
    assert len(items) == 2
    assert len(sent) == 2


def test_search_pages_refuse_a_page_size_below_one_before_any_request() -> None:
    with pytest.raises(errors.InvalidArgumentError):
        exchanges().search("studies", limit=0, paged=True)


@pytest.mark.parametrize(
    ("options", "method", "key"),
    [
        ({"feilds": ["PatientID"]}, "search_for_studies", "feilds"),
        ({"get_remaining": True, "feilds": ["PatientID"]}, "search_for_studies", "feilds"),
        ({"limt": 5, "paged": True}, "iter_search_for_studies", "limt"),
        ({"get_remaining": True, "paged": True}, "iter_search_for_studies", "get_remaining"),
        ({"get_remaining": False, "paged": True}, "iter_search_for_studies", "get_remaining"),
    ],
)
def test_search_refuses_an_unknown_option_as_python_would(
    options: dict[str, Any], method: str, key: str
) -> None:
    with pytest.raises(
        TypeError, match=rf"^{method}\(\) got an unexpected keyword argument '{key}'$"
    ):
        exchanges().search("studies", **options)


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_parts_stream_each_part_with_its_headers(chunks: Chunker) -> None:
    bodies = [b"first", b"", b"third part" * 50]
    exchange = exchanges().parts(STUDY, SERIES)
    items, _ = run(exchange, multipart_answer(bodies), chunks)
    assert [body for _, body in items] == bodies
    assert all(headers.get("Content-Type") == "application/dicom" for headers, _ in items)
    assert exchange.done
    assert exchange.result() is None


@given(st.lists(st.binary(max_size=200), min_size=1, max_size=4), st.integers(1, 64))
def test_frames_survive_any_chunk_size(bodies: list[bytes], size: int) -> None:
    def chunks(body: bytes) -> Iterator[bytes]:
        return (body[i : i + size] for i in range(0, len(body), size))

    exchange = exchanges().frames(STUDY, SERIES, INSTANCE, [1, 2])
    assert exchange.request.url.endswith("/frames/1,2")
    items, _ = run(exchange, multipart_answer(bodies), chunks)
    assert items == bodies


def test_a_single_part_answer_is_one_part_and_a_short_one_is_refused() -> None:
    exchange = exchanges().parts(STUDY, SERIES, INSTANCE)
    items, _ = run(exchange, answer(200, b"DICM", "application/dicom"), byte_by_byte)
    assert [(h.get("Content-Type"), body) for h, body in items] == [("application/dicom", b"DICM")]
    short = exchanges().parts(STUDY, SERIES, INSTANCE)

    def cut(request: Request) -> Answer:
        return 200, [("Content-Type", "application/dicom"), ("Content-Length", "10")], b"DICM"

    with pytest.raises(errors.ProtocolError):
        run(short, cut)


def test_a_truncated_multipart_answer_is_refused() -> None:
    full = multipart_answer([b"abc"])
    status, headers, body = full(exchanges().parts(STUDY).request)
    with pytest.raises(errors.ProtocolError):
        run(exchanges().parts(STUDY), lambda request: (status, headers, body[:-10]))


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_part_events_come_as_one_list_per_chunk(chunks: Chunker) -> None:
    exchange = exchanges().part_events(STUDY)
    batches, _ = run(exchange, multipart_answer([b"one", b"two"]), chunks)
    events = [event for batch in batches for event in batch]
    assert all(isinstance(batch, list) for batch in batches)
    assert [type(e).__name__ for e in events if not isinstance(e, multipart.PartData)] == [
        "PartStart",
        "PartEnd",
        "PartStart",
        "PartEnd",
    ]
    data = b"".join(bytes(e.data) for e in events if isinstance(e, multipart.PartData))
    assert data == b"onetwo"


@pytest.mark.parametrize(("status", "expected"), [(200, [b"2345"])], ids=["200"])
def test_bulk_data_is_trimmed_when_the_server_ignored_the_range(
    status: int, expected: list[bytes]
) -> None:
    exchange = exchanges().bulkdata("https://pacs.test/dicom-web/bulk/1", byte_range=(2, 5))
    assert exchange.request.headers.get("Range") == "bytes=2-5"
    items, _ = run(exchange, answer(status, b"0123456789", "application/octet-stream"))
    assert items == []
    assert exchange.result() == expected


@pytest.mark.parametrize("refusal", [400, 406])
def test_a_refused_multipart_rendering_is_asked_again_single_part(refusal: int) -> None:
    exchange = exchanges().rendered(STUDY, SERIES)
    first = exchange.request

    def serve(request: Request) -> Answer:
        if "multipart" in (request.headers.get("Accept") or ""):
            return refusal, [], b"no multipart here"
        return 200, [("Content-Type", "image/jpeg")], b"JPEG"

    _, sent = run(exchange, serve)
    assert [r.headers.get("Accept") for r in sent] == [
        first.headers.get("Accept"),
        "image/jpeg",
    ]
    assert exchange.result() == [b"JPEG"]


def test_the_rendering_fallback_is_asked_once_only() -> None:
    exchange = exchanges().rendered(STUDY)
    with pytest.raises(errors.NotAcceptableError):
        run(exchange, answer(406))


def test_the_orthanc_dialect_asks_single_part_renderings_at_once() -> None:
    exchange = exchanges(ORTHANC).rendered(STUDY, SERIES)
    assert exchange.request.headers.get("Accept") == "image/jpeg"
    with pytest.raises(errors.BadRequestError):
        run(exchange, answer(400))


def test_a_multipart_rendering_gives_one_image_per_part() -> None:
    exchange = exchanges().rendered(STUDY, SERIES)
    run(exchange, multipart_answer([b"a", b"b"]), byte_by_byte)
    assert exchange.result() == [b"a", b"b"]


def test_an_instance_rendering_is_one_image_or_nothing() -> None:
    exchange = exchanges().rendered_image(STUDY, SERIES, INSTANCE, frame_numbers=[1])
    assert exchange.request.url.endswith("/frames/1/rendered")
    run(exchange, answer(200, b"PNG", "image/png"))
    assert exchange.result() == b"PNG"
    empty = exchanges().rendered_image(STUDY, SERIES, INSTANCE)
    run(empty, answer(200, b"--B--\r\n", "multipart/related; boundary=B"))
    assert empty.result() == b""


def test_delete_never_reads_the_body_and_a_405_names_the_missing_support() -> None:
    exchange = exchanges().delete(STUDY, SERIES)
    assert exchange.request.method == "DELETE"
    assert exchange.start(204, []) is Step.SKIP
    assert exchange.done
    assert exchange.result() is None
    with pytest.raises(errors.MethodNotAllowedError, match="does not support DICOMweb DELETE"):
        run(exchanges().delete(STUDY), answer(405))


def test_the_error_keeps_the_bounded_body_and_the_request() -> None:
    exchange = exchanges().metadata(STUDY)
    error = exchange.error(404, [("Content-Type", "application/json")], b'{"Message": "gone"}')
    assert isinstance(error, errors.NotFoundError)
    assert error.url == exchange.request.url
    assert error.reasons == ["gone"]


def test_dialects_are_chosen_by_name_or_given() -> None:
    assert resolve_dialect(None) is STANDARD
    assert resolve_dialect("Orthanc") is ORTHANC
    custom = Dialect("mine", rendering_fallback=False)
    assert resolve_dialect(custom) is custom
    assert exchanges(custom).rendered(STUDY).fallback is None
    with pytest.raises(errors.InvalidArgumentError, match="orthanc"):
        resolve_dialect("dcm4chee")


def test_headers_of_the_answer_are_kept() -> None:
    exchange = exchanges().search("studies")
    exchange.start(200, [("Warning", '299 pacs "truncated"')])
    assert Headers(exchange.headers).get("Warning") == '299 pacs "truncated"'


STORE_OK = {
    "00081199": {
        "vr": "SQ",
        "Value": [{"00081155": {"vr": "UI", "Value": ["1.2.3.1"]}}],
    }
}
STORE_FAILED = {
    "00081198": {
        "vr": "SQ",
        "Value": [
            {
                "00081155": {"vr": "UI", "Value": ["1.2.3.2"]},
                "00081197": {"vr": "US", "Value": [272]},
            }
        ],
    }
}


def store(study: str | None = None) -> stow.StoreExchange:
    operations = Operations(DicomWebURLs("https://pacs.test/dicom-web"))
    return stow.store_exchange(operations, [stow.StowItem(b"DICM-ish")], study, chunk_size=3)


def test_the_store_exchange_sends_a_replayable_multipart_body() -> None:
    exchange = store(STUDY)
    request = exchange.request
    assert request.method == "POST"
    assert request.url.endswith(f"/studies/{STUDY}")
    first, second = b"".join(request.iter_body()), b"".join(request.iter_body())
    assert first == second
    assert b"DICM-ish" in first
    assert len(first) == request.content_length


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_a_stored_batch_is_its_store_result(chunks: Chunker) -> None:
    exchange = store()
    run(exchange, answer(200, json.dumps(STORE_OK).encode()), chunks)
    result = exchange.result()
    assert [item.sop_instance_uid for item in result.stored] == ["1.2.3.1"]


@pytest.mark.parametrize("status", [200, 202, 400, 409])
def test_a_failure_in_a_store_response_is_a_store_error(status: int) -> None:
    exchange = store()
    assert exchange.start(status, [("Content-Type", "application/dicom+json")]) is Step.READ
    exchange.feed(json.dumps(STORE_FAILED).encode())
    exchange.close()
    with pytest.raises(errors.StoreError) as caught:
        exchange.result()
    assert caught.value.result.failed[0].sop_instance_uid == "1.2.3.2"


@pytest.mark.parametrize("status", [301, 401, 404, 413, 500])
def test_other_store_statuses_are_rejected(status: int) -> None:
    with pytest.raises(errors.HTTPError) as caught:
        run(store(), answer(status, b"nope"))
    assert caught.value.status == status


def test_a_refusal_without_a_store_response_is_an_http_error() -> None:
    exchange = store()
    run(exchange, answer(400, b"<html>bad</html>", "text/html"))
    with pytest.raises(errors.BadRequestError):
        exchange.result()


def test_the_store_tally_merges_batches_and_reports_progress() -> None:
    seen: list[tuple[int, int | None]] = []
    batches = [[stow.StowItem(b"a")], [stow.StowItem(b"b"), stow.StowItem(b"c")]]
    tally = stow.StoreTally(batches, lambda done, total: seen.append((done, total)))
    assert [key for key, _ in tally.jobs(STUDY)] == [1, 2]
    ok = store()
    run(ok, answer(200, json.dumps(STORE_OK).encode()))
    tally.settle(1, ok.result())
    assert tally.outcome().stored[0].sop_instance_uid == "1.2.3.1"
    failed = store()
    run(failed, answer(409, json.dumps(STORE_FAILED).encode()))
    with pytest.raises(errors.StoreError) as caught:
        failed.result()
    tally.settle(2, caught.value)
    assert seen == [(1, 3), (3, 3)]
    with pytest.raises(errors.StoreError) as merged:
        tally.outcome()
    assert len(merged.value.result.stored) == 1
    assert len(merged.value.result.failed) == 1


def test_pending_counts_the_bytes_a_feed_or_result_may_join() -> None:
    parts = exchanges().parts(STUDY)
    assert parts.pending == 0
    status, headers, body = multipart_answer([b"x" * 1000, b"y"])(parts.request)
    parts.start(status, headers)
    cut = body.index(b"x" * 1000) + 600
    assert parts.feed(body[:cut]) == []
    assert 0 < parts.pending <= 600
    finished = parts.feed(body[cut:]) + parts.close()
    assert [len(part) for _, part in finished] == [1000, 1]
    assert parts.pending == 0
    search = exchanges().search("studies")
    search.start(200, [])
    search.feed(b"[]  ")
    assert search.pending == 4
