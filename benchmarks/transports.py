"""Transport backends on loopback: small-request rate against raw urllib3, streaming against curl.

For every name in ``dicomkit.transports.available()`` (sync backends through ``send``, async
ones through ``asend``; a class that is both runs twice) two figures, side by side in one run:

* small GETs per second (100-byte answers over one keep-alive connection), and the ratio of a
  raw ``urllib3.PoolManager`` loop's rate to it (target for the urllib3 backend: <= 1.25x);
* streaming a 1 GB body (256 MB with ``--quick``), and the ratio of its rate to
  ``curl -o /dev/null`` of the same URL (target: >= 0.8x curl).

The server is the contract suite's raw-socket server in this process's threads: it costs the
same for every client, so ratios compress towards 1 on the small-request figure. Cases take
turns, run after run; a raw urllib3 loop runs right before each case's small GETs, and curl
right before each case's stream, and ratios are taken against those; figures and ratios are
medians over the runs.

``python -m benchmarks transports`` or ``python -m benchmarks transports --quick``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from typing import Any

import urllib3

from benchmarks._machine import describe
from dicomkit.core.interface import AsyncTransport, Request, Transport
from dicomkit.testing._contract_server import ContractServer
from dicomkit.transports import available, get
from dicomkit.transports._urllib3 import close_pools

TARGET_OVERHEAD = 1.25
TARGET_STREAM = 0.8
MB = 1_000_000


def _raw_urllib3_rate(url: str, count: int) -> float:
    pool = urllib3.PoolManager(retries=False)
    try:
        start = time.perf_counter()
        for _ in range(count):
            pool.request("GET", url, redirect=False).data  # noqa: B018 - reading is the work
        return count / (time.perf_counter() - start)
    finally:
        close_pools(pool)


def _raw_urllib3_stream(url: str) -> float:
    pool = urllib3.PoolManager(retries=False)
    try:
        start = time.perf_counter()
        response = pool.request("GET", url, preload_content=False, redirect=False)
        total = sum(len(chunk) for chunk in response.stream(256 * 1024))
        response.release_conn()
        return total / MB / (time.perf_counter() - start)
    finally:
        close_pools(pool)


def _curl_stream(url: str) -> float:
    done = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    size, seconds = done.stdout.split()
    return int(size) / MB / float(seconds)


def _sync_rate(cls: type[Transport], url: str, count: int) -> float:
    with cls() as transport:
        request = Request("GET", url)
        start = time.perf_counter()
        for _ in range(count):
            transport.send(request).read()
        return count / (time.perf_counter() - start)


def _sync_stream(cls: type[Transport], url: str) -> float:
    with cls() as transport:
        start = time.perf_counter()
        with transport.send(Request("GET", url)) as response:
            total = sum(len(chunk) for chunk in response.iter_bytes())
        return total / MB / (time.perf_counter() - start)


def _async_rate(cls: type[AsyncTransport], url: str, count: int) -> float:
    async def run() -> float:
        transport = cls()
        try:
            request = Request("GET", url)
            start = time.perf_counter()
            for _ in range(count):
                await (await transport.asend(request)).aread()
            return count / (time.perf_counter() - start)
        finally:
            await transport.aclose()

    return asyncio.run(run())


def _async_stream(cls: type[AsyncTransport], url: str) -> float:
    async def run() -> float:
        transport = cls()
        try:
            start = time.perf_counter()
            total = 0
            async with await transport.asend(Request("GET", url)) as response:
                async for chunk in response.aiter_bytes():
                    total += len(chunk)
            return total / MB / (time.perf_counter() - start)
        finally:
            await transport.aclose()

    return asyncio.run(run())


Case = tuple[str, Callable[[str, int], float], Callable[[str], float]]


def _cases() -> list[Case]:
    cases: list[Case] = [("raw urllib3", _raw_urllib3_rate, _raw_urllib3_stream)]
    for name in available():
        try:
            cls: Any = get(name)
        except Exception as exc:
            print(f"skipping {name}: {exc}")
            continue
        if issubclass(cls, Transport):
            cases.append(
                (
                    f"{name} (send)",
                    lambda u, n, c=cls: _sync_rate(c, u, n),
                    lambda u, c=cls: _sync_stream(c, u),
                )
            )
        if issubclass(cls, AsyncTransport):
            cases.append(
                (
                    f"{name} (asend)",
                    lambda u, n, c=cls: _async_rate(c, u, n),
                    lambda u, c=cls: _async_stream(c, u),
                )
            )
    return cases


def _table(
    rates: dict[str, list[float]],
    paired_raw: dict[str, list[float]],
    streams: dict[str, list[float]],
    curl: dict[str, list[float]],
) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """Markdown rows; each ratio is the median of per-run ratios against a paired baseline."""
    every_curl = [speed for speeds in curl.values() for speed in speeds]
    lines = [
        "| case | GET/s | time per GET vs raw urllib3 | stream MB/s | stream vs curl |",
        "|---|---:|---:|---:|---:|",
    ]
    ratios: dict[str, tuple[float, float]] = {}
    for label in rates:
        pairs = zip(paired_raw[label], rates[label], strict=True)
        overhead = statistics.median(raw / rate for raw, rate in pairs)
        share = (
            statistics.median(s / c for s, c in zip(streams[label], curl[label], strict=True))
            if every_curl
            else float("nan")
        )
        ratios[label] = (overhead, share)
        lines.append(
            f"| {label} | {statistics.median(rates[label]):,.0f} | {overhead:.2f}x "
            f"| {statistics.median(streams[label]):,.0f} | {share:.2f}x |"
        )
    if every_curl:
        lines.append(f"| curl -o /dev/null | | | {statistics.median(every_curl):,.0f} | 1.00x |")
    return lines, ratios


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks transports")
    parser.add_argument("--quick", action="store_true", help="fewer requests, a 256 MiB body")
    parser.add_argument("--runs", type=int, default=None)
    args, _ = parser.parse_known_args(argv)
    count = 200 if args.quick else 1000
    size = (256 if args.quick else 1024) * 1024 * 1024
    runs = args.runs or (3 if args.quick else 7)
    has_curl = shutil.which("curl") is not None
    cases = _cases()
    rates: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    paired_raw: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    streams: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    curl: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    with ContractServer() as server:
        small = f"{server.url}/echo?n=100"
        big = f"{server.url}/echo?n={size}&seed=1&chunks=262144"
        for _, rate, _ in cases:
            rate(small, 50)  # warm-up: imports, first connections, server threads
        for _ in range(runs):
            for label, rate, stream in cases:
                # Baselines run right before each case: load on a shared machine drifts.
                paired_raw[label].append(_raw_urllib3_rate(small, count))
                rates[label].append(rate(small, count))
                if has_curl:
                    curl[label].append(_curl_stream(big))
                streams[label].append(stream(big))
    lines, ratios = _table(rates, paired_raw, streams, curl)
    print(f"{count} small GETs and one {size >> 20} MiB body per case and run; {runs} runs")
    print(f"{describe()}; urllib3 {urllib3.__version__}")
    print("\n".join(lines))
    print(
        f"targets: urllib3 backend <= {TARGET_OVERHEAD}x raw urllib3 per request; "
        f"every backend streams >= {TARGET_STREAM}x curl"
    )
    missed = [
        label
        for label, (overhead, share) in ratios.items()
        if (label == "urllib3 (send)" and overhead > TARGET_OVERHEAD)
        or (label != "raw urllib3" and has_curl and share < TARGET_STREAM)
    ]
    if missed:
        print("missed a target:", ", ".join(missed))
    return 0
