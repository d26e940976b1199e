"""The ``dicomkit`` command against dicomweb-client and curl, as whole processes (issue 11).

``python -m benchmarks cli [--quick] [--runs N] [--server orthanc|reference]
[--only cold|transfers|upload|download] [--base SRC] [--download-workers 1,2,4,8]
[--same-folder]``

- cold start: ``dicomkit --help`` vs ``dicomweb_client --help``, and
  ``python -c "import dicomkit; dicomkit.DicomClient(url)"`` vs the same with
  ``dicomweb_client.DICOMwebClient(url)``; the cases alternate in one run, so both sides see
  the same machine load. Each figure is the median wall time and the median CPU time (user +
  system of the child): on a shared machine the CPU time is the steadier of the two.
- against Orthanc (the reference server when Orthanc cannot run here), with the 500 x 525 KB
  study of benchmarks/_e2e_data.py: ``dicomkit download`` vs ``curl`` fetching the study to one
  file, and ``dicomkit upload`` of the folder vs dicomweb-client's ``store instances`` command
  and its ``store_instances`` in batches of 50 from Python. The least a Python process can do
  for the same files (benchmarks/_download_floor.py) runs beside curl: what is left between
  dicomkit and curl that any Python program would pay. ``dicomkit download --durable`` (every
  file fsynced) runs after them, apart, to show what durability costs.
- ``--base SRC``: also ``dicomkit download`` from another source tree (a folder holding a
  ``dicomkit/`` package, such as ``git archive main dicomkit | tar -x -C SRC``) put first on
  ``PYTHONPATH``, interleaved with the rest: before and after in one run.
- ``--download-workers 1,2,4,8``: also ``dicomkit download --workers N`` for each N.

The CPU model and the load average (before and after) are printed with the figures.

Prints a table; raw figures go to benchmarks/results/cli.json (cli-quick.json for --quick).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks._e2e_data import DataSet, make_dataset
from benchmarks._machine import cpu_model, describe, load_average
from benchmarks._order import in_turns

RESULTS = Path(__file__).parent / "results"
ACCEPT_STUDY = 'multipart/related; type="application/dicom"; transfer-syntax=*'
BIN = Path(sys.executable).parent
UNUSED_URL = "http://127.0.0.1:9/dicom-web"
FLOOR = Path(__file__).parent / "_download_floor.py"

_ENVIRON = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""The children may write bytecode, as an installed wheel has it: without .pyc files every
start would compile dicomkit's sources again (dicomweb-client's were compiled by pip)."""

_PY_STORE_50 = """
import sys
from pathlib import Path
import pydicom
from dicomweb_client import DICOMwebClient
client = DICOMwebClient(sys.argv[1])
files = sorted(Path(sys.argv[2]).glob("*.dcm"))
for first in range(0, len(files), 50):
    client.store_instances([pydicom.dcmread(p) for p in files[first:first + 50]])
"""


@dataclass
class Case:
    """One command measured several times; ``before`` runs unmeasured before each run."""

    name: str
    argv: list[str]
    before: Callable[[], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    def run_once(self) -> None:
        if self.before is not None:
            self.before()
        usage = os.times()
        start = time.perf_counter()
        done = subprocess.run(
            self.argv,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**_ENVIRON, **self.env},
            check=False,
        )
        wall = time.perf_counter() - start
        after = os.times()
        if done.returncode != 0:
            raise SystemExit(f"{self.name} failed ({done.returncode}): {done.stderr[-2000:]!r}")
        self.walls.append(wall)
        self.cpus.append(
            after.children_user
            - usage.children_user
            + after.children_system
            - usage.children_system
        )

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    def figures(self) -> dict[str, Any]:
        return {
            "wall_median_s": round(self.wall, 4),
            "wall_min_s": round(min(self.walls), 4),
            "cpu_median_s": round(self.cpu, 4),
            "runs": len(self.walls),
            "walls": [round(w, 4) for w in self.walls],
            "cpus": [round(c, 4) for c in self.cpus],
        }


def interleaved(cases: list[Case], runs: int) -> None:
    """Run every case ``runs`` times, taking turns so that load changes hit all alike, in
    orders where every case follows every other as often (benchmarks/_order.py: a run depends
    on the one before it; with one rotated order ``dicomkit download`` followed curl in three
    rounds of four, and ``--base`` runs put the same code 0.4-0.5 s apart)."""
    for case in in_turns(cases, runs):
        case.run_once()


def cold_start(runs: int) -> list[Case]:
    python = sys.executable
    cases = [
        Case("dicomkit --help", [str(BIN / "dicomkit"), "--help"]),
        Case("dicomweb_client --help", [str(BIN / "dicomweb_client"), "--help"]),
        Case(
            "import dicomkit; DicomClient(url)",
            [python, "-c", f"import dicomkit; dicomkit.DicomClient({UNUSED_URL!r})"],
        ),
        Case(
            "import dicomweb_client; DICOMwebClient(url)",
            [
                python,
                "-c",
                f"import dicomweb_client; dicomweb_client.DICOMwebClient({UNUSED_URL!r})",
            ],
        ),
    ]
    for case in cases:  # compile the bytecode first: a cold start is not a first install
        case.run_once()
        case.walls.clear()
        case.cpus.clear()
    interleaved(cases, runs)
    return cases


@contextlib.contextmanager
def server(kind: str, root: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """The server's DICOMweb root and a function that empties it."""
    if kind == "orthanc":
        from dicomkit_server.orthanc import OrthancServer

        with OrthancServer(root) as orthanc:
            yield orthanc.url, orthanc.reset
        return
    from dicomkit_server import ReferenceServer

    reference = ReferenceServer(root)
    with reference as url:
        yield str(url), reference.reset


def _orthanc_usable() -> bool:
    try:
        from dicomkit_server.orthanc import namespace_refusal, orthanc_available
    except ImportError:
        return False
    return bool(orthanc_available()) and namespace_refusal() is None


def transfers(
    kind: str,
    data: DataSet,
    scratch: Path,
    runs: int,
    which: str | None = None,
    base: Path | None = None,
    workers: tuple[int, ...] = (),
    same_folder: bool = False,
) -> dict[str, Case]:
    """The upload and download cases (``which``: "upload" or "download" for one group;
    ``base``: a source tree whose download runs too; ``workers``: download concurrencies;
    ``same_folder``: every run in one folder emptied between runs, see :class:`_FreshFolders`)."""
    dicomkit = str(BIN / "dicomkit")
    out = scratch / "out"
    jobs = scratch / "jobs"
    env = {"DICOMKIT_JOBS_DIR": str(jobs)}
    files = [str(p) for p in sorted(data.folder.glob("*.dcm"))]
    with server(kind, scratch / "server") as (url, reset):

        def empty() -> None:
            reset()
            shutil.rmtree(jobs, ignore_errors=True)

        fresh_out = _FreshFolders(scratch, out, jobs, same_folder)

        uploads = [
            Case(
                "dicomkit upload",
                [dicomkit, "upload", str(data.folder), "--url", url, "--quiet"],
                empty,
                env,
            ),
            Case(
                "dicomweb_client store instances",
                [str(BIN / "dicomweb_client"), "--url", url, "store", "instances", *files],
                empty,
            ),
            Case(
                "dicomweb-client store_instances x50 (Python)",
                [sys.executable, "-c", _PY_STORE_50, url, str(data.folder)],
                empty,
            ),
        ]
        if which != "download":
            interleaved(uploads, runs)
        empty()
        subprocess.run(
            [dicomkit, "upload", str(data.folder), "--url", url, "--quiet"],
            env={**os.environ, **env},
            check=True,
        )
        target = f"{url.rstrip('/')}/studies/{data.study}"
        command = [dicomkit, "download", data.study, "--out", str(out), "--url", url, "--quiet"]
        downloads = [
            Case(
                "curl (study to one file)",
                [
                    "curl",
                    "-sSf",
                    "-H",
                    f"Accept: {ACCEPT_STUDY}",
                    "-o",
                    str(out / "study.bin"),
                    target,
                ],
                fresh_out,
            ),
            Case("dicomkit download", command, fresh_out, env),
            Case(
                "python floor (benchmarks/_download_floor.py)",
                [sys.executable, str(FLOOR), url, data.study, str(out)],
                fresh_out,
            ),
        ]
        durable = Case("dicomkit download --durable", [*command, "--durable"], fresh_out, env)
        if base is not None:
            based = {**env, "PYTHONPATH": str(base)}
            downloads.append(Case("dicomkit download (base)", command, fresh_out, based))
        for count in workers:
            name = f"dicomkit download --workers {count}"
            downloads.append(Case(name, [*command, "--workers", str(count)], fresh_out, env))
        if which != "upload":
            downloads[0].run_once()  # warm the server's cache, unmeasured
            downloads[0].walls.clear()
            downloads[0].cpus.clear()
            interleaved(downloads, runs)
            # apart: its fsyncs kept the disk busy into the runs after it (dicomkit download
            # took 0.42 s instead of 0.35 s, curl 0.27 s instead of 0.25 s, interleaved with it)
            interleaved([durable], runs)
            downloads.append(durable)
    return {case.name: case for case in uploads + downloads if case.walls}


class _FreshFolders:
    """Before each download run: the last run's files deleted, and ``out`` made a link to a
    new, empty folder.

    Why a new folder, not the same one emptied: this machine's root file system is ext4
    without a journal, and there creating a file skips every inode freed in the last minutes
    (fs/ext4/ialloc.c, ``recently_deleted``), reading each one's inode block. Emptying one
    folder between runs freed 500 inodes per run in the block group the next run creates its
    files in, so every later file creation scanned them all: 59% of a minimal Python writer's
    CPU in ``perf``, growing with each run, paid by a command that writes 500 files and not by
    curl writing one. No user downloading into a folder pays it. The new folders live under a
    parent marked ``chattr +T`` (ext4's "top of a directory hierarchy"), so ext4 spreads them
    over block groups; the deletes still happen before each run, so every run writes into
    freed, reused memory as before. Where ``chattr`` fails (another file system), the
    folders are simply new. ``--same-folder`` measures the old way. Then ``sync``, so that no
    run starts with another's data (or the server's) still on its way to the disk.
    """

    def __init__(self, scratch: Path, out: Path, jobs: Path, same_folder: bool) -> None:
        self.parent = scratch / "runs"
        self.parent.mkdir()
        self.out = out
        self.jobs = jobs
        self.same_folder = same_folder
        self.count = 0
        subprocess.run(["chattr", "+T", str(self.parent)], capture_output=True, check=False)

    def __call__(self) -> None:
        shutil.rmtree(self.jobs, ignore_errors=True)
        if self.same_folder:
            shutil.rmtree(self.out, ignore_errors=True)
            self.out.mkdir()
            return
        for old in self.parent.iterdir():
            shutil.rmtree(old, ignore_errors=True)
        self.count += 1
        fresh = self.parent / f"run-{self.count}-{os.urandom(4).hex()}"
        fresh.mkdir()
        self.out.unlink(missing_ok=True)
        self.out.symlink_to(fresh, target_is_directory=True)
        os.sync()  # every run starts with nothing waiting for the disk (the upload's files)


def _row(case: Case, base: Case | None, target: float | None) -> str:
    ratio = f"{case.wall / base.wall:.2f}x" if base is not None else ""
    verdict = ""
    if base is not None and target is not None:
        verdict = "yes" if case.wall / base.wall <= target else "NO"
    cpu_ratio = f"{case.cpu / base.cpu:.2f}x" if base is not None and base.cpu else ""
    against = base.name if base is not None else ""
    return (
        f"| {case.name} | {case.wall:.3f} s | {case.cpu:.3f} s | {against} | {ratio} |"
        f" {cpu_ratio} | {verdict} |"
    )


def report(title: str, rows: list[tuple[Case, Case | None, float | None]]) -> None:
    print(f"\n### {title}\n")
    print(
        "| command | wall (median) | CPU (median) | base | wall / base | CPU / base | in target |"
    )
    print("|---|---|---|---|---|---|---|")
    for case, base, target in rows:
        print(_row(case, base, target))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="40 instances, 2 runs")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--server", choices=("orthanc", "reference"), default=None)
    parser.add_argument("--instances", type=int, default=None)
    parser.add_argument("--only", choices=("cold", "transfers", "upload", "download"), default=None)
    parser.add_argument("--base", type=Path, default=None, help="source tree to compare with")
    parser.add_argument(
        "--download-workers", default="", help="comma-separated download concurrencies"
    )
    parser.add_argument(
        "--same-folder",
        action="store_true",
        help="download every run into one folder emptied between runs (see _FreshFolders)",
    )
    opts = parser.parse_args(argv)
    workers = tuple(int(n) for n in opts.download_workers.split(",") if n.strip())
    print(describe())
    runs = opts.runs or (2 if opts.quick else 5)
    count = opts.instances or (40 if opts.quick else 500)
    kind = opts.server or ("orthanc" if _orthanc_usable() else "reference")
    results: dict[str, Any] = {"quick": opts.quick, "runs": runs, "server": kind}
    results["cpu"], results["load_before"] = f"{cpu_model()} x {os.cpu_count()}", load_average()

    if opts.only in (None, "cold"):
        start_cases = cold_start(runs * 2)
        help_, dwc_help, client, dwc_client = start_cases
        report(
            "cold start",
            [
                (help_, dwc_help, 0.3),
                (dwc_help, None, None),
                (client, dwc_client, 0.3),
                (dwc_client, None, None),
            ],
        )
        print(
            f"\n`dicomkit --help` median {help_.wall * 1000:.0f} ms (target < 100 ms:"
            f" {'yes' if help_.wall < 0.1 else 'NO'})"
        )
        results["cold_start"] = {case.name: case.figures() for case in start_cases}
    if opts.only == "cold":
        _save(results, opts.quick)
        return 0

    scratch = Path(tempfile.mkdtemp(prefix="dicomkit-bench-cli-"))
    try:
        data = make_dataset(scratch / "data", count)
        print(
            f"\ndata: {count} instances, {data.size / 1e6:.1f} MB; server: {kind};"
            f" {runs} run(s) per case"
        )
        which = opts.only if opts.only in ("upload", "download") else None
        done = transfers(kind, data, scratch, runs, which, opts.base, workers, opts.same_folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rows: list[tuple[Case, Case | None, float | None]] = []
    if "curl (study to one file)" in done:
        curl = done["curl (study to one file)"]
        floor = done["python floor (benchmarks/_download_floor.py)"]
        rows += [(done["dicomkit download"], curl, 1.3), (curl, None, None)]
        rows += [(floor, curl, None), (done["dicomkit download"], floor, None)]
        rows += [
            (case, curl, None)
            for name, case in done.items()
            if name.startswith("dicomkit download ")
        ]
    if "dicomkit upload" in done:
        up_kit = done["dicomkit upload"]
        up_cli = done["dicomweb_client store instances"]
        up_py = done["dicomweb-client store_instances x50 (Python)"]
        rows += [
            (up_kit, up_cli, 0.5),
            (up_kit, up_py, 0.5),
            (up_cli, None, None),
            (up_py, None, None),
        ]
    report(f"transfers against {kind}", rows)
    results["load_after"] = load_average()
    print(f"\nload average after: {results['load_after']}")
    results["transfers"] = {name: case.figures() for name, case in done.items()}
    results["data"] = {"instances": count, "bytes": data.size}
    _save(results, opts.quick)
    return 0


def _save(results: dict[str, Any], quick: bool) -> None:
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("cli-quick.json" if quick else "cli.json")
    if out.exists():  # a partial run (--only) keeps the other parts' figures
        old = json.loads(out.read_text())
        if "transfers" in results:
            results["transfers"] = {**old.get("transfers", {}), **results["transfers"]}
        results = {**old, **results}
    out.write_text(json.dumps(results, indent=2))
    print(f"\nraw figures: {out}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
