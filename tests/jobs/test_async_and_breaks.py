"""A series whose answer breaks midway goes on instance by instance; the async run method
does what the blocking one does, through the async backends."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from dicomkit import AsyncDicomClient
from dicomkit.core.errors import UnauthorizedError
from dicomkit.jobs import DownloadJob, Progress, UploadJob
from tests.jobs.conftest import (
    QUICK_RETRY,
    Server,
    folder_contents,
    make_folder,
    server_contents,
)

SERIES_RETRIEVE = re.compile(r"/series/[^/]+$")


def _load(tmp_path: Path, reference: Server, count: int) -> tuple[dict[str, str], str]:
    """Two series of ~400 KB instances: a cut after 1.5 MB leaves whole parts delivered
    (transports read 1 MiB at a time and drop the partial chunk a break ends)."""
    expected = make_folder(tmp_path / "src", count, series=2, pixel_bytes=400_000)
    with reference.client() as client:
        client.upload_dicom_folder(tmp_path / "src")
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
    return expected, study


def _instance_gets(server: Any) -> int:
    return sum(1 for r in server.requests if r.method == "GET" and "/instances/" in r.path)


def test_a_series_broken_midway_continues_instance_by_instance(
    tmp_path: Path, reference: Server, dicomweb_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "dicomkit.jobs")
    expected, study = _load(tmp_path, reference, 10)
    reference.faults.add(SERIES_RETRIEVE, method="GET", cut_after=1_500_000, times=2)
    out = tmp_path / "out"
    with DownloadJob.create(tmp_path / "d.dicomkit-job", [study], out) as job:
        dicomweb_server.requests.clear()
        with reference.client() as client:
            report = job.run(client, workers=2)
    assert report.counts == {"written": 10}
    assert folder_contents(out) == expected
    # Each cut series had written a few files: only the rest were asked for one by one.
    assert 0 < _instance_gets(dicomweb_server) < 10
    said = [r.getMessage() for r in caplog.records if r.name == "dicomkit.jobs"]
    assert len(said) == 2
    assert all("broke midway" in line for line in said)


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_async_upload_resolves_a_cut_answer(
    tmp_path: Path, reference: Server, dicomweb_server: Any, backend: str
) -> None:
    expected = make_folder(tmp_path / "in", 9)
    reference.faults.add("/studies", method="POST", cut_after=20, times=1)
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"], batch_files=3)

    async def main() -> Any:
        async with AsyncDicomClient(reference.url, transport=backend, retry=QUICK_RETRY) as c:
            return await job.arun(c, workers=3)

    with job:
        report = asyncio.run(main())
    assert report.counts == {"stored": 9}
    assert len([r for r in dicomweb_server.requests if r.method == "POST"]) == 3
    with reference.client() as client:
        assert server_contents(client) == expected


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_async_download_with_a_broken_series(
    tmp_path: Path, reference: Server, backend: str
) -> None:
    expected, study = _load(tmp_path, reference, 8)
    reference.faults.add(SERIES_RETRIEVE, method="GET", cut_after=1_500_000, times=1)
    out = tmp_path / "out"
    job = DownloadJob.create(tmp_path / "d.dicomkit-job", [study, ("1.2.3.4",)], out)
    seen: list[Progress] = []

    async def main() -> Any:
        async with AsyncDicomClient(reference.url, transport=backend, retry=QUICK_RETRY) as c:
            return await job.arun(c, progress=seen.append)

    with job:
        report = asyncio.run(main())
    assert report.counts == {"written": 8, "failed": 1}
    assert list(report.failures) == ["1.2.3.4"]
    assert folder_contents(out) == expected
    assert seen[0].instances_done == 1  # the missing target failed at listing
    assert seen[0].eta is None  # nothing moved yet
    assert seen[-1].instances_done == 9
    assert seen[-1].instances_this_run == 8
    assert seen[-1].eta == 0.0


@pytest.mark.parametrize("backend", ["aiohttp", "httpx"])
def test_async_round_trip_on_both_servers(tmp_path: Path, server: Server, backend: str) -> None:
    expected = make_folder(tmp_path / "in", 7)
    upload = UploadJob.create(tmp_path / "u.dicomkit-job", [tmp_path / "in"], batch_files=2)

    async def main() -> tuple[Any, Any]:
        dialect = server.dialect or None
        async with AsyncDicomClient(
            server.url, transport=backend, retry=QUICK_RETRY, dialect=dialect
        ) as c:
            sent = await upload.arun(c, workers=3)
            study = (await c.search_for_studies())[0]["0020000D"]["Value"][0]
            download = DownloadJob.create(tmp_path / "d.dicomkit-job", [study], tmp_path / "out")
            with download:
                return sent, await download.arun(c, workers=3)

    with upload:
        sent, got = asyncio.run(main())
    assert sent.counts == {"stored": 7}
    assert got.counts == {"written": 7}
    assert folder_contents(tmp_path / "out") == expected


def test_async_rejected_credentials_stop_the_job_with_its_files_pending(
    tmp_path: Path, reference: Server
) -> None:
    make_folder(tmp_path / "in", 6)
    reference.faults.add("/studies", method="POST", status=401, times=None)
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"], batch_files=2)

    async def main() -> Any:
        async with AsyncDicomClient(reference.url, retry=QUICK_RETRY) as c:
            return await job.arun(c, workers=3)

    with job:
        with pytest.raises(UnauthorizedError):
            asyncio.run(main())
        assert job.status().counts == {"pending": 6}
