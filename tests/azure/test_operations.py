"""Operations (status, waiting with a timeout and progress), bulk update and export against
the reference server, whose operations run in the background, through every backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import BadRequestError, InvalidArgumentError, NotFoundError
from dicomkit.core.operations import OperationFailedError, OperationState, OperationTimeoutError
from dicomkit.testing.data import make_study

RUNNING = {
    "operationId": "0123abcd",
    "type": "update",
    "status": "running",
    "percentComplete": 40,
    "createdTime": "2024-05-01T10:00:00.1234567Z",
    "lastUpdatedTime": "2024-05-01T10:00:01Z",
    "resources": [],
}


def test_wait_reports_progress_and_times_out(client: DicomClient, v2_server: Any) -> None:
    v2_server.faults.add(
        "/v2/operations/0123abcd",
        status=202,
        times=None,
        body=json.dumps(RUNNING).encode(),
        headers={"Content-Type": "application/json"},
    )
    seen: list[OperationState] = []
    with pytest.raises(OperationTimeoutError) as caught:
        client.azure.operations.wait(
            "0123abcd", timeout=0.05, poll_interval=0.01, progress=seen.append
        )
    assert caught.value.state.percent_complete == 40
    assert seen
    assert {state.status for state in seen} == {"running"}
    state = client.azure.operations.get("0123abcd")
    assert state.created_time is not None
    assert state.created_time.microsecond == 123456


def test_an_unknown_operation_and_a_bad_id(client: DicomClient) -> None:
    with pytest.raises(NotFoundError):
        client.azure.operations.get("00000000-0000-0000-0000-000000000000")
    with pytest.raises(InvalidArgumentError):
        client.azure.operations.get("../studies")


def test_bulk_update_changes_studies_and_feeds_the_change_feed(client: DicomClient) -> None:
    study = make_study(2, n_series=1, patient_id="BU-1")
    client.store_instances(study)
    uid = study[0].StudyInstanceUID
    before = client.azure.change_feed_latest()
    reference = client.azure.bulk_update([uid], {"PatientName": "Updated^Name", "00100020": "BU-2"})
    state = client.azure.operations.wait(reference, poll_interval=0.02)
    assert state.type == "update"
    assert state.results["studyUpdated"] == 1
    assert state.results["instanceUpdated"] == 2
    metadata = client.retrieve_study_metadata(uid)
    assert {m["00100010"]["Value"][0]["Alphabetic"] for m in metadata} == {"Updated^Name"}
    assert client.get_patient_study_ids("BU-2") == [uid]
    datasets = client.retrieve_study(uid)
    assert {str(ds.PatientName) for ds in datasets} == {"Updated^Name"}
    assert before is not None
    updates = list(client.azure.iter_change_feed(before.sequence))
    assert [e.action for e in updates] == ["update", "update"]
    assert {e.state for e in updates} == {"current"}


def test_bulk_update_failures(client: DicomClient) -> None:
    missing = make_study(1)[0].StudyInstanceUID
    reference = client.azure.bulk_update(missing, {"PatientName": "Nobody"})
    with pytest.raises(OperationFailedError, match="not found") as caught:
        client.azure.operations.wait(reference, poll_interval=0.02)
    assert caught.value.state.results["studyFailed"] == 1
    state = client.azure.operations.wait(reference, raise_on_failure=False)
    assert state.status == "failed"
    with pytest.raises(BadRequestError, match="cannot be changed"):
        client.azure.bulk_update(missing, {"Modality": "MR"})
    with pytest.raises(InvalidArgumentError):
        client.azure.bulk_update([], {"PatientName": "X"})


def test_bulk_update_and_export_need_v2(v1_client: DicomClient) -> None:
    uid = make_study(1)[0].StudyInstanceUID
    with pytest.raises(NotFoundError, match="v2"):
        v1_client.azure.bulk_update([uid], {"PatientName": "X"})
    with pytest.raises(NotFoundError, match="v2"):
        v1_client.azure.export([uid], blob_container_uri="https://a.blob.core.windows.net/c")


def test_export_copies_instances(client: DicomClient, v2_server: Any) -> None:
    study = make_study(3, n_series=2)
    client.store_instances(study)
    first = study[0]
    absent = make_study(1)[0].StudyInstanceUID
    reference = client.azure.export(
        [first.StudyInstanceUID, (first.StudyInstanceUID, first.SeriesInstanceUID), absent],
        blob_container_uri="https://account.blob.core.windows.net/exports",
    )
    state = client.azure.operations.wait(reference, poll_interval=0.02)
    assert state.type == "export"
    assert state.results["exported"] == 3 + sum(
        1 for ds in study if ds.SeriesInstanceUID == first.SeriesInstanceUID
    )
    assert state.results["skipped"] == 1
    folder = Path(v2_server.root) / "export" / "exports" / reference.id / "results"
    written = {path.stem for path in folder.rglob("*.dcm")}
    assert written == {ds.SOPInstanceUID for ds in study}
    with pytest.raises(BadRequestError, match="container"):
        client.azure.export([first.StudyInstanceUID])
    with pytest.raises(InvalidArgumentError):
        client.azure.export(["not a uid"], blob_container_name="c")


async def test_async_bulk_update_and_export(aclient: AsyncDicomClient) -> None:
    study = make_study(1)
    await aclient.store_instances(study)
    uid = study[0].StudyInstanceUID
    steps: list[str] = []
    reference = await aclient.azure.bulk_update([uid], {"StudyDescription": "renamed"})
    state = await aclient.azure.operations.wait(
        reference, poll_interval=0.02, progress=lambda s: steps.append(s.status)
    )
    assert state.succeeded
    assert steps[-1] == "completed"
    metadata = await aclient.retrieve_study_metadata(uid)
    assert metadata[0]["00081030"]["Value"] == ["renamed"]
    exported = await aclient.azure.export([uid], blob_container_name="async-exports")
    final = await aclient.azure.operations.wait(exported, poll_interval=0.02)
    assert final.results["exported"] == 1
    assert (await aclient.azure.operations.get(exported)).done
