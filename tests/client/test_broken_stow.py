"""A STOW-RS request that breaks without an answer, through every sync backend.

The client asks the server (QIDO-RS by SOPInstanceUID) which instances of the broken request it
holds: those are stored, never failed; those it does not hold are failed "not on the server";
when that question fails too, the folder report says the outcome is unknown and
``store_instances`` raises the request's own error. On the reference server (its answer cut
after storing) and on Orthanc (a proxy resetting the connection mid-answer).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from dicomkit_server import FaultProxy

from dicomkit import DicomClient
from dicomkit.core.errors import ConnectionLostError, StoreError
from dicomkit.core.held import NOT_ON_SERVER, NOT_YET
from dicomkit.files.folder import UNKNOWN_REASON
from dicomkit.testing.data import make_study, write_instances

from .conftest import QUICK_RETRY

LOOKUP = re.compile(r"/instances")


def held(url: str) -> set[str]:
    with DicomClient(url) as truth:
        return {item["00080018"]["Value"][0] for item in truth.search_for_instances()}


def test_a_store_whose_answer_is_cut_after_storing_is_stored(
    client: DicomClient, dicomweb_server: Any, tmp_path: Path
) -> None:
    paths = write_instances(tmp_path, make_study(3))
    dicomweb_server.faults.add("/studies", method="POST", cut_after=0, times=1)
    result = client.store_instances(paths)
    assert sorted(s.sop_instance_uid for s in result.stored) == sorted(p.stem for p in paths)
    assert result.failed == []
    assert any("QIDO-RS found 3 of 3" in warning for warning in result.warnings)
    assert held(dicomweb_server.url) == {p.stem for p in paths}


def test_a_folder_batch_cut_after_storing_is_reported_stored(
    client: DicomClient, dicomweb_server: Any, tmp_path: Path
) -> None:
    paths = write_instances(tmp_path, make_study(6))
    dicomweb_server.faults.add("/studies", method="POST", cut_after=0, times=2)
    report = client.upload_dicom_folder(tmp_path, max_batch_instances=2, workers=2)
    assert report.ok, report
    assert (report.failed, report.unknown) == ({}, {})
    assert sorted(report.stored) == sorted(paths)
    assert held(dicomweb_server.url) == {p.stem for p in paths}


def test_a_batch_the_server_did_not_store_is_failed_not_on_the_server(
    client: DicomClient, dicomweb_server: Any, tmp_path: Path
) -> None:
    paths = write_instances(tmp_path, make_study(4))
    dicomweb_server.faults.add("/studies", method="POST", status=500, times=1)
    report = client.upload_dicom_folder(tmp_path, max_batch_instances=2, workers=1)
    assert len(report.failed) == 2
    assert sorted([*report.failed, *report.stored]) == sorted(paths)
    assert all(why.startswith("HTTP 500; not on the server") for why in report.failed.values())
    assert held(dicomweb_server.url) == {p.stem for p in report.stored}


def test_a_request_reset_before_the_server_read_it_is_failed_connection_lost(
    dicomweb_server: Any, sync_backend: str, tmp_path: Path
) -> None:
    paths = write_instances(tmp_path, make_study(2))
    script = ["reset_request"]
    with (
        FaultProxy.in_front_of(dicomweb_server.url, script=script, weights={"pass": 1}) as proxy,
        DicomClient(proxy.url, transport=sync_backend, retry=False) as client,
    ):
        with pytest.raises(StoreError) as raised:
            client.store_instances(paths)
        report = client.upload_dicom_folder(tmp_path)
    assert {f.reason for f in raised.value.result.failed} == {NOT_ON_SERVER}
    assert {f.sop_instance_uid for f in raised.value.result.failed} == {p.stem for p in paths}
    assert sorted(report.stored) == sorted(paths)  # the proxy lets the second attempt pass


def test_a_server_still_at_work_after_a_read_timeout_is_never_reported_failed(
    dicomweb_server: Any, sync_backend: str, tmp_path: Path
) -> None:
    """The server sleeps before storing, longer than the client waits: when asked, it may not
    hold the files yet, and then stores them. Whichever it answered, none is "failed"."""
    paths = write_instances(tmp_path, make_study(2))
    dicomweb_server.faults.add("/studies", method="POST", delay=3, times=1)
    with DicomClient(
        dicomweb_server.url, transport=sync_backend, timeout=(5, 0.5), retry=False
    ) as client:
        report = client.upload_dicom_folder(tmp_path, workers=1)
    assert report.failed == {}
    assert sorted([*report.stored, *report.unknown]) == sorted(paths)
    assert all(NOT_YET in why for why in report.unknown.values())


def test_when_the_lookup_fails_too_the_outcome_is_unknown(
    client: DicomClient, dicomweb_server: Any, tmp_path: Path
) -> None:
    paths = write_instances(tmp_path / "a", make_study(2))
    more = write_instances(tmp_path / "b", make_study(2))
    dicomweb_server.faults.add("/studies", method="POST", cut_after=0, times=None)
    dicomweb_server.faults.add(LOOKUP, method="GET", status=500, times=None)
    report = client.upload_dicom_folder(tmp_path / "a")
    assert not report.ok
    assert report.failed == {}
    assert sorted(report.unknown) == sorted(paths)
    assert all(why.startswith(UNKNOWN_REASON) for why in report.unknown.values())
    assert "2 outcome unknown" in str(report)
    with pytest.raises(ConnectionLostError):
        client.store_instances(more)


def test_orthanc_reset_mid_answer_after_storing(
    orthanc: Any, sync_backend: str, tmp_path: Path
) -> None:
    paths = write_instances(tmp_path / "a", make_study(3))
    more = write_instances(tmp_path / "b", make_study(2))
    script = ["reset_response"]
    with (
        FaultProxy.in_front_of(orthanc.url, script=script, weights={"pass": 1}) as proxy,
        DicomClient(proxy.url, transport=sync_backend, retry=QUICK_RETRY) as client,
    ):
        report = client.upload_dicom_folder(tmp_path / "a")
        proxy.inject("reset_response")
        result = client.store_instances(more)
    assert (report.failed, report.unknown) == ({}, {})
    assert sorted(report.stored) == sorted(paths)
    assert {s.sop_instance_uid for s in result.stored} == {p.stem for p in more}
    assert [entry.kind for entry in proxy.log].count("reset_response") == 2
    assert held(orthanc.url) == {p.stem for p in [*paths, *more]}
