"""Jobs on a LocalCluster: every instance once on the server and on disk, through a lost worker
and a stopped submitter, with no secret in what is sent to the scheduler."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from dicomkit_dask import run_job
from distributed import Client

from dicomkit import ClientConfig, DicomClient
from dicomkit.jobs import STORED, WRITTEN, DownloadJob, Progress, UploadJob, open_job

SECRET = "dask-graph-must-not-hold-this-5f1c9e"
"""The password of conftest's server (its workers read it from their environment)."""
SECRET_VARIABLE = "DICOMKIT_DASK_TEST_PASSWORD"


@pytest.fixture
def submitted(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every task payload (function, arguments) as the scheduler would get it, pickled."""
    payloads: list[bytes] = []
    original = Client.submit

    def recording(self: Client, function: Any, *args: Any, **kwargs: Any) -> Any:
        payloads.append(cloudpickle.dumps((function, args, kwargs)))
        return original(self, function, *args, **kwargs)

    monkeypatch.setattr(Client, "submit", recording)
    return payloads


def test_upload_and_download_every_instance_once(
    tmp_path: Path,
    dask_client: Client,
    config: ClientConfig,
    local: DicomClient,
    submitted: list[bytes],
) -> None:
    files = make_folder(tmp_path / "in", 100)
    seen: list[Progress] = []
    with UploadJob.create(tmp_path / "up.dicomkit-job", [tmp_path / "in"]) as job:
        report = run_job(job, config, dask_client, max_requests=4, progress=seen.append)
    assert report.ok
    assert report.counts == {STORED: 100}
    assert report.moved_instances == 100
    assert server_contents(local) == files
    assert seen[0].instances_done == 0
    assert seen[-1].instances_done == 100
    assert seen[-1].bytes_done == seen[-1].bytes_total

    study = local.search_for_studies()[0]["0020000D"]["Value"][0]
    out = tmp_path / "out"
    with DownloadJob.create(tmp_path / "down.dicomkit-job", [study], out) as job:
        report = run_job(job, config, dask_client, max_requests=4, task_size=10)
    assert report.ok
    assert report.counts == {WRITTEN: 100}
    assert folder_contents(out) == files

    assert len(submitted) > 2
    assert all(SECRET.encode() not in payload for payload in submitted)
    assert all(SECRET_VARIABLE.encode() in payload for payload in submitted)  # its source went


def test_download_of_a_series_split_in_tasks(
    tmp_path: Path, dask_client: Client, config: ClientConfig, local: DicomClient
) -> None:
    """A series larger than a task is asked for instance by instance, each written once."""
    files = make_folder(tmp_path / "in", 12, series=1)
    with UploadJob.create(tmp_path / "up.job", [tmp_path / "in"]) as job:
        assert run_job(job, config, dask_client).ok
    study = local.search_for_studies()[0]["0020000D"]["Value"][0]
    with DownloadJob.create(tmp_path / "down.job", [study], tmp_path / "out") as job:
        report = run_job(job, config, dask_client, task_size=5)
    assert report.counts == {WRITTEN: 12}
    assert folder_contents(tmp_path / "out") == files


def _killer(dask_client: Client, killed: list[int]) -> Any:
    """A progress callback that SIGKILLs a worker process running a task, once another task
    has finished."""

    def kill_one(progress: Progress) -> None:
        busy = [worker for worker, keys in dask_client.processing().items() if keys]
        if progress.instances_done and busy and not killed:
            pid = dask_client.run(os.getpid, workers=busy[:1])[busy[0]]
            killed.append(pid)
            threading.Thread(target=os.kill, args=(pid, signal.SIGKILL)).start()

    return kill_one


def test_a_worker_killed_mid_upload(
    tmp_path: Path, dask_client: Client, config: ClientConfig, local: DicomClient, server: Any
) -> None:
    files = make_folder(tmp_path / "in", 60)
    server.faults.add("", method="POST", delay=0.3, times=None)  # tasks still running at the kill
    killed: list[int] = []
    with UploadJob.create(tmp_path / "up.job", [tmp_path / "in"], batch_files=5) as job:
        progress = _killer(dask_client, killed)
        report = run_job(job, config, dask_client, max_requests=4, task_size=5, progress=progress)
    assert killed, "the job ended before a worker could be killed"
    assert report.ok
    assert report.total == 60
    assert server_contents(local) == files
    assert killed[0] not in dask_client.run(os.getpid).values()


def test_a_worker_killed_mid_download(
    tmp_path: Path, dask_client: Client, config: ClientConfig, local: DicomClient, server: Any
) -> None:
    files = make_folder(tmp_path / "in", 60, series=6)
    with UploadJob.create(tmp_path / "up.job", [tmp_path / "in"]) as job:
        assert run_job(job, config, dask_client).ok
    study = local.search_for_studies()[0]["0020000D"]["Value"][0]
    series_retrieve = re.compile(r"/series/[0-9.]+$")
    server.faults.add(series_retrieve, method="GET", delay=0.3, times=None)
    killed: list[int] = []
    out = tmp_path / "out"
    with DownloadJob.create(tmp_path / "down.job", [study], out) as job:
        progress = _killer(dask_client, killed)
        report = run_job(job, config, dask_client, max_requests=4, progress=progress)
    assert killed, "the job ended before a worker could be killed"
    assert report.counts == {WRITTEN: 60}
    assert folder_contents(out) == files


class _Stop(Exception):
    """Stands for the submitting process being killed."""


def test_a_stopped_submitter_resumes_without_repeating_confirmed_items(
    tmp_path: Path,
    dask_client: Client,
    config: ClientConfig,
    local: DicomClient,
    submitted: list[bytes],
) -> None:
    files = make_folder(tmp_path / "in", 40)
    journal = tmp_path / "up.job"

    def stop(progress: Progress) -> None:
        if progress.instances_done >= 10:
            raise _Stop

    with UploadJob.create(journal, [tmp_path / "in"]) as job, pytest.raises(_Stop):
        run_job(job, config, dask_client, max_requests=2, task_size=5, progress=stop)
    with open_job(journal) as job:
        confirmed = {item.label for item in job.journal.items(STORED)}
        assert 10 <= len(confirmed) < 40
        submitted.clear()
        report = run_job(job, config, dask_client, max_requests=2, task_size=5)
    assert report.ok
    assert report.total == 40
    resent = [path for payload in submitted for path in confirmed if path.encode() in payload]
    assert resent == []
    assert report.moved_instances == 40 - len(confirmed)
    assert server_contents(local) == files


def make_folder(folder: Path, count: int, *, series: int = 4) -> dict[str, str]:
    """``count`` small instances under ``folder``: SOP UID -> SHA-256 of the file."""
    from dicomkit.testing.data import make_study, write_instances

    paths = write_instances(folder, make_study(count, n_series=series, pixel_bytes=2_000))
    return {path.stem: sha256(path.read_bytes()) for path in paths}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def server_contents(client: DicomClient) -> dict[str, str]:
    """SOP UID -> SHA-256 of every instance the server holds; fails if one is listed twice."""
    listed = client.search_for_instances(fields=["SOPInstanceUID"], get_remaining=True)
    uids = [item["00080018"]["Value"][0] for item in listed]
    twice = [uid for uid, n in Counter(uids).items() if n > 1]
    assert not twice, f"instances held twice: {twice}"
    found = {}
    for item in listed:
        study = item["0020000D"]["Value"][0]
        series = item["0020000E"]["Value"][0]
        sop = item["00080018"]["Value"][0]
        parts = list(client.iter_parts(study, series, sop))
        assert len(parts) == 1
        found[sop] = sha256(parts[0][1])
    return found


def folder_contents(folder: Path) -> dict[str, str]:
    """SOP UID -> SHA-256 of every file under ``folder``; fails on a leftover that is not an
    instance (a staging folder or a partial file)."""
    files = [path for path in folder.rglob("*") if path.is_file()]
    assert all(path.suffix == ".dcm" and not path.name.startswith(".") for path in files), files
    assert not list(folder.glob(".dicomkit-dask-*")), "a staging folder was left behind"
    return {path.stem: sha256(path.read_bytes()) for path in files}
