"""Start-up of the sync built-in backends, as whole processes (issue 11).

``python -m benchmarks startup [--quick] [--runs N]``

A command-line process pays for its imports before its first byte, so for each built-in sync
backend (stdlib, urllib3, requests) two figures are taken in fresh interpreters, the backends
alternating within each run so all see the same machine load:

- import: the backend's module and its HTTP library, timed inside the process after
  ``dicomkit.transports.support`` (which every backend shares);
- search: the wall time of ``python -c`` that builds ``DicomClient(url, transport=name)`` and
  runs one search against the reference server (one stored study), and that child's CPU time
  (user + system: the steadier figure on a shared machine).

``python -c pass`` runs beside them as the floor. One warm-up round first writes the bytecode
caches. Medians over the runs, and the fastest run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dicomkit
from benchmarks._machine import describe

BACKENDS = {
    "stdlib": "dicomkit.transports._stdlib, dicomkit.transports._stdlib_pool",
    "urllib3": "dicomkit.transports._urllib3, urllib3",
    "requests": "dicomkit.transports._requests, requests",
}
"""Backend name -> what its first request imports beyond ``support``."""

_IMPORT = "import time, dicomkit.transports.support\nt = time.perf_counter()\nimport {modules}\n"
_IMPORT += "print(time.perf_counter() - t)\n"
_SEARCH = (
    "from dicomkit import DicomClient\n"
    "with DicomClient({url!r}, transport={name!r}) as client:\n"
    "    assert len(client.search_for_studies()) == 1\n"
)


def _environment() -> dict[str, str]:
    """The parent's environment, importing the same dicomkit, and writing bytecode caches."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    root = str(Path(dicomkit.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    return env


def _run(code: str, env: dict[str, str], cwd: str) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``python -c code``, and what it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.1f} ms (min {min(values) * 1000:,.1f})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks startup")
    parser.add_argument("--quick", action="store_true", help="5 runs instead of 20")
    parser.add_argument("--runs", type=int, default=None)
    args, _ = parser.parse_known_args(argv)
    runs = args.runs or (5 if args.quick else 20)
    from dicomkit_server import ReferenceServer

    from dicomkit import DicomClient
    from dicomkit.testing.data import make_study

    env = _environment()
    imports: dict[str, list[float]] = {name: [] for name in BACKENDS}
    walls: dict[str, list[float]] = {name: [] for name in [*BACKENDS, "python -c pass"]}
    cpus: dict[str, list[float]] = {name: [] for name in walls}
    with tempfile.TemporaryDirectory() as scratch, ReferenceServer(Path(scratch) / "s") as url:
        with DicomClient(str(url), transport="urllib3") as client:
            client.store_instances(make_study(1))
        searches = {name: _SEARCH.format(url=str(url), name=name) for name in BACKENDS}
        searches["python -c pass"] = "pass"
        for round_ in range(runs + 1):  # round 0: the warm-up
            for name, modules in BACKENDS.items():
                _, _, printed = _run(_IMPORT.format(modules=modules), env, scratch)
                if round_:
                    imports[name].append(float(printed))
            for name, code in searches.items():
                wall, cpu, _ = _run(code, env, scratch)
                if round_:
                    walls[name].append(wall)
                    cpus[name].append(cpu)
    print(f"{runs} runs; {describe()}")
    print("| backend | import (backend + library) | client + one search, wall | its CPU |")
    print("|---|---:|---:|---:|")
    for name in walls:
        imported = _ms(imports[name]) if name in imports else ""
        print(f"| {name} | {imported} | {_ms(walls[name])} | {_ms(cpus[name])} |")
    return 0
