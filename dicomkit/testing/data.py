"""Small, valid DICOM instances generated at test time, so no test ships binary fixtures.

Every dataset is a CT-like image with a Part 10 file meta, unique 2.25 UIDs (always <= 64
characters) and deterministic pixel values, so round trips can compare bytes.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
)

__all__ = [
    "CT_IMAGE_STORAGE",
    "dataset_bytes",
    "make_instance",
    "make_study",
    "new_uid",
    "write_instances",
]

CT_IMAGE_STORAGE = UID("1.2.840.10008.5.1.4.1.1.2")
_ENHANCED_CT_STORAGE = UID("1.2.840.10008.5.1.4.1.1.2.1")
_NATIVE = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)


def new_uid() -> str:
    """A fresh UID under the 2.25 root (UUID as an integer): unique and at most 44 characters."""
    return f"2.25.{uuid.uuid4().int}"


def _pixel_bytes(rows: int, cols: int, frames: int, seed: str) -> bytes:
    """Deterministic 16-bit little-endian pixels that differ per instance, row and frame.

    Rows are slices of one ramp, so even benchmark-sized images are built quickly.
    """
    base = sum(seed.encode()) % 251
    out = bytearray()
    for frame in range(frames):
        ramp = b"".join(
            ((base + frame * 17 + i) % 4096).to_bytes(2, "little") for i in range(2 * cols)
        )
        for row in range(rows):
            start = (row * 3) % cols
            out += ramp[2 * start : 2 * (start + cols)]
    return bytes(out)


def make_instance(
    *,
    study_uid: str | None = None,
    series_uid: str | None = None,
    sop_uid: str | None = None,
    patient_id: str = "PAT1",
    patient_name: str = "Doe^Jane",
    rows: int = 64,
    cols: int = 64,
    frames: int = 1,
    modality: str = "CT",
    study_date: str = "20240102",
    transfer_syntax: str = ExplicitVRLittleEndian,
    **attributes: Any,
) -> Dataset:
    """Build one valid image instance; extra keyword arguments set further attributes by keyword.

    ``transfer_syntax`` may be Explicit or Implicit VR Little Endian (native) or RLE Lossless
    (encapsulated, encoded by pydicom), which covers both kinds of frame retrieval.
    """
    syntax = UID(transfer_syntax)
    if syntax not in (*_NATIVE, RLELossless):
        raise ValueError(f"make_instance cannot produce transfer syntax {syntax}")
    sop_uid = sop_uid or new_uid()
    sop_class = _ENHANCED_CT_STORAGE if frames > 1 else CT_IMAGE_STORAGE

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID

    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid or new_uid()
    ds.SeriesInstanceUID = series_uid or new_uid()
    ds.PatientID = patient_id
    ds.PatientName = patient_name
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.StudyDate = study_date
    ds.StudyTime = "101500"
    ds.SeriesDate = study_date
    ds.ContentDate = study_date
    ds.ContentTime = "101500"
    ds.AccessionNumber = "ACC" + sop_uid[-6:]
    ds.StudyID = "1"
    ds.StudyDescription = "dicomkit test study"
    ds.SeriesDescription = "dicomkit test series"
    ds.ReferringPhysicianName = "Smith^John"
    ds.Modality = modality
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Rows = rows
    ds.Columns = cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = _pixel_bytes(rows, cols, frames, sop_uid)
    ds["PixelData"].VR = "OW"
    for keyword, value in attributes.items():
        setattr(ds, keyword, value)

    if syntax == RLELossless:
        ds.compress(RLELossless, encoding_plugin="pydicom")
    else:
        meta.TransferSyntaxUID = syntax
    return ds


def make_study(
    n_instances: int,
    *,
    n_series: int = 1,
    pixel_bytes: int | None = None,
    **kw: Any,
) -> list[Dataset]:
    """``n_instances`` instances spread round-robin over ``n_series`` series of one new study.

    ``pixel_bytes`` sizes each instance's pixel data (square 16-bit image), for benchmarks.
    """
    if n_instances < 1 or n_series < 1:
        raise ValueError("make_study needs at least one instance and one series")
    study_uid = kw.pop("study_uid", None) or new_uid()
    series_uids = [new_uid() for _ in range(n_series)]
    if pixel_bytes is not None:
        side = max(1, math.isqrt(max(1, pixel_bytes // 2)))
        kw.setdefault("rows", side)
        kw.setdefault("cols", side)
    datasets = []
    for index in range(n_instances):
        series_index = index % n_series
        ds = make_instance(study_uid=study_uid, series_uid=series_uids[series_index], **kw)
        ds.SeriesNumber = series_index + 1
        ds.InstanceNumber = index // n_series + 1
        datasets.append(ds)
    return datasets


def write_instances(folder: str | Path, datasets: Iterable[Dataset]) -> list[Path]:
    """Write each dataset as a Part 10 file (with preamble) named after its SOPInstanceUID."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    paths = []
    for ds in datasets:
        path = target / f"{ds.SOPInstanceUID}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def dataset_bytes(ds: Dataset) -> bytes:
    """The Part 10 encoding of ``ds`` (preamble, file meta, data set), as STOW-RS sends it."""
    from io import BytesIO

    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()
