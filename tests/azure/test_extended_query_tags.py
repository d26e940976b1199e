"""Extended query tags against the reference server: add, list, get, update, delete and their
errors; the reindex operation; searching on the tags through the ordinary QIDO methods."""

from __future__ import annotations

from typing import Any

import pytest
from pydicom.dataset import Dataset

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import (
    BadRequestError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
)
from dicomkit.core.operations import QueryTagSpec
from dicomkit.testing.data import make_instance

PRIVATE = QueryTagSpec("00091001", level="Instance", vr="LO", private_creator="ACME")


def with_private(value: str, **attributes: Any) -> Dataset:
    """An instance carrying ``value`` in ACME's private element (0009,1001)."""
    dataset = make_instance(**attributes)
    dataset.private_block(0x0009, "ACME", create=True).add_new(0x01, "LO", value)
    return dataset


def sops(results: list[dict[str, Any]]) -> set[str]:
    return {str(item["00080018"]["Value"][0]) for item in results}


@pytest.mark.filterwarnings("ignore:The value length:UserWarning")  # too long for LO: the aim
def test_add_wait_and_search_on_a_private_tag(client: DicomClient) -> None:
    before = [with_private("alpha"), with_private("beta"), with_private("x" * 70)]
    client.store_instances(before)
    reference = client.azure.extended_query_tags.add(PRIVATE, "PatientAge")
    adding = client.azure.extended_query_tags.get("00091001")
    assert adding.path == "00091001"
    assert adding.private_creator == "ACME"
    assert adding.vr == "LO"
    assert adding.level == "Instance"
    state = client.azure.operations.wait(reference, poll_interval=0.02)
    assert state.type == "reindex"
    assert state.succeeded
    assert state.percent_complete == 100

    tag = client.azure.extended_query_tags.get(0x00091001)
    assert (tag.status, tag.query_status, tag.error_count) == ("Ready", "Enabled", 1)
    errors = client.azure.extended_query_tags.errors("00091001")
    assert [e.sop_instance_uid for e in errors] == [before[2].SOPInstanceUID]
    assert "64" in errors[0].error_message
    assert {t.path for t in client.azure.extended_query_tags.list()} == {"00091001", "00101010"}
    assert len(client.azure.extended_query_tags.list(limit=1, offset=1)) == 1

    found = client.search_for_instances(search_filters={"00091001": "alpha"})
    assert sops(found) == {before[0].SOPInstanceUID}
    assert any("errors" in warning for warning in found.warnings)
    wildcard = client.search_for_instances(search_filters={"(0009,1001)": "*a"})
    assert sops(wildcard) == {before[0].SOPInstanceUID, before[1].SOPInstanceUID}
    assert client.search_for_instances(search_filters={"00091001": "x*"}) == []

    later = with_private("gamma")
    client.store_instances(later)  # indexed as it is stored, no reindex needed
    found = client.search_for_instances(search_filters={"00091001": "gamma"})
    assert sops(found) == {later.SOPInstanceUID}


def test_disable_enable_and_delete(client: DicomClient) -> None:
    client.store_instances(with_private("delta"))
    client.azure.operations.wait(client.azure.extended_query_tags.add(PRIVATE), poll_interval=0.02)
    disabled = client.azure.extended_query_tags.update("00091001", query_status="Disabled")
    assert disabled.query_status == "Disabled"
    with pytest.raises(BadRequestError, match="disabled"):
        client.search_for_instances(search_filters={"00091001": "delta"})
    client.azure.extended_query_tags.update("00091001", query_status="enabled")
    assert len(client.search_for_instances(search_filters={"00091001": "delta"})) == 1

    client.azure.extended_query_tags.delete("00091001")
    with pytest.raises(NotFoundError):
        client.azure.extended_query_tags.get("00091001")
    with pytest.raises(NotFoundError):
        client.azure.extended_query_tags.delete("00091001")
    with pytest.raises(BadRequestError, match="no extended query tag"):
        client.search_for_instances(search_filters={"00091001": "delta"})


def test_the_service_refuses_bad_tags(client: DicomClient) -> None:
    tags = client.azure.extended_query_tags
    client.azure.operations.wait(tags.add("PatientAge"), poll_interval=0.02)
    with pytest.raises(ConflictError):
        tags.add("PatientAge")
    with pytest.raises(BadRequestError, match="VR and private creator"):
        tags.add({"path": "00091002", "level": "Study"})
    with pytest.raises(BadRequestError, match="searchable already"):
        tags.add("PatientID")
    with pytest.raises(BadRequestError, match="cannot be indexed"):
        tags.add("ReferencedStudySequence")
    with pytest.raises(BadRequestError, match="VR"):
        tags.add(QueryTagSpec("PatientWeight", vr="LO"))
    with pytest.raises(InvalidArgumentError):
        tags.update("PatientAge", query_status="Sometimes")
    assert [t.path for t in tags.list()] == ["00101010"]


async def test_async_tags_and_search(aclient: AsyncDicomClient) -> None:
    stored = with_private("epsilon")
    await aclient.store_instances(stored)
    reference = await aclient.azure.extended_query_tags.add(PRIVATE)
    seen: list[str] = []
    final = await aclient.azure.operations.wait(
        reference, poll_interval=0.02, progress=lambda state: seen.append(state.status)
    )
    assert final.succeeded
    assert seen[-1] == "completed"
    assert [t.status for t in await aclient.azure.extended_query_tags.list()] == ["Ready"]
    found = await aclient.search_for_instances(search_filters={0x00091001: "epsilon"})
    assert sops(found) == {stored.SOPInstanceUID}
    assert await aclient.azure.extended_query_tags.errors("00091001") == []
    await aclient.azure.extended_query_tags.delete(0x00091001)
    with pytest.raises(NotFoundError):
        await aclient.azure.extended_query_tags.get("00091001")
