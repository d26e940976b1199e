"""The files of a job: what a file to upload holds, reading it metered, naming downloads.

Uploads are sniffed from their first bytes (the UID scanner, no pydicom for common files);
downloads are named by the UIDs in their own bytes, validated, and written by
:mod:`dicomkit.jobs._staging`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, NamedTuple

from dicomkit.core.errors import DicomkitError, ProtocolError
from dicomkit.core.uids import is_valid_uid
from dicomkit.files.uid_scan import HEAD_BYTES, scan_uids

__all__ = [
    "DiskError",
    "MeteredFile",
    "Sniffed",
    "file_digest",
    "instance_uids",
    "sniff",
    "sync_file",
    "target_name",
    "target_path",
]


class DiskError(DicomkitError):
    """The download's disk failed (full, read-only): the job stops, resumable."""


class Sniffed(NamedTuple):
    """What a file's first bytes say: DICOM or not, its UIDs and size, or why it cannot go."""

    is_dicom: bool
    size: int = 0
    study: str | None = None
    series: str | None = None
    sop: str | None = None
    problem: str | None = None


def sniff(path: Path) -> Sniffed:
    """What ``path`` holds, judged exactly as ``upload_dicom_folder`` judges it (one place:
    :func:`dicomkit.files.folder.sniff_file`), with its study and series UIDs when its first
    bytes show them: a lookup after a broken request then asks per study. A Part 10 file whose
    head shows all three UIDs is read once (``sniff_file`` would find the same SOP Instance
    UID in the same bytes); any other file is judged by ``sniff_file``."""
    try:
        with open(path, "rb") as handle:
            size, head = os.fstat(handle.fileno()).st_size, handle.read(HEAD_BYTES)
    except OSError:
        size, head = 0, b""
    found = scan_uids(head) if head[128:132] == b"DICM" else None
    if found is not None and found[2]:
        return Sniffed(True, size, found[0], found[1], found[2])
    from dicomkit.files.folder import sniff_file  # uploads only: downloads never load it

    scanned = sniff_file(path)
    if not scanned.is_dicom:
        return Sniffed(False)
    if scanned.problem or not scanned.sop_instance_uid:
        return Sniffed(True, problem=scanned.problem or "no SOPInstanceUID")
    try:
        with open(path, "rb") as handle:
            found = scan_uids(handle.read(HEAD_BYTES))
    except OSError:
        found = None
    if found is None or found[2] != scanned.sop_instance_uid:
        return Sniffed(True, scanned.size, sop=scanned.sop_instance_uid)
    return Sniffed(True, scanned.size, found[0], found[1], scanned.sop_instance_uid)


class MeteredFile:
    """A file for a STOW-RS body, opened only while read and counted as it is read.

    ``store_instances`` takes a seekable binary file: it seeks to the start before every
    attempt (``on_rewind``, so a retry does not count twice) and reads ``size`` bytes. The
    file is closed at its end, so a batch of hundreds holds no descriptor between parts. An
    OSError while reading is kept in ``error`` to say which file of a batch failed.
    """

    def __init__(
        self,
        path: Path,
        size: int,
        on_read: Callable[[int], None],
        on_rewind: Callable[[], None],
    ) -> None:
        self.name = str(path)
        self.size = size
        self.error: OSError | None = None
        self._path = path
        self._pos = 0
        self._handle: IO[bytes] | None = None
        self._on_read = on_read
        self._on_rewind = on_rewind

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self.size}[whence]
        self._pos = base + offset
        if self._pos == 0:
            self.close()
            self._on_rewind()
        elif self._handle is not None:
            self._handle.seek(self._pos)
        return self._pos

    def read(self, count: int = -1) -> bytes:
        try:
            if self._handle is None:
                self._handle = open(self._path, "rb")  # noqa: SIM115 - closed at its end
                self._handle.seek(self._pos)
            data = self._handle.read(count)
        except OSError as exc:
            self.error = exc
            self.close()
            raise
        self._pos += len(data)
        if data:
            self._on_read(len(data))
        if not data or self._pos >= self.size:
            self.close()
        return data

    def close(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            handle.close()


def sync_file(path: str | os.PathLike[str]) -> None:
    """Flush one file's data to the disk (reopened: no descriptor is held meanwhile)."""
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def target_path(root: Path, uids: tuple[str, str, str]) -> Path:
    study, series, sop = uids
    return root / study / series / f"{sop}.dcm"


def target_name(root: str, uids: tuple[str, str, str]) -> str:
    """:func:`target_path` as a string, for the per-file path of a download (no Path
    objects built for each of thousands of files)."""
    study, series, sop = uids
    return os.path.join(root, study, series, f"{sop}.dcm")


def instance_uids(data: bytes, expected: tuple[str, str, str] | None) -> tuple[str, str, str]:
    """The (study, series, SOP) UIDs read from an instance's own bytes, validated (the
    scanner returns only valid UIDs; the others are checked here), so a server cannot steer
    a write outside the output folder."""
    scanned = scan_uids(data[:HEAD_BYTES])
    if scanned is not None:
        return scanned
    uids = expected or _uids_by_pydicom(data)
    if not all(is_valid_uid(uid) for uid in uids):
        raise ProtocolError(f"the server sent an instance with a bad UID: {uids!r}")
    return uids


def _uids_by_pydicom(data: bytes) -> tuple[str, str, str]:
    from dicomkit.files.part10 import dataset_from_bytes

    dataset = dataset_from_bytes(data)
    return (
        str(dataset.get("StudyInstanceUID", "")),
        str(dataset.get("SeriesInstanceUID", "")),
        str(dataset.get("SOPInstanceUID", "")),
    )


def file_digest(path: Path) -> tuple[int, str] | None:
    """(size, SHA-256) of a file on disk, or None when it cannot be read."""
    import hashlib  # checks only: a plain download does not load it

    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        return None
    return size, digest.hexdigest()
