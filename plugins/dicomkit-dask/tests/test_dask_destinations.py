"""Downloads to an fsspec URL, files appearing only whole under their final names, and the
submitter's check of what a resumed download already holds."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from dask_test_filesystems import TEARS_VARIABLE, read_log, register
from dicomkit_dask import run_job
from dicomkit_dask._destination import Destination
from dicomkit_dask._work import download_task
from distributed import Client
from test_dask_jobs import folder_contents, make_folder

from dicomkit import ClientConfig
from dicomkit.core.errors import DicomkitError
from dicomkit.jobs import PENDING, WRITTEN, DownloadJob, UploadJob, open_job

STAGING = ".dicomkit-dask-"


def _uploaded(tmp_path: Path, dask_client: Client, config: ClientConfig, count: int) -> Any:
    """Upload ``count`` instances; their SOP UID -> SHA-256, and the study UID."""
    files = make_folder(tmp_path / "in", count)
    with UploadJob.create(tmp_path / "up.job", [tmp_path / "in"]) as job:
        assert run_job(job, config, dask_client).ok
    with config.client() as client:
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
    return files, study


def test_download_to_a_file_url(
    tmp_path: Path, dask_client: Client, config: ClientConfig, server: Any
) -> None:
    files, study = _uploaded(tmp_path, dask_client, config, 40)
    out = tmp_path / "export"
    url = out.as_uri()
    with DownloadJob.create(tmp_path / "down.job", [study], tmp_path / "unused") as job:
        report = run_job(job, config, dask_client, max_requests=4, destination=url)
        assert job.journal.meta("dask_destination") == url
    assert report.counts == {WRITTEN: 40}
    assert folder_contents(out) == files
    assert not (tmp_path / "unused").exists()


def test_a_torn_upload_never_leaves_a_truncated_final_name(
    tmp_path: Path, dask_client: Client, config: ClientConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a filesystem whose upload breaks halfway once: the run stops with a
    DicomkitError, the resume (same journal, no destination given) completes, and every final
    name only ever came from moving a complete upload."""
    register()
    dask_client.run(register)  # workers restarted by other tests need it too
    files, study = _uploaded(tmp_path, dask_client, config, 30)
    (Path(os.environ[TEARS_VARIABLE]) / "tear-0").touch()  # the workers' too (conftest)
    out = tmp_path / "export"
    log_start = len(read_log())
    journal = tmp_path / "down.job"
    with (
        DownloadJob.create(journal, [study], tmp_path / "unused") as job,
        pytest.raises(DicomkitError, match="mid-upload"),
    ):
        run_job(job, config, dask_client, max_requests=2, destination=f"torn://{out}")
    with open_job(journal) as job:
        report = run_job(job, config, dask_client, max_requests=2)
    assert report.counts == {WRITTEN: 30}
    assert folder_contents(out) == files

    log = read_log()[log_start:]
    torn = [entry for entry in log if entry[0] == "torn"]
    assert len(torn) == 1
    uploaded = {entry[1]: entry[2] for entry in log if entry[0] == "put"}
    assert all(Path(path).name.startswith(STAGING) for path in [*uploaded, torn[0][1]])
    assert not [entry for entry in log if entry[0] == "open"]
    moved = {entry[2]: entry[1] for entry in log if entry[0] == "mv"}
    for path in out.rglob("*.dcm"):
        assert moved[str(path)] in uploaded
        assert uploaded[moved[str(path)]] == path.stat().st_size


def test_a_resumed_download_keeps_what_the_destination_already_holds(
    tmp_path: Path, dask_client: Client, config: ClientConfig, server: Any
) -> None:
    """Items whose result never came back but whose file is complete are not fetched again;
    written files that went missing are."""
    files, study = _uploaded(tmp_path, dask_client, config, 40)
    out = tmp_path / "out"
    journal = tmp_path / "down.job"
    with DownloadJob.create(journal, [study], out) as job:
        assert run_job(job, config, dask_client).counts == {WRITTEN: 40}
        written = job.journal.items(WRITTEN)
        job.journal.set_state(written[:5], PENDING)  # as if their results were lost
    missing = written[5:8]
    for item in missing:
        (out / item.study / item.series / f"{item.sop}.dcm").unlink()
    server.requests.clear()
    with open_job(journal) as job:
        report = run_job(job, config, dask_client)
    assert report.counts == {WRITTEN: 40}
    assert report.moved_instances == 3
    assert folder_contents(out) == files
    retrieved = sorted(
        request.path.rsplit("/", 1)[1]
        for request in server.requests
        if request.method == "GET" and re.search(r"/instances/[0-9.]+$", request.path)
    )
    assert retrieved == sorted(item.sop for item in missing)


def test_a_url_destination_needs_a_cluster(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A download to a URL is written by a cluster's workers only."""
    from dicomkit.cli import main

    status = main(["--url", server.url, "download", "1.2.3", "--out", "s3://bucket/x"])
    assert status != 0
    assert "--cluster" in capsys.readouterr().err


def test_a_destination_url_with_credentials_is_refused() -> None:
    from dicomkit_dask import Destination

    from dicomkit.core.errors import InvalidArgumentError

    assert Destination.of("s3://bucket/export/").location == "s3://bucket/export"
    with pytest.raises(InvalidArgumentError, match="credentials"):
        Destination.of("ftp://ann:secret@host/export")


@pytest.mark.parametrize("durable", [False, True])
def test_a_task_syncs_its_files_only_for_a_durable_job(
    tmp_path: Path,
    dask_client: Client,
    config: ClientConfig,
    monkeypatch: pytest.MonkeyPatch,
    durable: bool,
) -> None:
    """The executor hands a durable job's setting to its tasks (run here, in this process, so
    that the fsyncs can be counted): a task of a durable job syncs each file it writes."""
    files, study = _uploaded(tmp_path, dask_client, config, 3)
    with config.client() as client:
        found = client.search_for_instances(study)
    instances = [
        (study, item["0020000E"]["Value"][0], item["00080018"]["Value"][0]) for item in found
    ]
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    out = tmp_path / "out"
    outcomes = download_task(config, Destination.of(out), instances, True, durable=durable)
    assert [outcome.state for outcome in outcomes] == [WRITTEN] * 3
    assert folder_contents(out) == files
    assert (len(synced) >= 3) is durable
