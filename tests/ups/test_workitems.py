"""UPS-RS workitems through ``client.workitems`` against the reference server, every backend:
the life of a workitem, the PS3.4 Annex CC refusals, cancellation requests and search."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import BadRequestError, ConflictError, NotFoundError
from dicomkit.core.operations.ups import (
    CANCELED,
    COMPLETED,
    IN_PROGRESS,
    SCHEDULED,
    new_transaction_uid,
)
from dicomkit.testing.data import new_uid

STATE = "00741000"


def workitem(label: str = "CT head", priority: str = "MEDIUM", **extra: Any) -> dict[str, Any]:
    return {
        "00741204": {"vr": "LO", "Value": [label]},  # ProcedureStepLabel
        "00741200": {"vr": "CS", "Value": [priority]},  # ScheduledProcedureStepPriority
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]},
        "00100020": {"vr": "LO", "Value": ["PAT1"]},
        "00404005": {"vr": "DT", "Value": ["20240102101500"]},
        STATE: {"vr": "CS", "Value": [SCHEDULED]},
        **extra,
    }


def state_of(item: dict[str, Any]) -> str:
    return str(item[STATE]["Value"][0])


@pytest.fixture
def client(dicomweb_server: Any, sync_backend: str) -> Iterator[DicomClient]:
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=False) as made:
        yield made


def test_the_life_of_a_workitem(client: DicomClient) -> None:
    uid = client.workitems.create(workitem())
    item = client.workitems.retrieve(uid)
    assert state_of(item) == SCHEDULED
    assert item["00080018"]["Value"] == [uid]
    client.workitems.update(uid, {"00741204": {"vr": "LO", "Value": ["CT head, contrast"]}})
    transaction = client.workitems.claim(uid)
    assert state_of(client.workitems.retrieve(uid)) == IN_PROGRESS
    assert "00081195" not in client.workitems.retrieve(uid)  # never shown (PS3.4 CC.2.5.1.3)
    with pytest.raises(ConflictError, match="C301"):
        client.workitems.update(uid, {"00741204": {"vr": "LO", "Value": ["x"]}})
    client.workitems.update(
        uid, {"00741204": {"vr": "LO", "Value": ["done soon"]}}, transaction_uid=transaction
    )
    assert client.workitems.retrieve(uid)["00741204"]["Value"] == ["done soon"]
    with pytest.raises(ConflictError, match="C301"):
        client.workitems.change_state(uid, COMPLETED, new_transaction_uid())
    assert client.workitems.change_state(uid, COMPLETED, transaction) == []
    warnings = client.workitems.change_state(uid, COMPLETED, transaction)
    assert warnings == ["B306: The UPS is already in the requested state of COMPLETED"]
    with pytest.raises(ConflictError, match="C300"):
        client.workitems.update(uid, {"00741204": {"vr": "LO", "Value": ["late"]}})
    with pytest.raises(ConflictError, match="C312"):
        client.workitems.request_cancellation(uid)


@pytest.mark.parametrize(
    ("path", "wanted", "code"),
    [
        ([], COMPLETED, "C310"),
        ([], CANCELED, "C310"),
        ([], SCHEDULED, "C303"),
        ([IN_PROGRESS], IN_PROGRESS, "C302"),
        ([IN_PROGRESS], SCHEDULED, "C303"),
        ([IN_PROGRESS, CANCELED], COMPLETED, "C311"),
        ([IN_PROGRESS, CANCELED], IN_PROGRESS, "C311"),
        ([IN_PROGRESS, COMPLETED], CANCELED, "C312"),
        ([IN_PROGRESS, COMPLETED], IN_PROGRESS, "C312"),
    ],
)
def test_illegal_transitions_are_409_with_the_ps34_code(
    client: DicomClient, path: list[str], wanted: str, code: str
) -> None:
    uid = client.workitems.create(workitem())
    transaction = new_transaction_uid()
    for state in path:
        client.workitems.change_state(uid, state, transaction)
    before = state_of(client.workitems.retrieve(uid))
    with pytest.raises(ConflictError, match=code) as raised:
        client.workitems.change_state(uid, wanted, transaction)
    assert raised.value.status == 409
    assert state_of(client.workitems.retrieve(uid)) == before


def test_cancellation_requests(client: DicomClient) -> None:
    scheduled = client.workitems.create(workitem())
    assert client.workitems.request_cancellation(scheduled) == []
    assert state_of(client.workitems.retrieve(scheduled)) == CANCELED
    with pytest.raises(ConflictError, match="C311"):
        client.workitems.request_cancellation(scheduled)
    running = client.workitems.create(workitem())
    transaction = client.workitems.claim(running)
    reason = {"00741238": {"vr": "LT", "Value": ["patient left"]}}  # ReasonForCancellation
    client.workitems.request_cancellation(running, reason)
    assert state_of(client.workitems.retrieve(running)) == IN_PROGRESS  # the performer decides
    client.workitems.change_state(running, CANCELED, transaction)
    assert client.workitems.change_state(running, CANCELED, transaction) == [
        "B304: The UPS is already in the requested state of CANCELED"
    ]


def test_search(client: DicomClient) -> None:
    first = client.workitems.create(workitem("one", "HIGH"))
    second = client.workitems.create(workitem("two", "LOW"))
    client.workitems.claim(second)
    found = client.workitems.search({"ProcedureStepState": SCHEDULED})
    assert [item["00080018"]["Value"][0] for item in found] == [first]
    assert len(client.workitems.search({"ScheduledProcedureStepPriority": "LOW"})) == 1
    assert len(client.workitems.search({"ProcedureStepLabel": "t*"})) == 1
    assert len(client.workitems.search(limit=1)) == 1
    assert len(client.workitems.search(offset=1)) == 1
    assert client.workitems.search({"PatientID": "NOBODY"}) == []


def test_refusals(client: DicomClient) -> None:
    uid = new_uid()
    assert client.workitems.create(workitem(), workitem_uid=uid) == uid
    with pytest.raises(ConflictError):
        client.workitems.create(workitem(), workitem_uid=uid)
    with pytest.raises(NotFoundError):
        client.workitems.retrieve(new_uid())
    with pytest.raises(BadRequestError):
        client.workitems.create(workitem(**{STATE: {"vr": "CS", "Value": [IN_PROGRESS]}}))
    with pytest.raises(NotFoundError):
        client.workitems.change_state(new_uid(), IN_PROGRESS, new_transaction_uid())


async def test_async_life_of_a_workitem(dicomweb_server: Any, async_backend: str) -> None:
    async with AsyncDicomClient(dicomweb_server.url, transport=async_backend) as client:
        uid = await client.workitems.create(workitem())
        transaction = await client.workitems.claim(uid)
        with pytest.raises(ConflictError, match="C302"):
            await client.workitems.change_state(uid, IN_PROGRESS, transaction)
        await client.workitems.change_state(uid, COMPLETED, transaction)
        assert state_of(await client.workitems.retrieve(uid)) == COMPLETED
        assert await client.workitems.search({"ProcedureStepState": COMPLETED}) != []
