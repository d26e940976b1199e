"""How a download keeps its files: no fsync by default (a killed process loses nothing the
system holds), fsync of files and folders with ``durable``, and a resume that checks what
the journal says is written: sizes always, SHA-256 when asked, and every file in doubt after
the machine restarted under a run that did not sync."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest

import dicomkit.jobs._staging as staging
from dicomkit.core.errors import DicomkitError
from dicomkit.jobs import DownloadJob
from tests.jobs.conftest import Server, folder_contents, make_folder, sha256


def _study(
    tmp_path: Path, server: Server, count: int, series: int = 2
) -> tuple[dict[str, str], str]:
    expected = make_folder(tmp_path / "src", count, series=series)
    with server.client() as client:
        client.upload_dicom_folder(tmp_path / "src")
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
    return expected, study


def _path(out: Path, item: Any) -> Path:
    return out / item.study / item.series / f"{item.sop}.dcm"


def _syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record what every fsync flushes: "file" or "folder"."""
    real, seen = os.fsync, []

    def recording(fd: int) -> None:
        seen.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    return seen


def test_a_download_syncs_nothing_unless_durable_then_files_and_folders(
    tmp_path: Path, reference: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected, study = _study(tmp_path, reference, 6)
    syncs = _syncs(monkeypatch)
    with DownloadJob.create(tmp_path / "a.dicomkit-job", [study], tmp_path / "a") as job:
        assert syncs == ["file"]  # the journal, once, before it is published (always durable)
        syncs.clear()
        assert not job.durable
        with reference.client() as client:
            assert job.run(client).counts == {"written": 6}
        items = job.journal.items()
    assert syncs == []
    assert folder_contents(tmp_path / "a") == expected
    assert all(item.size == _path(tmp_path / "a", item).stat().st_size for item in items)
    assert all(item.sha256 is None for item in items)  # no digest: it costs what curl does

    with DownloadJob.create(
        tmp_path / "b.dicomkit-job", [study], tmp_path / "b", durable=True
    ) as job:
        syncs.clear()
        assert job.durable
        with reference.client() as client:
            assert job.run(client).counts == {"written": 6}
        items = job.journal.items()
    assert syncs.count("file") == 6
    assert syncs.count("folder") >= 2  # each series folder, after its renames
    assert {item.sop: item.sha256 for item in items} == expected


def test_a_series_is_fetched_whole_without_listing_its_instances(
    tmp_path: Path, reference: Server, dicomweb_server: Any
) -> None:
    expected, study = _study(tmp_path, reference, 6, series=3)
    dicomweb_server.requests.clear()
    with DownloadJob.create(tmp_path / "d.dicomkit-job", [study], tmp_path / "out") as job:
        seen = []
        with reference.client() as client:
            report = job.run(client, progress=seen.append)
        targets = {row[1:] for row in job.journal._query("SELECT id, series, state FROM targets")}
    assert report.counts == {"written": 6}
    assert folder_contents(tmp_path / "out") == expected
    paths = [r.path for r in dicomweb_server.requests if r.method == "GET"]
    assert not [p for p in paths if p.endswith("/instances")]  # no instance-level QIDO
    retrieved = sorted(p.rsplit("/", 1)[1] for p in paths if "/series/" in p)
    assert retrieved == sorted(series for series, _ in targets if series)  # each once, whole
    assert (None, "expanded") in targets
    assert sorted(state for series, state in targets if series) == ["listed"] * 3
    assert seen[0].instances_total == 6  # the total known before anything moved
    assert (seen[-1].instances_done, seen[-1].instances_total) == (6, 6)


def test_after_a_restart_files_in_doubt_are_checked_and_fetched_again(
    tmp_path: Path, reference: Server, dicomweb_server: Any
) -> None:
    expected, study = _study(tmp_path, reference, 6)
    out = tmp_path / "out"
    with DownloadJob.create(tmp_path / "d.dicomkit-job", [study], out) as job:
        with reference.client() as client:
            job.run(client)
        cut, unjournaled, intact = job.journal.items()[:3]
        # As a power cut may leave a run that did not sync: a journaled file short, and two
        # files renamed into place whose journal entries were lost (one of them short).
        _path(out, cut).write_bytes(_path(out, cut).read_bytes()[:1000])
        _path(out, unjournaled).write_bytes(b"")
        job.journal.set_state([unjournaled, intact], "pending")
        with job.journal.transaction() as db:
            job.journal.put_meta(db, {"unsynced_boot": "an earlier boot"})
        dicomweb_server.requests.clear()
        with reference.client() as client:
            report = job.run(client)
        marker = job.journal.meta("unsynced_boot")
    assert report.counts == {"written": 6}
    assert report.moved_instances == 3  # the short one, and both not journaled
    assert folder_contents(out) == expected
    assert marker  # this boot's, for the next resume
    assert marker != "an earlier boot"


def test_verify_checks_the_digests_of_a_durable_download(tmp_path: Path, reference: Server) -> None:
    expected, study = _study(tmp_path, reference, 4)
    out = tmp_path / "out"
    job = DownloadJob.create(tmp_path / "d.dicomkit-job", [study], out, durable=True)
    with job, reference.client() as client:
        job.run(client)
        changed = _path(out, job.journal.items()[0])
        data = bytearray(changed.read_bytes())
        data[-1] ^= 0xFF  # same size, other bytes
        changed.write_bytes(bytes(data))
        assert job.run(client).moved_instances == 0  # sizes only: not seen
        report = job.run(client, verify=True)
    assert report.moved_instances == 1
    assert sha256(changed.read_bytes()) == expected[changed.stem]
    assert folder_contents(out) == expected


def test_a_failing_write_stops_the_download_and_loses_nothing(
    tmp_path: Path, reference: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected, study = _study(tmp_path, reference, 12, series=3)
    out = tmp_path / "out"
    real_write, calls = os.write, {"n": 0}

    def failing_write(fd: int, data: Any) -> int:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            calls["n"] += 1
            if calls["n"] > 5:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(staging.os, "write", failing_write)
    job = DownloadJob.create(tmp_path / "d.dicomkit-job", [study], out)
    with reference.client() as client, pytest.raises(DicomkitError, match="No space left"):
        job.run(client, workers=1)
    # The first series is written and journaled; the file cut short is gone, and the
    # series not done show their instances (counted by the server) as pending.
    assert job.status().counts == {"written": 4, "pending": 8}
    assert len(folder_contents(out)) == 4
    assert not list(out.rglob(".dicomkit-*"))
    monkeypatch.setattr(staging.os, "write", real_write)
    with reference.client() as client:
        report = job.run(client)
    job.close()
    assert report.ok
    assert report.moved_instances == 8
    assert folder_contents(out) == expected


def test_targets_the_server_does_not_have_fail_alone(tmp_path: Path, server: Server) -> None:
    expected, study = _study(tmp_path, server, 4)
    missing_series = (study, "1.2.826.0.1.3680043.9.9999.1")
    missing_study = "1.2.826.0.1.3680043.9.9999.2"
    targets = [study, missing_series, missing_study]
    job = DownloadJob.create(tmp_path / "d.dicomkit-job", targets, tmp_path / "out")
    with job, server.client() as client:
        report = job.run(client)
    assert report.counts == {"written": 4, "failed": 2}
    assert sorted(report.failures) == sorted(["/".join(missing_series), missing_study])
    assert folder_contents(tmp_path / "out") == expected
