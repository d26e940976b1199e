"""Datasets built from retrieved parts must not keep the part's bytes alive (issue 7: peak RSS)."""

from __future__ import annotations

import io

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from dicomkit.files.part10 import dataset_from_bytes


def _part10(pixels: bytes) -> bytes:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.Rows = ds.Columns = 4
    ds.BitsAllocated = 16
    ds.PixelData = pixels
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def test_dataset_does_not_hold_an_open_buffer_over_the_part() -> None:
    dataset = dataset_from_bytes(_part10(bytes(range(32))))
    buffer = getattr(dataset, "buffer", None)
    assert buffer is None or buffer.closed


def test_every_element_is_readable_after_the_buffer_is_released() -> None:
    pixels = bytes(range(32))
    data = _part10(pixels)
    dataset = dataset_from_bytes(data)
    del data
    assert dataset.PixelData == pixels
    assert dataset.Rows == 4
    assert dataset.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert str(dataset.SOPInstanceUID) == str(dataset.file_meta.MediaStorageSOPInstanceUID)
