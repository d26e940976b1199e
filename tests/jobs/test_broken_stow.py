"""A STOW-RS request that breaks without an answer: every file ends stored or failed, truly.

The job asks the server (QIDO-RS by SOPInstanceUID) which files of the broken batch it holds;
those are stored, the rest are sent again, and a file that never gets an answer is failed,
never while the server holds it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from dicomkit import DicomClient
from dicomkit.jobs import UploadJob
from tests.jobs._proxy import CuttingProxy
from tests.jobs.conftest import QUICK_RETRY, Server, make_folder, server_contents

COUNT = 12


def test_answer_cut_after_storing_counts_as_stored_and_sends_nothing_twice(
    tmp_path: Path,
    reference: Server,
    dicomweb_server: object,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "dicomkit.jobs")
    expected = make_folder(tmp_path / "in", COUNT)
    reference.faults.add("/studies", method="POST", cut_after=20, times=2)
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"], batch_files=4)
    with job, reference.client() as client:
        report = job.run(client, workers=1)
        held = server_contents(client)
    assert report.ok
    assert report.counts == {"stored": COUNT}
    assert held == expected
    posts = [r for r in dicomweb_server.requests if r.method == "POST"]  # type: ignore[attr-defined]
    assert len(posts) == COUNT // 4  # the two cut batches were looked up, not sent again
    said = [r.getMessage() for r in caplog.records if r.name == "dicomkit.jobs"]
    assert len(said) == 2
    assert all("4 found on the server, 0 to send again" in line for line in said)


@pytest.mark.parametrize("workers", [1, 3])
def test_request_cut_midway_is_sent_again(tmp_path: Path, server: Server, workers: int) -> None:
    expected = make_folder(tmp_path / "in", COUNT)
    proxy = CuttingProxy(server.url, cut_at=40_000, cut_posts=2)
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"], batch_files=4)
    try:
        with job, proxied(server, proxy) as client:
            report = job.run(client, workers=workers)
    finally:
        proxy.close()
    assert proxy.cuts == 2
    assert report.counts == {"stored": COUNT}, report.failures
    with server.client() as client:
        assert server_contents(client) == expected


def test_batches_that_never_get_an_answer_fail_and_only_they(
    tmp_path: Path, server: Server
) -> None:
    expected = make_folder(tmp_path / "in", COUNT + 1)
    # Every request longer than 40,000 bytes breaks: batches of 4 files never get through,
    # the last batch (one file) does.
    proxy = CuttingProxy(server.url, cut_at=40_000, cut_posts=None)
    job = UploadJob.create(tmp_path / "j.dicomkit-job", [tmp_path / "in"], batch_files=4)
    try:
        with job, proxied(server, proxy) as client:
            report = job.run(client, workers=2)
            items = job.journal.items()
    finally:
        proxy.close()
    assert report.counts == {"stored": 1, "failed": COUNT}, report.counts
    assert all("no answer after 3 attempts" in why for why in report.failures.values())
    stored = {item.sop for item in items if item.state == "stored"}
    with server.client() as client:
        held = server_contents(client)
    assert set(held) == stored  # stored means on the server; failed means not
    assert all(held[sop] == expected[sop] for sop in stored)


def proxied(server: Server, proxy: CuttingProxy) -> DicomClient:
    return DicomClient(proxy.url, dialect=server.dialect or None, retry=QUICK_RETRY)
