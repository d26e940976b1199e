"""Helpers for the Orthanc smoke tests: tiny generated instances and plain-HTTP multipart.

These tests talk to Orthanc with urllib3 only, never through dicomkit's client, so they pin
Orthanc's behaviour independently of the code under test.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import urllib3
from dicomkit_server.orthanc import OrthancServer
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage

DICOM = "application/dicom"
DICOM_JSON = "application/dicom+json"


def new_uid() -> str:
    return f"2.25.{uuid.uuid4().int}"


def make_instance(
    *,
    study: str | None = None,
    series: str | None = None,
    sop: str | None = None,
    frames: int = 1,
    size: int = 8,
    patient_id: str = "ORTHANC-SMOKE",
) -> bytes:
    """A Part 10 secondary-capture image (8x8, 8 bit) with a preamble and valid 2.25 UIDs."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = sop or new_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study or new_uid()
    ds.SeriesInstanceUID = series or new_uid()
    ds.PatientID = patient_id
    ds.PatientName = "Smoke^Test"
    ds.StudyDate = "20240102"
    ds.StudyID = "1"
    ds.AccessionNumber = "ACC1"
    ds.Modality = "OT"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ds.Columns = size
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = bytes((i * 7 + f * 31) % 256 for f in range(frames) for i in range(size * size))
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def encode_related(parts: Sequence[tuple[str, bytes]], boundary: str) -> bytes:
    out = bytearray()
    for content_type, body in parts:
        out += f"--{boundary}\r\nContent-Type: {content_type}\r\n\r\n".encode()
        out += body + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def boundary_of(content_type: str) -> str:
    match = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
    assert match, content_type
    return match.group(1)


def split_related(body: bytes, content_type: str) -> list[tuple[dict[str, str], bytes]]:
    """Whole parts of a small multipart/related body (headers lower-cased)."""
    delimiter = b"--" + boundary_of(content_type).encode()
    chunks = body.split(b"\r\n" + delimiter)
    first = chunks[0]
    assert first.startswith(delimiter), body[:80]
    chunks[0] = first[len(delimiter) :]
    parts = []
    for chunk in chunks:
        if chunk.startswith(b"--"):
            break
        head, _, payload = chunk.partition(b"\r\n\r\n")
        headers = {}
        for line in head.split(b"\r\n"):
            if b":" in line:
                name, _, value = line.partition(b":")
                headers[name.decode().strip().lower()] = value.decode().strip()
        parts.append((headers, payload))
    return parts


@dataclass
class Reply:
    status: int
    headers: Any
    data: bytes

    def json(self) -> Any:
        return json.loads(self.data)


class PlainHTTP:
    """urllib3 against one Orthanc, authenticated as its first user when it has users."""

    def __init__(self, server: OrthancServer) -> None:
        self.server = server
        self.pool = urllib3.PoolManager(retries=False, timeout=30.0)

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        headers = {**self.server.auth_header(), **kwargs.pop("headers", {})}
        url = path if path.startswith("http") else self.server.url + path
        r = self.pool.request(method, url, headers=headers, **kwargs)
        return Reply(r.status, r.headers, r.data)

    def stow(self, instances: Sequence[bytes], study: str | None = None) -> Reply:
        return self.stow_parts([(DICOM, body) for body in instances], study)

    def stow_parts(self, parts: Sequence[tuple[str, bytes]], study: str | None = None) -> Reply:
        boundary = f"b{uuid.uuid4().hex}"
        path = "/studies" + (f"/{study}" if study else "")
        content_type = f'multipart/related; type="{DICOM}"; boundary={boundary}'
        return self.request(
            "POST",
            path,
            body=encode_related(parts, boundary),
            headers={"Content-Type": content_type, "Accept": DICOM_JSON},
        )

    @staticmethod
    def parts(reply: Reply) -> list[tuple[dict[str, str], bytes]]:
        return split_related(reply.data, reply.headers["Content-Type"])


@pytest.fixture(name="make_instance")
def make_instance_fixture() -> Callable[..., bytes]:
    """The instance generator, as a fixture because test modules cannot import this conftest."""
    return make_instance


@pytest.fixture(name="new_uid")
def new_uid_fixture() -> Callable[[], str]:
    return new_uid


@pytest.fixture
def http(orthanc: OrthancServer) -> Iterator[PlainHTTP]:
    client = PlainHTTP(orthanc)
    yield client
    client.pool.clear()
