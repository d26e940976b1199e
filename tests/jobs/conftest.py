"""Fixtures for job tests: a DICOMweb server of each kind, a folder of instances, and a way to
read back what the server holds (SHA-256 of every instance, each exactly once)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dicomkit import DicomClient
from dicomkit.core.retry import RetryPolicy

ROOT = Path(__file__).resolve().parents[2]
QUICK_RETRY = RetryPolicy(backoff=0.0, jitter=0.0, max_attempts=3, total_timeout=30.0)


@dataclass
class Server:
    """A running server under test: its DICOMweb URL, dialect, and the reference server's
    fault injection (None for Orthanc)."""

    name: str
    url: str
    dialect: str
    faults: Any = None

    def client(self, **options: Any) -> DicomClient:
        options.setdefault("retry", QUICK_RETRY)
        return DicomClient(self.url, dialect=self.dialect or None, **options)


@pytest.fixture(params=["reference", "orthanc"])
def server(request: pytest.FixtureRequest) -> Server:
    if request.param == "orthanc":
        orthanc = request.getfixturevalue("orthanc")
        return Server("orthanc", orthanc.url, "orthanc")
    reference = request.getfixturevalue("dicomweb_server")
    return Server("reference", reference.url, "", reference.faults)


@pytest.fixture
def reference(dicomweb_server: Any) -> Server:
    return Server("reference", dicomweb_server.url, "", dicomweb_server.faults)


def make_folder(
    folder: Path, count: int, *, series: int = 3, pixel_bytes: int = 32_000
) -> dict[str, str]:
    """``count`` instances written under ``folder``; their SOP UID -> SHA-256 of the file."""
    from dicomkit.testing.data import make_study, write_instances

    paths = write_instances(folder, make_study(count, n_series=series, pixel_bytes=pixel_bytes))
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
    """SOP UID -> SHA-256 of every file under ``folder`` (study/series/sop.dcm)."""
    return {path.stem: sha256(path.read_bytes()) for path in folder.rglob("*") if path.is_file()}


def kill_midway(journal: Path, server: Server, *, after: int, workers: int = 2) -> list[str]:
    """Run the job in a child process and SIGKILL it once ``after`` instances are done;
    return its output lines. Fails if the job finished before it could be killed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "jobs" / "_child.py"),
            str(journal),
            server.url,
            server.dialect,
            str(workers),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    assert child.stdout is not None
    try:
        for line in child.stdout:
            lines.append(line)
            if line.startswith("done"):
                break
            if int(line.split()[0]) >= after:
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert not any(line.startswith("done") for line in lines), "the job ended before the kill"
    return lines


@pytest.fixture
def jobs_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The default journal folder, inside the test's temporary folder."""
    folder = tmp_path / "jobs"
    monkeypatch.setenv("DICOMKIT_JOBS_DIR", str(folder))
    return folder
