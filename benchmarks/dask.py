"""Jobs on a Dask LocalCluster of 1, 2, 4 and 8 worker processes (issue 17).

``python -m benchmarks.dask [--quick] [--workers 1,2,4,8] [--delays 0.2,0.05,0]
[--instances N] [--threads T] [--rounds R] [--profile]``

The reference server runs in a process of its own (a ``spawn`` child, 127.0.0.1), so that
neither its event loop nor its CPU shares the submitter's GIL; it answers every request
``delay`` seconds late (standing for a distant service). Each worker process has ``--threads``
threads and the cluster's request cap is workers x threads, so the cap never holds back a
thread: what is measured is the executor. Tasks are 10 instances (one STOW-RS request, or one
series request: the study has series of 10; the submitter's one QIDO-RS listing of the
study is done before the clock starts, and each worker has made one request, so that imports
are not timed), and ``--instances`` is a multiple of 80 so that
1, 2, 4 and 8 workers all get whole waves of tasks. Per case: one cluster, then for each delay
an upload to an emptied server and a download of it. Rounds run the worker counts in
alternating order, so load changes hit every count alike; the figure is the median.

Besides wall time, the CPU seconds of the submitter's main thread, of its event-loop thread
(where a LocalCluster runs its scheduler), of the workers and of the server are read around
each transfer: per 100 instances, they say which process a saturation comes
from. ``--profile`` adds a cProfile of the submitter for the largest cluster at the first
delay. Raw figures go to benchmarks/results/dask.json (dask-quick.json), not committed.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import json
import multiprocessing
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks._machine import describe, machine

RESULTS = Path(__file__).parent / "results"
TASK_SIZE = 10
PROCESSES = ("main", "loop", "workers", "server")


def _serve(conn: Connection) -> None:
    """The server process: answers ("reset", delay), ("cpu",) and ("stop",) on ``conn``."""
    from dicomkit_server import ReferenceServer

    server = ReferenceServer()
    conn.send(server.start())
    try:
        while True:
            command = conn.recv()
            if command[0] == "stop":
                break
            if command[0] == "reset":
                server.reset()
                if command[1]:
                    server.faults.add("", delay=command[1], times=None)
                conn.send(None)
            elif command[0] == "cpu":
                conn.send(time.process_time())
    finally:
        server.close()


class _Server:
    """The handle on the server process."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        self.url: str = self.conn.recv()

    def call(self, *command: Any) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def close(self) -> None:
        self.conn.send(("stop",))
        self.process.join(10)


def _cpu(dask: Any, server: _Server) -> dict[str, float]:
    """CPU seconds used so far: the submitter's main thread (``run_job``: the journal,
    submitting), its event-loop thread (a LocalCluster's scheduler runs there, with the Dask
    client's messaging), the worker processes and the server process."""
    return {
        "main": time.thread_time(),
        "loop": dask.run_on_scheduler(time.thread_time),
        "workers": sum(dask.run(time.process_time).values()),
        "server": server.call("cpu"),
    }


def _measured(
    dask: Any, server: _Server, run: Callable[[], Any], profile: cProfile.Profile | None
) -> dict[str, Any]:
    before = _cpu(dask, server)
    began = time.perf_counter()
    if profile is not None:
        profile.enable()
    report = run()
    if profile is not None:
        profile.disable()
    wall = time.perf_counter() - began
    after = _cpu(dask, server)
    assert report.ok, report
    return {"wall_s": wall, "cpu_s": {name: after[name] - before[name] for name in PROCESSES}}


def _warm(url: str) -> None:
    """On a worker: what a task's first run loads (the client and its transport; the job code
    came with ``dicomkit_dask._work``), so that the clock measures tasks, not imports."""
    from dicomkit import ClientConfig

    with ClientConfig(url).client() as client:
        client.search_for_studies()


@contextmanager
def _cluster(workers: int, threads: int, server: _Server, saturation: str) -> Iterator[Any]:
    import dask.config
    from distributed import Client, LocalCluster

    with (
        dask.config.set({"distributed.scheduler.worker-saturation": float(saturation)}),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as dask,
    ):
        dask.run(importlib.import_module, "dicomkit_dask._work")  # imports are not the executor
        server.call("reset", 0.0)
        dask.run(_warm, server.url)
        yield dask


def _case(
    server: _Server,
    dask: Any,
    cap: int,
    delay: float,
    folder: Path,
    scratch: Path,
    profile: cProfile.Profile | None,
) -> dict[str, Any]:
    from dicomkit_dask import run_job

    from dicomkit import ClientConfig
    from dicomkit.jobs import DownloadJob, UploadJob

    config = ClientConfig(server.url)
    server.call("reset", delay)
    with UploadJob.create(scratch / "up.job", [folder]) as up:
        upload = _measured(
            dask, server, lambda: run_job(up, config, dask, max_requests=cap), profile
        )
    with config.client() as client:
        study = client.search_for_studies()[0]["0020000D"]["Value"][0]
    with DownloadJob.create(scratch / "down.job", [study], scratch / "out") as down:
        with config.client() as client:
            down.list_targets(client)  # one QIDO-RS request by the submitter: not the executor
        download = _measured(
            dask, server, lambda: run_job(down, config, dask, max_requests=cap), profile
        )
    return {"upload": upload, "download": download}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", default=None, help="worker process counts (1,2,4,8)")
    parser.add_argument("--delays", default=None, help="seconds added to every answer")
    parser.add_argument("--instances", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2, help="threads per worker process")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--profile", action="store_true", help="cProfile the submitter")
    parser.add_argument(
        "--saturation",
        default="1.0",
        help="the scheduler's worker-saturation; several (1.0,1.1) alternate per cluster",
    )
    args, _ = parser.parse_known_args(argv)  # options of other benchmarks pass through
    counts = [int(n) for n in (args.workers or ("1,2" if args.quick else "1,2,4,8")).split(",")]
    delays = [
        float(d) for d in (args.delays or ("0.2" if args.quick else "1,0.2,0.05,0")).split(",")
    ]
    instances = args.instances or (80 if args.quick else 320)
    rounds = args.rounds or (1 if args.quick else 2)
    print(describe(), flush=True)

    from dicomkit.testing.data import make_study, write_instances

    rows: list[dict[str, Any]] = []
    profile_text = ""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        study = make_study(instances, n_series=instances // TASK_SIZE, pixel_bytes=2_000)
        write_instances(folder, study)
        server = _Server()
        try:
            for number in range(rounds):
                order = counts if number % 2 == 0 else counts[::-1]
                cases = [(w, s) for w in order for s in args.saturation.split(",")]
                for workers, saturation in cases:
                    with _cluster(workers, args.threads, server, saturation) as dask:
                        for delay in delays:
                            profiled = args.profile and number == 0 and workers == max(counts)
                            profile = (
                                cProfile.Profile() if profiled and delay == delays[0] else None
                            )
                            scratch = Path(tempfile.mkdtemp(dir=tmp))
                            case = _case(
                                server,
                                dask,
                                workers * args.threads,
                                delay,
                                folder,
                                scratch,
                                profile,
                            )
                            rows.append({"round": number, "delay": delay, "workers": workers})
                            rows[-1]["saturation"] = saturation
                            rows[-1] |= case | {"load": os.getloadavg()[0]}
                            print(_line(rows[-1], instances), flush=True)
                            if profile is not None:
                                profile_text = _top(profile)
        finally:
            server.close()
    summary = _summary(rows, instances)
    print(summary)
    if profile_text:
        print(profile_text)
    RESULTS.mkdir(exist_ok=True)
    name = "dask-quick.json" if args.quick else "dask.json"
    meta = {"instances": instances, "threads_per_worker": args.threads, "task_size": TASK_SIZE}
    meta |= {"machine": machine()}
    (RESULTS / name).write_text(json.dumps({**meta, "rows": rows}, indent=2) + "\n")
    return 0


def _line(row: dict[str, Any], instances: int) -> str:
    parts = [
        f"round {row['round']} saturation {row['saturation']} delay {row['delay']:.3f} s"
        f" workers {row['workers']}:"
    ]
    for way in ("upload", "download"):
        rate = instances / row[way]["wall_s"]
        cpu = row[way]["cpu_s"]
        per = " ".join(f"{name[:4]} {cpu[name] * 100 / instances:.2f}" for name in PROCESSES)
        parts.append(f"{way} {rate:6.1f} inst/s (CPU s/100: {per})")
    return "  ".join(parts) + f"  load {row['load']:.2f}"


def _summary(rows: list[dict[str, Any]], instances: int) -> str:
    """The median of the rounds, per saturation, delay and worker count, with the ratio to
    the smallest cluster's."""
    lines = [
        "| saturation | delay | workers | upload inst/s | x one | download inst/s | x one |"
        " CPU s per 100, up (main/loop/wrk/srv) | down | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    counts = sorted({row["workers"] for row in rows})
    groups = sorted({(r["saturation"], r["delay"]) for r in rows}, key=lambda g: (g[0], -g[1]))

    def picked(group: tuple[str, float], workers: int) -> list[dict[str, Any]]:
        return [
            r for r in rows if (r["saturation"], r["delay"]) == group and r["workers"] == workers
        ]

    def rate(group: tuple[str, float], workers: int, way: str) -> float:
        return instances / statistics.median(r[way]["wall_s"] for r in picked(group, workers))

    def cpu(group: tuple[str, float], workers: int, way: str) -> str:
        chosen = picked(group, workers)
        medians = [statistics.median(r[way]["cpu_s"][name] for r in chosen) for name in PROCESSES]
        return "/".join(f"{seconds * 100 / instances:.2f}" for seconds in medians)

    for group in groups:
        for workers in counts:
            up, down = rate(group, workers, "upload"), rate(group, workers, "download")
            up_one = rate(group, counts[0], "upload")
            down_one = rate(group, counts[0], "download")
            load = statistics.median(r["load"] for r in picked(group, workers))
            lines.append(
                f"| {group[0]} | {group[1] * 1000:.0f} ms | {workers} | {up:.0f}"
                f" | {up / up_one:.2f} | {down:.0f} | {down / down_one:.2f}"
                f" | {cpu(group, workers, 'upload')} | {cpu(group, workers, 'download')}"
                f" | {load:.1f} |"
            )
    return "\n".join(lines)


def _top(profile: cProfile.Profile) -> str:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(15)
    return "submitter profile (upload then download, largest cluster, first delay):\n" + (
        out.getvalue()
    )


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
