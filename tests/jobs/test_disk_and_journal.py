"""A failing disk loses nothing; journals are refused when foreign or half-made; the job's
progress, status and listing say what the journal holds."""

from __future__ import annotations

import errno
import itertools
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest

import dicomkit.jobs._files as job_files
from dicomkit import DicomClient
from dicomkit.core.errors import (
    ConnectError,
    DicomkitError,
    ForbiddenError,
    InvalidArgumentError,
    UnauthorizedError,
)
from dicomkit.jobs import (
    DownloadJob,
    Progress,
    UploadJob,
    default_journal_folder,
    list_jobs,
    open_job,
)
from tests.jobs.conftest import Server, folder_contents, make_folder, server_contents


def test_a_full_disk_stops_the_download_and_loses_nothing(
    tmp_path: Path, reference: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = make_folder(tmp_path / "src", 12)
    with reference.client() as client:
        client.upload_dicom_folder(tmp_path / "src")
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
    out = tmp_path / "out"
    real_fsync = os.fsync
    calls = {"n": 0}

    def failing_fsync(fd: int) -> None:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):  # files only: folders are synced after
            calls["n"] += 1
            if calls["n"] > 5:
                raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(job_files.os, "fsync", failing_fsync)
    job = DownloadJob.create(tmp_path / "d.dicomkit-job", [study], out, durable=True)
    with reference.client() as client, pytest.raises(DicomkitError, match="No space left"):
        job.run(client, workers=1)
    status = job.status()
    # Files are made final a group at a time (a series here): the group whose fsync failed
    # is not, the groups before it are written and journaled.
    assert status.counts == {"written": 4, "pending": 8}
    on_disk = folder_contents(out)
    assert len(on_disk) == 4
    assert all(expected[sop] == sha for sop, sha in on_disk.items())
    assert not list(out.rglob(".dicomkit-*"))  # no half-written file left behind

    monkeypatch.setattr(job_files.os, "fsync", real_fsync)
    with reference.client() as client:
        report = job.run(client)
    assert report.ok
    assert report.moved_instances == 8
    assert folder_contents(out) == expected
    job.close()


def test_progress_is_per_instance_and_per_byte_and_ends_at_the_totals(
    tmp_path: Path, reference: Server
) -> None:
    make_folder(tmp_path / "in", 9, pixel_bytes=3 << 20)  # larger than one read chunk each
    seen: list[Progress] = []
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"])
    with job, reference.client() as client:
        report = job.run(client, workers=3, progress=seen.append)
    first, last = seen[0], seen[-1]
    assert (first.instances_done, first.bytes_done) == (0, 0)
    assert first.instances_total == 9
    assert first.bytes_total == report.total_bytes
    assert (last.instances_done, last.bytes_done) == (9, report.total_bytes)
    assert len(seen) > 2 * 9  # bytes move between instances
    assert all(a.bytes_done <= b.bytes_done for a, b in itertools.pairwise(seen))
    assert all(a.instances_done <= b.instances_done for a, b in itertools.pairwise(seen))


def test_a_foreign_or_half_made_journal_is_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.dicomkit-job"
    foreign.write_bytes(b"not a database at all, just some bytes" * 10)
    with pytest.raises(InvalidArgumentError):
        open_job(foreign)
    half = tmp_path / "half.dicomkit-job"
    sqlite3.connect(half).executescript("CREATE TABLE meta (key TEXT, value TEXT);")
    with pytest.raises(InvalidArgumentError, match="not a complete"):
        open_job(half)
    with pytest.raises(InvalidArgumentError, match="no job journal"):
        open_job(tmp_path / "missing.dicomkit-job")


def test_bad_input_is_refused_before_any_journal_is_made(tmp_path: Path, jobs_dir: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InvalidArgumentError, match="no such file"):
        UploadJob.create(None, [tmp_path / "missing.dcm"])
    with pytest.raises(InvalidArgumentError, match="not a DICOM file"):
        UploadJob.create(None, [tmp_path / "notes.txt"])
    with pytest.raises(InvalidArgumentError):
        DownloadJob.create(None, ["not a uid"], tmp_path / "out")
    with pytest.raises(InvalidArgumentError):
        UploadJob.create(None, [tmp_path], batch_files=0)
    assert list_jobs() == []
    existing = tmp_path / "taken.dicomkit-job"
    UploadJob.create(existing, [tmp_path]).close()
    with pytest.raises(InvalidArgumentError, match="already exists"):
        UploadJob.create(existing, [tmp_path])


def test_jobs_are_listed_from_the_default_folder(tmp_path: Path, jobs_dir: Path) -> None:
    make_folder(tmp_path / "in", 2)
    assert default_journal_folder() == jobs_dir
    with UploadJob.create(None, [tmp_path / "in"]) as up:
        assert up.path.parent == jobs_dir
        assert up.path.stat().st_mode & 0o077 == 0  # paths and UIDs: readable by the user only
    with DownloadJob.create(None, ["1.2.3", ("1.2.3", "4.5", "6.7")], tmp_path / "out") as down:
        pass
    (jobs_dir / "stray.dicomkit-job").write_text("garbage")
    listed = list_jobs()
    by_kind = {status.kind: status for status in listed}
    assert len(listed) == 2  # the stray file is no journal
    assert by_kind["upload"].path == up.path
    assert by_kind["download"].path == down.path
    assert by_kind["upload"].counts == {"pending": 2}
    assert by_kind["download"].counts == {"pending": 2}  # two targets, not listed yet
    assert all(not status.finished for status in listed)


def test_default_journal_folder_follows_xdg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DICOMKIT_JOBS_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_journal_folder() == tmp_path / "state" / "dicomkit" / "jobs"


def test_failed_files_are_sent_again_only_when_asked(tmp_path: Path, reference: Server) -> None:
    make_folder(tmp_path / "in", 4)
    reference.faults.add("/studies", method="POST", status=400, body=b"refused", times=1)
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"], batch_files=4)
    with job, reference.client() as client:
        first = job.run(client, workers=1)
        again = job.run(client)
        retried = job.run(client, retry_failed=True)
        held = server_contents(client)
        assert job.url == reference.url  # what a resume can default to
    assert first.counts == {"failed": 4}
    assert not first.ok
    assert again.counts == {"failed": 4}
    assert again.moved_instances == 0
    assert retried.counts == {"stored": 4}
    assert retried.ok
    assert len(held) == 4


def test_rejected_credentials_and_no_server_stop_the_job_and_keep_it_pending(
    tmp_path: Path, reference: Server
) -> None:
    make_folder(tmp_path / "in", 4)
    reference.faults.add("/studies", method="POST", status=401, times=1)
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"], batch_files=4)
    with job:
        with reference.client() as client, pytest.raises(UnauthorizedError):
            job.run(client, workers=1)
        assert job.status().counts == {"pending": 4}
        with DicomClient("http://127.0.0.1:9", retry=1) as nowhere, pytest.raises(ConnectError):
            job.run(nowhere)
        assert job.status().counts == {"pending": 4}
        with reference.client() as client:
            assert job.run(client).counts == {"stored": 4}


def test_a_download_refused_for_credentials_stops_with_its_instances_pending(
    tmp_path: Path, reference: Server
) -> None:
    make_folder(tmp_path / "src", 4, series=1)
    with reference.client() as client:
        client.upload_dicom_folder(tmp_path / "src")
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
    reference.faults.add(re.compile(r"/series/"), method="GET", status=403, times=None)
    with DownloadJob.create(tmp_path / "d.dicomkit-job", [study], tmp_path / "out") as job:
        with reference.client() as client, pytest.raises(ForbiddenError):
            job.run(client)
        assert job.status().counts == {"pending": 4}


def test_files_that_vanish_or_change_after_the_scan_fail_alone(
    tmp_path: Path, reference: Server
) -> None:
    make_folder(tmp_path / "in", 6)
    files = sorted((tmp_path / "in").iterdir())
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"], batch_files=6)
    files[1].unlink()
    with files[4].open("ab") as grown:
        grown.write(b"\0" * 100)
    with job, reference.client() as client:
        report = job.run(client, workers=1)
        held = server_contents(client)
    assert report.counts == {"stored": 4, "failed": 2}
    assert "unreadable" in report.failures[str(files[1])]
    assert "changed since the job was made" in report.failures[str(files[4])]
    assert files[4].stem not in held
    assert len(held) == 4


def test_download_progress_moves_with_the_bytes_as_they_arrive(
    tmp_path: Path, reference: Server
) -> None:
    expected = make_folder(tmp_path / "src", 3, series=1, pixel_bytes=4 << 20)
    with reference.client() as client:
        client.upload_dicom_folder(tmp_path / "src")
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
    seen: list[Progress] = []
    job = DownloadJob.create(tmp_path / "d.dicomkit-job", [study], tmp_path / "out")
    with job, reference.client() as client:
        report = job.run(client, progress=seen.append)
    sizes = sum(path.stat().st_size for path in (tmp_path / "out").rglob("*.dcm"))
    assert len(folder_contents(tmp_path / "out")) == len(expected)
    assert seen[-1].bytes_done == sizes == report.done_bytes
    # Bytes moved before the first file was complete.
    between = [p for p in seen if p.instances_done == 0 and p.bytes_done > 0]
    assert between


def test_a_file_without_the_part10_header_fails_as_in_a_folder_upload(
    tmp_path: Path, reference: Server
) -> None:
    from dicomkit.files.folder import HEADERLESS_PROBLEM
    from dicomkit.testing.data import dataset_bytes, make_instance

    make_folder(tmp_path / "in", 2)
    body = dataset_bytes(make_instance())
    end = 132  # skip the preamble, DICM and the file meta group: a bare data set
    while body[end : end + 2] == b"\x02\x00":
        long_vr = body[end + 4 : end + 6] in (b"OB", b"UN")
        end += 12 + int.from_bytes(body[end + 8 : end + 12], "little") if long_vr else 0
        end += 0 if long_vr else 8 + int.from_bytes(body[end + 6 : end + 8], "little")
    bare = tmp_path / "in" / "bare.raw"
    bare.write_bytes(body[end:])
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"])
    with job, reference.client() as client:
        report = job.run(client)
    assert report.counts == {"stored": 2, "failed": 1}
    assert report.failures == {str(bare): HEADERLESS_PROBLEM}
    with pytest.raises(InvalidArgumentError, match="Part 10"):
        UploadJob.create(None, [bare])
