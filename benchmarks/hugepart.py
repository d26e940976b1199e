"""One huge part (issue 19): the peak memory of reading one large instance, per backend.

Generates one instance of ``--mib`` MiB of random pixel data (512 by default, 128 with
``--quick``), uploads it to the reference server (``dicomkit serve``, its own process) and runs
each case in a fresh process, so that each peak is the case's own:

- ``iter_parts``: ``client.iter_parts(study, series, instance)``, the part's body hashed;
- ``iter_parts (join)``: the same with the part always joined from its pieces at its end (the
  collector's in-place threshold set out of reach: the behaviour before issue 19), the A/B
  baseline measured in the same run;
- ``retrieve_instance_to``: ``client.retrieve_instance_to(hasher.update, ...)``, the sink path.

Every backend of both clients. A case takes its RSS after a warm-up request (imports done,
connection open) and resets the kernel's high-water mark there; ``held`` is its peak (VmHWM)
minus that baseline, and ``held / part`` the figure the target is judged on: at most 1.1x for
``iter_parts``, a few MiB whatever the part for the sink. ``ru_maxrss`` is printed too; it
also keeps the parent's peak from before ``exec``, hence the reset. Cases are interleaved and
rotated between runs; every case's digest must be the same. The CPU model and the load
average are printed with the table, and the client process's CPU time beside the wall time:
on a loaded shared machine it is the steadier of the two.

``python -m benchmarks hugepart`` (512 MiB, 2 runs) or ``--quick`` (128 MiB, 1 run).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
CASES = ("iter_parts", "iter_parts (join)", "retrieve_instance_to")
TARGET_ITER_PARTS = 1.1
TARGET_SINK_MIB = 64.0


def _rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    """Make VmHWM start again from the RSS of now (Linux 4.0+): what a case holds is read from
    it, since ``ru_maxrss`` also keeps the peak of the parent's image before ``exec``."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def _hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_instance_file(folder: Path, mib: int) -> tuple[Path, tuple[str, str, str]]:
    """A Part 10 file whose pixel data is ``mib`` MiB of random 16-bit pixels."""
    from dicomkit.testing.data import make_instance, write_instances

    side = int((mib * 2**20 // 2) ** 0.5)
    ds = make_instance(rows=8, cols=8)
    ds.Rows = ds.Columns = side
    ds.BitsStored, ds.HighBit = 16, 15
    ds.PixelData = os.urandom(side * side * 2)
    (path,) = write_instances(folder, [ds])
    return path, (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)


def _backends() -> list[tuple[str, bool]]:
    from dicomkit.core.interface import AsyncTransport, Transport
    from dicomkit.transports import registry

    found = []
    for name in registry.available():
        cls = registry.get(name)
        if issubclass(cls, Transport):
            found.append((name, False))
        if issubclass(cls, AsyncTransport):
            found.append((name, True))
    return found


# -- one case, in its own process --------------------------------------------------------------


def _sync_case(case: str, url: str, transport: str, uids: list[str]) -> dict[str, Any]:
    from dicomkit import DicomClient

    with DicomClient(url, transport=transport) as client:
        client.retrieve_instance_metadata(*uids)  # imports and the connection, before measuring
        _reset_peak()
        baseline, started, cpu = _rss_mib(), time.perf_counter(), time.process_time()
        if case == "retrieve_instance_to":
            hasher = hashlib.sha256()
            size = client.retrieve_instance_to(hasher.update, *uids).size
            digest = hasher.hexdigest()
        else:
            ((_, body),) = list(client.iter_parts(*uids))
            size, digest = len(body), hashlib.sha256(body).hexdigest()
            del body
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "baseline_mib": baseline,
        "seconds": seconds,
        "cpu_s": cpu,
        "size": size,
        "digest": digest,
    }


async def _async_case(case: str, url: str, transport: str, uids: list[str]) -> dict[str, Any]:
    from dicomkit import AsyncDicomClient

    async with AsyncDicomClient(url, transport=transport) as client:
        await client.retrieve_instance_metadata(*uids)
        _reset_peak()
        baseline, started, cpu = _rss_mib(), time.perf_counter(), time.process_time()
        if case == "retrieve_instance_to":
            hasher = hashlib.sha256()
            size = (await client.retrieve_instance_to(hasher.update, *uids)).size
            digest = hasher.hexdigest()
        else:
            parts = [body async for _, body in client.iter_parts(*uids)]
            body = parts.pop()
            size, digest = len(body), hashlib.sha256(body).hexdigest()
            del body
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "baseline_mib": baseline,
        "seconds": seconds,
        "cpu_s": cpu,
        "size": size,
        "digest": digest,
    }


def run_case(argv: list[str]) -> int:
    """``python -m benchmarks.hugepart case CASE URL TRANSPORT ASYNC STUDY SERIES INSTANCE``."""
    case, url, transport, asynchronous, *uids = argv
    if case == "iter_parts (join)":
        from dicomkit.core import _partbody

        _partbody.GROW_IN_PLACE = 1 << 62  # always join at the part's end: before issue 19
    if asynchronous == "1":
        figures = asyncio.run(_async_case(case, url, transport, uids))
    else:
        figures = _sync_case(case, url, transport, uids)
    figures["peak_mib"], figures["hwm_mib"] = _peak_mib(), _hwm_mib()
    print(json.dumps(figures))
    return 0


def make_case(argv: list[str]) -> int:
    """``python -m benchmarks.hugepart make FOLDER MIB``: the file, in a process of its own so
    the parent that starts the cases stays small (a child's ``ru_maxrss`` starts from it)."""
    path, uids = make_instance_file(Path(argv[0]), int(argv[1]))
    print(json.dumps({"path": str(path), "uids": uids}))
    return 0


# -- the run -----------------------------------------------------------------------------------


def _run_one(case: str, url: str, backend: tuple[str, bool], uids: tuple[str, ...]) -> dict:
    name, asynchronous = backend
    argv = [sys.executable, "-m", "benchmarks.hugepart", "case", case, url, name]
    argv += ["1" if asynchronous else "0", *uids]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT.parent)
    if done.returncode != 0:
        raise RuntimeError(f"{case} on {name} failed: {done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["case"]:
        return run_case(argv[1:])
    if argv[:1] == ["make"]:
        return make_case(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="128 MiB, one run (CI smoke run)")
    parser.add_argument("--mib", type=int, default=None, help="size of the part (default 512)")
    parser.add_argument("--runs", type=int, default=None, help="runs per case (default 2)")
    opts = parser.parse_args(argv)
    mib = opts.mib or (128 if opts.quick else 512)
    runs = opts.runs or (1 if opts.quick else 2)
    from benchmarks._machine import describe
    from benchmarks.e2e import reference_server

    print(describe())
    print(f"one instance of {mib} MiB of pixel data; {runs} run(s) per case")
    specs = [(case, backend) for backend in _backends() for case in CASES]
    seen: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="dicomkit-hugepart-") as scratch:
        made = subprocess.run(
            [sys.executable, "-m", "benchmarks.hugepart", "make", f"{scratch}/data", str(mib)],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT.parent,
        )
        file = json.loads(made.stdout.strip().splitlines()[-1])
        path, uids = Path(file["path"]), tuple(file["uids"])
        with reference_server(Path(scratch) / "root") as (url, _):
            from dicomkit import DicomClient

            with DicomClient(url, transport="urllib3") as client:
                client.upload_dicom_file(path)
            path.unlink()
            for run in range(runs):
                shift = run * 3 % len(specs)
                for case, backend in specs[shift:] + specs[:shift]:
                    label = f"{backend[0]} ({'async' if backend[1] else 'sync'})"
                    figures = _run_one(case, url, backend, uids)
                    figures["load"] = os.getloadavg()[0]
                    seen.setdefault((label, case), []).append(figures)
    return _report(seen, mib, opts.quick)


def _report(seen: dict[tuple[str, str], list[dict[str, Any]]], mib: int, quick: bool) -> int:
    """Print the table; 1 when digests differ, or (not ``quick``) when a target is missed."""
    digests = {f["digest"] for runs in seen.values() for f in runs}
    print(f"\nload average now: {os.getloadavg()}; digests agree: {len(digests) == 1}\n")
    print(
        "| backend | case | part MiB | baseline MiB | peak MiB (VmHWM) | ru_maxrss MiB |"
        " held MiB | held / part | median s | median CPU s | load | target | met |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    wrong, missed = len(digests) != 1, False
    for (label, case), runs in seen.items():
        worst = max(runs, key=lambda f: f["hwm_mib"] - f["baseline_mib"])
        part = worst["size"] / 2**20
        held = worst["hwm_mib"] - worst["baseline_mib"]
        seconds = statistics.median(f["seconds"] for f in runs)
        cpu = statistics.median(f["cpu_s"] for f in runs)
        if case == "iter_parts":
            target, met = f"held <= {TARGET_ITER_PARTS}x part", held <= TARGET_ITER_PARTS * part
        elif case == "retrieve_instance_to":
            target, met = f"held <= {TARGET_SINK_MIB:.0f} MiB", held <= TARGET_SINK_MIB
        else:
            target, met = "(before issue 19)", None
        missed = missed or met is False
        mark = "" if met is None else ("yes" if met else "**no**")
        print(
            f"| {label} | {case} | {part:.0f} | {worst['baseline_mib']:.0f} | "
            f"{worst['hwm_mib']:.0f} | {worst['peak_mib']:.0f} | {held:.0f} | "
            f"{held / part:.2f} | {seconds:.2f} | {cpu:.2f} | "
            f"{max(f['load'] for f in runs):.1f} | {target} | {mark} |"
        )
    out = ROOT / "results" / f"hugepart-{mib}.json"
    out.parent.mkdir(exist_ok=True)
    rows = [{"backend": b, "case": c, "runs": r} for (b, c), r in seen.items()]
    out.write_text(json.dumps({"mib": mib, "rows": rows}, indent=2))
    print(f"\nraw figures: {out}")
    return 1 if wrong or (missed and not quick) else 0


if __name__ == "__main__":
    raise SystemExit(main())
