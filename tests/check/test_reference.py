"""``check_server`` against the reference server, through every sync backend: the pinned
table with ``write=True``, nothing written without it, and the table following the server."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from dicomkit import DicomClient
from dicomkit.check import Verdict, check_server
from dicomkit.testing.data import make_study
from tests.check.tables import REFERENCE


@pytest.fixture
def client(dicomweb_server: Any, sync_backend: str) -> Any:
    with DicomClient(dicomweb_server.url, transport=sync_backend, retry=False) as made:
        yield made


def test_write_check_gives_the_pinned_table_and_leaves_nothing(
    client: DicomClient, dicomweb_server: Any
) -> None:
    report = check_server(client, write=True)
    assert report.verdicts() == REFERENCE
    assert report.dialect == "standard"
    assert client.search_for_studies() == []


def test_read_only_check_sends_only_reads(client: DicomClient, dicomweb_server: Any) -> None:
    client.store_instances(make_study(2, patient_name="Doe^Jane"))
    before = len(dicomweb_server.requests)
    report = check_server(client)
    methods = {request.method for request in dicomweb_server.requests[before:]}
    assert methods == {"GET"}
    assert report.find("QIDO", "exact match (PatientID)").verdict is Verdict.SUPPORTED
    assert report.find("WADO", "frames").verdict is Verdict.SUPPORTED
    assert report.find("STOW", "store instances").verdict is Verdict.NOT_PROBED
    assert report.find("QIDO", "percent-decoding of query values").verdict is Verdict.SUPPORTED


def test_an_empty_server_read_only_says_what_to_do(client: DicomClient) -> None:
    report = check_server(client)
    row = report.find("QIDO", "search studies")
    assert row.verdict is Verdict.NOT_PROBED
    assert "--write" in row.note


def test_rows_follow_the_server(client: DicomClient, dicomweb_server: Any) -> None:
    """A failing feature changes its row (the table is measured, not assumed)."""
    dicomweb_server.faults.add(re.compile(r"/thumbnail$"), status=501, times=None)
    dicomweb_server.faults.add(re.compile(r"/frames/[^/]+$"), method="GET", status=500, times=None)
    report = check_server(client, write=True)
    thumbnail = report.find("WADO", "thumbnail (instance, image/jpeg)")
    assert (thumbnail.verdict, thumbnail.evidence) == (Verdict.UNSUPPORTED, "501 text/plain")
    assert report.find("WADO", "frames").verdict is Verdict.UNSUPPORTED


def test_json_output_is_the_rows(client: DicomClient) -> None:
    report = check_server(client, write=True)
    document = json.loads(report.to_json())
    assert document["dialect"] == "standard"
    assert document["wrote"] is True
    assert {f"{r['area']}: {r['feature']}": r["verdict"] for r in document["rows"]} == REFERENCE
    assert all(
        set(row) == {"area", "feature", "verdict", "evidence", "note"} for row in document["rows"]
    )
