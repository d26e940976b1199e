"""``check_server`` against Orthanc 1.10, through every sync backend: the pinned table, the
orthanc dialect, and a read-only check of a study already there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dicomkit_server.orthanc import OrthancServer

from dicomkit import DicomClient
from dicomkit.check import Verdict, check_server
from dicomkit.testing.data import make_study
from tests.check.tables import ORTHANC


@pytest.fixture
def client(orthanc: OrthancServer, sync_backend: str) -> Iterator[DicomClient]:
    with DicomClient(orthanc.url, transport=sync_backend, retry=False) as made:
        yield made


def test_write_check_gives_the_pinned_table(client: DicomClient) -> None:
    report = check_server(client, write=True)
    assert report.verdicts() == ORTHANC
    assert report.dialect == "orthanc"


def test_read_only_check_of_a_stored_study(client: DicomClient) -> None:
    client.store_instances(make_study(2, patient_name="Doe^Jane"))
    report = check_server(client)
    decoding = report.find("QIDO", "percent-decoding of query values")
    assert decoding.verdict is Verdict.DEVIATION
    assert "dialect='orthanc'" in decoding.note
    assert report.dialect == "orthanc"
    assert report.find("WADO", "retrieve study").verdict is Verdict.SUPPORTED
    assert len(client.search_for_studies()) == 1
