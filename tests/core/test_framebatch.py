"""The bulk frame planner, without I/O: a simulated server answers its batches in any order,
refuses long lists or answers short, and the frames must still come out in the asked order,
each exactly once per asked position, with at most ``concurrency`` ranges held."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError, ProtocolError
from dicomkit.core.interface import Headers
from dicomkit.core.operations.dialect import ORTHANC, STANDARD, Dialect
from dicomkit.core.operations.framebatch import (
    BATCH_BYTES,
    FrameBatch,
    FramePlanner,
    frames_of_series,
    frames_wanted,
    largest_frame,
    number_of_frames,
)


def body(instance: str, number: int) -> bytes:
    return f"{instance}:{number}".encode()


@dataclass
class Server:
    """How the simulated server answers: the longest list it takes, the most parts it sends
    per answer, whether it names each part's frame, and in what order answers arrive."""

    max_list: int = 10**6
    max_parts: int = 10**6
    locations: bool = True
    reverse_parts: bool = False
    seed: int = 0


def run(planner: FramePlanner, server: Server) -> tuple[list[tuple[str, int]], int, int]:
    """Drive the planner like the client does, finishing answers in a random order; return
    the frames handed out, the most frames ever held in its reorder buffer, and the longest
    range of positions a batch was made for."""
    rng = random.Random(server.seed)
    running: list[FrameBatch] = []
    out: list[tuple[str, int]] = []
    most_held = longest = 0
    while not planner.done:
        while len(running) < planner.concurrency:
            batch = planner.next_batch()
            if batch is None:
                break
            running.append(batch)
            longest = max(longest, batch.stop - batch.start)
        assert running, "the planner stalled with nothing running"
        batch = running.pop(rng.randrange(len(running)))
        if len(batch.numbers) > server.max_list:
            assert planner.refused(batch, 400)
        else:
            answered = list(batch.numbers[: server.max_parts])
            if server.reverse_parts and server.locations:
                answered.reverse()
            for number in answered:
                headers = Headers()
                if server.locations:
                    headers.add("Content-Location", f"http://h/instances/x/frames/{number}")
                planner.part(batch, headers, body(batch.sop_instance_uid, number))
            planner.finished(batch)
        most_held = max(most_held, planner.held)
        for frame in planner.ready():
            assert frame.data == body(frame.sop_instance_uid, frame.number)
            out.append((frame.sop_instance_uid, frame.number))
    return out, most_held, longest


wanted_lists = st.lists(
    st.tuples(st.sampled_from(["1.2.3", "1.2.4"]), st.integers(1, 40)), min_size=1, max_size=120
)


@settings(max_examples=300, deadline=None)
@given(
    wanted=wanted_lists,
    batch=st.none() | st.integers(1, 50),
    concurrency=st.integers(1, 6),
    server=st.builds(
        Server,
        max_list=st.integers(1, 60),
        max_parts=st.integers(1, 60),
        locations=st.booleans(),
        reverse_parts=st.booleans(),
        seed=st.integers(0, 1000),
    ),
)
def test_frames_come_out_in_the_asked_order_whatever_the_server_does(
    wanted: list[tuple[str, int]], batch: int | None, concurrency: int, server: Server
) -> None:
    planner = FramePlanner(wanted, batch=batch, concurrency=concurrency)
    out, most_held, longest = run(planner, server)
    assert out == wanted
    assert most_held <= concurrency * longest, "only the open ranges are ever held"
    if batch is not None:
        assert planner.batch_size <= batch


@settings(max_examples=100, deadline=None)
@given(wanted=wanted_lists, concurrency=st.integers(1, 6), seed=st.integers(0, 100))
def test_lists_respect_the_dialect_budget_and_never_mix_instances(
    wanted: list[tuple[str, int]], concurrency: int, seed: int
) -> None:
    dialect = Dialect(frame_list_chars=12)
    planner = FramePlanner(wanted, concurrency=concurrency, dialect=dialect)
    seen: list[FrameBatch] = []
    while not planner.done:
        batch = planner.next_batch()
        assert batch is not None
        seen.append(batch)
        assert len(",".join(map(str, batch.numbers))) <= 12
        assert len(set(batch.numbers)) == len(batch.numbers)
        assert {wanted[p][0] for p in range(batch.start, batch.stop)} == {batch.sop_instance_uid}
        for number in batch.numbers:
            planner.part(batch, Headers(), body(batch.sop_instance_uid, number))
        planner.finished(batch)
        planner.ready()
    assert [p for b in seen for p in range(b.start, b.stop)] == list(range(len(wanted)))


def test_a_refused_list_is_asked_again_in_halves_down_to_one_frame() -> None:
    planner = FramePlanner([("1.2.3", n) for n in range(1, 9)], concurrency=1)
    first = planner.next_batch()
    assert first is not None
    assert first.numbers == tuple(range(1, 9))
    assert planner.refused(first, 414)
    halves = planner.next_batch()
    assert halves is not None
    assert halves.numbers == (1, 2, 3, 4)
    assert planner.batch_size == 4
    assert planner.refused(halves, 400)
    quarter = planner.next_batch()
    assert quarter is not None
    assert quarter.numbers == (1, 2)
    assert planner.refused(quarter, 400)
    single = planner.next_batch()
    assert single is not None
    assert single.numbers == (1,)
    assert not planner.refused(single, 400), "one frame refused is the caller's error"


@pytest.mark.parametrize("status", [404, 406, None])
def test_statuses_about_the_request_are_not_taken_for_a_refused_list(status: int | None) -> None:
    planner = FramePlanner([("1.2.3", 1), ("1.2.3", 2)], concurrency=1)
    batch = planner.next_batch()
    assert batch is not None
    assert not planner.refused(batch, status)


def test_orthancs_500_is_an_error_while_the_standard_dialect_splits_on_it() -> None:
    for dialect, split in ((STANDARD, True), (ORTHANC, False)):
        planner = FramePlanner([("1.2.3", 1), ("1.2.3", 2)], concurrency=1, dialect=dialect)
        batch = planner.next_batch()
        assert batch is not None
        assert planner.refused(batch, 500) is split


def test_a_short_answer_sets_the_batch_size_to_what_the_server_sent() -> None:
    planner = FramePlanner([("1.2.3", n) for n in range(1, 11)], concurrency=1)
    batch = planner.next_batch()
    assert batch is not None
    assert len(batch.numbers) == 10
    for number in (1, 2, 3):
        planner.part(batch, Headers(), body("1.2.3", number))
    planner.finished(batch)
    assert planner.batch_size == 3
    assert [frame.number for frame in planner.ready()] == [1, 2, 3]
    rest = planner.next_batch()
    assert rest is not None
    assert rest.numbers == (4, 5, 6)


def test_more_parts_than_frames_asked_is_a_protocol_error() -> None:
    planner = FramePlanner([("1.2.3", 1)])
    batch = planner.next_batch()
    assert batch is not None
    planner.part(batch, Headers(), b"a")
    with pytest.raises(ProtocolError, match="more than the 1 frame"):
        planner.part(batch, Headers(), b"b")


def test_an_answer_without_any_frame_is_a_protocol_error() -> None:
    planner = FramePlanner([("1.2.3", 1)])
    batch = planner.next_batch()
    assert batch is not None
    with pytest.raises(ProtocolError, match="no frame"):
        planner.finished(batch)


def test_duplicates_are_asked_once_per_batch_and_handed_out_at_every_place() -> None:
    planner = FramePlanner([("1.2.3", n) for n in (3, 1, 3, 2, 1)], concurrency=1)
    batch = planner.next_batch()
    assert batch is not None
    assert batch.numbers == (3, 1, 2)
    for number in batch.numbers:
        planner.part(batch, Headers(), body("1.2.3", number))
    planner.finished(batch)
    assert [frame.number for frame in planner.ready()] == [3, 1, 3, 2, 1]


def test_frames_wanted_checks_numbers_against_the_instance() -> None:
    assert frames_wanted(None, 3, "1.2.3") == [1, 2, 3]
    assert frames_wanted([3, 1, 3], 3, "1.2.3") == [3, 1, 3]
    assert frames_wanted(2, 3, "1.2.3") == [2]
    with pytest.raises(InvalidArgumentError, match=r"4, 9 out of range: instance 1\.2\.3 has 3"):
        frames_wanted([1, 9, 4], 3, "1.2.3")
    with pytest.raises(InvalidArgumentError, match="0 out of range"):
        frames_wanted([0], 3, "1.2.3")
    with pytest.raises(InvalidArgumentError, match="integers"):
        frames_wanted([True], 3, "1.2.3")
    with pytest.raises(InvalidArgumentError, match="at least one"):
        frames_wanted([], 3, "1.2.3")
    with pytest.raises(InvalidArgumentError, match="no frames"):
        frames_wanted(None, 0, "1.2.3")


@pytest.mark.parametrize(("batch", "concurrency"), [(0, 1), (1, 0), (True, 1), (1.5, 1), (1, "4")])
def test_batch_and_concurrency_must_be_positive_integers(
    batch: object, concurrency: object
) -> None:
    with pytest.raises(InvalidArgumentError, match="integer >= 1"):
        FramePlanner([("1.2.3", 1)], batch=batch, concurrency=concurrency)  # type: ignore[arg-type]


def test_frames_of_series_orders_by_instance_number_and_skips_instances_without_pixels() -> None:
    def item(uid: str, number: int | None, frames: int | None, pixels: bool = True) -> dict:
        out: dict = {"00080018": {"vr": "UI", "Value": [uid]}}
        if number is not None:
            out["00200013"] = {"vr": "IS", "Value": [number]}
        if frames is not None:
            out["00280008"] = {"vr": "IS", "Value": [str(frames)]}
        if pixels:
            out["00280010"] = {"vr": "US", "Value": [4]}
        return out

    metadata = [
        item("c", None, 1),
        item("b", 2, 2),
        item("sr", 3, None, pixels=False),
        item("a", 1, None),
    ]
    assert frames_of_series(metadata) == [("a", 1), ("b", 1), ("b", 2), ("c", 1)]
    assert number_of_frames(item("x", 1, 7)) == 7
    with pytest.raises(ProtocolError, match="NumberOfFrames"):
        number_of_frames({"00280008": {"vr": "IS", "Value": ["many"]}})
    with pytest.raises(ProtocolError, match="SOPInstanceUID"):
        frames_of_series([{}])


def test_an_automatic_batch_follows_the_weight_of_the_frames() -> None:
    wanted = [("1.2.3", n) for n in range(1, 1001)]
    hinted = FramePlanner(wanted, concurrency=4, frame_bytes=BATCH_BYTES // 10)
    first = hinted.next_batch()
    assert first is not None
    assert len(first.numbers) == 10, "the metadata's frame size bounds the first batches"
    for _ in first.numbers:
        hinted.part(first, Headers(), b"x" * 100)  # far lighter than announced (compressed)
    hinted.finished(first)
    assert hinted.batch_size == 250, "grows back to the frames spread over the concurrency"
    heavy = FramePlanner(wanted, concurrency=4)
    batch = heavy.next_batch()
    assert batch is not None
    assert len(batch.numbers) == 250, "no hint: spread over the concurrency"
    for _ in batch.numbers:
        heavy.part(batch, Headers(), b"x" * (1 << 20))
    heavy.finished(batch)
    assert heavy.batch_size == BATCH_BYTES >> 20


def test_a_given_batch_only_drops_to_the_servers_limit() -> None:
    planner = FramePlanner([("1.2.3", n) for n in range(1, 101)], batch=20, concurrency=1)
    batch = planner.next_batch()
    assert batch is not None
    planner.part(batch, Headers(), b"x")
    planner.finished(batch)
    assert planner.batch_size == 20 - 19, "a short answer of one frame: the server's limit"
    assert planner.next_batch() is not None


def test_largest_frame_from_metadata() -> None:
    def item(rows: int, cols: int, bits: int, samples: int | None = None) -> dict:
        out = {
            "00280010": {"vr": "US", "Value": [rows]},
            "00280011": {"vr": "US", "Value": [cols]},
            "00280100": {"vr": "US", "Value": [bits]},
        }
        if samples is not None:
            out["00280002"] = {"vr": "US", "Value": [samples]}
        return out

    assert largest_frame([item(4, 4, 16), item(8, 8, 8, 3)]) == 192
    assert largest_frame([{}]) is None
