"""Multipart codec throughput: dicomkit against dicomweb-client and against a floor.

The body is 500 parts of 525,000 bytes (a 512x512 16-bit image plus its header, the size of a
typical CT instance), 262.5 MB in memory, fed in 1 MiB chunks as a socket would deliver it.
The floor is the least any decoder must do: one ``bytes.find`` pass over the body and one copy
of each part. Figures are the median of several runs, in MB/s (10^6 bytes per second).

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


def _median_seconds(work: Callable[[], int], runs: int) -> tuple[float, int]:
    times = []
    result = 0
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


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
    runs = options.runs or (3 if options.quick else 5)

    payloads = _payloads(count)
    boundary = new_boundary()
    parts = [Part(payload, {"Content-Type": "application/dicom"}) for payload in payloads]
    body = b"".join(encode_multipart(parts, boundary))
    chunks = _chunks(body)
    megabytes = len(body) / 1e6
    print(f"{count} parts x {PART_SIZE:,} bytes = {megabytes:.1f} MB in {len(chunks)} chunks")
    print(f"machine: {machine()}; median of {runs} runs")

    cases: list[tuple[str, Callable[[], int], int]] = [
        ("floor: find pass + one copy", lambda: floor(body, boundary), 0),
        ("dicomkit decode (events)", lambda: decode_events(chunks, boundary), 0),
        ("dicomkit decode (iter_parts)", lambda: decode_whole_parts(chunks, boundary), 0),
        ("dicomweb-client decode", lambda: decode_dicomweb_client(chunks, boundary), 0),
        ("dicomkit encode", lambda: encode(payloads, boundary), len(body)),
        ("dicomweb-client encode", lambda: encode_dicomweb_client(payloads, boundary), 0),
    ]
    speeds: dict[str, float] = {}
    for name, work, expected in cases:
        seconds, result = _median_seconds(work, runs)
        if expected and result != expected:
            raise SystemExit(f"{name} produced {result} bytes, expected {expected}")
        speeds[name] = megabytes / seconds
        print(f"{name:32s} {speeds[name]:9.0f} MB/s  ({seconds * 1000:7.1f} ms)")

    events = speeds["dicomkit decode (events)"]
    whole = speeds["dicomkit decode (iter_parts)"]
    reference = speeds["dicomweb-client decode"]
    bottom = speeds["floor: find pass + one copy"]
    met = True
    for label, speed in (("events", events), ("iter_parts", whole)):
        versus_client = speed / reference
        versus_floor = bottom / speed
        ok = versus_client >= TARGET_VS_DICOMWEB_CLIENT and versus_floor <= TARGET_VS_FLOOR
        met = met and ok
        print(
            f"dicomkit {label}: {versus_client:.2f}x dicomweb-client (target >= "
            f"{TARGET_VS_DICOMWEB_CLIENT}), floor/dicomkit {versus_floor:.2f} (target <= "
            f"{TARGET_VS_FLOOR}) -> {'met' if ok else 'MISSED'}"
        )
    return 0 if met or options.quick else 1


if __name__ == "__main__":
    raise SystemExit(main())
