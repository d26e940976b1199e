"""Frames in bulk (issue 19): one request per frame against ``iter_frames``, 400 frames.

``python -m benchmarks frames [--frames N] [--runs R] [--servers reference,orthanc] [--quick]``
generates one multi-frame instance with pydicom (64x64 16-bit frames, 8 KiB each; never
committed), stores it on the reference server (its own process) and on Orthanc (inside the
private network namespace), and times, interleaved R times in one run:

- ``single``: one ``retrieve_instance_frames(..., [n])`` per frame, one after the other (what
  a caller without batching does);
- ``iter_frames``: ``DicomClient.iter_frames`` with its defaults (sync, urllib3);
- ``iter_frames async``: ``AsyncDicomClient.iter_frames`` with its defaults (aiohttp);
- ``one list``: every frame in one ``retrieve_instance_frames`` request (the ceiling).

Every case must hand back the same bytes. It prints the CPU model and the load average
before and after each server's cases, the median frames/s of each case and its ratio to
``single``; the target is ``iter_frames`` >= 20x ``single`` on both servers.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._machine import describe, load_average
from benchmarks._order import in_turns
from benchmarks.e2e import _orthanc_usable, orthanc_server, reference_server

TARGET = 20.0


def _single(url: str, target: tuple[str, str, str], count: int) -> list[bytes]:
    from dicomkit import DicomClient

    with DicomClient(url, transport="urllib3") as client:
        return [client.retrieve_instance_frames(*target, [n])[0] for n in range(1, count + 1)]


def _bulk(url: str, target: tuple[str, str, str], count: int) -> list[bytes]:
    from dicomkit import DicomClient

    with DicomClient(url, transport="urllib3") as client:
        return [frame.data for frame in client.iter_frames(*target)]


def _bulk_async(url: str, target: tuple[str, str, str], count: int) -> list[bytes]:
    from dicomkit import AsyncDicomClient

    async def run() -> list[bytes]:
        async with AsyncDicomClient(url, transport="aiohttp") as client:
            return [frame.data async for frame in client.iter_frames(*target)]

    return asyncio.run(run())


def _one_list(url: str, target: tuple[str, str, str], count: int) -> list[bytes]:
    from dicomkit import DicomClient

    with DicomClient(url, transport="urllib3") as client:
        return client.retrieve_instance_frames(*target, range(1, count + 1))


CASES: dict[str, Callable[[str, tuple[str, str, str], int], list[bytes]]] = {
    "single": _single,
    "iter_frames": _bulk,
    "iter_frames async": _bulk_async,
    "one list": _one_list,
}


def measure(url: str, target: tuple[str, str, str], count: int, runs: int) -> dict[str, float]:
    """Median seconds of each case, the cases taking turns (benchmarks/_order.py), after one
    untimed run of each (imports, the server's first read of the file)."""
    seen: dict[str, list[float]] = {name: [] for name in CASES}
    names = list(CASES)
    reference: list[bytes] | None = None
    for name in names:
        CASES[name](url, target, count)
    for name in in_turns(names, runs):
        started = time.perf_counter()
        frames = CASES[name](url, target, count)
        seen[name].append(time.perf_counter() - started)
        if reference is None:
            reference = frames
        elif frames != reference:
            raise SystemExit(f"{name} handed back other bytes than the first case")
    return {name: statistics.median(times) for name, times in seen.items()}


def _instance(count: int) -> Any:
    from dicomkit.testing.data import make_instance

    return make_instance(rows=64, cols=64, frames=count)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks frames")
    parser.add_argument("--frames", type=int, default=400)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--servers", default="reference,orthanc")
    parser.add_argument("--quick", action="store_true", help="100 frames, one run")
    args, _ = parser.parse_known_args(argv)
    count, runs = (100, 1) if args.quick else (args.frames, args.runs)
    print(describe())
    print(f"{count} frames of 64x64x16 bit (8 KiB) in one instance; median of {runs} run(s)")
    ds = _instance(count)
    target = (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID)
    status = 0
    with tempfile.TemporaryDirectory(prefix="dicomkit-bench-frames-") as temp:
        for name in args.servers.split(","):
            if name == "orthanc" and not _orthanc_usable():
                print(
                    "\n### orthanc\n\nskipped: Orthanc is not installed or not in a private "
                    "network namespace (run `nox -s bench` as root)"
                )
                continue
            starter = orthanc_server if name == "orthanc" else reference_server
            with starter(Path(temp) / name) as (url, _):
                from dicomkit import DicomClient

                with DicomClient(url, transport="urllib3") as client:
                    client.store_instances([ds])
                before = load_average()
                medians = measure(url, target, count, runs)
                after = load_average()
            base = count / medians["single"]
            print(f"\n### {name}\n\nload average before: {before}; after: {after}\n")
            print("| case | median s | frames/s | x single |\n|---|---:|---:|---:|")
            for case, seconds in medians.items():
                rate = count / seconds
                print(f"| {case} | {seconds:.3f} | {rate:,.0f} | {rate / base:.1f} |")
            ratio = medians["single"] / medians["iter_frames"]
            met = ratio >= TARGET
            print(
                f"\niter_frames / single: {ratio:.1f}x (target >= {TARGET:.0f}x): "
                + ("met" if met else "NOT met")
            )
            status = status or (0 if met or args.quick else 1)
    return status


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
