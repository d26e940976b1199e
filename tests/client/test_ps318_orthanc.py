"""What Orthanc 1.10 does with PS3.18's search rules, through every backend: a capped search
(``LimitFindResults``) carries no Warning, so no client can tell it from a complete one; the
Orthanc dialect's raw ``^`` and ``,`` are what it matches on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dicomkit_server.orthanc import OrthancServer

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.dicomjson import first_value
from dicomkit.testing.data import make_instance
from tests._support.orthanc_fixtures import require_orthanc

from .conftest import QUICK_RETRY

CAP = 2


class _CappedOrthanc(OrthancServer):
    def config(self) -> dict[str, Any]:
        settings = dict(super().config())
        settings["LimitFindResults"] = CAP
        return settings


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    require_orthanc()
    with _CappedOrthanc(tmp_path_factory.mktemp("capped-orthanc")) as server:
        with DicomClient(server.url, retry=QUICK_RETRY) as client:
            client.store_instances([make_instance(patient_id="CAP") for _ in range(5)])
        yield server


def test_sync_orthancs_cap_is_silent(capped: OrthancServer, sync_backend: str) -> None:
    with DicomClient(capped.url, transport=sync_backend, retry=QUICK_RETRY) as client:
        found = client.search_for_studies(on_truncated="raise")  # nothing to raise about
        assert (found.truncated, found.warnings) == (False, [])
        assert CAP <= len(found) < 5
        paged = client.search_for_studies(limit=1, get_remaining=True)
        assert len(paged) == len(found)  # offset cannot reach past the cap either


async def test_async_orthancs_cap_is_silent(capped: OrthancServer, async_backend: str) -> None:
    client = AsyncDicomClient(capped.url, transport=async_backend, retry=QUICK_RETRY)
    async with client:
        found = await client.search_for_studies()
        assert (found.truncated, len(found) < 5) == (False, True)


def test_sync_orthanc_matches_value_lists_in_its_dialect(orthanc: Any, sync_backend: str) -> None:
    made = [make_instance(patient_id=f"L-{n}") for n in range(3)]
    with DicomClient(orthanc.url, retry=QUICK_RETRY) as setup:
        setup.store_instances(made)
    client = DicomClient(orthanc.url, transport=sync_backend, retry=QUICK_RETRY, dialect="orthanc")
    with client:
        found = client.search_for_studies({"PatientID": ["L-0", "L-2"]})
    assert sorted(str(first_value(s, "PatientID")) for s in found) == ["L-0", "L-2"]
