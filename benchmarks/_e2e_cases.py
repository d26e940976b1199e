"""One end-to-end benchmark case per process, so that each peak RSS is the case's own.

Run as ``python -m benchmarks._e2e_cases CASE --url ... [--option value ...]``; prints one JSON
line: the seconds the work took, the process's peak RSS in MiB, and what was moved.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import inspect
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ACCEPT_STUDY = 'multipart/related; type="application/dicom"; transfer-syntax=*'


def _peak_rss_mib(include_children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if include_children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def _current_rss_mib() -> float:
    """Resident memory now (Linux), to tell the peak from what the process keeps."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * resource.getpagesize() / 2**20


def _supported(fn: Callable[..., Any], **options: Any) -> dict[str, Any]:
    """Keep only the keyword arguments ``fn`` accepts (settings differ between versions)."""
    params = inspect.signature(fn).parameters
    return {k: v for k, v in options.items() if k in params and v is not None}


def _files(folder: str) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.is_file())


def dicomkit_retrieve(args: argparse.Namespace) -> dict[str, Any]:
    from dicomkit import DicomClient

    with DicomClient(args.url, transport=args.transport) as client:
        start = time.perf_counter()
        datasets = client.retrieve_study(args.study)
        seconds = time.perf_counter() - start
        size = sum(len(ds.PixelData) for ds in datasets)
    return {"seconds": seconds, "count": len(datasets), "pixel_bytes": size}


def dwc_retrieve(args: argparse.Namespace) -> dict[str, Any]:
    from dicomweb_client.api import DICOMwebClient

    client = DICOMwebClient(args.url)
    start = time.perf_counter()
    datasets = client.retrieve_study(args.study)
    seconds = time.perf_counter() - start
    size = sum(len(ds.PixelData) for ds in datasets)
    return {"seconds": seconds, "count": len(datasets), "pixel_bytes": size}


def dicomkit_download(args: argparse.Namespace) -> dict[str, Any]:
    from dicomkit import DicomClient

    with DicomClient(args.url, transport=args.transport) as client:
        start = time.perf_counter()
        paths = client.download_dicom(args.out, args.study)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "count": len(paths)}


def curl_download(args: argparse.Namespace) -> dict[str, Any]:
    target = f"{args.url.rstrip('/')}/studies/{args.study}"
    start = time.perf_counter()
    subprocess.run(
        ["curl", "-sSf", "-H", f"Accept: {ACCEPT_STUDY}", "-o", args.out, target], check=True
    )
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "bytes": Path(args.out).stat().st_size, "children": True}


def dicomkit_upload(args: argparse.Namespace) -> dict[str, Any]:
    from dicomkit import DicomClient

    with DicomClient(args.url, transport=args.transport) as client:
        options = _supported(
            client.upload_dicom_folder,
            workers=args.workers,
        )
        start = time.perf_counter()
        report = client.upload_dicom_folder(args.folder, **options)
        seconds = time.perf_counter() - start
    if report.failed:
        raise SystemExit(f"upload failed: {report}")
    shown = [f"{key}={value}" for key, value in sorted(options.items())]
    return {"seconds": seconds, "stored": len(report.stored), "options": shown}


def dwc_store(args: argparse.Namespace) -> dict[str, Any]:
    import pydicom
    from dicomweb_client.api import DICOMwebClient

    client = DICOMwebClient(args.url)
    files = _files(args.folder)
    start = time.perf_counter()
    for first in range(0, len(files), args.batch):
        batch = [pydicom.dcmread(p) for p in files[first : first + args.batch]]
        client.store_instances(batch)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "stored": len(files)}


def curl_parallel_post(args: argparse.Namespace) -> dict[str, Any]:
    bodies = _files(args.folder)
    target = f"{args.url.rstrip('/')}/studies"

    def post(body: Path) -> None:
        boundary = body.name.split(".")[0]
        content_type = f'multipart/related; type="application/dicom"; boundary={boundary}'
        subprocess.run(
            [
                "curl",
                "-sSf",
                "-o",
                "/dev/null",
                "-X",
                "POST",
                "-H",
                f"Content-Type: {content_type}",
                "-H",
                "Accept: application/dicom+json",
                "-H",
                "Expect:",  # no 1 s wait for a "100 Continue" that Orthanc never sends
                "--data-binary",
                f"@{body}",
                target,
            ],
            check=True,
        )

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.workers or 4) as pool:
        list(pool.map(post, bodies))
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "bodies": len(bodies), "children": True}


def _timed_gather(args: argparse.Namespace, fetch: Callable[..., Any]) -> tuple[float, list[Any]]:
    """Run ``fetch(client, series_uid)`` for every series at once; time only the fetching.

    The client (and the HTTP library it imports) is built first, as in the sync cases.
    """
    from dicomkit import AsyncDicomClient

    async def main() -> tuple[float, list[Any]]:
        async with AsyncDicomClient(args.url, transport=args.transport) as client:
            start = time.perf_counter()
            results = await asyncio.gather(*(fetch(client, uid) for uid in args.series.split(",")))
            return time.perf_counter() - start, list(results)

    return asyncio.run(main())


def async_series(args: argparse.Namespace) -> dict[str, Any]:
    async def fetch(client: Any, uid: str) -> int:
        return len(await client.retrieve_series(args.study, uid))

    seconds, counts = _timed_gather(args, fetch)
    return {"seconds": seconds, "count": sum(counts)}


def async_series_parts(args: argparse.Namespace) -> dict[str, Any]:
    """The same concurrent fetches as ``async_series``, consuming each part's bytes unparsed."""

    async def fetch(client: Any, uid: str) -> int:
        return sum([len(body) async for _, body in client.iter_parts(args.study, uid)])

    seconds, sizes = _timed_gather(args, fetch)
    return {"seconds": seconds, "part_bytes": sum(sizes)}


def curl_series(args: argparse.Namespace) -> dict[str, Any]:
    base = args.url.rstrip("/")
    commands = [
        [
            "curl",
            "-sSf",
            "-o",
            "/dev/null",
            "-w",
            "%{size_download}",
            "-H",
            f"Accept: {ACCEPT_STUDY}",
            f"{base}/studies/{args.study}/series/{uid}",
        ]
        for uid in args.series.split(",")
    ]
    start = time.perf_counter()
    running = [subprocess.Popen(command, stdout=subprocess.PIPE) for command in commands]
    outputs = [process.communicate()[0] for process in running]
    seconds = time.perf_counter() - start
    if any(process.returncode for process in running):
        raise SystemExit("a curl fetch failed")
    size = sum(int(out or b"0") for out in outputs)
    return {"seconds": seconds, "fetches": len(commands), "bytes": size, "children": True}


QIDO_BLOCK = 50
"""Searches per block; dicomkit's and the raw loop's blocks alternate in one process."""


def dicomkit_qido(args: argparse.Namespace) -> dict[str, Any]:
    """``n`` searches through dicomkit, each block paired with a block of the raw urllib3 loop.

    Small requests take a fraction of a millisecond, less than the drift between two processes
    on a shared machine, so the baseline runs in the same process, on its own connection, in
    alternating blocks; the ratio is the median of the per-block ratios.
    """
    import statistics

    import urllib3

    from dicomkit import DicomClient

    pool = urllib3.PoolManager()
    target = f"{args.url.rstrip('/')}/studies?PatientID={args.patient}"
    headers = {"Accept": "application/dicom+json"}

    def raw() -> None:
        json.loads(pool.request("GET", target, headers=headers).data or b"[]")

    with DicomClient(args.url, transport=args.transport) as client:

        def ours() -> None:
            client.search_for_studies({"PatientID": args.patient})

        ours()  # connections open, code paths warm
        raw()
        ours_s, raw_s, ratios = 0.0, 0.0, []
        for _ in range(max(1, args.n // QIDO_BLOCK)):
            start = time.perf_counter()
            for _ in range(QIDO_BLOCK):
                ours()
            middle = time.perf_counter()
            for _ in range(QIDO_BLOCK):
                raw()
            end = time.perf_counter()
            ours_s, raw_s = ours_s + middle - start, raw_s + end - middle
            ratios.append((middle - start) / (end - middle))
    pool.clear()
    done = QIDO_BLOCK * len(ratios)
    return {
        "seconds": ours_s,
        "raw_seconds": raw_s,
        "paired_ratio": statistics.median(ratios),
        "per_request_ms": 1000 * ours_s / done,
        "raw_per_request_ms": 1000 * raw_s / done,
    }


CASES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "dicomkit_retrieve": dicomkit_retrieve,
    "dwc_retrieve": dwc_retrieve,
    "dicomkit_download": dicomkit_download,
    "curl_download": curl_download,
    "dicomkit_upload": dicomkit_upload,
    "dwc_store": dwc_store,
    "curl_parallel_post": curl_parallel_post,
    "async_series": async_series,
    "async_series_parts": async_series_parts,
    "curl_series": curl_series,
    "dicomkit_qido": dicomkit_qido,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--url", required=True)
    parser.add_argument("--study", default="")
    parser.add_argument("--series", default="")
    parser.add_argument("--transport", default="requests")
    parser.add_argument("--folder", default="")
    parser.add_argument("--out", default="")
    parser.add_argument("--patient", default="BENCH")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args(argv)
    figures = CASES[args.case](args)
    figures["rss_at_exit_mib"] = round(_current_rss_mib(), 1)
    figures["max_rss_mib"] = round(_peak_rss_mib(bool(figures.pop("children", False))), 1)
    json.dump(figures, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
