"""The change feed (v1 by sequence, v2 by time window, latest, metadata, the following
iterator), fed by the reference server's own STOW-RS and DELETE, through every backend."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import BadRequestError, InvalidArgumentError
from dicomkit.core.operations import ChangeFeedEntry
from dicomkit.testing.data import make_study


def _baseline(entry: ChangeFeedEntry | None) -> int:
    return 0 if entry is None else entry.sequence


def test_store_and_delete_are_in_the_feed_in_order(v1_client: DicomClient) -> None:
    start = _baseline(v1_client.azure.change_feed_latest())
    study = make_study(3, n_series=1)
    v1_client.store_instances(study)
    gone = study[0]
    v1_client.delete_instance(gone.StudyInstanceUID, gone.SeriesInstanceUID, gone.SOPInstanceUID)

    feed = v1_client.azure.change_feed(offset=start, limit=10)
    assert [e.sequence for e in feed] == list(range(start + 1, start + 5))
    assert [e.action for e in feed] == ["create", "create", "create", "delete"]
    assert {e.sop_instance_uid for e in feed[:3]} == {ds.SOPInstanceUID for ds in study}
    assert feed[3].sop_instance_uid == gone.SOPInstanceUID
    states = {e.sop_instance_uid: e.state for e in feed[:3]}
    assert states[gone.SOPInstanceUID] == "deleted"
    assert sorted(states.values()) == ["current", "current", "deleted"]
    assert all(e.timestamp is not None and e.timestamp.tzinfo for e in feed)
    assert feed[0].study_instance_uid == study[0].StudyInstanceUID

    latest = v1_client.azure.change_feed_latest()
    assert latest is not None
    assert latest.sequence == start + 4
    assert latest.action == "delete"


def test_v1_pages_by_sequence_and_metadata_is_optional(v1_client: DicomClient) -> None:
    start = _baseline(v1_client.azure.change_feed_latest())
    study = make_study(3, n_series=1, patient_id="CF-META")
    v1_client.store_instances(study)
    first = v1_client.azure.change_feed(offset=start, limit=2)
    rest = v1_client.azure.change_feed(offset=first[-1].sequence, limit=2)
    assert [e.sequence for e in first + rest] == [start + 1, start + 2, start + 3]
    assert all(e.metadata and e.metadata["00100020"]["Value"] == ["CF-META"] for e in first)
    bare = v1_client.azure.change_feed(offset=start, limit=3, include_metadata=False)
    assert [e.metadata for e in bare] == [None, None, None]


def test_the_iterator_follows_and_resumes(v1_client: DicomClient) -> None:
    start = _baseline(v1_client.azure.change_feed_latest())
    v1_client.store_instances(make_study(5, n_series=1))
    seen = list(v1_client.azure.iter_change_feed(start, limit=2, include_metadata=False))
    assert [e.sequence for e in seen] == list(range(start + 1, start + 6))
    resumed = list(v1_client.azure.iter_change_feed(seen[2].sequence, limit=2))
    assert [e.sequence for e in resumed] == [e.sequence for e in seen[3:]]
    assert list(v1_client.azure.iter_change_feed(seen[-1].sequence)) == []


def test_v2_reads_a_time_window(client: DicomClient) -> None:
    start = _baseline(client.azure.change_feed_latest())
    client.store_instances(make_study(2, n_series=1))
    middle = client.azure.change_feed_latest()
    client.store_instances(make_study(2, n_series=1))
    assert middle is not None
    assert middle.timestamp is not None
    everything = list(client.azure.iter_change_feed(start, limit=3))
    assert len(everything) == 4
    since = middle.timestamp
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    window = client.azure.change_feed(start_time=since, end_time=until, limit=200)
    expected = [e.sequence for e in everything if e.timestamp and e.timestamp >= since]
    assert [e.sequence for e in window][-len(expected) :] == expected
    assert all(e.timestamp and since <= e.timestamp < until for e in window)
    skipped = client.azure.change_feed(start_time=since, end_time=until, offset=1, limit=200)
    assert [e.sequence for e in skipped] == [e.sequence for e in window][1:]
    nothing = client.azure.change_feed(start_time=until, limit=10)
    assert nothing == []


def test_a_window_needs_v2_and_counts_are_checked(v1_client: DicomClient) -> None:
    with pytest.raises(InvalidArgumentError, match="v2"):
        v1_client.azure.change_feed(start_time=datetime.date(2024, 1, 1))
    with pytest.raises(InvalidArgumentError):
        v1_client.azure.change_feed(limit=0)
    with pytest.raises(BadRequestError):
        v1_client.azure.change_feed(limit=101)  # v1 answers at most 100 per page


async def test_async_feed_iterator_and_latest(v1_aclient: AsyncDicomClient) -> None:
    start = _baseline(await v1_aclient.azure.change_feed_latest())
    study = make_study(3, n_series=1)
    await v1_aclient.store_instances(study)
    await v1_aclient.delete_study(study[0].StudyInstanceUID)
    seen = [e async for e in v1_aclient.azure.iter_change_feed(start, limit=2)]
    assert [e.action for e in seen] == ["create"] * 3 + ["delete"] * 3
    assert {e.state for e in seen} == {"deleted"}
    page = await v1_aclient.azure.change_feed(offset=start, limit=3, include_metadata=False)
    assert [e.sequence for e in page] == [e.sequence for e in seen[:3]]


async def test_async_v2_window(aclient: AsyncDicomClient) -> None:
    start = _baseline(await aclient.azure.change_feed_latest())
    await aclient.store_instances(make_study(2, n_series=1))
    seen = [e async for e in aclient.azure.iter_change_feed(start)]
    assert len(seen) == 2
    assert seen[0].timestamp is not None
    window = await aclient.azure.change_feed(start_time=seen[0].timestamp, limit=10)
    assert [e.sequence for e in window][-2:] == [e.sequence for e in seen]


def test_a_gap_in_v1_sequence_numbers_is_stepped_over(
    v1_client: DicomClient, v1_server: Any
) -> None:
    """v1 reads sequence numbers (offset, offset + limit]: an empty page while the latest
    entry is newer is a gap in the numbers, not the end of the feed."""
    start = _baseline(v1_client.azure.change_feed_latest())
    v1_client.store_instances(make_study(3, n_series=1))
    v1_server.faults.add(
        re.compile(r"/changefeed$"),
        status=200,
        body=b"[]",
        headers={"Content-Type": "application/json"},
    )
    seen = [e.sequence for e in v1_client.azure.iter_change_feed(start, limit=1)]
    assert seen == [start + 2, start + 3]  # the first number read as a gap
