"""The frame planner's exact decisions (issue 13.4, fifth round): the batches it cuts, their
keys and order, what a short, refused or located answer changes, the exact messages users read
and the request of one batch. Complements ``test_framebatch.py``'s properties."""

from __future__ import annotations

from typing import Any

import pytest

from dicomkit.core.errors import InvalidArgumentError, ProtocolError
from dicomkit.core.interface import Headers
from dicomkit.core.operations import Operations
from dicomkit.core.operations.dialect import Dialect
from dicomkit.core.operations.exchange import PartsExchange
from dicomkit.core.operations.framebatch import (
    BATCH_BYTES,
    Frame,
    FrameBatch,
    FramePlanner,
    check_batching,
    frame_batch_exchange,
    frames_of_series,
    frames_wanted,
    largest_frame,
    number_of_frames,
)
from dicomkit.core.urls import DicomWebURLs

UID = "1.2.3"


def element(value: Any, vr: str = "US") -> dict[str, Any]:
    return {"vr": vr, "Value": [value]}


def located(number: int) -> Headers:
    return Headers({"Content-Location": f"http://h/instances/{UID}/frames/{number}"})


def answer(planner: FramePlanner, batch: FrameBatch, numbers: list[int]) -> None:
    for number in numbers:
        planner.part(batch, Headers(), f"{number}".encode())
    planner.finished(batch)


def issued(planner: FramePlanner) -> FrameBatch:
    batch = planner.next_batch()
    assert batch is not None
    return batch


# metadata readers


def test_number_of_frames_reads_text_with_spaces_zero_and_refuses_negative() -> None:
    assert number_of_frames({"00280008": element(" 12 ", "IS")}) == 12
    assert number_of_frames({"00280008": element(0, "IS")}) == 0
    assert number_of_frames({"00280008": {"vr": "IS", "Value": []}, "7FE00010": {}}) == 1
    assert number_of_frames({"00280008": {"vr": "IS"}}) == 0
    assert number_of_frames({"00280008": "12"}) == 0, "an element that is not a mapping"
    for tag in ("7FE00010", "7FE00008", "7FE00009", "00280010"):
        assert number_of_frames({tag: {"vr": "OB"}}) == 1
    with pytest.raises(ProtocolError) as caught:
        number_of_frames({"00280008": element("-2", "IS")})
    assert str(caught.value) == "NumberOfFrames is negative: -2"
    with pytest.raises(ProtocolError) as caught:
        number_of_frames({"00280008": element("many", "IS")})
    assert str(caught.value) == "NumberOfFrames is not a number: 'many'"


def test_largest_frame_counts_samples_bits_and_skips_unknown_sizes() -> None:
    def item(**values: Any) -> dict[str, Any]:
        tags = {"rows": "00280010", "cols": "00280011", "bits": "00280100", "spp": "00280002"}
        return {tags[name]: element(value) for name, value in values.items()}

    assert largest_frame([item(rows=2, cols=3, bits=16)]) == 12, "one sample when not said"
    assert largest_frame([item(rows=2, cols=3, bits=8, spp=3)]) == 18
    nine = largest_frame([item(rows=" 2 ", cols="3", bits="12")])
    assert (nine, type(nine)) == (9, int), "bits, not bytes, counted in whole bytes"
    assert largest_frame([item(rows=2, cols=3, bits=1)]) == 0
    assert largest_frame([item(rows=2, cols=3, bits=8, spp=0)]) == 6, "0 samples read as 1"
    assert largest_frame([item(rows=2, cols=3)]) is None
    assert largest_frame([item(rows=0, cols=3, bits=8)]) is None
    assert largest_frame([item(rows="x", cols=3, bits=8)]) is None
    assert largest_frame([item(rows=2, cols=3, bits=8), item(rows=4, cols=4, bits=8)]) == 16
    assert largest_frame([]) is None


def test_frames_of_series_puts_instances_without_a_number_last_in_server_order() -> None:
    def item(uid: str, number: Any = None, frames: int = 1) -> dict[str, Any]:
        out = {"00080018": element(uid, "UI"), "00280008": element(frames, "IS")}
        if number is not None:
            out["00200013"] = element(number, "IS")
        return out

    metadata = [item("z"), item("b", "2"), item("y"), item("c", 1), item("a", 0, 2), item("n", "x")]
    assert frames_of_series(metadata) == [
        ("a", 1),
        ("a", 2),
        ("c", 1),
        ("b", 1),
        ("z", 1),
        ("y", 1),
        ("n", 1),
    ]
    with pytest.raises(ProtocolError) as caught:
        frames_of_series([{"00080018": element(5, "UI")}])
    assert str(caught.value) == "an instance of the series' metadata has no SOPInstanceUID"


def test_frames_wanted_messages() -> None:
    assert frames_wanted(None, 1, UID) == [1]
    assert frames_wanted([1, 1], 1, UID) == [1, 1]
    assert frames_wanted((n for n in (2, 1)), 2, UID) == [2, 1]
    cases: list[tuple[Any, int, str]] = [
        (None, 0, "instance 1.2.3 has no frames"),
        ([], 3, "at least one frame number is needed"),
        ([1, "2"], 3, "frame numbers are integers >= 1, not '2'"),
        ([False], 3, "frame numbers are integers >= 1, not False"),
        (
            [4, 0, 4],
            3,
            "frame number(s) 0, 4 out of range: instance 1.2.3 has 3 frame(s), numbered 1 to 3",
        ),
        (
            [9, 8, 7, 6, 5],
            4,
            "frame number(s) 5, 6, 7, 8, 9 out of range: instance 1.2.3 has 4 frame(s), "
            "numbered 1 to 4",
        ),
        (
            [10, 9, 8, 7, 6, 5],
            4,
            "frame number(s) 5, 6, 7, 8, 9 ... out of range: instance 1.2.3 has 4 frame(s), "
            "numbered 1 to 4",
        ),
    ]
    for frames, count, message in cases:
        with pytest.raises(InvalidArgumentError) as caught:
            frames_wanted(frames, count, UID)
        assert str(caught.value) == message


def test_check_batching_messages_and_bounds() -> None:
    check_batching(None, 1)
    check_batching(1, 1)
    for batch, concurrency, message in [
        (0, 1, "batch must be an integer >= 1, not 0"),
        (1, 0, "concurrency must be an integer >= 1, not 0"),
        (1, None, "concurrency must be an integer >= 1, not None"),
        (None, 0, "concurrency must be an integer >= 1, not 0"),
        (True, 1, "batch must be an integer >= 1, not True"),
        (2.0, 1, "batch must be an integer >= 1, not 2.0"),
    ]:
        with pytest.raises(InvalidArgumentError) as caught:
            check_batching(batch, concurrency)
        assert str(caught.value) == message


def test_frame_batch_exchange_asks_the_batchs_frames_with_the_options() -> None:
    operations = Operations(DicomWebURLs("https://pacs.test/dicom-web"))
    batch = FrameBatch(1, "1.2.3.4.5", (3, 1, 2), 0, 3)
    exchange = frame_batch_exchange(
        operations, "1.2.3", "1.2.3.4", batch, transfer_syntax="1.2.840.10008.1.2.1"
    )
    assert type(exchange) is PartsExchange
    expected = operations.frames(
        "1.2.3", "1.2.3.4", "1.2.3.4.5", (3, 1, 2), transfer_syntax="1.2.840.10008.1.2.1"
    )
    assert exchange.request.url == (
        "https://pacs.test/dicom-web/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.5/frames/3,1,2"
    )
    assert exchange.request.method == expected.method
    assert list(exchange.request.headers.items()) == list(expected.headers.items())
    assert "transfer-syntax=1.2.840.10008.1.2.1" in (exchange.request.headers.get("Accept") or "")


# the planner


def test_an_empty_wanted_list_is_refused() -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        FramePlanner([])
    assert str(caught.value) == "at least one frame is needed"
    with pytest.raises(InvalidArgumentError) as caught:
        FramePlanner([(UID, 1)], batch=0)
    assert str(caught.value) == "batch must be an integer >= 1, not 0"


def test_an_automatic_batch_spreads_the_frames_over_the_concurrency_rounding_up() -> None:
    planner = FramePlanner([(UID, n) for n in range(1, 11)], concurrency=3)
    assert planner.batch_size == 4
    assert planner.concurrency == 3
    assert (planner.total, planner.handed_out, planner.requests, planner.held) == (10, 0, 0, 0)
    batches = [issued(planner) for _ in range(3)]
    assert [(b.key, b.numbers, b.start, b.stop) for b in batches] == [
        (1, (1, 2, 3, 4), 0, 4),
        (2, (5, 6, 7, 8), 4, 8),
        (3, (9, 10), 8, 10),
    ]
    assert planner.requests == 3
    assert planner.next_batch() is None


def test_the_frame_size_bounds_the_first_automatic_batch_as_an_integer() -> None:
    wanted = [(UID, n) for n in range(1, 101)]
    planner = FramePlanner(wanted, concurrency=1, frame_bytes=3 << 20)
    assert planner.batch_size == 5
    assert type(planner.batch_size) is int
    assert FramePlanner(wanted, concurrency=1, frame_bytes=BATCH_BYTES * 2).batch_size == 1
    assert FramePlanner(wanted, concurrency=1, frame_bytes=0).batch_size == 100
    assert FramePlanner(wanted, batch=7, frame_bytes=3 << 20).batch_size == 7


def test_the_measured_weight_sets_the_automatic_batch_as_an_integer() -> None:
    planner = FramePlanner([(UID, n) for n in range(1, 101)], concurrency=1)
    batch = issued(planner)
    assert len(batch.numbers) == 100
    for _ in batch.numbers:
        planner.part(batch, Headers(), b"x" * (3 << 20))
    planner.finished(batch)
    assert planner.batch_size == 5
    assert type(planner.batch_size) is int
    empty = FramePlanner([(UID, n) for n in range(1, 4)], concurrency=1)
    batch = issued(empty)
    for _ in batch.numbers:
        empty.part(batch, Headers(), b"")
    empty.finished(batch)
    assert empty.batch_size == 3, "empty frames weigh nothing: the spread bounds the batch"


def test_the_list_budget_counts_digits_and_commas_exactly() -> None:
    def first(numbers: list[int], chars: int) -> tuple[int, ...]:
        wanted = [(UID, n) for n in numbers]
        planner = FramePlanner(wanted, concurrency=1, dialect=Dialect(frame_list_chars=chars))
        return issued(planner).numbers

    assert first([1, 2, 3, 4], 5) == (1, 2, 3), "'1,2,3' is 5 characters"
    assert first([1, 2, 3, 4], 4) == (1, 2)
    assert first([10, 11, 12], 5) == (10, 11), "'10,11' is 5 characters"
    assert first([10, 11, 12], 4) == (10,)
    assert first([123, 4], 1) == (123,), "one frame is asked whatever the budget"
    assert first([1, 1, 1, 2], 1) == (1,), "repeats cost nothing"


def test_a_batch_holds_at_most_batch_distinct_numbers_and_never_two_instances() -> None:
    wanted = [(UID, 1), (UID, 2), (UID, 1), (UID, 3), ("9.9", 1), ("9.9", 2)]
    planner = FramePlanner(wanted, batch=2, concurrency=9)
    cut = [(b.sop_instance_uid, b.numbers, b.start, b.stop) for b in iter(planner.next_batch, None)]
    assert cut == [(UID, (1, 2), 0, 3), (UID, (3,), 3, 4), ("9.9", (1, 2), 4, 6)]


def test_no_more_ranges_open_than_the_concurrency() -> None:
    planner = FramePlanner([(UID, n) for n in range(1, 5)], batch=1, concurrency=2)
    first, second = issued(planner), issued(planner)
    assert planner.next_batch() is None
    answer(planner, second, [2])
    assert planner.ready() == []
    assert planner.held == 1
    assert planner.next_batch() is None, "the second range is held until the first is out"
    answer(planner, first, [1])
    assert [f.number for f in planner.ready()] == [1, 2]
    assert planner.handed_out == 2
    assert not planner.done
    assert [b.numbers for b in iter(planner.next_batch, None)] == [(3,), (4,)]


def test_parts_are_placed_by_content_location_else_by_their_place() -> None:
    planner = FramePlanner([(UID, n) for n in (1, 2, 3)], concurrency=1)
    batch = issued(planner)
    planner.part(batch, Headers({"Content-Location": "", "Content-Type": "image/jp2"}), b"one")
    planner.part(batch, Headers({"Content-Location": "http://h/frames/9"}), b"second")
    planner.part(batch, located(3), b"three")
    planner.finished(batch)
    frames = planner.ready()
    assert frames == [
        Frame(UID, 1, b"one", "image/jp2"),
        Frame(UID, 2, b"second", "application/octet-stream"),
        Frame(UID, 3, b"three", "application/octet-stream"),
    ]
    assert planner.done
    assert planner.held == 0


@pytest.mark.parametrize(
    ("location", "number"),
    [
        ("http://h/frames/2/", 2),
        ("/frames/2", 2),
        ("http://h/frames/2?x=1", None),
        ("http://h/frames/2/rendered", None),
        ("http://h/frames/x2", None),
    ],
)
def test_which_content_locations_name_a_frame(location: str, number: int | None) -> None:
    planner = FramePlanner([(UID, 1), (UID, 2)], concurrency=1)
    batch = issued(planner)
    planner.part(batch, Headers({"Content-Location": location}), b"first")
    if number == 2:
        assert (planner.ready(), planner.held) == ([], 1), "held for the frame 2's turn"
    else:
        assert planner.ready() == [Frame(UID, 1, b"first", "application/octet-stream")]


def test_more_parts_than_asked_names_the_count() -> None:
    planner = FramePlanner([(UID, 1), (UID, 2)], concurrency=1)
    batch = issued(planner)
    planner.part(batch, Headers(), b"a")
    planner.part(batch, Headers(), b"b")
    with pytest.raises(ProtocolError) as caught:
        planner.part(batch, located(7), b"c")
    assert str(caught.value) == "the server answered more than the 2 frame(s) asked"
    empty = FramePlanner([(UID, 1)])
    with pytest.raises(ProtocolError) as caught:
        empty.finished(issued(empty))
    assert str(caught.value) == "the server answered a frames request with no frame"


def test_a_located_part_may_come_after_the_count_of_parts() -> None:
    planner = FramePlanner([(UID, 1), (UID, 2)], concurrency=1)
    batch = issued(planner)
    planner.part(batch, located(2), b"two")
    planner.part(batch, located(1), b"one")
    planner.part(batch, located(2), b"two again")
    planner.finished(batch)
    assert [f.data for f in planner.ready()] == [b"one", b"two again"]


def test_a_short_answer_asks_the_missing_frames_again_in_chunks_of_what_came() -> None:
    wanted = [(UID, n) for n in (5, 6, 5, 7, 8, 9)]
    planner = FramePlanner(wanted, concurrency=1)
    batch = issued(planner)
    assert batch.numbers == (5, 6, 7, 8, 9)
    answer(planner, batch, [5, 6])
    assert planner.batch_size == 2
    assert [f.number for f in planner.ready()] == [5, 6, 5]
    retries = [issued(planner), issued(planner)]
    assert [(b.key, b.numbers, b.start, b.stop) for b in retries] == [
        (2, (7, 8), 0, 6),
        (3, (9,), 0, 6),
    ]
    assert planner.next_batch() is None
    assert planner.requests == 3
    answer(planner, retries[1], [9])
    answer(planner, retries[0], [7, 8])
    assert [f.number for f in planner.ready()] == [7, 8, 9]
    assert planner.done


def test_a_full_answer_keeps_a_given_batch() -> None:
    planner = FramePlanner([(UID, n) for n in range(1, 7)], batch=3, concurrency=1)
    answer(planner, issued(planner), [1, 2, 3])
    assert planner.batch_size == 3
    planner.ready()
    assert issued(planner).numbers == (4, 5, 6)


def test_the_servers_limit_stays_once_learnt() -> None:
    planner = FramePlanner([(UID, n) for n in range(1, 13)], batch=4, concurrency=1)
    answer(planner, issued(planner), [1, 2])
    assert planner.batch_size == 2
    answer(planner, issued(planner), [3, 4])
    planner.ready()
    answer(planner, issued(planner), [5, 6])
    assert planner.batch_size == 2
    auto = FramePlanner([(UID, n) for n in range(1, 13)], concurrency=1)
    answer(auto, issued(auto), [1, 2, 3])
    answer(auto, issued(auto), [4, 5, 6])
    assert auto.batch_size == 3, "the weight does not raise it above the server's limit"


def test_a_refusal_halves_the_list_and_sets_the_limit() -> None:
    planner = FramePlanner([(UID, n) for n in range(1, 6)], concurrency=1)
    batch = issued(planner)
    assert planner.refused(batch, 414)
    assert planner.batch_size == 2
    halves = [b.numbers for b in iter(planner.next_batch, None)]
    assert halves == [(1, 2), (3, 4), (5,)]
    assert planner.requests == 4
    two = FramePlanner([(UID, 1), (UID, 2)], concurrency=1)
    assert two.refused(issued(two), 400)
    assert [b.numbers for b in iter(two.next_batch, None)] == [(1,), (2,)]


def test_a_refused_batch_leaves_nothing_behind_so_finishing_it_is_a_driver_error() -> None:
    planner = FramePlanner([(UID, 1), (UID, 2)], concurrency=1)
    batch = issued(planner)
    planner.part(batch, Headers(), b"x")
    assert planner.refused(batch, 400)
    with pytest.raises(KeyError):
        planner.finished(batch)
    single = FramePlanner([(UID, 1)])
    lone = issued(single)
    assert not single.refused(lone, 414)
    assert single.next_batch() is None


def test_reasks_go_out_nearest_the_head_first() -> None:
    planner = FramePlanner([(UID, n) for n in range(1, 9)], concurrency=2)
    first = issued(planner)
    assert first.numbers == (1, 2, 3, 4)
    second = issued(planner)
    assert planner.refused(second, 400)
    assert planner.refused(first, 400)
    order = [b.numbers for b in iter(planner.next_batch, None)]
    assert order == [(1, 2), (3, 4), (5, 6), (7, 8)]


def test_reasks_of_one_range_go_out_in_the_order_their_frames_are_wanted() -> None:
    planner = FramePlanner([(UID, n) for n in (4, 3, 2, 1, 4)], concurrency=1)
    batch = issued(planner)
    assert batch.numbers == (4, 3, 2, 1)
    assert planner.refused(batch, 400)
    front, back = issued(planner), issued(planner)
    assert (front.numbers, back.numbers) == ((4, 3), (2, 1))
    assert planner.refused(back, 400)
    assert planner.refused(front, 400)
    assert [b.numbers for b in iter(planner.next_batch, None)] == [(4,), (3,), (2,), (1,)]


def test_a_reask_after_its_frame_was_handed_out_keeps_its_place() -> None:
    planner = FramePlanner([(UID, 1), (UID, 2), (UID, 1)], concurrency=2)
    batch = issued(planner)
    answer(planner, batch, [1])
    assert [f.number for f in planner.ready()] == [1]
    retry = issued(planner)
    assert retry.numbers == (2,)
    answer(planner, retry, [2])
    assert [f.number for f in planner.ready()] == [2, 1]
    assert planner.done


def test_a_refusal_down_to_single_frames_asks_single_frames_from_then_on() -> None:
    planner = FramePlanner([(UID, n) for n in range(1, 5)], concurrency=2)
    assert planner.refused(issued(planner), 400)
    assert planner.batch_size == 1
    assert [b.numbers for b in iter(planner.next_batch, None)] == [(1,), (2,), (3,)]


def test_the_weight_is_the_mean_part_size_rounded_down() -> None:
    third = BATCH_BYTES // 3  # 16 MiB / 3 rounded down: 3 frames of it fit, not of one byte more
    planner = FramePlanner([(UID, n) for n in range(1, 13)], concurrency=1, frame_bytes=8 << 20)
    batch = issued(planner)
    assert batch.numbers == (1, 2)
    planner.part(batch, Headers(), b"x" * third)
    planner.part(batch, Headers(), b"x" * (third + 1))
    planner.finished(batch)
    assert planner.batch_size == 3
    single = FramePlanner([(UID, n) for n in range(1, 21)], concurrency=1, frame_bytes=32 << 20)
    lone = issued(single)
    assert lone.numbers == (1,)
    single.part(lone, Headers(), b"x" * (3 << 20))
    single.finished(lone)
    assert single.batch_size == 5, "one part of 3 MiB"


def test_frames_handed_out_before_their_answer_ends_are_not_asked_again() -> None:
    planner = FramePlanner([(UID, 1), (UID, 2)], concurrency=1)
    batch = issued(planner)
    planner.part(batch, Headers(), b"1")
    planner.part(batch, Headers(), b"2")
    assert [f.number for f in planner.ready()] == [1, 2]
    assert planner.done
    planner.finished(batch)
    assert planner.next_batch() is None
    assert planner.batch_size == 2
