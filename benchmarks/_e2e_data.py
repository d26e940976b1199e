"""The end-to-end benchmark's data: synthetic CT studies and prebuilt STOW-RS bodies.

Generated on every run into a temporary folder (never committed). Each instance is a 512x512
16-bit CT image with random pixels, about 525 KB as a Part 10 file, so that nothing compresses.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SERIES_COUNT", "DataSet", "make_dataset", "prebuild_bodies"]

PIXEL_BYTES = 512 * 512 * 2
SERIES_COUNT = 8


@dataclass
class DataSet:
    """One generated study on disk."""

    folder: Path
    study: str
    series: list[str]
    count: int
    size: int
    patient: str


def _uid() -> str:
    return "2.25." + str(int.from_bytes(secrets.token_bytes(15), "big"))


def make_dataset(folder: Path, count: int, patient: str = "BENCH") -> DataSet:
    """``count`` CT instances of about 525 KB in ``SERIES_COUNT`` series of one study."""
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

    folder.mkdir(parents=True, exist_ok=True)
    study = _uid()
    series = [_uid() for _ in range(min(SERIES_COUNT, count))]
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
        ds.SeriesInstanceUID = series[index % len(series)]
        ds.PatientID = patient
        ds.PatientName = "Bench^Mark"
        ds.StudyDate = "20240102"
        ds.Modality = "CT"
        ds.SeriesNumber = index % len(series) + 1
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
    return DataSet(folder, study, series, count, size, patient)


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
