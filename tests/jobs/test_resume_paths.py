"""The windows a kill can land in, made on purpose: files journaled ``sent`` but never sent or
already stored, downloads renamed into place but not journaled, written files deleted since;
plus instances the server already holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dicomkit.jobs import DownloadJob, Progress, UploadJob
from tests.jobs.conftest import Server, folder_contents, make_folder, server_contents


def _posts(server: Any) -> int:
    return sum(1 for r in server.requests if r.method == "POST")


def test_sent_files_are_looked_up_first_and_only_the_missing_sent(
    tmp_path: Path, reference: Server, dicomweb_server: Any
) -> None:
    expected = make_folder(tmp_path / "in", 8)
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"], batch_files=8)
    items = job.journal.items()
    with job, reference.client() as client:
        # As if killed: 3 files were stored and journaled "sent", 3 journaled "sent" but
        # never left, 2 still pending.
        client.store_instances([item.label for item in items[:3]])
        job.journal.set_state(items[:6], "sent", attempt=True)
        dicomweb_server.requests.clear()
        report = job.run(client, workers=1)
        held = server_contents(client)
    assert report.counts == {"stored": 8}
    assert report.moved_instances == 5  # the 3 found on the server were not sent again
    assert _posts(dicomweb_server) == 1  # the 5 missing ones, in one request
    kinds = [
        "lookup" if "SOPInstanceUID" in r.query else r.method for r in dicomweb_server.requests
    ]
    assert kinds.index("lookup") < kinds.index("POST")  # looked up before anything was sent
    assert held == expected


def test_instances_the_server_holds_already_are_reported_so(tmp_path: Path, server: Server) -> None:
    make_folder(tmp_path / "in", 5)
    with server.client() as client:
        first = UploadJob.create(tmp_path / "a.dicomkit-job", [tmp_path / "in"])
        second = UploadJob.create(tmp_path / "b.dicomkit-job", [tmp_path / "in"])
        with first, second:
            assert first.run(client).counts == {"stored": 5}
            again = second.run(client)
    # The reference server refuses duplicates (0x0111): already present; Orthanc accepts
    # them again and says stored. Either way nothing failed.
    expected = "already_present" if server.name == "reference" else "stored"
    assert again.counts == {expected: 5}
    assert again.ok


def test_a_resumed_download_trusts_complete_files_and_fetches_missing_ones(
    tmp_path: Path, reference: Server, dicomweb_server: Any
) -> None:
    expected = make_folder(tmp_path / "src", 6, series=2)
    with reference.client() as client:
        client.upload_dicom_folder(tmp_path / "src")
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
        one = client.search_for_instances(study, fields=["SOPInstanceUID"])[0]
    series = one["0020000E"]["Value"][0]
    sop = one["00080018"]["Value"][0]
    out = tmp_path / "out"
    job = DownloadJob.create(tmp_path / "d.dicomkit-job", [study, (study, series, sop)], out)
    with job, reference.client() as client:
        assert job.run(client).counts == {"written": 6}
        items = job.journal.items()
        # As if killed between a rename and its journal entry (2 files), and a file deleted
        # by hand since (1 file).
        job.journal.set_state(items[:2], "pending")
        deleted = out / items[2].study / items[2].series / f"{items[2].sop}.dcm"
        deleted.unlink()
        (deleted.parent / ".dicomkit-leftover.part").write_bytes(b"half a file")
        dicomweb_server.requests.clear()
        report = job.run(client)
    assert report.counts == {"written": 6}
    assert report.moved_instances == 1
    retrieves = [r for r in dicomweb_server.requests if "/instances/" in r.path]
    assert len(retrieves) == 1
    assert folder_contents(out) == expected  # the leftover is gone, nothing twice


@pytest.mark.parametrize("workers", [1, 3])
def test_ctrl_c_midway_leaves_a_journal_that_resumes(
    tmp_path: Path, server: Server, workers: int
) -> None:
    expected = make_folder(tmp_path / "in", 12)
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"], batch_files=2)

    def interrupt_midway(p: Progress) -> None:
        if p.bytes_total and p.bytes_done > p.bytes_total // 2:
            raise KeyboardInterrupt

    with job, server.client() as client:
        with pytest.raises(KeyboardInterrupt):
            job.run(client, workers=workers, progress=interrupt_midway)
        interrupted = job.status()
        report = job.run(client, workers=workers)
        held = server_contents(client)
    assert 0 < interrupted.unfinished < 12
    assert report.counts == {"stored": 12}
    assert held == expected
