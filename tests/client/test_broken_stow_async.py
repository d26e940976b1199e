"""A STOW-RS request that breaks without an answer, through every async backend: the cases of
test_broken_stow.py for AsyncDicomClient (stored when the server holds it, failed "not on the
server" when it does not, unknown when the lookup fails too), reference server and Orthanc."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from dicomkit_server import FaultProxy

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import ConnectionLostError, StoreError
from dicomkit.core.held import NOT_ON_SERVER
from dicomkit.files.folder import UNKNOWN_REASON
from dicomkit.testing.data import make_study, write_instances

from .conftest import QUICK_RETRY


def held(url: str) -> set[str]:
    with DicomClient(url) as truth:
        return {item["00080018"]["Value"][0] for item in truth.search_for_instances()}


async def test_cut_after_storing_is_stored(
    aclient: AsyncDicomClient, dicomweb_server: Any, tmp_path: Path
) -> None:
    paths = write_instances(tmp_path / "a", make_study(4))
    more = write_instances(tmp_path / "b", make_study(2))
    dicomweb_server.faults.add("/studies", method="POST", cut_after=0, times=3)
    report = await aclient.upload_dicom_folder(tmp_path / "a", max_batch_instances=2, workers=2)
    result = await aclient.store_instances(more)
    assert (report.failed, report.unknown) == ({}, {})
    assert sorted(report.stored) == sorted(paths)
    assert {s.sop_instance_uid for s in result.stored} == {p.stem for p in more}
    assert held(dicomweb_server.url) == {p.stem for p in [*paths, *more]}


async def test_not_stored_is_failed_and_a_failed_lookup_unknown(
    aclient: AsyncDicomClient, dicomweb_server: Any, tmp_path: Path
) -> None:
    paths = write_instances(tmp_path / "a", make_study(2))
    more = write_instances(tmp_path / "b", make_study(2))
    dicomweb_server.faults.add("/studies", method="POST", status=502, times=1)
    with pytest.raises(StoreError) as raised:
        await aclient.store_instances(paths)
    assert {f.reason for f in raised.value.result.failed} == {"HTTP 502; not on the server"}

    dicomweb_server.faults.add("/studies", method="POST", cut_after=0, times=None)
    dicomweb_server.faults.add(re.compile("/instances"), method="GET", status=500, times=None)
    report = await aclient.upload_dicom_folder(tmp_path / "b")
    assert report.failed == {}
    assert sorted(report.unknown) == sorted(more)
    assert all(why.startswith(UNKNOWN_REASON) for why in report.unknown.values())
    with pytest.raises(ConnectionLostError):
        await aclient.store_instances(paths)


async def test_orthanc_reset_before_and_after_storing(
    orthanc: Any, async_backend: str, tmp_path: Path
) -> None:
    paths = write_instances(tmp_path / "a", make_study(3))
    more = write_instances(tmp_path / "b", make_study(2))
    script = ["reset_request"]
    with FaultProxy.in_front_of(orthanc.url, script=script, weights={"pass": 1}) as proxy:
        made = AsyncDicomClient(proxy.url, transport=async_backend, retry=QUICK_RETRY)
        async with made as client:
            with pytest.raises(StoreError) as raised:
                await client.store_instances(more)
            proxy.inject("reset_response")
            report = await client.upload_dicom_folder(tmp_path / "a")
    assert {f.reason for f in raised.value.result.failed} == {NOT_ON_SERVER}
    assert (report.failed, report.unknown) == ({}, {})
    assert sorted(report.stored) == sorted(paths)
    assert [entry.kind for entry in proxy.log].count("reset_response") == 1
    assert held(orthanc.url) == {p.stem for p in paths}
