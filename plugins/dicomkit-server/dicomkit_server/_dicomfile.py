"""Everything the server needs to know about one Part 10 file, read with pydicom.

Reading happens here so that the routes deal in bytes, UIDs and DICOM JSON only.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import generate_frames
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

from dicomkit.core.numbers import parse_decimal
from dicomkit_server._store import BULK_PLACEHOLDER

__all__ = [
    "BULK_THRESHOLD",
    "FRAME_MEDIA_TYPES",
    "IndexedInstance",
    "NotAcceptable",
    "bulk_location",
    "bulk_value",
    "decoded_frames",
    "explicit_little_endian_bytes",
    "frame_media_type",
    "index_file",
    "iter_file",
    "read_frames",
    "render_frames",
]

BULK_THRESHOLD = 1024
"""Binary values longer than this are served through BulkDataURI instead of inline."""

FRAME_MEDIA_TYPES = {
    "1.2.840.10008.1.2.4.50": "image/jpeg",
    "1.2.840.10008.1.2.4.51": "image/jpeg",
    "1.2.840.10008.1.2.4.57": "image/jpeg",
    "1.2.840.10008.1.2.4.70": "image/jpeg",
    "1.2.840.10008.1.2.4.80": "image/jls",
    "1.2.840.10008.1.2.4.81": "image/jls",
    "1.2.840.10008.1.2.4.90": "image/jp2",
    "1.2.840.10008.1.2.4.91": "image/jp2",
    "1.2.840.10008.1.2.4.92": "image/jpx",
    "1.2.840.10008.1.2.4.93": "image/jpx",
    "1.2.840.10008.1.2.5": "image/x-dicom-rle",
}
_PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


class NotAcceptable(Exception):
    """The representation asked for cannot be produced from what is stored (HTTP 406)."""


@dataclass
class IndexedInstance:
    """What STOW learns from an uploaded file before it is stored."""

    study: str
    series: str
    sop: str
    sop_class: str
    transfer_syntax: str
    metadata: dict[str, Any]


def _placeholder(path: tuple[str, ...], _element: DataElement) -> str:
    return BULK_PLACEHOLDER + "/".join(path)


def _json_of(ds: Dataset, path: tuple[str, ...] = ()) -> dict[str, Any]:
    """``ds.to_json_dict`` as pydicom writes it, with two differences.

    A placeholder BulkDataURI names the element's whole path (``54000100/2/54001010``, item
    numbers from 1 as Orthanc writes them), so a value inside a sequence is never confused with
    the top-level element of the same tag. A value pydicom cannot encode (an IS of ``"1A"``)
    is left out, as Orthanc does, instead of refusing the whole data set.
    """
    result: dict[str, Any] = {}
    for raw in ds.elements():  # not converted yet: conversion may fail, below
        tag = raw.tag
        key = f"{tag:08X}"
        try:
            element = ds[tag]
            if element.VR == "SQ":
                items = enumerate(element.value, start=1)
                value = [_json_of(item, (*path, key, str(n))) for n, item in items]
                result[key] = {"vr": "SQ", "Value": value}
                continue
            result[key] = element.to_json_dict(
                bulk_data_element_handler=partial(_placeholder, (*path, key)),
                bulk_data_threshold=BULK_THRESHOLD,
            )
        except Exception:  # pydicom raises many kinds for values that do not parse
            result[key] = {"vr": str(raw.VR or "UN")}
    return result


def _has_preamble(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(132)[128:132] == b"DICM"


def _normalise_to_part10(ds: Dataset, path: Path) -> None:
    """Rewrite an upload that lacks the preamble (dicomweb-client sends such) as Part 10."""
    meta = ds.file_meta if hasattr(ds, "file_meta") else FileMetaDataset()
    if "TransferSyntaxUID" not in meta:
        implicit, little = ds.original_encoding
        if implicit:
            meta.TransferSyntaxUID = ImplicitVRLittleEndian
        else:
            meta.TransferSyntaxUID = ExplicitVRLittleEndian if little else ExplicitVRBigEndian
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta = meta
    ds.save_as(path, enforce_file_format=True)


def index_file(path: Path) -> IndexedInstance:
    """Parse an upload; raises ValueError with a human reason when it is not a usable instance.

    Data sets sent without the 128-byte preamble are accepted and stored as Part 10 files.
    """
    part10 = _has_preamble(path)
    try:
        ds = pydicom.dcmread(path, force=not part10)
    except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a DICOM Part 10 file: {exc}") from exc
    missing = [
        keyword
        for keyword in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
        if not _safe_text(ds, keyword)
    ]
    if missing:
        raise ValueError(f"not a DICOM instance: missing {', '.join(missing)}")
    if not part10:
        try:
            _normalise_to_part10(ds, path)
        except Exception as exc:  # pydicom raises many kinds for odd data sets
            raise ValueError(f"cannot store the data set as Part 10: {exc}") from exc
        ds = pydicom.dcmread(path)
    syntax = str(ds.file_meta.get("TransferSyntaxUID", "") or ImplicitVRLittleEndian)
    return IndexedInstance(
        study=str(ds.StudyInstanceUID),
        series=str(ds.SeriesInstanceUID),
        sop=str(ds.SOPInstanceUID),
        sop_class=str(ds.SOPClassUID),
        transfer_syntax=syntax,
        metadata=_json_of(ds),
    )


def _safe_text(ds: Dataset, keyword: str) -> str:
    try:
        return str(ds.get(keyword, "") or "")
    except Exception:  # a forced read of random bytes can fail on any access
        return ""


def iter_file(path: Path, chunk_size: int = 1 << 18) -> Iterator[bytes]:
    """The file's bytes in chunks: large instances are never held in memory whole."""
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def _is_native(syntax: str) -> bool:
    return not UID(syntax).is_encapsulated


def explicit_little_endian_bytes(path: Path, stored_syntax: str) -> bytes:
    """Re-encode a natively encoded instance as Explicit VR Little Endian (one instance only)."""
    if not _is_native(stored_syntax) or not UID(stored_syntax).is_little_endian:
        raise NotAcceptable(f"cannot convert {stored_syntax} to Explicit VR Little Endian")
    ds = pydicom.dcmread(path)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=False, little_endian=True, enforce_file_format=True)
    return buffer.getvalue()


def frame_media_type(stored_syntax: str) -> str:
    """The media type a frame of this transfer syntax is served as."""
    if _is_native(stored_syntax):
        return "application/octet-stream"
    return FRAME_MEDIA_TYPES.get(stored_syntax, "application/octet-stream")


def _number_of_frames(ds: Dataset) -> int:
    value = ds.get("NumberOfFrames", 1)
    try:
        return max(1, int(value or 1))
    except (TypeError, ValueError):
        return 1


def _frames_of(path: Path, numbers: list[int] | None) -> tuple[Dataset, list[int]]:
    """The data set and the 1-based frame numbers asked for (None: every frame), checked.

    Raises LookupError when the instance has no pixel data or a frame number is out of range.
    """
    ds = pydicom.dcmread(path)
    if "PixelData" not in ds:
        raise LookupError("the instance has no pixel data")
    count = _number_of_frames(ds)
    chosen = list(range(1, count + 1)) if numbers is None else numbers
    bad = [n for n in chosen if n < 1 or n > count]
    if bad:
        raise LookupError(f"frame numbers out of range 1..{count}: {bad}")
    return ds, chosen


def _decoded_pixels(ds: Dataset) -> Any:
    """The decoded pixel array with a leading frame axis even for one frame (a NumPy array);
    NotAcceptable when pydicom cannot decode it."""
    try:
        pixels = ds.pixel_array
    except Exception as exc:  # decoder plugins raise their own errors
        raise NotAcceptable(f"cannot decode the pixel data: {exc}") from exc
    return pixels[None, ...] if _number_of_frames(ds) == 1 else pixels


def read_frames(path: Path, numbers: list[int]) -> list[bytes]:
    """The requested 1-based frames as stored: native slices or encapsulated fragments.

    Raises LookupError when the instance has no pixel data or a frame number is out of range.
    """
    ds, numbers = _frames_of(path, numbers)
    data: bytes = ds.PixelData
    syntax = str(ds.file_meta.get("TransferSyntaxUID", ImplicitVRLittleEndian))
    if _is_native(syntax):
        bits = int(ds.BitsAllocated)
        pixels = int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1))
        size = (pixels * bits + 7) // 8
        return [data[(n - 1) * size : n * size] for n in numbers]
    frames = list(generate_frames(data, number_of_frames=_number_of_frames(ds)))
    return [frames[n - 1] for n in numbers]


def decoded_frames(path: Path, numbers: list[int]) -> list[bytes]:
    """Encapsulated frames decoded to native little-endian bytes, where pydicom can decode them."""
    ds, numbers = _frames_of(path, numbers)
    pixels = _decoded_pixels(ds)
    return [pixels[n - 1].astype(pixels.dtype.newbyteorder("<")).tobytes() for n in numbers]


def bulk_location(text: str) -> tuple[int, ...]:
    """The path of a bulk-data URL segment (``7FE00010`` or ``54000100/2/54001010``): tags at
    even places, 1-based item numbers between; ValueError when it is not one."""
    pieces = text.split("/")
    if len(pieces) % 2 == 0:
        raise ValueError(f"invalid bulk data path {text!r}")
    path: list[int] = []
    for index, piece in enumerate(pieces):
        tag = index % 2 == 0
        if tag and re.fullmatch(r"[0-9A-Fa-f]{8}", piece) is None:
            raise ValueError(f"invalid tag {piece!r} in bulk data path {text!r}")
        number = int(piece, 16) if tag else parse_decimal(piece)
        if number is None or (not tag and number < 1):
            raise ValueError(f"invalid item number {piece!r} in bulk data path {text!r}")
        path.append(number)
    return tuple(path)


def _element_at(ds: Dataset, location: tuple[int, ...]) -> DataElement | None:
    tag, rest = location[0], location[1:]
    if tag not in ds:
        return None
    element = ds[tag]
    if not rest:
        return element
    if element.VR != "SQ" or rest[0] > len(element.value):
        return None
    return _element_at(element.value[rest[0] - 1], rest[1:])


def bulk_value(path: Path, location: tuple[int, ...]) -> bytes:
    """Raw bytes of the binary element at ``location`` (see :func:`bulk_location`), as the
    BulkDataURI that names it promises them; LookupError when there is none."""
    ds = pydicom.dcmread(path)
    element = _element_at(ds, location)
    if element is None or element.value is None:
        where = "/".join(f"{n:08X}" if i % 2 == 0 else str(n) for i, n in enumerate(location))
        raise LookupError(f"no element {where} in the instance")
    value = element.value
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise LookupError("the element is not a binary value")


def render_frames(
    path: Path, frames: list[int] | None, media_type: str, size: int | None = None
) -> list[bytes]:
    """Frames (1-based; None for all) windowed to 8 bits and encoded as JPEG or PNG (needs
    Pillow and NumPy), decoding the pixel data once.

    Raises LookupError without pixel data or for a frame out of range, NotAcceptable when the
    pixels cannot be decoded or Pillow and NumPy are missing.
    """
    try:
        import numpy as np
        from PIL import Image
    except ImportError as exc:
        raise NotAcceptable(
            "rendering needs Pillow and NumPy (pip install dicomkit[render])"
        ) from exc
    ds, numbers = _frames_of(path, frames)
    pixels = _decoded_pixels(ds)
    images = []
    for number in numbers:
        array = pixels[number - 1].astype("float64")
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) * (255.0 / (high - low)) if high > low else array * 0
        image = Image.fromarray(scaled.astype(np.uint8))
        if size is not None:
            image.thumbnail((size, size))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG" if media_type == "image/png" else "JPEG")
        images.append(buffer.getvalue())
    return images
