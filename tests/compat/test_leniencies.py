"""Leniencies DicomClient gained for real servers (issue 20), on real HTTP.

A frames answer labelled ``multipart/related`` without a boundary (some servers send one frame
so, and dicomweb-client accepts it) is one part; ``'*/*'`` is a media type frames and bulk data
may be asked in; prefixes cannot be reassigned silently.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import dicomkit
from dicomkit import AsyncDicomClient, Dialect, DicomClient
from dicomkit.testing.data import make_instance, new_uid
from tests._support.ci import require_module

require_module("pytest_localserver")

FRAME = b"\xff\xd8 one jpeg frame \xff\xd9"
UIDS = ("1.2.3", "1.2.4", "1.2.5")


@pytest.mark.parametrize("transport", ["requests", "urllib3"])
@pytest.mark.parametrize(
    "content_type", ['multipart/related; type="image/jpeg"', "multipart/related", "image/jpeg"]
)
def test_a_single_part_answer_is_one_frame(
    httpserver: Any, transport: str, content_type: str
) -> None:
    httpserver.serve_content(FRAME, 200, headers={"Content-Type": content_type})
    with DicomClient(httpserver.url, transport=transport, retry=False) as client:
        frames = client.retrieve_instance_frames(*UIDS, [1], media_types=["image/jpeg"])
    assert frames == [FRAME]


def test_frames_and_bulkdata_accept_any_media_type(dicomweb_server: Any) -> None:
    study, series = new_uid(), new_uid()
    ds = make_instance(study_uid=study, series_uid=series, frames=2)
    size = len(ds.PixelData) // 2
    with DicomClient(dicomweb_server.url) as client:
        client.store_instances([ds])
        uids = (study, series, ds.SOPInstanceUID)
        frames = client.retrieve_instance_frames(*uids, [2], media_types=["*/*"])
        assert frames == [ds.PixelData[size:]]
        [request] = [r for r in dicomweb_server.requests if "/frames/" in r.path]
        assert request.headers["Accept"] == 'multipart/related; type="*/*"'


@pytest.mark.parametrize(
    "name",
    [
        "qido_url_prefix",
        "wado_url_prefix",
        "stow_url_prefix",
        "delete_url_prefix",
        "url_prefix",
        "qido_prefix",
        "wado_prefix",
        "stow_prefix",
    ],
)
def test_prefixes_are_refused_after_construction(name: str) -> None:
    client = DicomClient("http://127.0.0.1:9/dicom-web")
    with pytest.raises(dicomkit.InvalidArgumentError, match="construction"):
        setattr(client, name, "qidors")
    client.close()


@pytest.mark.parametrize("bad", ["image/", "/jpeg", "image/jpeg/x", "foo"])
def test_a_malformed_media_type_is_the_callers_error(bad: str) -> None:
    client = DicomClient("http://127.0.0.1:9", retry=False)
    with pytest.raises(dicomkit.InvalidArgumentError, match="media type"):
        client.retrieve_instance_frames(*UIDS, [1], media_types=[bad])
    client.close()


LENIENT = Dialect(permissive_uids=True)


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI", "ignore:The value length")
def test_permissive_uids_reach_the_server_percent_encoded(dicomweb_server: Any) -> None:
    odd_study, odd_series = "1.2.0840.3", "1.2." + "9" * 70
    ds = make_instance(study_uid=odd_study, series_uid=odd_series)
    with DicomClient(dicomweb_server.url, dialect=LENIENT) as lenient:
        lenient.store_instances([ds], study_instance_uid=odd_study)
        uids = (odd_study, odd_series, ds.SOPInstanceUID)
        assert lenient.retrieve_instance(*uids).SOPInstanceUID == ds.SOPInstanceUID
        assert len(lenient.search_for_instances(odd_study, odd_series)) == 1
        with pytest.raises(dicomkit.NotFoundError):
            lenient.retrieve_study_metadata("is it")
    # sent as /studies/is%20it/metadata (a raw space would break the request line); the
    # server records the decoded path
    assert any(r.path.endswith("/studies/is it/metadata") for r in dicomweb_server.requests)
    with DicomClient(dicomweb_server.url) as strict, pytest.raises(dicomkit.InvalidUIDError):
        strict.retrieve_study_metadata(odd_study)


@pytest.mark.parametrize("unsafe", ["../1.2", "1.2/3", "1?2", "1#2", "1%2F2", "", ".."])
def test_permissive_uids_refuse_what_is_unsafe_in_a_path(unsafe: str) -> None:
    with DicomClient("http://127.0.0.1:9", dialect=LENIENT, retry=False) as client:
        with pytest.raises(dicomkit.InvalidUIDError):
            client.retrieve_study_metadata(unsafe)
        with pytest.raises(dicomkit.InvalidUIDError):
            client.delete_series("1.2", unsafe)


def _bulk(client: DicomClient) -> tuple[Any, str]:
    ds = make_instance(rows=64, cols=64)
    client.store_instances([ds])
    meta = client.retrieve_instance_metadata(
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
    )
    return ds, meta["7FE00010"]["BulkDataURI"]


@pytest.mark.parametrize("transport", ["requests", "urllib3"])
def test_bulkdata_in_dicomweb_clients_order_and_streamed(
    dicomweb_server: Any, transport: str
) -> None:
    with DicomClient(dicomweb_server.url, transport=transport) as client:
        ds, uri = _bulk(client)
        # dicomweb-client's command line: retrieve_bulkdata(uri, media_type)
        assert client.retrieve_bulkdata(uri, ["application/octet-stream"]) == [ds.PixelData]
        assert client.retrieve_bulkdata(uri, "application/octet-stream") == [ds.PixelData]
        sent = dicomweb_server.requests[-1].headers
        assert sent["Accept"].startswith('multipart/related; type="application/octet-stream"')
        assert "Range" not in sent
        assert list(client.iter_bulkdata(uri)) == [ds.PixelData]
        assert list(client.iter_bulkdata(uri, (3, 9))) == [ds.PixelData[3:10]]
        assert list(client.iter_bulkdata(uri, (3, 9), single_part=True)) == [ds.PixelData[3:10]]
        with pytest.raises(dicomkit.InvalidArgumentError, match="twice"):
            client.retrieve_bulkdata(uri, ["image/jpeg"], media_types=["image/jpeg"])


async def _iter_async(url: str) -> None:
    async with AsyncDicomClient(url) as client:
        ds = make_instance(rows=32, cols=32)
        await client.store_instances([ds])
        meta = await client.retrieve_instance_metadata(
            ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
        )
        uri = meta["7FE00010"]["BulkDataURI"]
        assert [part async for part in client.iter_bulkdata(uri, (0, 3))] == [ds.PixelData[:4]]


def test_async_iter_bulkdata(dicomweb_server: Any) -> None:
    require_module("dicomkit_aiohttp")
    asyncio.run(_iter_async(dicomweb_server.url))
