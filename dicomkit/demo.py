"""``python -m dicomkit.demo``: the whole DICOMweb round trip on this machine, in seconds.

Starts dicomkit's reference DICOMweb server on 127.0.0.1 (in a temporary folder), uploads the
sample instances that ship inside pydicom, searches them, downloads a study to a folder and
checks the bytes, retrieves frames and metadata, deletes a study, and prints each step. It
needs nothing but ``pip install "dicomkit[server]"``: the server is the dicomkit-server
distribution, imported only when the demo runs, so this module stays in the main wheel.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pydicom

from dicomkit.client import DicomClient
from dicomkit.core.dicomjson import first_value
from dicomkit.core.errors import DicomkitError, HTTPError

__all__ = ["SAMPLE_FILES", "main", "sample_files"]

SAMPLE_FILES = (
    "CT_small.dcm",
    "MR_small.dcm",
    "MR_small_RLE.dcm",
    "rtdose.dcm",
    "examples_ybr_color.dcm",
    "SC_rgb_rle.dcm",
    "test-SR.dcm",
)
"""Files bundled in the pydicom wheel: CT, MR (twice, same SOPInstanceUID), a 15-frame RT dose,
a 30-frame JPEG ultrasound, an RLE secondary capture and a structured report."""


def sample_files(skipped: list[str] | None = None) -> list[Path]:
    """The bundled sample files that exist, one per SOPInstanceUID (first one wins).

    Names left out because an earlier file has the same SOPInstanceUID go to ``skipped``.
    """
    folder = Path(pydicom.__file__).parent / "data" / "test_files"
    chosen: dict[str, Path] = {}
    for name in SAMPLE_FILES:
        path = folder / name
        if not path.is_file():
            continue
        uid = str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)
        if uid in chosen and skipped is not None:
            skipped.append(f"{name} (same SOPInstanceUID as {chosen[uid].name})")
        chosen.setdefault(uid, path)
    return list(chosen.values())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Printer:
    """Numbered steps with the time since the start."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.step = 0

    def __call__(self, title: str) -> None:
        self.step += 1
        elapsed = time.monotonic() - self.started
        print(f"\n[{self.step}] {title}  (t={elapsed:.2f}s)")

    @staticmethod
    def line(text: str) -> None:
        print(f"    {text}")


@contextmanager
def _server(root: Path) -> Iterator[str]:
    try:
        from dicomkit_server import ReferenceServer
    except ImportError as exc:
        raise SystemExit(
            "the demo's reference server needs the server extra: pip install 'dicomkit[server]'"
            f" (missing: {exc.name or exc})"
        ) from exc
    with ReferenceServer(root) as url:
        yield str(url)


def _study_rows(client: DicomClient) -> list[dict[str, Any]]:
    fields = ["PatientName", "StudyDate", "ModalitiesInStudy", "NumberOfStudyRelatedInstances"]
    return client.search_for_studies(fields=fields, get_remaining=True)


def run(workdir: Path) -> None:
    """The demo proper, with every file under ``workdir``."""
    say = _Printer()
    skipped: list[str] = []
    files = sample_files(skipped)
    by_uid = {str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID): p for p in files}
    with _server(workdir / "server") as url, DicomClient(url) as client:
        say(f"Reference DICOMweb server running at {url}")
        say.line(f"client: {client!r}, transport: {type(client.transport).__name__}")

        say(f"STOW-RS: uploading {len(files)} sample files bundled with pydicom")
        for path in files:
            say.line(f"{path.name:<24} {path.stat().st_size:>8,} bytes")
        for name in skipped:
            say.line(f"skipped {name}")
        result = client.store_instances(files)
        say.line(f"stored {len(result.stored)} instance(s), failed {len(result.failed)}")

        say("QIDO-RS: searching for studies")
        rows = _study_rows(client)
        for row in rows:
            say.line(
                f"{first_value(row, 'PatientName') or '-'!s:<22} "
                f"date {first_value(row, 'StudyDate') or '-':<9} "
                f"modality {first_value(row, 'ModalitiesInStudy') or '-':<7} "
                f"instances {first_value(row, 'NumberOfStudyRelatedInstances') or '?'}"
            )
        ct = pydicom.dcmread(files[0], stop_before_pixels=True)
        ct_study = str(ct.StudyInstanceUID)
        found = client.search_for_instances(ct_study, fields=["SOPInstanceUID"])
        say.line(f"study {ct_study} has {len(found)} instance(s)")

        say("WADO-RS: downloading that study to a folder, streamed part by part")
        paths = client.download_dicom(workdir / "downloads", ct_study)
        for path in paths:
            source = by_uid.get(path.stem)
            same = source is not None and _sha256(source) == _sha256(path)
            say.line(f"{path.relative_to(workdir)}")
            say.line(f"  {path.stat().st_size:,} bytes, identical to the uploaded file: {same}")

        _frames_and_metadata(client, files, say)

        say(f"DELETE: removing study {ct_study}")
        client.delete_dicom(ct_study)
        remaining = client.search_for_studies(get_remaining=True)
        say.line(f"{len(rows)} studies before, {len(remaining)} after")

    say(f"Done: the server has stopped and {workdir} is about to be removed")


def _frames_and_metadata(client: DicomClient, files: list[Path], say: _Printer) -> None:
    for path in files:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        frames = int(ds.get("NumberOfFrames", 1) or 1)
        if frames < 2:
            continue
        uids = (str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID))
        say(f"WADO-RS frames: {path.name}, {frames} frames ({ds.file_meta.TransferSyntaxUID.name})")
        wanted = [1, frames]
        try:
            frames_data = client.retrieve_instance_frames(*uids, wanted)
        except HTTPError as exc:
            say.line(f"the server declined: HTTP {exc.status}")
            continue
        for number, data in zip(wanted, frames_data, strict=False):
            say.line(f"frame {number}: {len(data):,} bytes, starts {data[:4].hex()}")
        metadata = client.retrieve_instance_metadata(*uids)
        rows, cols = first_value(metadata, "Rows"), first_value(metadata, "Columns")
        pixel = metadata.get("7FE00010", {})
        say.line(f"metadata: {len(metadata)} attributes, {rows}x{cols} pixels")
        if "BulkDataURI" in pixel:
            say.line(f"pixel data by reference: {pixel['BulkDataURI']}")


def main(argv: list[str] | None = None) -> int:
    """Run the demo in a temporary folder; return a process exit status."""
    started = time.monotonic()
    # Some bundled samples carry slightly invalid UIDs; pydicom's warnings would drown the story.
    warnings.filterwarnings("ignore", category=UserWarning, module="pydicom")
    try:
        with tempfile.TemporaryDirectory(prefix="dicomkit-demo-") as tmp:
            run(Path(tmp))
    except DicomkitError as exc:
        print(f"\ndemo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"\nAll steps passed in {time.monotonic() - started:.1f}s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
