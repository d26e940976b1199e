"""``dicomkit upload/download --cluster local:N``: the same job, its tasks on worker processes,
the password handed to them as the variable it came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dicomkit import DicomClient
from dicomkit.cli import main
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
            str(tmp_path / "out"),
            study,
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["counts"] == {"written": 20}
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.dcm")) == sorted(
        p.name for p in paths
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
