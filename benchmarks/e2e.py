"""End-to-end speed and memory of dicomkit against dicomweb-client and curl, on two servers.

Generates its data set (never committed), starts the reference server (as a separate process)
and Orthanc (when installed, inside the private network namespace the nox session provides),
runs every case in its own process (``benchmarks._e2e_cases``) and reports the median time and
the peak RSS of that process, with the ratio each target of issue 7 is judged on.

Runs are interleaved: run 1 of every case of a group, then run 2 in another order, and so on
(benchmarks/_order.py: every case follows every other as often), so that a burst of load on a
shared machine hits every case of a comparison alike.

``python -m benchmarks e2e`` (full: 500 and 1,000 instances of 525 KB, 3 runs, 5 for QIDO) or
``python -m benchmarks e2e --quick`` (40 and 80 instances, 1 run; a smoke run for CI whose
ratios mean little).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._e2e_data import DataSet, make_dataset, prebuild_bodies
from benchmarks._machine import describe, load_average, machine
from benchmarks._order import in_turns

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
UPLOAD_WORKERS = 4
QIDO_INSTANCES = 4


@dataclass
class Spec:
    """One case to run: its row label, the case name in _e2e_cases and its options."""

    label: str
    case: str
    options: dict[str, Any]
    before: Callable[[], None] | None = None


@dataclass
class Result:
    seconds: float
    rss_mib: float
    figures: dict[str, Any]


@dataclass
class Row:
    work: str
    case: str
    seconds: float
    rss_mib: float
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def reference_server(root: Path) -> Iterator[tuple[str, Any]]:
    """``dicomkit serve`` in its own process: the client's CPU time is not the server's."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dicomkit.cli", "serve", "--root", str(root), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the reference server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", None
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def orthanc_server(root: Path) -> Iterator[tuple[str, Any]]:
    from dicomkit_server.orthanc import OrthancServer

    with OrthancServer(root) as server:
        yield server.url, server


def _run_one(case: str, options: dict[str, Any]) -> Result:
    argv = [sys.executable, "-m", "benchmarks._e2e_cases", case]
    for key, value in options.items():
        argv += [f"--{key}", str(value)]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT.parent)
    if done.returncode != 0:
        raise RuntimeError(f"{case} failed: {done.stderr[-2000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Result(figures["seconds"], figures["max_rss_mib"], figures)


def run_interleaved(specs: list[Spec], runs: int) -> dict[str, Result]:
    """Median seconds and largest peak RSS of each spec, its runs interleaved with the others'."""
    seen: dict[str, list[Result]] = {spec.label: [] for spec in specs}
    for spec in in_turns(specs, runs):
        if spec.before is not None:
            spec.before()
        seen[spec.label].append(_run_one(spec.case, spec.options))
    return {
        label: Result(
            statistics.median(r.seconds for r in results),
            max(r.rss_mib for r in results),
            {
                **results[-1].figures,
                "runs_s": [round(r.seconds, 4) for r in results],
                "paired_ratios": [r.figures.get("paired_ratio") for r in results],
            },
        )
        for label, results in seen.items()
    }


def _transports() -> tuple[list[str], list[str]]:
    from dicomkit.core.interface import AsyncTransport, Transport
    from dicomkit.transports import registry

    sync_names, async_names = [], []
    for name in registry.available():
        cls = registry.get(name)
        if issubclass(cls, Transport):
            sync_names.append(name)
        if issubclass(cls, AsyncTransport):
            async_names.append(name)
    return sync_names, async_names


class Server:
    """The server under test, emptied and filled between groups of cases."""

    def __init__(self, url: str, orthanc: Any) -> None:
        self.url = url
        self.orthanc = orthanc
        self.studies: set[str] = set()

    def clear(self) -> None:
        if self.orthanc is not None:
            self.orthanc.reset()
        else:
            from dicomkit import DicomClient, NotFoundError

            with DicomClient(self.url) as client:
                for study in self.studies:
                    with contextlib.suppress(NotFoundError):
                        client.delete_study(study)
        self.studies.clear()

    def load(self, data: DataSet) -> None:
        from dicomkit import DicomClient

        self.clear()
        with DicomClient(self.url, transport="urllib3") as client:
            report = client.upload_dicom_folder(data.folder)
        if len(report.stored) != data.count:
            raise SystemExit(f"loading the data set failed: {report}")
        self.studies.add(data.study)

    def warm(self, data: DataSet) -> None:
        """Fetch the study once, unmeasured, so no case pays for the server's cold cache."""
        _run_one("curl_download", {"url": self.url, "study": data.study, "out": os.devnull})


def _ratio_row(
    work: str, label: str, r: Result, base: float, target: str, ok: bool, **extra: Any
) -> Row:
    figures = {**r.figures, **extra}
    return Row(work, label, r.seconds, r.rss_mib, r.seconds / base, target, ok, figures)


def _base_row(work: str, label: str, r: Result, rss: bool = True) -> Row:
    return Row(work, label, r.seconds, r.rss_mib if rss else 0, extra=dict(r.figures))


def bench_retrieve(server: Server, small: DataSet, runs: int, sync_names: list[str]) -> list[Row]:
    work = "retrieve study -> Datasets"
    study_mib = small.size / 2**20
    opts = {"url": server.url, "study": small.study}
    specs = [Spec("dwc", "dwc_retrieve", opts)] + [
        Spec(t, "dicomkit_retrieve", {**opts, "transport": t}) for t in sync_names
    ]
    got = run_interleaved(specs, runs)
    base = got["dwc"].seconds
    rows = [_base_row(work, "dicomweb-client", got["dwc"])]
    for t in sync_names:
        r = got[t]
        ok = r.seconds <= 0.5 * base and r.rss_mib <= 1.5 * study_mib
        target = f"<=0.5x dwc; RSS<=1.5x study ({1.5 * study_mib:.0f} MiB)"
        rows.append(_ratio_row(work, f"dicomkit[{t}]", r, base, target, ok))
    return rows


def bench_download(
    server: Server, small: DataSet, large: DataSet, runs: int, sync_names: list[str], work_dir: Path
) -> list[Row]:
    work = "download study to folder"
    opts = {"url": server.url, "study": small.study}

    def fresh(path: Path) -> Callable[[], None]:
        return lambda: shutil.rmtree(path, ignore_errors=True)

    curl_out = work_dir / "curl.body"
    specs = [Spec("curl", "curl_download", {**opts, "out": curl_out}, fresh(curl_out))]
    for t in sync_names:
        out = work_dir / f"dl-{t}"
        specs.append(Spec(t, "dicomkit_download", {**opts, "out": out, "transport": t}, fresh(out)))
    got = run_interleaved(specs, runs)
    base = got["curl"].seconds
    rows = [_base_row(work, "curl -o file", got["curl"])]
    for t in sync_names:
        r = got[t]
        ok = r.seconds <= 1.25 * base and r.rss_mib <= 100
        rows.append(_ratio_row(work, f"dicomkit[{t}]", r, base, "<=1.25x curl; RSS<=100 MiB", ok))

    server.load(large)
    flat_work = f"download {large.count} vs {small.count} instances"
    large_specs = []
    for t in sync_names:
        out = work_dir / f"dl-large-{t}"
        large_opts = {"url": server.url, "study": large.study, "out": out, "transport": t}
        large_specs.append(Spec(t, "dicomkit_download", large_opts, fresh(out)))
    large_got = run_interleaved(large_specs, 1)
    for t in sync_names:
        r, growth = large_got[t], large_got[t].rss_mib - got[t].rss_mib
        rows.append(
            Row(
                flat_work,
                f"dicomkit[{t}]",
                r.seconds,
                r.rss_mib,
                growth,
                "RSS growth <=10 MiB (ratio column: MiB)",
                abs(growth) <= 10 and r.rss_mib <= 100,
                dict(r.figures),
            )
        )
    for path in work_dir.glob("dl-*"):
        shutil.rmtree(path, ignore_errors=True)
    return rows


def bench_store(
    server: Server, small: DataSet, runs: int, sync_names: list[str], work_dir: Path
) -> list[Row]:
    work = f"store {small.count} instances"
    bodies = prebuild_bodies(small, work_dir / "bodies", batch=50)
    folder = {"url": server.url, "folder": small.folder}

    def emptied() -> None:
        server.clear()
        server.studies.add(small.study)

    specs = [
        Spec("dwc", "dwc_store", {**folder, "batch": 50}, emptied),
        Spec("curl", "curl_parallel_post", {**folder, "folder": bodies, "workers": 4}, emptied),
    ] + [
        Spec(t, "dicomkit_upload", {**folder, "transport": t, "workers": UPLOAD_WORKERS}, emptied)
        for t in sync_names
    ]
    got = run_interleaved(specs, runs)
    server.clear()
    dwc, curl = got["dwc"].seconds, got["curl"].seconds
    rows = [
        _base_row(work, "dicomweb-client, sequential batches of 50", got["dwc"]),
        _base_row(work, "curl x4 parallel posts of prebuilt bodies", got["curl"], rss=False),
    ]
    for t in sync_names:
        r = got[t]
        ok = r.seconds <= 0.6 * dwc and r.seconds <= 1.15 * curl
        options = ",".join(r.figures.get("options", [])) or "defaults"
        rows.append(
            _ratio_row(
                work,
                f"dicomkit[{t}] upload_dicom_folder ({options})",
                r,
                dwc,
                f"<=0.6x dwc; <=1.15x curl (x{r.seconds / curl:.2f})",
                ok,
                vs_curl=r.seconds / curl,
            )
        )
    return rows


def bench_series(server: Server, small: DataSet, runs: int, async_names: list[str]) -> list[Row]:
    work = f"{len(small.series)} concurrent series"
    opts = {"url": server.url, "study": small.study, "series": ",".join(small.series)}
    specs = [Spec("curl", "curl_series", opts)]
    for t in async_names:
        specs.append(Spec(f"{t}-datasets", "async_series", {**opts, "transport": t}))
        specs.append(Spec(f"{t}-parts", "async_series_parts", {**opts, "transport": t}))
    got = run_interleaved(specs, runs)
    base = got["curl"]
    rows = [_base_row(work, f"curl x{len(small.series)} to /dev/null", base, rss=False)]
    for t in async_names:
        for kind, what in (("datasets", "retrieve_series -> Datasets"), ("parts", "iter_parts")):
            r = got[f"{t}-{kind}"]
            throughput = base.seconds / r.seconds
            row = _ratio_row(
                work,
                f"dicomkit async[{t}] {what}",
                r,
                r.seconds,
                ">=0.9x curl throughput (ratio column: throughput)",
                throughput >= 0.9,
            )
            row.ratio = throughput
            rows.append(row)
    return rows


def bench_qido(
    server: Server, tiny: DataSet, runs: int, n: int, sync_names: list[str]
) -> list[Row]:
    """Each backend's searches against a raw urllib3 loop run in the same process (paired)."""
    work = f"{n} small QIDO searches"
    server.load(tiny)
    opts = {"url": server.url, "n": n, "patient": tiny.patient}
    specs = [Spec(t, "dicomkit_qido", {**opts, "transport": t}) for t in sync_names]
    got = run_interleaved(specs, max(runs, 5) if runs > 1 else runs)
    raw_s = statistics.median(got[t].figures["raw_seconds"] for t in sync_names)
    rows = [Row(work, "raw urllib3 loop (paired blocks)", raw_s, 0)]
    for t in sync_names:
        r = got[t]
        ratio = statistics.median(r.figures["paired_ratios"])
        row = _ratio_row(
            work,
            f"dicomkit[{t}]",
            r,
            r.seconds,
            "<=1.25x raw urllib3 per request (paired)",
            ratio <= 1.25,
        )
        row.ratio = ratio
        rows.append(row)
    return rows


def bench_server(
    name: str, url: str, orthanc: Any, sets: dict[str, DataSet], opts: Any
) -> list[Row]:
    runs, small = opts.runs, sets["small"]
    sync_names, async_names = _transports()
    server = Server(url, orthanc)
    rows: list[Row] = []
    work_dir = Path(tempfile.mkdtemp(prefix="dicomkit-bench-"))
    try:
        server.load(small)
        server.warm(small)
        rows += bench_retrieve(server, small, runs, sync_names)
        rows += bench_series(server, small, runs, async_names)
        rows += bench_download(server, small, sets["large"], runs, sync_names, work_dir)
        rows += bench_store(server, small, runs, sync_names, work_dir)
        rows += bench_qido(server, sets["tiny"], runs, opts.qido, sync_names)
        server.clear()
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    for row in rows:
        row.extra["server"] = name
    return rows


def print_table(server: str, rows: list[Row]) -> None:
    print(f"\n### {server}\n")
    print("| work | client | median s | peak RSS MiB | ratio | target | met |")
    print("|---|---|---:|---:|---:|---|---|")
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}"
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        rss = f"{r.rss_mib:.0f}" if r.rss_mib else ""
        print(f"| {r.work} | {r.case} | {r.seconds:.3f} | {rss} | {ratio} | {r.target} | {met} |")


def _orthanc_usable() -> bool:
    try:
        from dicomkit_server.orthanc import namespace_refusal, orthanc_available
    except ImportError:
        return False
    return bool(orthanc_available()) and namespace_refusal() is None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small CI-sized smoke run")
    parser.add_argument("--servers", default="reference,orthanc")
    parser.add_argument("--runs", type=int, default=None, help="runs per case (default 3; 1 quick)")
    opts = parser.parse_args(argv)
    opts.runs = opts.runs or (1 if opts.quick else 3)
    opts.qido = 100 if opts.quick else 1000
    small_n, large_n = (40, 80) if opts.quick else (500, 1000)

    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="dicomkit-bench-data-"))
    results: dict[str, Any] = {"quick": opts.quick, "runs": opts.runs, "machine": machine()}
    results["servers"] = {}
    try:
        sets = {
            "small": make_dataset(scratch / "small", small_n),
            "large": make_dataset(scratch / "large", large_n),
            "tiny": make_dataset(scratch / "tiny", QIDO_INSTANCES, patient="QIDO"),
        }
        print(describe())
        print(
            f"data: {small_n} instances = {sets['small'].size / 1e6:.1f} MB; "
            f"{large_n} instances = {sets['large'].size / 1e6:.1f} MB; {opts.runs} run(s) per case"
        )
        for server in opts.servers.split(","):
            if server == "orthanc" and not _orthanc_usable():
                print(
                    "\n### orthanc\n\nskipped: Orthanc is not installed or not in a private "
                    "network namespace (run `nox -s bench` as root)"
                )
                continue
            starter = orthanc_server if server == "orthanc" else reference_server
            with starter(scratch / f"{server}-root") as (url, handle):
                rows = bench_server(server, url, handle, sets, opts)
            print_table(server, rows)
            print(f"load average after {server}: {load_average()}")
            results["servers"][server] = [asdict(row) for row in rows]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    results["seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("e2e-quick.json" if opts.quick else "e2e.json")
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nraw figures: {out} ({results['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
