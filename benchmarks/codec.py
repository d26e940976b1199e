"""Multipart codec throughput: dicomkit against dicomweb-client and against a floor.

The body is 500 parts of 525,000 bytes (a 512x512 16-bit image plus its header, the size of a
typical CT instance), 262.5 MB. It reaches every decoder the way a socket delivers it: as
fresh ``bytes`` objects cut from the body while the decoder runs (a new allocation and a copy
per chunk, as ``recv`` makes them, so each chunk is in the cache and freshly allocated, not a
list prepared beforehand), at the chunk sizes the backends hand over: 16 KiB (small socket
reads), 64 KiB (httpx/httpcore), 256 KiB (the urllib3, requests and aiohttp backends) and
1 MiB (dicomweb-client over requests). A consumer then does something with every body: counts
its bytes (``count``, the targets), hashes them with SHA-256 (``sha256``) or writes them to
an unbuffered file (``write``). Producing the chunks and consuming the bodies are inside
every case's time; the ``source alone`` row is the cost of producing the chunks.

The floor is the least work any decoder must do for that input and that output, in pure
Python: one ``bytes.find`` of the delimiter per chunk (and per delimiter found), a check of the
few bytes that could join a delimiter across two chunks, no copy of a chunk that is all body,
and then what the path must hand out. Events: one copy of each body piece that is only part
of a chunk, the pieces of a chunk handed over together (``feed`` returns a chunk's events at
once, so they are alive together); the ``one piece at a time`` row, with no target, frees each
piece before cutting the next, which no such API can. Whole parts: exactly one copy of each
part into its own ``bytes``, handed out by an iterator like ``iter_parts``. The floor knows
nothing a real decoder could not, but skips what a robust one adds: event objects, limits,
header parsing, validation.

Cases take turns run after run (benchmarks/_order.py). Times are CPU seconds of this process
(``time.process_time``: on a shared machine the wall clock also counts the time other
processes hold the CPU), wall-clock medians are shown beside them; tables give medians in
MB/s (10^6 bytes per second), each ratio is the median of the per-run CPU-time ratios.

``python -m benchmarks codec`` (full) or ``python -m benchmarks codec --quick`` (50 parts).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from benchmarks._machine import describe, load_average
from benchmarks._order import in_turns
from dicomkit.core.multipart import (
    MultipartDecoder,
    Part,
    PartData,
    encode_multipart,
    iter_parts,
    new_boundary,
)

PART_SIZE = 525_000
CHUNK_SIZES = (16 << 10, 64 << 10, 256 << 10, 1 << 20)
TARGET_VS_DICOMWEB_CLIENT = 1.3
TARGET_VS_FLOOR = 1.2
SOURCE = "source alone (chunks made)"
FLOOR_EVENTS = "floor (events)"
FLOOR_PIECES = "floor (one piece at a time)"
FLOOR_WHOLE = "floor (whole parts)"
EVENTS = "dicomkit decode (events)"
WHOLE = "dicomkit decode (iter_parts)"
REFERENCE = "dicomweb-client decode"

Consume = Callable[[bytes], None]
Decode = Callable[[Iterable[bytes], str, Consume], None]


def _payloads(count: int) -> list[bytes]:
    """Distinct incompressible part bodies cut from one random pool (cheap to build)."""
    pool = os.urandom(PART_SIZE + 4096)
    return [pool[index % 4096 : index % 4096 + PART_SIZE] for index in range(count)]


def socket_chunks(body: bytes, size: int) -> Iterator[bytes]:
    """The body as a socket delivers it: a fresh ``bytes`` object per read."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


# --- consumers -----------------------------------------------------------------------------


class Counter:
    """Counts body bytes: the decoder's own cost shows most."""

    name = "count"

    def __init__(self) -> None:
        self.total = 0

    def __call__(self, data: bytes) -> None:
        self.total += len(data)

    def result(self) -> object:
        return self.total


class Hasher:
    """SHA-256 of every body byte, as a client verifying what it received."""

    name = "sha256"

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def __call__(self, data: bytes) -> None:
        self._hash.update(data)

    def result(self) -> object:
        return self._hash.hexdigest()


class Writer:
    """Writes every body byte to an unbuffered temporary file, as a download to disk."""

    name = "write"

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 - closed in result

    def __call__(self, data: bytes) -> None:
        self._file.write(data)

    def result(self) -> object:
        size = self._file.seek(0, 2)
        self._file.close()
        return size


CONSUMERS: dict[str, Callable[[], Any]] = {"count": Counter, "sha256": Hasher, "write": Writer}


# --- the decoders --------------------------------------------------------------------------


def source_alone(chunks: Iterable[bytes], boundary: str, consume: Consume) -> None:
    """Only the chunks being made (and dropped): part of every other case's time too."""
    for _ in chunks:
        pass


def decode_events(chunks: Iterable[bytes], boundary: str, consume: Consume) -> None:
    """dicomkit's push decoder, the way a streaming client uses it: events, no joining."""
    decoder = MultipartDecoder(boundary)
    for chunk in chunks:
        for event in decoder.feed(chunk):
            if type(event) is PartData:
                consume(event.data)
    decoder.close()


def decode_whole_parts(chunks: Iterable[bytes], boundary: str, consume: Consume) -> None:
    """dicomkit's ``iter_parts``: each part joined into one ``bytes``, like dicomweb-client."""
    for _, body in iter_parts(chunks, boundary):
        consume(body)


class _StreamedResponse:
    """Just enough of ``requests.Response`` for dicomweb-client's multipart decoder."""

    def __init__(self, chunks: Iterable[bytes], boundary: str) -> None:
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

    client = DICOMwebClient.__new__(DICOMwebClient)  # no session: only the codec is used
    client._chunk_size = 1 << 20
    return client


def decode_dicomweb_client(chunks: Iterable[bytes], boundary: str, consume: Consume) -> None:
    client = _dicomweb_client()
    for part in client._decode_multipart_message(_StreamedResponse(chunks, boundary), True):
        consume(part)


# --- the floor -----------------------------------------------------------------------------


def _holdback(chunk: bytes, start: int, delimiter: bytes) -> int:
    """The index from which the end of ``chunk`` could begin a delimiter, else its length."""
    end = len(chunk)
    index = chunk.find(b"\r", max(start, end - len(delimiter) + 1))
    while index != -1:
        if delimiter.startswith(chunk[index:]):
            return index
        index = chunk.find(b"\r", index + 1)
    return end


def _floor(
    chunks: Iterable[bytes],
    boundary: str,
    emit: Consume,
    end_part: Callable[[], None],
    views: bool,
) -> Iterator[None]:
    """The least work: find each delimiter and hand out the body bytes between them.

    ``emit`` gets body pieces: a chunk that is all body as it is, a piece of one as a copy (or
    a memoryview when ``views``); ``end_part`` runs at each part's end. Yields after each
    chunk. Assumes a well-formed body that opens with its first delimiter, in chunks longer
    than a delimiter.
    """
    delimiter = b"\r\n--" + boundary.encode("ascii")
    size = len(delimiter)
    head = b""  # bytes after a delimiter, before the end of the header block
    carry = b""  # body bytes held back because they could begin a delimiter
    in_body = False
    pos = size - 2  # past the opening delimiter (it has no CRLF before it)
    for chunk in chunks:
        while True:
            if not in_body:
                probe = head + chunk[pos : pos + 8192]
                if probe.startswith(b"--"):
                    yield None
                    return
                ends = probe.find(b"\r\n\r\n")
                if ends == -1:
                    head = probe
                    break
                pos += ends + 4 - len(head)
                head, in_body = b"", True
            if carry:
                held = len(carry)
                found = (carry + chunk[:size]).find(delimiter)
                if found != -1 and found < held:
                    if found:
                        emit(carry[:found])
                    end_part()
                    carry, in_body = b"", False
                    pos = found + size - held
                    continue
                emit(carry)
                carry = b""
            found = chunk.find(delimiter, pos)
            if found == -1:
                keep = (
                    _holdback(chunk, pos, delimiter) if chunk.find(13, -size) != -1 else len(chunk)
                )
                if pos == 0 and keep == len(chunk):
                    emit(chunk)
                elif keep > pos:
                    emit(memoryview(chunk)[pos:keep] if views else chunk[pos:keep])  # type: ignore[arg-type]
                carry = chunk[keep:]
                break
            if found > pos:
                emit(memoryview(chunk)[pos:found] if views else chunk[pos:found])  # type: ignore[arg-type]
            end_part()
            pos, in_body = found + size, False
        pos = 0
        yield None


def floor_events(chunks: Iterable[bytes], boundary: str, consume: Consume) -> None:
    """The floor for the event path: the body pieces of each chunk handed over together, as
    ``feed`` returns the events of a chunk together."""
    pieces: list[bytes] = []
    for _ in _floor(chunks, boundary, pieces.append, _nothing, views=False):
        for piece in pieces:
            consume(piece)
        pieces.clear()


def floor_pieces(chunks: Iterable[bytes], boundary: str, consume: Consume) -> None:
    """Below the event path's floor: each body piece consumed (and freed) as soon as it is cut,
    which no API returning a chunk's events at once can do."""
    for _ in _floor(chunks, boundary, consume, _nothing, views=False):
        pass


def _nothing() -> None:
    return None


def floor_whole(chunks: Iterable[bytes], boundary: str, consume: Consume) -> None:
    """The floor for whole parts, consumed like ``iter_parts``: a loop over an iterator."""
    for body in _floor_parts(chunks, boundary):
        consume(body)


def _floor_parts(chunks: Iterable[bytes], boundary: str) -> Iterator[bytes]:
    """Views of the chunks, joined once at each part's end."""
    pieces: list[bytes] = []
    parts: list[bytes] = []

    def end_part() -> None:
        parts.append(b"".join(pieces))
        pieces.clear()

    for _ in _floor(chunks, boundary, pieces.append, end_part, views=True):
        yield from parts
        parts.clear()


# --- the encoders --------------------------------------------------------------------------


def encode(payloads: list[bytes], boundary: str) -> int:
    parts = [Part(payload, {"Content-Type": "application/dicom"}) for payload in payloads]
    return sum(len(chunk) for chunk in encode_multipart(parts, boundary, chunk_size=1 << 20))


def encode_dicomweb_client(payloads: list[bytes], boundary: str) -> int:
    content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
    return len(_dicomweb_client()._encode_multipart_message(payloads, content_type))


# --- running -------------------------------------------------------------------------------

DECODERS: dict[str, Decode] = {
    SOURCE: source_alone,
    FLOOR_EVENTS: floor_events,
    FLOOR_PIECES: floor_pieces,
    FLOOR_WHOLE: floor_whole,
    EVENTS: decode_events,
    WHOLE: decode_whole_parts,
    REFERENCE: decode_dicomweb_client,
}
FLOORS = {EVENTS: FLOOR_EVENTS, WHOLE: FLOOR_WHOLE}


def _decode_case(body: bytes, chunk: int, consumer: str, decoder: Decode, boundary: str) -> Any:
    def run() -> object:
        consume = CONSUMERS[consumer]()
        decoder(socket_chunks(body, chunk), boundary, consume)
        return consume.result()

    return run


def _rounds(
    cases: dict[str, Callable[[], object]], runs: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """CPU and wall seconds per run of each case, taking turns (benchmarks/_order.py) so that
    a busy machine slows every case alike."""
    seconds: dict[str, list[float]] = {name: [] for name in cases}
    wall: dict[str, list[float]] = {name: [] for name in cases}
    for name in in_turns(list(cases), runs):
        started, cpu = time.perf_counter(), time.process_time()
        cases[name]()
        seconds[name].append(time.process_time() - cpu)
        wall[name].append(time.perf_counter() - started)
    return seconds, wall


def _size(chunk: int) -> str:
    return f"{chunk >> 20} MiB" if chunk >= 1 << 20 else f"{chunk >> 10} KiB"


def _table(
    title: str,
    names: list[str],
    timings: tuple[dict[str, list[float]], dict[str, list[float]]],
    megabytes: float,
    before: str,
) -> None:
    print(f"\n-- {title}")
    print(f"   {describe()} after the runs; {before} before")
    print(f"   {'case':30s} {'CPU MB/s':>9s} {'CPU ms':>8s} {'wall MB/s':>10s} {'wall ms':>8s}")
    for name in names:
        cpu = statistics.median(timings[0][name])
        wall = statistics.median(timings[1][name])
        label = name.rsplit("|", 1)[-1]
        print(
            f"   {label:30s} {megabytes / cpu:9.0f} {cpu * 1000:8.1f}"
            f" {megabytes / wall:10.0f} {wall * 1000:8.1f}"
        )


def _verdicts(key: str, seconds: dict[str, list[float]], checked: bool) -> bool:
    """Print each dicomkit path's ratios against dicomweb-client and its floor."""
    met = True
    for label, floor_name in FLOORS.items():
        ours = seconds[f"{key}|{label}"]
        theirs = seconds[f"{key}|{REFERENCE}"]
        least = seconds[f"{key}|{floor_name}"]
        versus_client = statistics.median(t / o for o, t in zip(ours, theirs, strict=True))
        versus_floor = statistics.median(o / f for o, f in zip(ours, least, strict=True))
        ok = versus_client >= TARGET_VS_DICOMWEB_CLIENT and versus_floor <= TARGET_VS_FLOOR
        verdict = ("met" if ok else "MISSED") if checked else "no target for this consumer"
        met = met and (ok or not checked)
        print(
            f"   {label}: {versus_client:.2f}x as fast as dicomweb-client (target >= "
            f"{TARGET_VS_DICOMWEB_CLIENT}); {versus_floor:.2f}x its floor's time (target <= "
            f"{TARGET_VS_FLOOR}) -> {verdict}"
        )
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks codec", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50 parts, 3 runs")
    parser.add_argument("--parts", type=int, default=None)
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument(
        "--chunks",
        default=",".join(str(size >> 10) for size in CHUNK_SIZES),
        help="chunk sizes in KiB for the count consumer (default: %(default)s)",
    )
    parser.add_argument(
        "--consumers",
        default="count,sha256,write",
        help="consumers; sha256 and write run with 256 KiB chunks only (default: %(default)s)",
    )
    options = parser.parse_args(argv)
    count = options.parts or (50 if options.quick else 500)
    runs = options.runs or (3 if options.quick else 9)
    sizes = [int(size) << 10 for size in options.chunks.split(",")]
    consumers = options.consumers.split(",")

    payloads = _payloads(count)
    boundary = new_boundary()
    parts = [Part(payload, {"Content-Type": "application/dicom"}) for payload in payloads]
    body = b"".join(encode_multipart(parts, boundary))
    megabytes = len(body) / 1e6
    before = "load average " + load_average()
    print(f"{count} parts x {PART_SIZE:,} bytes = {megabytes:.1f} MB; {describe()}")
    print(
        f"chunks: fresh bytes objects cut from the body while each decoder runs (socket-like); "
        f"median of {runs} interleaved runs; ratios: median per run; {before}"
    )

    tables: list[tuple[str, int]] = [(name, size) for name in consumers for size in sizes]
    tables = [(name, size) for name, size in tables if name == "count" or size == 256 << 10]
    cases: dict[str, Callable[[], object]] = {}
    for consumer, size in tables:
        key = f"{consumer}|{_size(size)}"
        results = set()
        for name, decoder in DECODERS.items():
            case = _decode_case(body, size, consumer, decoder, boundary)
            cases[f"{key}|{name}"] = case
            if decoder is not source_alone:
                results.add(case())
        if len(results) != 1:
            raise SystemExit(f"the decoders disagree on the bodies ({key}): {results}")
    if encode(payloads, boundary) != len(body):
        raise SystemExit("dicomkit's encoder produced a body of the wrong size")
    cases["encode|dicomkit encode (1 MiB chunks)"] = lambda: encode(payloads, boundary)
    cases["encode|dicomweb-client encode"] = lambda: encode_dicomweb_client(payloads, boundary)

    timings = _rounds(cases, runs)
    met = True
    for consumer, size in tables:
        key = f"{consumer}|{_size(size)}"
        title = f"decode, {_size(size)} chunks, consumer: {consumer}"
        _table(title, [f"{key}|{name}" for name in DECODERS], timings, megabytes, before)
        met = _verdicts(key, timings[0], checked=consumer == "count") and met
    encoders = [name for name in cases if name.startswith("encode|")]
    _table("encode (no target)", encoders, timings, megabytes, before)
    return 0 if met or options.quick else 1


if __name__ == "__main__":
    raise SystemExit(main())
