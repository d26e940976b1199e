"""STOW-RS in the core, without a client: batching on valid input at its exact boundaries, the
answer of every status class, and the messages a user reads."""

from __future__ import annotations

import io
import json
from itertools import pairwise
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.dicomjson import FailedInstance, StoredInstance, StoreResult
from dicomkit.core.errors import (
    ConflictError,
    HTTPError,
    InvalidArgumentError,
    NotFoundError,
    ServerError,
    ServiceUnavailableError,
    StoreError,
)
from dicomkit.core.interface import Request
from dicomkit.core.operations import Operations
from dicomkit.core.stow import (
    DEFAULT_BATCH_BYTES,
    DEFAULT_BATCH_COUNT,
    StoreTally,
    StowItem,
    interpret_store,
    merge_results,
    plan_batches,
    store_error_message,
    store_exchange,
    stow_body,
)
from dicomkit.core.urls import DicomWebURLs

URL = "http://pacs.example/dicom-web/studies"
REQUEST = Request("POST", URL)
SOP_CLASS = "1.2.840.10008.5.1.4.1.1.7"


def _never_opened() -> Any:
    raise AssertionError("planning batches must not open a file")


def _items(*sizes: int | None) -> list[StowItem]:
    """Items labelled by position; ``None`` is an item of unknown size (a file opener)."""
    items = []
    for index, size in enumerate(sizes):
        if size is None:
            items.append(StowItem(_never_opened, None, label=str(index)))
        else:
            items.append(StowItem(b"x" * size, label=str(index)))
    return items


def _labels(batches: list[list[StowItem]]) -> list[list[str]]:
    return [[item.label for item in batch] for batch in batches]


# -- plan_batches ------------------------------------------------------------------------------


def test_defaults_are_200_instances_and_256_mib():
    assert DEFAULT_BATCH_COUNT == 200
    assert DEFAULT_BATCH_BYTES == 256 * 1024 * 1024
    assert _labels(plan_batches(_items(*[1] * 201))) == [
        [str(i) for i in range(200)],
        ["200"],
    ]


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, [["0"], ["1"], ["2"], ["3"]]),
        (2, [["0", "1"], ["2", "3"]]),
        (3, [["0", "1", "2"], ["3"]]),
        (4, [["0", "1", "2", "3"]]),
        (5, [["0", "1", "2", "3"]]),
    ],
)
def test_count_boundary(count, expected):
    assert _labels(plan_batches(_items(1, 1, 1, 1), max_count=count)) == expected


@pytest.mark.parametrize(
    ("sizes", "max_bytes", "expected"),
    [
        ((5, 5), 10, [["0", "1"]]),  # exactly the limit fits
        ((5, 6), 10, [["0"], ["1"]]),  # one byte over starts a new batch
        ((4, 3, 3), 10, [["0", "1", "2"]]),
        ((4, 3, 4), 10, [["0", "1"], ["2"]]),
        ((3, 3, 3, 3, 3), 6, [["0", "1"], ["2", "3"], ["4"]]),  # the count restarts at 0
        ((11,), 10, [["0"]]),  # larger than the limit: alone
        ((1, 11, 1), 10, [["0"], ["1"], ["2"]]),
        ((0, 0, 10), 10, [["0", "1", "2"]]),  # empty instances weigh nothing
    ],
)
def test_byte_boundary(sizes, max_bytes, expected):
    assert _labels(plan_batches(_items(*sizes), max_bytes=max_bytes)) == expected


def test_an_item_of_unknown_size_ends_its_batch():
    batches = plan_batches(_items(1, None, 1, 1), max_count=10, max_bytes=100)
    assert _labels(batches) == [["0", "1"], ["2", "3"]]
    assert _labels(plan_batches(_items(None, None))) == [["0"], ["1"]]
    assert _labels(plan_batches(_items(1, 1, None), max_count=2)) == [["0", "1"], ["2"]]


def test_unknown_size_does_not_count_against_the_next_batch():
    batches = plan_batches(_items(9, None, 9, 1), max_bytes=10)
    assert _labels(batches) == [["0", "1"], ["2", "3"]]


def test_no_items_no_batches():
    assert plan_batches([]) == []


@given(
    st.lists(st.one_of(st.none(), st.integers(0, 50)), max_size=30),
    st.integers(1, 6),
    st.integers(1, 80),
)
def test_batches_keep_order_and_respect_both_limits(sizes, max_count, max_bytes):
    items = _items(*sizes)
    batches = plan_batches(items, max_count=max_count, max_bytes=max_bytes)
    assert [item for batch in batches for item in batch] == items
    for batch in batches:
        assert 1 <= len(batch) <= max_count
        known = [item.size() for item in batch]
        total = sum(size or 0 for size in known)
        assert total <= max_bytes or len(batch) == 1 or None in known
        assert None not in known[:-1]  # an unknown size only ever ends a batch
    for first, second in pairwise(batches):
        # greedy: the next batch's first item did not fit in the previous batch
        head = second[0].size()
        weight = sum(item.size() or 0 for item in first)
        assert (
            len(first) == max_count
            or first[-1].size() is None
            or (head is not None and weight + head > max_bytes)
        )


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("max_count", 0, "max_batch_instances must be an integer >= 1, not 0"),
        ("max_count", True, "max_batch_instances must be an integer >= 1, not True"),
        ("max_count", 1.5, "max_batch_instances must be an integer >= 1, not 1.5"),
        ("max_bytes", 0, "max_batch_bytes must be an integer >= 1, not 0"),
        ("max_bytes", -1, "max_batch_bytes must be an integer >= 1, not -1"),
        ("max_bytes", "10", "max_batch_bytes must be an integer >= 1, not '10'"),
    ],
)
def test_bad_limits_are_refused_with_their_name(keyword, value, message):
    with pytest.raises(InvalidArgumentError) as caught:
        plan_batches(_items(1), **{keyword: value})
    assert str(caught.value) == message


def test_limits_of_one_are_accepted():
    assert _labels(plan_batches(_items(1, 1), max_count=1, max_bytes=1)) == [["0"], ["1"]]


# -- interpret_store ---------------------------------------------------------------------------


def _ui(value: str) -> dict[str, object]:
    return {"vr": "UI", "Value": [value]}


def _stored(uid: str) -> dict[str, object]:
    return {"00081150": _ui(SOP_CLASS), "00081155": _ui(uid)}


def _failed(uid: str, code: int) -> dict[str, object]:
    return {
        "00081150": _ui(SOP_CLASS),
        "00081155": _ui(uid),
        "00081197": {"vr": "US", "Value": [code]},
    }


def _body(stored: list[str] = (), failed: list[tuple[str, int]] = ()) -> bytes:
    document: dict[str, object] = {"00081190": {"vr": "UR", "Value": [f"{URL}/1.2"]}}
    if stored:
        document["00081199"] = {"vr": "SQ", "Value": [_stored(uid) for uid in stored]}
    if failed:
        document["00081198"] = {"vr": "SQ", "Value": [_failed(u, c) for u, c in failed]}
    return json.dumps(document).encode()


def test_200_with_everything_stored_is_the_result():
    result = interpret_store(REQUEST, 200, {}, _body(stored=["1.2.1", "1.2.2"]))
    assert result.status == 200
    assert result.ok
    assert not result.partial
    assert [s.sop_instance_uid for s in result.stored] == ["1.2.1", "1.2.2"]
    assert result.stored[0] == StoredInstance(SOP_CLASS, "1.2.1")
    assert result.retrieve_url == f"{URL}/1.2"
    assert result.failed == []
    assert result.warnings == []


def test_200_with_an_empty_body_is_an_empty_success():
    result = interpret_store(REQUEST, 200, {}, b"")
    assert (result.status, result.stored, result.failed) == (200, [], [])


@pytest.mark.parametrize("status", [400, 409])
def test_a_refusal_listing_instances_is_a_store_error(status):
    with pytest.raises(StoreError) as caught:
        interpret_store(REQUEST, status, {}, _body(failed=[("1.2.3", 0x0110)]))
    error = caught.value
    assert error.status == status
    assert error.result.status == status
    assert error.result.failed == [FailedInstance(SOP_CLASS, "1.2.3", 0x0110, "Processing failure")]
    assert str(error) == (
        f"STOW-RS (HTTP {status}) stored 0 of 1 instance(s); 1.2.3: Processing failure (0x0110)"
    )


def test_202_some_stored_some_failed_is_a_store_error_with_both():
    body = _body(stored=["1.2.1"], failed=[("1.2.2", 0xA700)])
    with pytest.raises(StoreError) as caught:
        interpret_store(REQUEST, 202, {}, body)
    assert caught.value.result.partial
    assert str(caught.value).startswith("STOW-RS (HTTP 202) stored 1 of 2 instance(s); 1.2.2: ")


@pytest.mark.parametrize(
    ("status", "kind"),
    [(404, NotFoundError), (500, ServerError), (503, ServiceUnavailableError), (599, ServerError)],
)
def test_other_error_statuses_are_http_errors_with_the_server_body(status, kind):
    body = b'{"Message": "disk full"}'
    with pytest.raises(kind) as caught:
        interpret_store(REQUEST, status, {"Content-Type": "application/json"}, body)
    error = caught.value
    assert (error.status, error.method, error.url, error.body) == (status, "POST", URL, body)
    assert error.reasons == ["disk full"]
    assert str(error) == f"HTTP {status} for POST {URL}: disk full"


@pytest.mark.parametrize("status", [400, 409])
def test_a_refusal_whose_body_is_not_dicom_json_is_the_http_error(status):
    with pytest.raises(HTTPError) as caught:
        interpret_store(REQUEST, status, {}, b"<html>no</html>")
    assert caught.value.status == status
    assert caught.value.body == b"<html>no</html>"
    assert str(caught.value) == (
        f"HTTP {status} for POST {URL}: the server stored nothing and did not say which "
        "instance it refused (Orthanc answers so when a part is not DICOM)"
    )


def test_a_success_whose_body_is_not_dicom_json_is_a_result_with_a_warning():
    result = interpret_store(REQUEST, 200, {}, b'{"stored": 1}')
    assert (result.status, result.stored, result.failed) == (200, [], [])
    assert result.warnings == [
        "the server's answer could not be read (body is JSON but not DICOM JSON: '{\"stored\": 1}')"
    ]


def test_a_refusal_naming_no_instance_says_so():
    with pytest.raises(ConflictError) as caught:
        interpret_store(REQUEST, 409, {}, b'{"00081190": {"vr": "UR"}}')
    assert str(caught.value) == (
        f"HTTP 409 for POST {URL}: the server stored nothing and did not say which instance "
        "it refused (Orthanc answers so when a part is not DICOM)"
    )
    assert caught.value.body == b'{"00081190": {"vr": "UR"}}'


def test_a_refusal_naming_no_instance_keeps_the_server_reason():
    with pytest.raises(ConflictError) as caught:
        interpret_store(REQUEST, 409, {"Warning": '299 - "not DICOM"'}, b"{}")
    assert caught.value.reasons == ["not DICOM"]
    assert str(caught.value) == f"HTTP 409 for POST {URL}: not DICOM"


@pytest.mark.parametrize("status", [300, 301, 302, 303, 307, 308, 399])
def test_a_redirected_upload_is_an_error_that_says_nothing_was_stored(status):
    headers = {"Location": "https://other.example/dicom-web/studies"}
    with pytest.raises(HTTPError) as caught:
        interpret_store(REQUEST, status, headers, b"")
    assert caught.value.status == status
    assert str(caught.value) == (
        f"HTTP {status} for POST {URL}: redirected to https://other.example/dicom-web/studies, "
        "which is not followed for POST, so nothing was done there; use the final URL as the "
        "base URL"
    )


def test_a_redirect_without_location_still_explains():
    with pytest.raises(HTTPError) as caught:
        interpret_store(REQUEST, 304, {}, b"")
    assert str(caught.value) == (
        f"HTTP 304 for POST {URL}: redirected, which is not followed for POST, so nothing was "
        "done there; use the final URL as the base URL"
    )


# -- messages and merging ----------------------------------------------------------------------


def test_store_error_message_names_every_failure_and_warning():
    result = StoreResult(
        stored=[StoredInstance(SOP_CLASS, "1.2.1")],
        failed=[
            FailedInstance(SOP_CLASS, "1.2.2", 0x0122, "SOP Class not supported", "no CT"),
            FailedInstance("", "", None, "Unspecified failure"),
        ],
        warnings=["1.2.1: Coercion of data elements"],
    )
    assert store_error_message(result, 202) == (
        "STOW-RS (HTTP 202) stored 1 of 3 instance(s); "
        "1.2.2: SOP Class not supported (0x0122): no CT; "
        "an instance the server did not name: Unspecified failure; "
        "warning: 1.2.1: Coercion of data elements"
    )


def test_store_error_message_without_details():
    assert store_error_message(StoreResult(), 200) == "STOW-RS (HTTP 200) stored 0 of 0 instance(s)"


def test_merge_results_keeps_everything_in_order():
    first = StoreResult(stored=[StoredInstance(SOP_CLASS, "1")], status=200, retrieve_url="u")
    second = StoreResult(
        stored=[StoredInstance(SOP_CLASS, "2")],
        failed=[FailedInstance(SOP_CLASS, "3", 0x0110, "Processing failure")],
        warnings=["w"],
        status=202,
        retrieve_url="u",
    )
    merged = merge_results([first, second])
    assert [s.sop_instance_uid for s in merged.stored] == ["1", "2"]
    assert [f.sop_instance_uid for f in merged.failed] == ["3"]
    assert merged.warnings == ["w"]
    assert merged.status == 202
    assert merged.retrieve_url == "u"
    assert merge_results([first]) is first


def test_merge_results_of_several_studies_has_no_single_url():
    first = StoreResult(status=200, retrieve_url="a")
    second = StoreResult(status=200, retrieve_url="b")
    third = StoreResult(status=0)
    merged = merge_results([first, second, third])
    assert merged.retrieve_url is None
    assert merged.status == 200
    assert merge_results([StoreResult(status=0), StoreResult(status=0)]).status == 200


# -- bodies, exchanges and the tally of several batches ------------------------------------------


class _File(io.BytesIO):
    """A part file that records whether it was closed."""

    opened: ClassVar[list[_File]] = []

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        _File.opened.append(self)


def test_stow_body_bytes_length_and_replay():
    _File.opened.clear()
    items = [StowItem(b"abc"), StowItem(lambda: _File(b"defg"), 4)]
    body = stow_body(items, "BND", chunk_size=2)
    expected = (
        b"--BND\r\nContent-Type: application/dicom\r\n\r\nabc\r\n"
        b"--BND\r\nContent-Type: application/dicom\r\n\r\ndefg\r\n--BND--\r\n"
    )
    assert body.length == len(expected) == 104
    assert b"".join(body) == expected
    assert b"".join(body) == expected  # a retry reads the files again
    assert len(_File.opened) == 2
    assert all(handle.closed for handle in _File.opened)


def test_stow_body_of_unknown_size_has_no_length():
    assert stow_body([StowItem(lambda: _File(b"x"))], "B").length is None


def test_an_unreadable_file_is_an_invalid_argument():
    def broken() -> Any:
        raise OSError("permission denied")

    body = stow_body([StowItem(broken, 1)], "B")
    with pytest.raises(InvalidArgumentError) as caught:
        b"".join(body)
    assert str(caught.value) == "cannot read an instance to store: permission denied"


def test_store_exchange_request():
    ops = Operations(DicomWebURLs("http://h/dw"))
    items = [StowItem(b"abc"), StowItem(lambda: _File(b"defg"), 4)]
    exchange = store_exchange(ops, items, "1.2", chunk_size=3)
    request = exchange.request
    boundary = request.headers.get("Content-Type").rpartition("boundary=")[2]
    assert request.url == "http://h/dw/studies/1.2"
    assert request.headers.get("Content-Type") == (
        f'multipart/related; type="application/dicom"; boundary={boundary}'
    )
    assert request.content_length == 104 + 3 * (len(boundary) - 3)
    assert b"".join(request.iter_body()).count(boundary.encode()) == 3
    assert [exchange.readable(s) for s in (200, 299, 400, 409)] == [True] * 4
    assert not exchange.readable(404)
    assert not exchange.readable(300)


def test_the_tally_of_batches():
    seen = []
    batches = plan_batches(_items(1, 1, 1), max_count=2)
    tally = StoreTally(batches, lambda done, total: seen.append((done, total)))
    assert tally.total == 3
    assert tally.jobs("1.2") == [(2, (batches[0], "1.2")), (1, (batches[1], "1.2"))]
    tally.settle(2, StoreResult(stored=[StoredInstance(SOP_CLASS, "1")], status=200))
    tally.settle(1, StoreResult(stored=[StoredInstance(SOP_CLASS, "2")], status=200))
    assert seen == [(2, 3), (3, 3)]
    merged = tally.outcome()
    assert [s.sop_instance_uid for s in merged.stored] == ["1", "2"]


def test_one_failed_batch_of_one_raises_its_own_error():
    tally = StoreTally(plan_batches(_items(1)), None)
    error = StoreError("own message", StoreResult(status=409), status=409)
    tally.settle(1, error)
    with pytest.raises(StoreError) as caught:
        tally.outcome()
    assert caught.value is error


def test_a_failed_batch_among_several_raises_one_error_for_all():
    tally = StoreTally(plan_batches(_items(1, 1), max_count=1), None)
    tally.settle(1, StoreResult(stored=[StoredInstance(SOP_CLASS, "1")], status=200))
    failed = StoreResult(failed=[FailedInstance(SOP_CLASS, "2", 0x0110, "Processing failure")])
    failed.status = 409
    tally.settle(1, StoreError("batch 2", failed, status=409))
    with pytest.raises(StoreError) as caught:
        tally.outcome()
    assert caught.value.status == 409
    assert str(caught.value) == (
        "STOW-RS (HTTP 409) stored 1 of 2 instance(s); 2: Processing failure (0x0110)"
    )
    assert len(caught.value.result.stored) == 1


def test_an_error_status_keeps_the_warning_header_reasons():
    headers = {"Warning": '299 pacs "storage offline"'}
    with pytest.raises(ServerError) as caught:
        interpret_store(REQUEST, 500, headers, b"")
    assert caught.value.reasons == ["storage offline"]
    assert caught.value.headers == headers
    assert str(caught.value) == f"HTTP 500 for POST {URL}: storage offline"
