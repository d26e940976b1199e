"""How many requests at once should transfers use? Uploads and downloads at 1, 2, 4 and 8.

``python -m benchmarks.concurrency [--count N] [--runs R] [--servers reference,orthanc]``
generates a study of N instances of about 525 KB in 8 series (never committed), starts the
reference server (its own process) and Orthanc, and times ``UploadJob.run`` and
``DownloadJob.run`` (the sync client, urllib3) at each concurrency, interleaved R times; the
median wall time and rate are printed as a Markdown table. The choice and the figures are
recorded in docs/transfers.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from benchmarks._e2e_data import DataSet, make_dataset
from benchmarks.e2e import Server, orthanc_server, reference_server

WORKERS = (1, 2, 4, 8)
BATCHES = (2, 5, 10, 20)
DEFAULT_WORKERS = 4
SERVERS: dict[str, Callable[[Path], AbstractContextManager[tuple[str, Any]]]] = {
    "reference": reference_server,
    "orthanc": orthanc_server,
}


def _client(url: str) -> Any:
    from dicomkit import DicomClient

    return DicomClient(url, transport="urllib3")


def time_upload(
    server: Server, data: DataSet, workers: int, work: Path, batch: int | None = None
) -> float:
    from dicomkit.jobs import UploadJob

    server.clear()
    server.studies.add(data.study)
    journal = work / f"up-{time.monotonic_ns()}.dicomkit-job"
    job = UploadJob.create(journal, [data.folder], batch_files=batch)
    with job, _client(server.url) as client:
        started = time.perf_counter()
        report = job.run(client, workers=workers)
        elapsed = time.perf_counter() - started
    if report.counts.get("stored") != data.count:
        raise SystemExit(f"upload at {workers} workers: {report}")
    return elapsed


def time_download(server: Server, data: DataSet, workers: int, work: Path) -> float:
    from dicomkit.jobs import DownloadJob

    stamp = time.monotonic_ns()
    out = work / f"out-{stamp}"
    job = DownloadJob.create(work / f"down-{stamp}.dicomkit-job", [data.study], out)
    with job, _client(server.url) as client:
        started = time.perf_counter()
        report = job.run(client, workers=workers)
        elapsed = time.perf_counter() - started
    if report.counts.get("written") != data.count:
        raise SystemExit(f"download at {workers} workers: {report}")
    for path in sorted(out.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    return elapsed


_CHILD = """
import sys
from dicomkit import DicomClient
from dicomkit.jobs import open_job

def progress(p):
    print(p.bytes_done, p.bytes_total, flush=True)

with DicomClient(sys.argv[2], transport="urllib3") as client, open_job(sys.argv[1]) as job:
    job.run(client, progress=progress)
print("done", flush=True)
"""


def resumed_share(server: Server, data: DataSet, work: Path, at: float = 0.5) -> float:
    """Upload with the defaults in a child process, SIGKILL it once ``at`` of the bytes went
    out, resume in this one: the share of all bytes the resumed run sent."""
    import subprocess
    import sys

    from dicomkit.jobs import UploadJob, open_job

    server.clear()
    server.studies.add(data.study)
    journal = work / f"kill-{time.monotonic_ns()}.dicomkit-job"
    UploadJob.create(journal, [data.folder]).close()
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(journal), server.url],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith("done"):
            raise SystemExit("the upload ended before it could be killed")
        done, total = (int(n) for n in line.split())
        if done >= at * total:
            child.kill()
            break
    child.wait()
    child.stdout.close()
    with open_job(journal) as job, _client(server.url) as client:
        report = job.run(client)
    if report.counts.get("stored") != data.count or report.total_bytes is None:
        raise SystemExit(f"the resumed upload: {report}")
    return report.moved_bytes / report.total_bytes


def measure(server: Server, data: DataSet, runs: int, work: Path) -> Iterator[str]:
    uploads: dict[int, list[float]] = {w: [] for w in WORKERS}
    downloads: dict[int, list[float]] = {w: [] for w in WORKERS}
    for run in range(runs):
        order = WORKERS if run % 2 == 0 else tuple(reversed(WORKERS))
        for workers in order:
            uploads[workers].append(time_upload(server, data, workers, work))
        server.load(data)
        for workers in order:
            downloads[workers].append(time_download(server, data, workers, work))
    batches: dict[int, list[float]] = {b: [] for b in BATCHES}
    for _ in range(runs):
        for batch in BATCHES:
            batches[batch].append(time_upload(server, data, DEFAULT_WORKERS, work, batch))
    megabytes = data.size / 1e6
    for workers in WORKERS:
        up = statistics.median(uploads[workers])
        down = statistics.median(downloads[workers])
        yield (
            f"| {workers} | {up:.2f} s ({megabytes / up:.0f} MB/s) "
            f"| {down:.2f} s ({megabytes / down:.0f} MB/s) |"
        )
    shares = [resumed_share(server, data, work) for _ in range(runs)]
    yield (
        "\nkilled at half the bytes, the resumed upload sent "
        + ", ".join(f"{share:.0%}" for share in shares)
        + " of them"
    )
    yield f"\nupload at {DEFAULT_WORKERS} workers by files per request\n"
    yield "| files per request | upload |\n|---|---|"
    for batch in BATCHES:
        up = statistics.median(batches[batch])
        yield f"| {batch} | {up:.2f} s ({megabytes / up:.0f} MB/s) |"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.concurrency")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--servers", default="reference,orthanc")
    parser.add_argument("--quick", action="store_true", help="40 instances, one run")
    args = parser.parse_args(argv)
    count, runs = (40, 1) if args.quick else (args.count, args.runs)
    with tempfile.TemporaryDirectory(prefix="dicomkit-bench-") as temp:
        work = Path(temp)
        data = make_dataset(work / "data", count)
        print(f"{count} instances, {data.size / 1e6:.0f} MB, 8 series; median of {runs} run(s)")
        for name in args.servers.split(","):
            with SERVERS[name](work / f"{name}-root") as (url, orthanc):
                print(f"\n{name}\n\n| workers | upload | download |\n|---|---|---|")
                for row in measure(Server(url, orthanc), data, runs, work):
                    print(row, flush=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
