"""What the Azure APIs do elsewhere: on a partition of the reference server (bulk update and
the change feed's partition name), on a server without them (Orthanc: a clear HTTPError, not
a crash), and a following iterator that watches for changes still to come."""

from __future__ import annotations

from typing import Any

import pytest

import dicomkit.client._azure_sync as azure_sync
from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import HTTPError
from dicomkit.testing.data import make_instance, make_study
from tests.client.conftest import QUICK_RETRY


def test_partitions_scope_bulk_update(v2_server: Any, sync_backend: str) -> None:
    with DicomClient(
        v2_server.base_url, api_version="v2", partition="north", transport=sync_backend
    ) as client:
        start = client.azure.change_feed_latest()
        study = make_study(1)
        client.store_instances(study)
        uid = study[0].StudyInstanceUID
        reference = client.azure.bulk_update(uid, {"PatientID": "NORTH-2"})
        client.azure.operations.wait(reference, poll_interval=0.02)
        assert client.get_patient_study_ids("NORTH-2") == [uid]
        changes = list(client.azure.iter_change_feed(0 if start is None else start.sequence))
        assert [(e.action, e.partition_name) for e in changes] == [
            ("create", "north"),
            ("update", "north"),
        ]
    with DicomClient(v2_server.base_url, api_version="v2", transport=sync_backend) as default:
        assert default.get_patient_study_ids("NORTH-2") == []


def test_the_iterator_keeps_watching(
    v1_client: DicomClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``poll_interval`` an empty page means sleep and ask again: the change stored
    while it sleeps is handed out next."""
    latest = v1_client.azure.change_feed_latest()
    after = 0 if latest is None else latest.sequence
    late = make_instance()
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 1:
            v1_client.store_instances(late)

    monkeypatch.setattr(azure_sync, "sleep", nap)
    for entry in v1_client.azure.iter_change_feed(after, poll_interval=5.0):
        assert entry.sop_instance_uid == late.SOPInstanceUID
        break
    assert naps == [5.0]


def test_orthanc_has_no_azure_apis(orthanc: Any, sync_backend: str) -> None:
    with DicomClient(orthanc.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        with pytest.raises(HTTPError) as caught:
            client.azure.change_feed()
        assert caught.value.status in (404, 405)
        with pytest.raises(HTTPError):
            client.azure.extended_query_tags.list()
        with pytest.raises(HTTPError):
            client.azure.operations.get("0123abcd")


async def test_orthanc_has_no_azure_apis_async(orthanc: Any, async_backend: str) -> None:
    client = AsyncDicomClient(orthanc.url, transport=async_backend, retry=QUICK_RETRY)
    async with client:
        with pytest.raises(HTTPError):
            await client.azure.change_feed_latest()
