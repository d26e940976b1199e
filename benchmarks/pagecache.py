"""How this machine's page cache takes a download's bytes, by how they are written: the slow
turns of ``dicomkit download`` (docs/performance.md, "Why a download's turns are slow on this
machine").

``python -m benchmarks pagecache [--quick] [--rounds N]``: the 500 x 525 KB of the CLI
benchmark's study written by one process, without any network, five ways, in turns:

- ``a file per instance, one write each``: what ``dicomkit download`` did until it capped its
  calls (a ``writev`` of 525 KB per file);
- ``a file per instance, 256 KiB writes``: what it does now (``dicomkit.files.writes``);
- ``a file per instance, 64 KiB writes``: the same files in smaller pieces;
- ``one file, a write per instance``: the same writes into one file;
- ``one file, 12 KiB writes``: what curl does (4 and 12 KiB ``write`` calls, ``strace``).

Before each turn the previous turn's files are deleted (their memory freed), as the CLI
benchmark does, and each turn writes into a new folder under a ``chattr +T`` parent. A
turn is *slow* when it takes more than three times the fastest turn of its way. Each turn's
time is split into creating the files (``open``) and writing them; its system time is the
process's ``rusage`` across it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from benchmarks._machine import describe, load_average
from benchmarks._order import in_turns

FILE_SIZE = 525_000
"""The CLI benchmark's instance size."""


Writer = Callable[[Path, bytes, int], float]
"""Writes ``count`` copies of the bytes under a folder; returns the seconds spent creating
files (the rest of the turn is writing)."""


def _create(path: Path) -> tuple[int, float]:
    """A new file's descriptor, and the seconds its creation took."""
    started = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    return fd, time.perf_counter() - started


def _write(fd: int, view: memoryview, step: int) -> None:
    for start in range(0, len(view), step):
        os.write(fd, view[start : start + step])


def _files(piece: int | None) -> Writer:
    def write(folder: Path, data: bytes, count: int) -> float:
        view = memoryview(data)
        creating = 0.0
        for index in range(count):
            fd, took = _create(folder / f"{index}.dcm")
            creating += took
            try:
                _write(fd, view, piece or len(data))
            finally:
                os.close(fd)
        return creating

    return write


def _one_file(piece: int) -> Writer:
    def write(folder: Path, data: bytes, count: int) -> float:
        view = memoryview(data)
        fd, creating = _create(folder / "study.bin")
        try:
            for _ in range(count):
                _write(fd, view, piece)
        finally:
            os.close(fd)
        return creating

    return write


WAYS: dict[str, Writer] = {
    "a file per instance, one write each": _files(None),
    "a file per instance, 256 KiB writes": _files(256 << 10),
    "a file per instance, 64 KiB writes": _files(64 << 10),
    "one file, a write per instance": _one_file(FILE_SIZE),
    "one file, 12 KiB writes": _one_file(12 << 10),
}


class _Turn(NamedTuple):
    wall: float
    creating: float
    system: float


class _Turns:
    """New folders under one parent; each turn deletes the last one's files first."""

    def __init__(self, parent: Path) -> None:
        self.parent = parent
        self.count = 0
        subprocess.run(["chattr", "+T", str(parent)], capture_output=True, check=False)

    def run(self, write: Writer, data: bytes, count: int) -> _Turn:
        for old in self.parent.iterdir():
            shutil.rmtree(old, ignore_errors=True)
        os.sync()
        self.count += 1
        folder = self.parent / f"turn-{self.count}"
        folder.mkdir()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        start = time.perf_counter()
        creating = write(folder, data, count)
        wall = time.perf_counter() - start
        return _Turn(wall, creating, resource.getrusage(resource.RUSAGE_SELF).ru_stime - before)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50 files, 2 rounds")
    parser.add_argument("--rounds", type=int, default=None)
    opts, _ = parser.parse_known_args(argv)
    rounds = opts.rounds or (2 if opts.quick else 20)
    count = 50 if opts.quick else 500
    print(describe())
    data = os.urandom(FILE_SIZE)
    turns: dict[str, list[_Turn]] = {name: [] for name in WAYS}
    scratch = Path(tempfile.mkdtemp(prefix="dicomkit-bench-pagecache-"))
    try:
        folders = _Turns(scratch)
        for name in in_turns(list(WAYS), rounds):
            turns[name].append(folders.run(WAYS[name], data, count))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\n{count} x {FILE_SIZE} bytes per turn, {rounds} turns per way\n")
    print(
        "| written as | wall (median) | wall (max) | system time (median) | slow turns"
        " | creating / writing in the slowest turn | writing (median / max) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, done in turns.items():
        fastest = min(turn.wall for turn in done)
        slowest = max(done, key=lambda turn: turn.wall)
        slow = sum(turn.wall > 3 * fastest for turn in done)
        writing = [turn.wall - turn.creating for turn in done]
        print(
            f"| {name} | {statistics.median(t.wall for t in done):.3f} s | {slowest.wall:.3f} s |"
            f" {statistics.median(t.system for t in done):.3f} s | {slow} of {len(done)} |"
            f" {slowest.creating:.3f} s / {slowest.wall - slowest.creating:.3f} s |"
            f" {statistics.median(writing):.3f} s / {max(writing):.3f} s |"
        )
    print(f"\nload average after: {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
