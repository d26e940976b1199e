"""QIDO person-name searches against Orthanc through every backend.

Orthanc 1.10 matches query values without percent-decoding them (tests/orthanc pins it), so a
``^`` sent as ``%5E`` (RFC 3986, dicomkit's standard dialect) finds nothing: these searches use
``dialect="orthanc"``, which keeps ``^`` raw, and every backend must send that target unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.dicomjson import first_value
from dicomkit.testing.data import make_instance

from .conftest import QUICK_RETRY

PEOPLE = {"Doe^Jane": "PAT-1", "Doe^John": "PAT-2", "Roe^Jane": "PAT-3"}

SEARCHES = [
    ({"PatientName": "Doe^Jane"}, {"Doe^Jane"}),
    ({"PatientName": "Doe^J*"}, {"Doe^Jane", "Doe^John"}),
    ({"PatientName": "?oe^Jane"}, {"Doe^Jane", "Roe^Jane"}),
    ({"PatientName": "Doe^Jane", "PatientID": "PAT-1"}, {"Doe^Jane"}),
    ({"PatientName": "Doe^Jo*", "PatientID": "PAT-*"}, {"Doe^John"}),
]


@pytest.fixture
def people(orthanc: Any) -> dict[str, str]:
    """Store one study per person; the study UID for each name."""
    studies = {
        name: make_instance(patient_name=name, patient_id=patient_id)
        for name, patient_id in PEOPLE.items()
    }
    with DicomClient(orthanc.url, retry=QUICK_RETRY) as client:
        assert len(client.store_instances(list(studies.values())).stored) == len(studies)
    return {name: ds.StudyInstanceUID for name, ds in studies.items()}


def _names(found: list[dict[str, Any]], people: dict[str, str]) -> set[str]:
    by_uid = {uid: name for name, uid in people.items()}
    return {by_uid[first_value(study, "StudyInstanceUID")] for study in found}


@pytest.mark.parametrize(("search", "expected"), SEARCHES)
def test_sync_person_name_search_finds_the_study(
    orthanc: Any,
    people: dict[str, str],
    sync_backend: str,
    search: dict[str, str],
    expected: set[str],
) -> None:
    made = DicomClient(orthanc.url, transport=sync_backend, retry=QUICK_RETRY, dialect="orthanc")
    with made as client:
        assert _names(client.search_for_studies(search), people) == expected


@pytest.mark.parametrize(("search", "expected"), SEARCHES)
async def test_async_person_name_search_finds_the_study(
    orthanc: Any,
    people: dict[str, str],
    async_backend: str,
    search: dict[str, str],
    expected: set[str],
) -> None:
    client = AsyncDicomClient(
        orthanc.url, transport=async_backend, retry=QUICK_RETRY, dialect="orthanc"
    )
    async with client:
        assert _names(await client.search_for_studies(search), people) == expected


def test_the_standard_dialect_encodes_the_caret_that_orthanc_does_not_decode(
    orthanc: Any, people: dict[str, str]
) -> None:
    # Why the Orthanc dialect exists: the same search in the standard's encoding finds nothing.
    with DicomClient(orthanc.url, retry=QUICK_RETRY) as client:
        assert client.search_for_studies({"PatientName": "Doe^Jane"}) == []
    with DicomClient(orthanc.url, retry=QUICK_RETRY, dialect="orthanc") as client:
        assert _names(client.search_for_studies({"PatientName": "Doe^Jane"}), people) == {
            "Doe^Jane"
        }
