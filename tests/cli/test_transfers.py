"""upload, download and jobs as real processes: whole folders, Ctrl+C and kill -9 mid-way,
resume, then the server's and the folder's contents compared byte for byte."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from dicomkit import DicomClient, DicomkitError
from dicomkit.jobs import open_job
from dicomkit.testing.data import make_study, write_instances

from .conftest import Dicomkit, Server, ok


def _digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every .dcm file under ``folder``, by file name (the SOPInstanceUID)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.dcm")}


def _server_instances(server: Server, study: str) -> list[str]:
    with DicomClient(server.url) as client:
        rows = client.search_for_instances(study, get_remaining=True)
    return [row["00080018"]["Value"][0] for row in rows]


def _folder(
    tmp_path: Path, n: int, *, pixel_bytes: int = 20_000, patient: str = "CLI-UP"
) -> tuple[Path, str]:
    study = make_study(n, n_series=2, pixel_bytes=pixel_bytes, patient_id=patient)
    folder = tmp_path / "src"
    write_instances(folder / "nested", study)
    (folder / "notes.txt").write_text("not DICOM")
    return folder, str(study[0].StudyInstanceUID)


def test_upload_a_folder_then_download_the_study(
    dk: Dicomkit, server: Server, tmp_path: Path
) -> None:
    folder, study = _folder(tmp_path, 12)
    upload = dk(
        "upload", str(folder), "--workers", "2", "--batch-files", "4", "--url", server.url, "--json"
    )
    report = json.loads(ok(upload))
    assert report["kind"] == "upload"
    assert report["counts"] == {"stored": 12, "not_dicom": 1}
    assert report["ok"] is True
    assert sorted(_server_instances(server, study)) == sorted(
        p.stem for p in (folder / "nested").glob("*.dcm")
    )

    out = tmp_path / "out"
    download = dk("download", study, "--out", str(out), "--url", server.url)
    ok(download)
    assert "12 written" in download.stdout
    assert _digests(out) == _digests(folder)
    assert all(len(p.relative_to(out).parts) == 3 for p in out.rglob("*.dcm"))  # study/series/sop

    listed = json.loads(ok(dk("jobs", "list", "--json")))
    assert sorted(job["kind"] for job in listed) == ["download", "upload"]  # same second
    assert all(job["ok"] for job in listed)
    (download,) = [job for job in listed if job["kind"] == "download"]
    shown = ok(dk("jobs", "show", download["job_id"]))
    assert "12 written" in shown


def test_download_many_studies_from_a_search_and_from_a_file(
    dk: Dicomkit, server: Server, tmp_path: Path
) -> None:
    studies = [
        make_study(2, patient_id="CLI-MANY", study_date=date)
        for date in ("20240110", "20240120", "20230101")
    ]
    with DicomClient(server.url) as client:
        for study in studies:
            client.store_instances(study)
    uids = [str(study[0].StudyInstanceUID) for study in studies]

    searched = tmp_path / "searched"
    ok(
        dk(
            "download",
            "--where",
            "PatientID=CLI-MANY",
            "--where",
            "StudyDate=20240101-20240131",
            "--out",
            str(searched),
            "--url",
            server.url,
            "--quiet",
        )
    )
    assert sorted(p.name for p in searched.iterdir()) == sorted(uids[:2])

    listing = tmp_path / "uids.txt"
    series = str(studies[2][0].SeriesInstanceUID)
    listing.write_text(f"# wanted\n{uids[0]}\n\n{uids[2]}/{series}\n")
    from_file = tmp_path / "from-file"
    ok(dk("download", "--from-file", str(listing), "--out", str(from_file), "--url", server.url))
    assert sorted(p.name for p in from_file.iterdir()) == sorted([uids[0], uids[2]])
    assert len(list(from_file.rglob("*.dcm"))) == 4


def _slow(server: Server, method: str) -> None:
    """Make each transfer request of the reference server slow, so that the test can stop the
    job half way (Orthanc gets more bytes instead, see ``_size``)."""
    if server.name == "reference":
        server.handle.faults.add(re.compile(r"/studies"), method=method, times=None, delay=0.15)


def _size(server: Server) -> dict[str, int]:
    return {"pixel_bytes": 100_000} if server.name == "reference" else {"pixel_bytes": 600_000}


def _wait_for_progress(process: subprocess.Popen[str], dk: Dicomkit, done: int) -> None:
    """Wait until the job's journal shows ``done`` instances or more confirmed.

    The journal is read only once the command has said it is made (its first line).
    """
    first = process.stderr.readline() if process.stderr else ""
    assert "journal" in first, first + process.communicate()[1]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        for journal in dk.jobs():
            try:
                with open_job(journal) as job:
                    counts = job.status().counts
            except DicomkitError:  # still being made
                continue
            if counts.get("stored", 0) + counts.get("written", 0) >= done:
                return
        time.sleep(0.02)
    pytest.fail("the transfer made no progress")


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_an_upload_stopped_midway_resumes_and_sends_only_the_rest(
    dk: Dicomkit, server: Server, tmp_path: Path, how: signal.Signals
) -> None:
    folder, study = _folder(tmp_path, 60, **_size(server))
    _slow(server, "POST")
    process = dk.popen(
        "upload", str(folder), "--workers", "1", "--batch-files", "2", "--url", server.url
    )
    _wait_for_progress(process, dk, 4)
    process.send_signal(how)
    _out, err = process.communicate(timeout=60)
    if how == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:  # Ctrl+C or kill: the journal is kept and the command that resumes it is printed
        assert process.returncode == 130, err
        assert "dicomkit --url" in err
        assert "jobs resume" in err
    (journal,) = dk.jobs()
    before = json.loads(ok(dk("jobs", "show", str(journal), "--json")))
    assert not before["finished"]
    if server.name == "reference":
        server.handle.faults.clear()

    resumed = json.loads(ok(dk("jobs", "resume", str(journal), "--url", server.url, "--json")))
    assert resumed["ok"] is True
    assert resumed["counts"] == {"stored": 60, "not_dicom": 1}
    assert resumed["moved_instances"] <= 60 - 4
    held = _server_instances(server, study)
    assert len(held) == len(set(held)) == 60  # each instance exactly once
    out = tmp_path / "out"
    ok(dk("download", study, "--out", str(out), "--url", server.url, "--quiet"))
    assert _digests(out) == _digests(folder)


def test_a_download_interrupted_midway_resumes(
    dk: Dicomkit, server: Server, tmp_path: Path
) -> None:
    folder, study = _folder(tmp_path, 60, **_size(server))
    with DicomClient(server.url) as client:
        client.upload_dicom_folder(folder)
    _slow(server, "GET")
    out = tmp_path / "out"
    process = dk.popen("download", study, "--out", str(out), "--workers", "1", "--url", server.url)
    _wait_for_progress(process, dk, 2)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    (journal,) = dk.jobs()
    if server.name == "reference":
        server.handle.faults.clear()
    ok(dk("jobs", "resume", journal.stem))  # to the server the journal names
    assert _digests(out) == _digests(folder)
    assert not [p for p in out.rglob("*") if p.is_file() and p.suffix != ".dcm"]  # no leftovers


def test_a_partial_failure_exits_1_and_names_the_failed_files(
    dk: Dicomkit, dicomweb_server: Any, tmp_path: Path
) -> None:
    sources = write_instances(tmp_path / "src", make_study(3))
    dicomweb_server.faults.add("/studies", method="POST", status=400, times=1)
    result = dk(
        "upload",
        str(tmp_path / "src"),
        "--batch-files",
        "1",
        "--workers",
        "1",
        "--url",
        str(dicomweb_server.url),
    )
    assert result.returncode == 1, result.stderr
    assert "1 failed, 2 stored" in result.stdout
    assert "failed: " in result.stderr
    (journal,) = dk.jobs()
    retried = dk("jobs", "resume", journal.stem, "--retry-failed", "--json")
    assert json.loads(ok(retried))["counts"] == {"stored": 3}
    assert len(sources) == 3


def test_a_failing_writer_stops_the_download_resumable(
    dk: Dicomkit, dicomweb_server: Any, tmp_path: Path
) -> None:
    study = make_study(4, n_series=2)
    with DicomClient(str(dicomweb_server.url)) as client:
        client.store_instances(study)
    uid = str(study[0].StudyInstanceUID)
    out = tmp_path / "out"
    out.mkdir()
    (out / uid).write_text("a file where the study's folder must go")  # every write fails
    result = dk("download", uid, "--out", str(out), "--url", str(dicomweb_server.url))
    assert result.returncode == 1, result.stderr  # a local failure, not the server's
    assert "jobs resume" in result.stderr
    assert "Traceback" not in result.stderr
    (out / uid).unlink()
    (journal,) = dk.jobs()
    ok(dk("jobs", "resume", journal.stem))
    assert len(list(out.rglob("*.dcm"))) == 4
