"""Bulk data ranges (PS3.18 8.3.5 / RFC 9110 14) and BulkDataURIs on another origin, against the
reference server through every backend of both clients."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.operations import STANDARD
from dicomkit.testing.data import make_instance

from .conftest import QUICK_RETRY


def _stored(client: DicomClient) -> tuple[Any, str]:
    ds = make_instance(rows=64, cols=64)
    client.store_instances([ds])
    meta = client.retrieve_instance_metadata(
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
    )
    return ds, meta["7FE00010"]["BulkDataURI"]


def test_sync_a_single_part_range_is_asked_and_answered_as_such(
    client: DicomClient, dicomweb_server: Any
) -> None:
    ds, uri = _stored(client)
    dicomweb_server.requests.clear()
    assert client.retrieve_bulkdata(uri, (3, 9), single_part=True) == [ds.PixelData[3:10]]
    assert client.retrieve_bulkdata(uri, (8000, None), single_part=True) == [ds.PixelData[8000:]]
    sent = dicomweb_server.requests[0].headers
    assert sent["Range"] == "bytes=3-9"
    assert sent["Accept"] == "application/octet-stream; transfer-syntax=*"
    assert client.retrieve_bulkdata(uri, (3, 9)) == [ds.PixelData[3:10]]
    assert dicomweb_server.requests[-1].headers["Accept"].startswith("multipart/related")


async def test_async_a_single_part_range(
    aclient: AsyncDicomClient, dicomweb_server: Any, sync_client_for_setup: DicomClient
) -> None:
    ds, uri = _stored(sync_client_for_setup)
    assert await aclient.retrieve_bulkdata(uri, (3, 9), single_part=True) == [ds.PixelData[3:10]]


@pytest.fixture
def sync_client_for_setup(dicomweb_server: Any) -> Any:
    with DicomClient(dicomweb_server.url, retry=QUICK_RETRY) as made:
        yield made


def test_sync_bulk_data_uris_on_another_origin_are_refused_or_rewritten(
    dicomweb_server: Any, sync_backend: str
) -> None:
    # The server links to 127.0.0.1; a client that knows it as "localhost" sees another origin,
    # as a client behind a reverse proxy sees the internal address a server advertises.
    port = dicomweb_server.url.rsplit(":", 1)[1]
    public = f"http://localhost:{port}"
    with DicomClient(dicomweb_server.url, retry=QUICK_RETRY) as setup:
        ds, uri = _stored(setup)
    assert uri.startswith("http://127.0.0.1:")
    with DicomClient(public, transport=sync_backend, retry=QUICK_RETRY) as strict:
        with pytest.raises(InvalidArgumentError, match="rewrite"):
            strict.retrieve_bulkdata(uri)
        assert strict.retrieve_bulkdata(uri, other_origin="rewrite") == [ds.PixelData]
    dialect = replace(STANDARD, other_origin="rewrite")
    with DicomClient(public, transport=sync_backend, retry=QUICK_RETRY, dialect=dialect) as proxy:
        assert proxy.retrieve_bulkdata(uri, (0, 3)) == [ds.PixelData[:4]]
    assert dicomweb_server.requests[-1].headers["Host"] == f"localhost:{port}"


async def test_async_bulk_data_uris_on_another_origin_are_rewritten(
    dicomweb_server: Any, async_backend: str, sync_client_for_setup: DicomClient
) -> None:
    ds, uri = _stored(sync_client_for_setup)
    port = dicomweb_server.url.rsplit(":", 1)[1]
    dialect = replace(STANDARD, other_origin="rewrite")
    client = AsyncDicomClient(
        f"http://localhost:{port}", transport=async_backend, retry=QUICK_RETRY, dialect=dialect
    )
    async with client:
        assert await client.retrieve_bulkdata(uri) == [ds.PixelData]
