"""Multipart codec throughput: dicomkit against dicomweb-client and against a floor.

The body is 500 parts of 525,000 bytes (a 512x512 16-bit image plus its header, the size of a
typical CT instance), 262.5 MB in memory, fed in 1 MiB chunks as a socket would deliver it.
The floor is the least any decoder must do: one ``bytes.find`` pass over the body and one copy
of each part. Cases take turns run after run; figures are medians, in MB/s (10^6 bytes per
second), and each ratio is the median of the per-run ratios.

``python -m benchmarks codec`` (full) or ``python -m benchmarks codec --quick`` (50 parts).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from dicomkit.core.multipart import (
    MultipartDecoder,
    Part,
    PartData,
    encode_multipart,
    iter_parts,
    new_boundary,
)

PART_SIZE = 525_000
CHUNK = 1 << 20
TARGET_VS_DICOMWEB_CLIENT = 1.3
TARGET_VS_FLOOR = 1.5
FLOOR = "floor: find pass + one copy"
EVENTS = "dicomkit decode (events)"
WHOLE = "dicomkit decode (iter_parts)"
REFERENCE = "dicomweb-client decode"


def _payloads(count: int) -> list[bytes]:
    """Distinct incompressible part bodies cut from one random pool (cheap to build)."""
    pool = os.urandom(PART_SIZE + 4096)
    return [pool[index % 4096 : index % 4096 + PART_SIZE] for index in range(count)]


def _chunks(body: bytes) -> list[bytes]:
    return [body[start : start + CHUNK] for start in range(0, len(body), CHUNK)]


def decode_events(chunks: list[bytes], boundary: str) -> int:
    """dicomkit's push decoder, the way a streaming client uses it: events, no joining."""
    decoder = MultipartDecoder(boundary)
    size = 0
    for chunk in chunks:
        for event in decoder.feed(chunk):
            if type(event) is PartData:
                size += len(event.data)
    decoder.close()
    return size


def decode_whole_parts(chunks: list[bytes], boundary: str) -> int:
    """dicomkit's ``iter_parts``: each part joined into one ``bytes``, like dicomweb-client."""
    return sum(len(body) for _, body in iter_parts(chunks, boundary))


def encode(payloads: list[bytes], boundary: str) -> int:
    parts = [Part(payload, {"Content-Type": "application/dicom"}) for payload in payloads]
    return sum(len(chunk) for chunk in encode_multipart(parts, boundary, chunk_size=CHUNK))


class _StreamedResponse:
    """Just enough of ``requests.Response`` for dicomweb-client's multipart decoder."""

    def __init__(self, chunks: list[bytes], boundary: str) -> None:
        self.headers = {
            "content-type": f'multipart/related; type="application/dicom"; boundary={boundary}'
        }
        self._chunks = chunks

    def iter_content(self, chunk_size: int) -> Iterator[bytes]:
        return iter(self._chunks)

    def __enter__(self) -> _StreamedResponse:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _dicomweb_client() -> Any:
    from dicomweb_client.web import DICOMwebClient

    client = DICOMwebClient.__new__(DICOMwebClient)  # no session: only the decoder is used
    client._chunk_size = CHUNK
    return client


def decode_dicomweb_client(chunks: list[bytes], boundary: str) -> int:
    client = _dicomweb_client()
    parts = client._decode_multipart_message(_StreamedResponse(chunks, boundary), stream=True)
    return sum(len(part) for part in parts)


def encode_dicomweb_client(payloads: list[bytes], boundary: str) -> int:
    content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    return len(_dicomweb_client()._encode_multipart_message(payloads, content_type))


def floor(body: bytes, boundary: str) -> int:
    """One find pass over the body and one copy of each part (headers included)."""
    delimiter = b"\r\n--" + boundary.encode()
    size = 0
    start = body.find(delimiter[2:]) + len(delimiter) - 2
    while True:
        found = body.find(delimiter, start)
        if found == -1:
            return size
        size += len(body[start:found])
        start = found + len(delimiter)


def _rounds(cases: list[tuple[str, Callable[[], int]]], runs: int) -> dict[str, list[float]]:
    """Seconds per run of each case, taking turns so a busy machine slows every case alike."""
    seconds: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(runs):
        for name, work in cases:
            started = time.perf_counter()
            work()
            seconds[name].append(time.perf_counter() - started)
    return seconds


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        cpu = f"{names[0]} x{len(names)}" if names else cpu
    except OSError:
        pass
    return f"{cpu}; Python {platform.python_version()} ({platform.python_implementation()})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks codec", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50 parts, 3 runs")
    parser.add_argument("--parts", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    options = parser.parse_args(argv)
    count = options.parts or (50 if options.quick else 500)
    runs = options.runs or (3 if options.quick else 9)

    payloads = _payloads(count)
    boundary = new_boundary()
    parts = [Part(payload, {"Content-Type": "application/dicom"}) for payload in payloads]
    body = b"".join(encode_multipart(parts, boundary))
    chunks = _chunks(body)
    megabytes = len(body) / 1e6
    print(f"{count} parts x {PART_SIZE:,} bytes = {megabytes:.1f} MB in {len(chunks)} chunks")
    print(f"machine: {machine()}; median of {runs} interleaved runs; ratios: median per run")

    if encode(payloads, boundary) != len(body):
        raise SystemExit("dicomkit's encoder produced a body of the wrong size")
    expected = decode_dicomweb_client(chunks, boundary)
    if not decode_events(chunks, boundary) == decode_whole_parts(chunks, boundary) == expected:
        raise SystemExit("the decoders disagree on the number of body bytes")
    cases: list[tuple[str, Callable[[], int]]] = [
        (FLOOR, lambda: floor(body, boundary)),
        (EVENTS, lambda: decode_events(chunks, boundary)),
        (WHOLE, lambda: decode_whole_parts(chunks, boundary)),
        (REFERENCE, lambda: decode_dicomweb_client(chunks, boundary)),
        ("dicomkit encode", lambda: encode(payloads, boundary)),
        ("dicomweb-client encode", lambda: encode_dicomweb_client(payloads, boundary)),
    ]
    seconds = _rounds(cases, runs)
    for name, _ in cases:
        median = statistics.median(seconds[name])
        print(f"{name:30s} {megabytes / median:9.0f} MB/s  ({median * 1000:7.1f} ms)")

    met = True
    for label in (EVENTS, WHOLE):
        runs_of = zip(seconds[label], seconds[REFERENCE], seconds[FLOOR], strict=True)
        versus_client = statistics.median(theirs / ours for ours, theirs, _ in runs_of)
        runs_of = zip(seconds[label], seconds[REFERENCE], seconds[FLOOR], strict=True)
        versus_floor = statistics.median(ours / least for ours, _, least in runs_of)
        ok = versus_client >= TARGET_VS_DICOMWEB_CLIENT and versus_floor <= TARGET_VS_FLOOR
        met = met and ok
        print(
            f"{label}: {versus_client:.2f}x as fast as dicomweb-client (target >= "
            f"{TARGET_VS_DICOMWEB_CLIENT}); {versus_floor:.2f}x the floor's time (target <= "
            f"{TARGET_VS_FLOOR}) -> {'met' if ok else 'MISSED'}"
        )
    return 0 if met or options.quick else 1


if __name__ == "__main__":
    raise SystemExit(main())
