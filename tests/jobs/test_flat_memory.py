"""A download job holds at most the first bytes of each part, whatever the instance's size:
its process's peak memory stays far below one instance (both servers, sync and async).

The job runs in a fresh process whose peak resident memory (``VmHWM``, reset by ``exec``)
is read at its end, and compared with its resident memory just before the job ran (the
interpreter, dicomkit and the client: about 39 MB, more than half an instance, so the peak
alone said little once an async backend's imports came on top); before parts were streamed to
their files, each worker held its whole part and the one before it (221,700 kB for 100 MB
instances with one worker)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from dicomkit.testing.data import make_study
from tests._support.python import run_python

from .conftest import Server

INSTANCE_BYTES = 48_000_000
_CHILD = """
import asyncio, sys
from pathlib import Path
from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.jobs import DownloadJob

url, dialect, study, folder, mode = sys.argv[1:6]
job = DownloadJob.create(Path(folder) / "job.sqlite", [(study,)], Path(folder) / "out")
def kib(field):
    return [line.split()[1] for line in open("/proc/self/status") if line.startswith(field)][0]
before = kib("VmRSS")
if mode == "sync":
    with DicomClient(url, dialect=dialect or None) as client:
        report = job.run(client, workers=2)
else:
    async def main():
        async with AsyncDicomClient(url, dialect=dialect or None) as client:
            return await job.arun(client, workers=2)
    report = asyncio.run(main())
print(report.counts.get("written", 0), kib("VmHWM"), before)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads the peak from /proc/self/status")
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_download_of_large_instances_holds_none_of_them_whole(
    server: Server, tmp_path: Path, mode: str
) -> None:
    datasets = make_study(4, n_series=2, pixel_bytes=INSTANCE_BYTES, patient_id="FLAT-MEMORY")
    study = str(datasets[0].StudyInstanceUID)
    with server.client() as client:
        client.store_instances(datasets)
    del datasets
    done = run_python("-c", _CHILD, server.url, server.dialect, study, str(tmp_path), mode)
    assert done.returncode == 0, done.stderr
    written, peak_kib, before_kib = map(int, done.stdout.split())
    assert written == 4
    files = sorted((tmp_path / "out").rglob("*.dcm"))
    assert len(files) == 4
    assert all(f.stat().st_size > 0.99 * INSTANCE_BYTES for f in files)
    with server.client() as client:
        for path in files:
            series, sop = path.parent.name, path.stem
            served = b"".join(body for _, body in client.iter_parts(study, series, sop))
            assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(served).digest()
    # what the run added (the backend's imports included) stays below half an instance
    grown = (peak_kib - before_kib) * 1024
    assert grown < INSTANCE_BYTES // 2, f"peak {peak_kib} KiB, {before_kib} KiB before the run"
