"""``dicomkit upload/download --cluster local:N``: the same job, its tasks on worker processes,
the password handed to them as the variable it came from."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from dicomkit import DicomClient
from dicomkit.cli import main
from dicomkit.commands._transfer import resume_command
from dicomkit.jobs import open_job
from dicomkit.testing.data import make_study, write_instances

SECRET = "dask-graph-must-not-hold-this-5f1c9e"


def test_upload_and_download_on_a_local_cluster(
    tmp_path: Path,
    server: Any,
    local: DicomClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    paths = write_instances(tmp_path / "in", make_study(20, n_series=2, pixel_bytes=1_000))
    monkeypatch.setenv("DICOMWEB_PASSWORD", SECRET)
    server_options = ["--url", server.url, "--basic", "ann", "--json"]
    status = main(
        [
            *server_options,
            "upload",
            "--cluster",
            "local:1",
            "--journal",
            str(tmp_path / "up.job"),
            str(tmp_path / "in"),
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["counts"] == {"stored": 20}
    with open_job(tmp_path / "up.job") as job:
        assert job.url == server.url  # for 'jobs resume' without --url
    study = local.search_for_studies()[0]["0020000D"]["Value"][0]
    status = main(
        [
            *server_options,
            "download",
            "--cluster",
            "local:2",
            "--workers",
            "2",
            "--journal",
            str(tmp_path / "down.job"),
            "--out",
            (tmp_path / "out").as_uri(),  # an fsspec URL: the workers write through fsspec
            study,
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["counts"] == {"written": 20}
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.dcm")) == sorted(
        p.name for p in paths
    )
    status = main([*server_options, "jobs", "resume", str(tmp_path / "down.job")])
    assert status != 0
    assert "resume it with --cluster" in capsys.readouterr().err


def test_the_resume_hint_resumes_on_the_same_cluster() -> None:
    hint = resume_command(
        argparse.Namespace(url="http://pacs/dicom-web", cluster="tcp://sched:8786", workers=16),
        "/jobs/a.dicomkit-job",
    )
    assert hint == (
        "dicomkit --url http://pacs/dicom-web jobs resume /jobs/a.dicomkit-job"
        " --cluster tcp://sched:8786 --workers 16"
    )


def test_a_typed_secret_cannot_reach_the_workers(
    tmp_path: Path, server: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_instances(tmp_path / "in", make_study(2))
    monkeypatch.delenv("DICOMWEB_TOKEN", raising=False)
    status = main(
        [
            "--url",
            server.url,
            "--token",
            SECRET,
            "upload",
            "--cluster",
            "local:1",
            "--journal",
            str(tmp_path / "up.job"),
            str(tmp_path / "in"),
        ]
    )
    assert status != 0
    assert "DICOMWEB_TOKEN" in capsys.readouterr().err
