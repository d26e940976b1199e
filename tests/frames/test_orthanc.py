"""iter_frames / iter_series_frames against Orthanc 1.10 (DICOMweb plugin 1.7), through every
backend, with its dialect and without: order, bytes identical to single-frame requests, an RLE
instance, a frame list too long for its 16 KiB request head (refused with 400 and asked again
in halves), and the 500 it answers for a transfer syntax it cannot produce."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pydicom.uid import RLELossless

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import InvalidArgumentError, ServerError
from dicomkit.core.operations.dialect import ORTHANC, Dialect
from dicomkit.testing.data import make_instance

from .conftest import QUICK_RETRY, frame_bytes

FRAMES = 400


def uids(ds: Dataset) -> tuple[str, str, str]:
    return (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)


@pytest.mark.parametrize("dialect", ["orthanc", None])
def test_orthanc_frames_in_order_through_every_backend(
    orthanc: Any, sync_backend: str, dialect: str | None, numbered: Callable[..., Dataset]
) -> None:
    ds = numbered(FRAMES)
    wanted = [*range(FRAMES, 0, -1), 17, 17]
    with DicomClient(
        orthanc.url, transport=sync_backend, retry=QUICK_RETRY, dialect=dialect
    ) as client:
        client.store_instances([ds])
        frames = list(client.iter_frames(*uids(ds), wanted))
        assert [frame.number for frame in frames] == wanted
        assert [frame.data for frame in frames] == [frame_bytes(n) for n in wanted]
        for index in (0, 150, 399, 400):
            single = client.retrieve_instance_frames(*uids(ds), [wanted[index]])
            assert single == [frames[index].data]
        with pytest.raises(InvalidArgumentError, match="401 out of range"):
            list(client.iter_frames(*uids(ds), [401]))


def test_orthanc_rle_frames_match_single_requests(orthanc: Any, sync_backend: str) -> None:
    ds = make_instance(rows=8, cols=8, frames=12, transfer_syntax=RLELossless)
    with DicomClient(orthanc.url, transport=sync_backend, dialect="orthanc") as client:
        client.store_instances([ds])
        frames = list(client.iter_frames(*uids(ds), batch=5))
        assert [frame.number for frame in frames] == list(range(1, 13))
        single = [client.retrieve_instance_frames(*uids(ds), [n])[0] for n in range(1, 13)]
        assert [frame.data for frame in frames] == single
        assert all("1.2.840.10008.1.2.5" in frame.content_type for frame in frames)


def test_a_list_over_orthancs_request_head_limit_is_asked_in_halves(
    orthanc: Any, numbered: Callable[..., Dataset]
) -> None:
    ds = numbered(5000, rows=1, cols=2)  # "1,2,...,5000" is 23,893 characters: over 16 KiB
    roomy = Dialect("roomy", frame_list_chars=30000, frame_list_refusals=frozenset({400}))
    with DicomClient(orthanc.url, transport="urllib3", dialect=roomy) as client:
        client.store_instances([ds])
        frames = list(client.iter_frames(*uids(ds), concurrency=1))
    assert [frame.data for frame in frames] == [frame_bytes(n, 1, 2) for n in range(1, 5001)]
    path = "/dicom-web/studies/{}/series/{}/instances/{}/frames/".format(*uids(ds))
    accept = {"Accept": 'multipart/related; type="application/octet-stream"; transfer-syntax=*'}
    whole = orthanc.request("GET", path + ",".join(map(str, range(1, 5001))), headers=accept)
    assert whole[0] == 400, "the premise: Orthanc refuses the whole list"
    assert b"Malformed message" in whole[2]
    half = orthanc.request("GET", path + ",".join(map(str, range(1, 2501))), headers=accept)
    assert half[0] == 200


def test_orthancs_500_for_an_impossible_transcoding_is_raised_without_splitting(
    orthanc: Any, numbered: Callable[..., Dataset]
) -> None:
    ds = numbered(8)
    jpeg = [("image/jpeg", "1.2.840.10008.1.2.4.50")]
    with DicomClient(orthanc.url, transport="urllib3", dialect=ORTHANC) as client:
        client.store_instances([ds])
        with pytest.raises(ServerError) as raised:
            list(client.iter_frames(*uids(ds), media_types=jpeg, concurrency=1))
    assert ",".join(map(str, range(1, 9))) in raised.value.url, "the whole list, not a half"


async def test_async_orthanc_series_frames(
    orthanc: Any, async_backend: str, numbered: Callable[..., Dataset]
) -> None:
    first = numbered(FRAMES, InstanceNumber=1)
    study, series = first.StudyInstanceUID, first.SeriesInstanceUID
    second = numbered(3, study_uid=study, series_uid=series, InstanceNumber=2)
    async with AsyncDicomClient(
        orthanc.url, transport=async_backend, retry=QUICK_RETRY, dialect="orthanc"
    ) as client:
        await client.store_instances([first, second])
        frames = [frame async for frame in client.iter_series_frames(study, series)]
        expected = [(first.SOPInstanceUID, n) for n in range(1, FRAMES + 1)]
        expected += [(second.SOPInstanceUID, n) for n in (1, 2, 3)]
        assert [(f.sop_instance_uid, f.number) for f in frames] == expected
        assert [f.data for f in frames[-3:]] == [frame_bytes(n) for n in (1, 2, 3)]
        single = await client.retrieve_instance_frames(*uids(first), [123])
        assert single == [frames[122].data]
