"""``verify=True`` on a download job that recorded no digests says so.

Only a job created with ``durable=True`` journals each file's SHA-256; on any other job
``verify`` can compare sizes only. The command line always said it in one line; the library
said nothing, so a program asking ``verify=True`` believed its files had been read back. Now
``run`` and ``arun`` issue one :class:`dicomkit.jobs.VerifyWarning`, before anything is read,
pointing at the caller's line; a durable job, or ``verify=False``, issues none. Real jobs,
against the reference server.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dicomkit.jobs
from dicomkit import AsyncDicomClient
from dicomkit.jobs import DownloadJob, VerifyWarning
from tests.jobs.conftest import QUICK_RETRY, Server, folder_contents, make_folder


def _study(tmp_path: Path, reference: Server) -> tuple[dict[str, str], str]:
    expected = make_folder(tmp_path / "src", 3, series=1)
    with reference.client() as client:
        client.upload_dicom_folder(tmp_path / "src")
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
    return expected, study


def _tamper(out: Path) -> None:
    """Flip one written file's last byte: same size, other bytes (only a digest sees it)."""
    changed = sorted(out.rglob("*.dcm"))[0]
    data = bytearray(changed.read_bytes())
    data[-1] ^= 0xFF
    changed.write_bytes(bytes(data))


def _verify_warnings(call: Callable[[], Any]) -> list[warnings.WarningMessage]:
    """The VerifyWarnings ``call`` issued, every one of them (no "once" filter hides any)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, VerifyWarning)]


def test_verify_warning_is_public() -> None:
    assert "VerifyWarning" in dicomkit.jobs.__all__
    assert issubclass(VerifyWarning, UserWarning)


def test_verify_on_a_job_without_digests_warns_once_and_checks_sizes(
    tmp_path: Path, reference: Server
) -> None:
    expected, study = _study(tmp_path, reference)
    out = tmp_path / "out"
    job = DownloadJob.create(tmp_path / "d.dicomkit-job", [study], out)
    with job, reference.client() as client:
        assert _verify_warnings(lambda: job.run(client)) == []  # not asked: nothing said
        _tamper(out)
        with pytest.warns(VerifyWarning, match="verify checks their sizes only") as record:
            report = job.run(client, verify=True)
    assert len(record) == 1
    (warning,) = record
    assert str(warning.message).startswith(f"job {job.job_id} was created without durable=True")
    assert "no SHA-256" in str(warning.message)
    assert warning.filename == __file__  # the caller's line, where verify=True was written
    assert report.moved_instances == 0  # sizes match: the change goes unseen, as warned
    assert folder_contents(out) != expected


def test_verify_on_a_durable_job_says_nothing_and_reads_back(
    tmp_path: Path, reference: Server
) -> None:
    expected, study = _study(tmp_path, reference)
    out = tmp_path / "out"
    job = DownloadJob.create(tmp_path / "d.dicomkit-job", [study], out, durable=True)
    with job, reference.client() as client:
        job.run(client)
        _tamper(out)
        reports: list[Any] = []
        assert _verify_warnings(lambda: reports.append(job.run(client, verify=True))) == []
    assert reports[0].moved_instances == 1  # the digest caught it
    assert folder_contents(out) == expected


@pytest.mark.parametrize("durable", [False, True])
def test_arun_warns_as_run_does(tmp_path: Path, reference: Server, durable: bool) -> None:
    _, study = _study(tmp_path, reference)
    job = DownloadJob.create(
        tmp_path / "d.dicomkit-job", [study], tmp_path / "out", durable=durable
    )

    async def main() -> Any:
        async with AsyncDicomClient(reference.url, transport="httpx", retry=QUICK_RETRY) as c:
            await job.arun(c)
            return await job.arun(c, verify=True)

    with job:
        caught = _verify_warnings(lambda: asyncio.run(main()))
    if durable:
        assert caught == []
    else:
        assert len(caught) == 1
        assert "verify checks their sizes only" in str(caught[0].message)
        assert caught[0].filename == __file__  # the line that awaits arun(verify=True)
