"""End-to-end speed and memory of dicomkit against dicomweb-client and curl, on two servers.

Generates its data set (never committed), starts the reference server (as a separate process)
and Orthanc (when installed, inside the private network namespace the nox session provides),
runs every case several times in its own process (``benchmarks._e2e_cases``) and reports the
median time and the peak RSS of that process, with the ratio each target is judged on.

``python -m benchmarks e2e`` (full: 500 and 1,000 instances of 525 KB, 3 runs) or
``python -m benchmarks e2e --quick`` (40 and 80 instances, 1 run; for CI).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"
PIXEL_BYTES = 512 * 512 * 2
SERIES_COUNT = 8


@dataclass
class DataSet:
    folder: Path
    study: str
    series: list[str]
    count: int
    size: int


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


def _uid() -> str:
    return "2.25." + str(int.from_bytes(secrets.token_bytes(15), "big"))


def make_dataset(folder: Path, count: int, patient: str = "BENCH") -> DataSet:
    """``count`` CT instances of about 525 KB in ``SERIES_COUNT`` series of one study."""
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

    folder.mkdir(parents=True, exist_ok=True)
    study = _uid()
    series = [_uid() for _ in range(SERIES_COUNT)]
    size = 0
    for index in range(count):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.SOPClassUID = CTImageStorage
        ds.SOPInstanceUID = _uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series[index % SERIES_COUNT]
        ds.PatientID = patient
        ds.PatientName = "Bench^Mark"
        ds.StudyDate = "20240102"
        ds.Modality = "CT"
        ds.SeriesNumber = index % SERIES_COUNT + 1
        ds.InstanceNumber = index + 1
        ds.Rows = ds.Columns = 512
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.SamplesPerPixel = 1
        ds.PixelRepresentation = 0
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.PixelData = os.urandom(PIXEL_BYTES)
        path = folder / f"{index:05d}.dcm"
        pydicom.dcmwrite(path, ds, enforce_file_format=True)
        size += path.stat().st_size
    return DataSet(folder, study, series, count, size)


def prebuild_bodies(data: DataSet, target: Path, batch: int = 50) -> Path:
    """Multipart STOW bodies of ``batch`` instances each, named ``{boundary}.bin`` for curl."""
    from dicomkit.core.multipart import Part, encode_multipart, new_boundary

    target.mkdir(parents=True, exist_ok=True)
    files = sorted(data.folder.glob("*.dcm"))
    for first in range(0, len(files), batch):
        boundary = new_boundary()
        handles = [path.open("rb") for path in files[first : first + batch]]
        try:
            parts = [Part(h, {"Content-Type": "application/dicom"}) for h in handles]
            with (target / f"{boundary}.bin").open("wb") as out:
                for chunk in encode_multipart(parts, boundary):
                    out.write(chunk)
        finally:
            for handle in handles:
                handle.close()
    return target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def reference_server(root: Path) -> Iterator[tuple[str, Any]]:
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
    from dicomkit.testing.orthanc import OrthancServer

    with OrthancServer(root) as server:
        yield server.url, server


def _run_case(case: str, runs: int, **options: Any) -> tuple[float, float, dict[str, Any]]:
    figures: list[dict[str, Any]] = []
    for _ in range(runs):
        argv = [sys.executable, "-m", "benchmarks._e2e_cases", case]
        for key, value in options.items():
            argv += [f"--{key}", str(value)]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT.parent)
        if done.returncode != 0:
            raise RuntimeError(f"{case} failed: {done.stderr[-2000:]}")
        figures.append(json.loads(done.stdout.strip().splitlines()[-1]))
    seconds = statistics.median(f["seconds"] for f in figures)
    rss = max(f["max_rss_mib"] for f in figures)
    return seconds, rss, figures[-1]


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


def _clear(url: str, study: str, orthanc: Any) -> None:
    if orthanc is not None:
        orthanc.reset()
        return
    from dicomkit import DicomClient, NotFoundError

    with DicomClient(url) as client, contextlib.suppress(NotFoundError):
        client.delete_study(study)


def _upload(url: str, data: DataSet) -> None:
    from dicomkit import DicomClient

    with DicomClient(url) as client:
        client.upload_dicom_folder(data.folder)


def bench_server(
    name: str, url: str, orthanc: Any, sets: dict[str, DataSet], opts: Any
) -> list[Row]:
    runs, small, large = opts.runs, sets["small"], sets["large"]
    sync_names, async_names = _transports()
    rows: list[Row] = []
    work = Path(tempfile.mkdtemp(prefix="dicomkit-bench-"))
    try:
        _clear(url, small.study, orthanc)
        _upload(url, small)
        mib = small.size / 2**20

        dwc_s, dwc_rss, _ = _run_case("dwc_retrieve", runs, url=url, study=small.study)
        rows.append(Row("retrieve study -> Datasets", "dicomweb-client", dwc_s, dwc_rss))
        for transport in sync_names:
            s, rss, _ = _run_case(
                "dicomkit_retrieve", runs, url=url, study=small.study, transport=transport
            )
            met = s <= 0.5 * dwc_s and rss <= 1.5 * mib + 60
            rows.append(
                Row(
                    "retrieve study -> Datasets",
                    f"dicomkit[{transport}]",
                    s,
                    rss,
                    s / dwc_s,
                    "<=0.5x dwc; RSS<=1.5x study (+60 MiB interpreter)",
                    met,
                )
            )

        out_file = work / "curl.body"
        curl_s, curl_rss, _ = _run_case(
            "curl_download", runs, url=url, study=small.study, out=out_file
        )
        rows.append(Row("download study to folder", "curl -o file", curl_s, curl_rss))
        for transport in sync_names:
            target = work / f"dl-{transport}"
            s, rss, _ = _run_case(
                "dicomkit_download",
                runs,
                url=url,
                study=small.study,
                out=target,
                transport=transport,
            )
            shutil.rmtree(target, ignore_errors=True)
            rows.append(
                Row(
                    "download study to folder",
                    f"dicomkit[{transport}]",
                    s,
                    rss,
                    s / curl_s,
                    "<=1.25x curl; RSS<=100 MiB",
                    s <= 1.25 * curl_s and rss <= 100,
                )
            )

        _clear(url, small.study, orthanc)
        _upload(url, large)
        rss_small = next(
            r.rss_mib
            for r in rows
            if r.case == "dicomkit[requests]" and r.work.startswith("download")
        )
        target = work / "dl-large"
        s, rss_large, _ = _run_case(
            "dicomkit_download", 1, url=url, study=large.study, out=target, transport="requests"
        )
        shutil.rmtree(target, ignore_errors=True)
        rows.append(
            Row(
                f"download {large.count} vs {small.count} instances",
                "dicomkit[requests]",
                s,
                rss_large,
                rss_large - rss_small,
                "RSS growth <=10 MiB",
                abs(rss_large - rss_small) <= 10,
            )
        )
        _clear(url, large.study, orthanc)

        dwc_store_s = _store_case(url, small, orthanc, runs, "dwc_store", folder=small.folder)
        rows.append(Row("store instances", "dicomweb-client (batches of 50)", dwc_store_s, 0))
        bodies = prebuild_bodies(small, work / "bodies")
        curl_store_s = _store_case(
            url, small, orthanc, runs, "curl_parallel_post", folder=bodies, workers=4
        )
        rows.append(Row("store instances", "curl x4 parallel posts", curl_store_s, 0))
        for transport in sync_names:
            s = _store_case(
                url,
                small,
                orthanc,
                runs,
                "dicomkit_upload",
                folder=small.folder,
                transport=transport,
                workers=4,
            )
            rows.append(
                Row(
                    "store instances",
                    f"dicomkit[{transport}] upload_dicom_folder",
                    s,
                    0,
                    s / dwc_store_s,
                    "<=0.6x dwc; <=1.15x curl",
                    s <= 0.6 * dwc_store_s and s <= 1.15 * curl_store_s,
                    {"vs_curl": s / curl_store_s},
                )
            )

        _upload(url, small)
        series = ",".join(small.series)
        curl_series_s, _, _ = _run_case(
            "curl_series", runs, url=url, study=small.study, series=series
        )
        rows.append(Row("8 concurrent series", "curl x8", curl_series_s, 0))
        for transport in async_names:
            s, rss, _ = _run_case(
                "async_series", runs, url=url, study=small.study, series=series, transport=transport
            )
            rows.append(
                Row(
                    "8 concurrent series",
                    f"dicomkit async[{transport}]",
                    s,
                    rss,
                    curl_series_s / s,
                    ">=0.9x curl throughput",
                    curl_series_s / s >= 0.9,
                )
            )

        n = opts.qido
        raw_s, _, raw = _run_case("urllib3_qido", runs, url=url, n=n)
        rows.append(Row(f"{n} QIDO searches", "raw urllib3 loop", raw_s, 0, extra=raw))
        for transport in sync_names:
            s, _, fig = _run_case("dicomkit_qido", runs, url=url, n=n, transport=transport)
            rows.append(
                Row(
                    f"{n} QIDO searches",
                    f"dicomkit[{transport}]",
                    s,
                    0,
                    s / raw_s,
                    "<=1.25x raw urllib3 per request",
                    s <= 1.25 * raw_s,
                    fig,
                )
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for row in rows:
        row.extra["server"] = name
    return rows


def _store_case(url: str, data: DataSet, orthanc: Any, runs: int, case: str, **opts: Any) -> float:
    times = []
    for _ in range(runs):
        _clear(url, data.study, orthanc)
        seconds, _, _ = _run_case(case, 1, url=url, **opts)
        times.append(seconds)
    _clear(url, data.study, orthanc)
    return statistics.median(times)


def print_table(server: str, rows: list[Row]) -> None:
    print(f"\n### {server}\n")
    print("| work | client | median s | peak RSS MiB | ratio | target | met |")
    print("|---|---|---:|---:|---:|---|---|")
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}"
        met = "" if r.met is None else ("yes" if r.met else "NO")
        rss = f"{r.rss_mib:.0f}" if r.rss_mib else ""
        print(f"| {r.work} | {r.case} | {r.seconds:.3f} | {rss} | {ratio} | {r.target} | {met} |")


def _orthanc_usable() -> bool:
    try:
        from dicomkit.testing.orthanc import orthanc_available
    except ImportError:
        return False
    return bool(orthanc_available())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small CI-sized run")
    parser.add_argument("--servers", default="reference,orthanc")
    opts = parser.parse_args(argv)
    opts.runs = 1 if opts.quick else 3
    opts.qido = 100 if opts.quick else 1000
    small_n, large_n = (40, 80) if opts.quick else (500, 1000)

    scratch = Path(tempfile.mkdtemp(prefix="dicomkit-bench-data-"))
    results: dict[str, Any] = {"quick": opts.quick, "servers": {}}
    try:
        sets = {
            "small": make_dataset(scratch / "small", small_n),
            "large": make_dataset(scratch / "large", large_n),
        }
        print(
            f"data: {small_n} instances = {sets['small'].size / 1e6:.1f} MB; "
            f"{large_n} instances = {sets['large'].size / 1e6:.1f} MB"
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
            results["servers"][server] = [row.__dict__ for row in rows]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("e2e-quick.json" if opts.quick else "e2e.json")
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nraw figures: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
