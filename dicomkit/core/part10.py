"""A Dataset as Part 10 bytes: what each part of a STOW-RS body holds.

Public so that a caller with an HTTP stack of their own (docs/sans-io.md) encodes
instances exactly as the clients do. pydicom is imported when a function is called, never by
importing this module (``import dicomkit.core`` stays free of pydicom and NumPy); buffers are
pydicom's own ``DicomBytesIO``, so the core still opens no file.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from dicomkit.core.errors import InvalidArgumentError

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = ["part10_bytes"]


def part10_bytes(dataset: Dataset) -> bytes:
    """``dataset`` encoded as a Part 10 file: preamble, file meta, data set.

    A Dataset built in memory (no file meta) is written in the encoding it was read with,
    else Explicit VR Little Endian; the caller's Dataset is not modified.
    """
    import pydicom
    from pydicom.filebase import DicomBytesIO

    buffer = DicomBytesIO()
    try:
        pydicom.dcmwrite(buffer, _with_transfer_syntax(dataset), enforce_file_format=True)
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise InvalidArgumentError(f"cannot encode the dataset as a DICOM file: {exc}") from exc
    return bytes(buffer.getvalue())


def _with_transfer_syntax(dataset: Dataset) -> Dataset:
    """``dataset``, or a shallow copy with a Transfer Syntax UID in its file meta.

    A Dataset built in memory has no file meta, and pydicom cannot write a Part 10 file
    without knowing its encoding: use the encoding it was read with, else Explicit VR Little
    Endian (the default every STOW-RS server accepts). The caller's Dataset is not modified.
    """
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    meta = dataset.get("file_meta")
    if meta is not None and "TransferSyntaxUID" in meta:
        return dataset
    implicit, little = dataset.original_encoding
    syntax = ExplicitVRLittleEndian
    if implicit and little is not False:
        syntax = ImplicitVRLittleEndian
    elif implicit is False and little is False:
        syntax = ExplicitVRBigEndian
    file_meta = FileMetaDataset()
    for element in meta or ():
        file_meta.add(copy.deepcopy(element))
    file_meta.TransferSyntaxUID = syntax
    clone = Dataset(dataset)  # shares the elements, which writing does not change
    clone.file_meta = file_meta
    return clone
