"""SIGKILL a job mid-upload and mid-download, resume it, and compare what ended where.

Real processes against the reference server and Orthanc: the job runs in a child process that
is killed once part of the work is confirmed; the resumed job must finish with every instance
on the server (or on disk) exactly once, byte for byte, having moved only the rest.
"""

from __future__ import annotations

from pathlib import Path

from dicomkit.jobs import DownloadJob, UploadJob, open_job
from tests.jobs.conftest import Server, folder_contents, kill_midway, make_folder, server_contents

COUNT = 30


def test_upload_killed_midway_resumes_with_the_rest(tmp_path: Path, server: Server) -> None:
    expected = make_folder(tmp_path / "in", COUNT)
    (tmp_path / "in" / "README.txt").write_text("not DICOM")
    job = UploadJob.create(tmp_path / "up.dicomkit-job", [tmp_path / "in"], batch_files=3)
    total_bytes = job.status().total_bytes
    job.close()

    kill_midway(job.path, server, after=COUNT // 2)

    with open_job(job.path) as resumed:
        before = resumed.status()
        assert 0 < before.unfinished < COUNT, before
        with server.client() as client:
            report = resumed.run(client, workers=2)
            held = server_contents(client)
    assert report.ok, report.failures
    assert report.counts == {"stored": COUNT, "not_dicom": 1}
    assert held == expected
    assert total_bytes is not None
    # Killed once half was confirmed: the rest is at most half, plus nothing sent twice
    # (issue 11 asks for at most 55% of the bytes).
    assert report.moved_bytes <= 0.55 * total_bytes
    assert report.moved_instances <= before.unfinished


def test_download_killed_midway_resumes_with_the_rest(tmp_path: Path, server: Server) -> None:
    expected = make_folder(tmp_path / "src", COUNT)
    with server.client() as client:
        client.upload_dicom_folder(tmp_path / "src")
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
    out = tmp_path / "out"
    job = DownloadJob.create(tmp_path / "down.dicomkit-job", [study], out)
    job.close()

    kill_midway(job.path, server, after=COUNT // 2)

    with open_job(job.path) as resumed:
        before = resumed.status()
        with server.client() as client:
            report = resumed.run(client, workers=2)
    assert report.ok, report.failures
    assert report.counts == {"written": COUNT}
    assert folder_contents(out) == expected  # each file once, complete, no temporary left
    assert report.moved_instances <= before.unfinished < COUNT
