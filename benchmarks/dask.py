"""Jobs on a Dask LocalCluster of 1, 2, 4 ... worker processes (issue 17).

``python -m benchmarks.dask [--quick] [--workers 1,2,4] [--instances N] [--delay S]``

The reference server answers every request ``--delay`` seconds late (default 0.05, standing for
a distant cloud service, so that the figures measure the executor rather than this machine's
cores), then with no delay. Each worker process has two threads and the cluster's request cap
is two per worker, so N workers may have 2N requests in flight; tasks are 10 instances (one
STOW-RS request, or one series request for downloads: the study has series of 10). Workers
import dicomkit before the clock starts. Each case uploads ``--instances``
small instances to an emptied server, then downloads them. Prints instances per second and the
ratio to one worker's; raw figures go to benchmarks/results/dask.json (dask-quick.json).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
THREADS = 2
TASK_SIZE = 10


def _case(server: Any, workers: int, folder: Path, scratch: Path) -> dict[str, float]:
    from dicomkit_dask import run_job
    from distributed import Client, LocalCluster

    from dicomkit import ClientConfig
    from dicomkit.jobs import DownloadJob, UploadJob

    config = ClientConfig(server.url)
    server.state.store.clear()
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=THREADS,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as dask,
    ):
        cap = workers * THREADS
        dask.run(importlib.import_module, "dicomkit_dask._work")  # imports are not the executor
        with UploadJob.create(scratch / f"up-{workers}.job", [folder]) as job:
            began = time.perf_counter()
            up = run_job(job, config, dask, max_requests=cap, task_size=TASK_SIZE)
            upload = time.perf_counter() - began
        assert up.ok, up
        study = config.client().search_for_studies()[0]["0020000D"]["Value"][0]
        out = scratch / f"out-{workers}"
        with DownloadJob.create(scratch / f"down-{workers}.job", [study], out) as job:
            began = time.perf_counter()
            down = run_job(job, config, dask, max_requests=cap, task_size=TASK_SIZE)
            download = time.perf_counter() - began
        assert down.ok, down
    return {"upload_s": upload, "download_s": download}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--instances", type=int, default=None)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    instances = args.instances or (60 if args.quick else 200)

    from dicomkit_server import ReferenceServer

    from dicomkit.testing.data import make_study, write_instances

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        write_instances(
            folder, make_study(instances, n_series=instances // TASK_SIZE, pixel_bytes=2_000)
        )
        server = ReferenceServer()
        server.start()
        try:
            for delay in (args.delay, 0.0):
                server.faults.clear()
                if delay:
                    server.faults.add("", delay=delay, times=None)
                for workers in counts:
                    scratch = Path(tempfile.mkdtemp(dir=tmp))
                    times = _case(server, workers, folder, scratch)
                    rows.append({"delay": delay, "workers": workers, **times})
                    print(_line(rows[-1], instances, rows), flush=True)
        finally:
            server.close()
    RESULTS.mkdir(exist_ok=True)
    name = "dask-quick.json" if args.quick else "dask.json"
    meta = {"instances": instances, "threads_per_worker": THREADS, "task_size": TASK_SIZE}
    meta |= {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    (RESULTS / name).write_text(json.dumps({**meta, "rows": rows}, indent=2) + "\n")
    return 0


def _line(row: dict[str, Any], instances: int, rows: list[dict[str, Any]]) -> str:
    one = next(r for r in rows if r["delay"] == row["delay"] and r["workers"] == rows[0]["workers"])
    up, down = instances / row["upload_s"], instances / row["download_s"]
    up_one, down_one = instances / one["upload_s"], instances / one["download_s"]
    return (
        f"delay {row['delay']:.3f} s  workers {row['workers']}:  upload {up:6.1f} inst/s"
        f" (x{up / up_one:.2f})  download {down:6.1f} inst/s (x{down / down_one:.2f})"
    )


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
