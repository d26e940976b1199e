"""Jobs on a LocalCluster against Orthanc: through the blocking client, and through the asyncio
client (an asyncio-only transport) on every worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dicomkit_dask import run_job
from distributed import Client
from test_dask_jobs import folder_contents, make_folder, server_contents

from dicomkit import ClientConfig
from dicomkit.core.retry import RetryPolicy
from dicomkit.jobs import STORED, WRITTEN, DownloadJob, UploadJob

QUICK_RETRY = RetryPolicy(backoff=0.0, jitter=0.0, max_attempts=3, total_timeout=30.0)


@pytest.mark.parametrize(
    ("transport", "asynchronous"), [(None, False), ("aiohttp", True)], ids=["sync", "asyncio"]
)
def test_upload_and_download_against_orthanc(
    tmp_path: Path, dask_client: Client, orthanc: Any, transport: str | None, asynchronous: bool
) -> None:
    files = make_folder(tmp_path / "in", 30, series=3)
    config = ClientConfig(orthanc.url, transport=transport, retry=QUICK_RETRY)
    with UploadJob.create(tmp_path / "up.job", [tmp_path / "in"]) as job:
        report = run_job(
            job, config, dask_client, max_requests=4, task_size=5, asynchronous=asynchronous
        )
    assert report.counts == {STORED: 30}
    with ClientConfig(orthanc.url, retry=QUICK_RETRY).client() as client:
        assert server_contents(client) == files
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
    out = tmp_path / "out"
    with DownloadJob.create(tmp_path / "down.job", [study], out) as job:
        report = run_job(job, config, dask_client, max_requests=4, asynchronous=asynchronous)
    assert report.counts == {WRITTEN: 30}
    assert folder_contents(out) == files
