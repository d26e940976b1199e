"""Files on disk for the classic methods: folder scanning, DICOM sniffing, safe downloads.

Uploads recognise DICOM by content, not by extension, and report every file. Downloads name
each file after the UIDs inside the part (validated, so a server cannot steer a write outside
the output folder) and appear only once complete: bytes go to a temporary file that is renamed
into place at the end of the part and deleted on any error.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

import pydicom
from pydicom.errors import InvalidDicomError

from dicomkit.client._base import Progress
from dicomkit.client._uid_scan import HEAD_BYTES, scan_uids
from dicomkit.core import _stow, multipart
from dicomkit.core.dicomjson import FailedInstance, StoreResult
from dicomkit.core.errors import (
    DicomkitError,
    ForbiddenError,
    InvalidArgumentError,
    InvalidUIDError,
    ProtocolError,
    UnauthorizedError,
)
from dicomkit.core.uids import validate_uid

__all__ = [
    "ALREADY_PRESENT_CODES",
    "FolderUpload",
    "FolderScan",
    "FolderUploadReport",
    "PartFileWriter",
    "ScannedFile",
    "scan_folder",
    "sniff_file",
]

ALREADY_PRESENT_CODES = frozenset({0x0111, 45070})
"""Failure reasons meaning "this instance is stored already": Duplicate SOP Instance
(PS3.4 0111H) and the code Microsoft's DICOM service uses (45070)."""

_UID_TAGS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
_UID_TAG_NUMBERS = (0x0020000D, 0x0020000E, 0x00080018)
"""The same three as tag numbers: looked up by number, a part's UIDs cost half as much."""


@dataclass
class ScannedFile:
    """One file found in a folder, and what its first bytes say about it."""

    path: Path
    is_dicom: bool
    size: int = 0
    sop_instance_uid: str | None = None
    problem: str | None = None


@dataclass
class FolderUploadReport:
    """What ``upload_dicom_folder`` did with every file it found."""

    stored: list[Path] = field(default_factory=list)
    already_present: list[Path] = field(default_factory=list)
    failed: dict[Path, str] = field(default_factory=dict)
    not_dicom: list[Path] = field(default_factory=list)
    results: list[StoreResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no DICOM file failed (non-DICOM files are skipped, not failures)."""
        return not self.failed

    @property
    def total(self) -> int:
        return len(self.stored) + len(self.already_present) + len(self.failed) + len(self.not_dicom)

    def __str__(self) -> str:
        return (
            f"{len(self.stored)} stored, {len(self.already_present)} already present, "
            f"{len(self.failed)} failed, {len(self.not_dicom)} not DICOM"
        )

    def record_batch(self, batch: Sequence[ScannedFile], result: StoreResult) -> None:
        """Attribute a batch's StoreResult to its files by SOPInstanceUID, in order."""
        self.results.append(result)
        outcomes: dict[str, list[FailedInstance | None]] = {}
        for stored in result.stored:
            outcomes.setdefault(stored.sop_instance_uid or "", []).append(None)
        for failed in result.failed:
            outcomes.setdefault(failed.sop_instance_uid or "", []).append(failed)
        for scanned in batch:
            queue = outcomes.get(scanned.sop_instance_uid or "")
            if not queue:
                if result.failed or not result.ok:
                    self.failed[scanned.path] = "not acknowledged by the server"
                else:
                    self.stored.append(scanned.path)
                continue
            outcome = queue.pop(0) if len(queue) > 1 else queue[0]
            if outcome is None:
                self.stored.append(scanned.path)
            elif outcome.reason_code in ALREADY_PRESENT_CODES:
                self.already_present.append(scanned.path)
            else:
                self.failed[scanned.path] = _failure_text(outcome)

    def record_failure(self, batch: Sequence[ScannedFile], reason: str) -> None:
        for scanned in batch:
            self.failed[scanned.path] = reason


def _failure_text(failed: FailedInstance) -> str:
    code = "" if failed.reason_code is None else f" (0x{failed.reason_code:04X})"
    detail = f": {failed.detail}" if failed.detail else ""
    return f"{failed.reason}{code}{detail}"


@dataclass
class FolderScan:
    """What a folder holds: regular files to sniff, and entries that cannot be uploaded."""

    files: list[Path] = field(default_factory=list)
    unreadable: dict[Path, str] = field(default_factory=dict)
    special: list[Path] = field(default_factory=list)
    """Sockets, FIFOs and devices: never opened (reading a FIFO would block forever)."""


def scan_folder(folder: str | os.PathLike[str], *, recursive: bool = True) -> FolderScan:
    """Every entry under ``folder``, sorted, whatever its name or extension.

    Links to folders are followed (each real folder is visited once, so a link loop ends);
    a folder that cannot be listed or a broken link is recorded rather than silently skipped.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InvalidArgumentError(f"{root} is not a folder")
    scan = FolderScan()
    visited: set[tuple[int, int]] = set()
    pending = [root]
    while pending:
        directory = pending.pop()
        try:
            status = directory.stat()
            if (status.st_dev, status.st_ino) in visited:
                continue
            visited.add((status.st_dev, status.st_ino))
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            if directory == root:
                raise InvalidArgumentError(f"cannot read {root}: {exc.strerror or exc}") from exc
            scan.unreadable[directory] = f"unreadable folder: {exc.strerror or exc}"
            continue
        subfolders: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            if _is_dir(entry):
                subfolders.append(path)
            elif _is_file(entry):
                scan.files.append(path)
            elif entry.is_symlink() and not path.exists():
                scan.unreadable[path] = "unreadable: a broken symbolic link"
            else:
                scan.special.append(path)
        if recursive:
            pending.extend(reversed(subfolders))
    return scan


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is (or links to) a folder; a vanished or unstatable entry is not."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is (or links to) a regular file; stat errors make it "no"."""
    try:
        return entry.is_file()
    except OSError:
        return False


def sniff_file(path: Path) -> ScannedFile:
    """Whether ``path`` holds a DICOM Part 10 file, judged by its content, and its SOP UID."""
    has_prefix = False
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            head = handle.read(132)
            has_prefix = len(head) == 132 and head[128:] == b"DICM"
            handle.seek(0)
            ds = pydicom.dcmread(handle, force=False, stop_before_pixels=True)
            uid = ds.get("SOPInstanceUID")
    except InvalidDicomError:
        return ScannedFile(path, is_dicom=False)
    except OSError as exc:
        return ScannedFile(path, is_dicom=True, problem=f"unreadable: {exc.strerror or exc}")
    except Exception as exc:  # pydicom raises many types on damaged files
        if has_prefix:
            return ScannedFile(path, is_dicom=True, problem=f"damaged DICOM file: {exc}")
        return ScannedFile(path, is_dicom=False)
    if not uid:
        problem = "DICOM file without a SOPInstanceUID (damaged, or not a storable instance)"
        return ScannedFile(path, is_dicom=True, size=size, problem=problem)
    return ScannedFile(path, is_dicom=True, size=size, sop_instance_uid=str(uid))


def scanned_item(scanned: ScannedFile) -> _stow.StowItem:
    path = scanned.path

    def opener() -> BinaryIO:
        return open(path, "rb")

    return _stow.StowItem(
        opener,
        length=scanned.size,
        label=str(path),
        sop_instance_uid=scanned.sop_instance_uid,
    )


class PartFileWriter:
    """Stream WADO-RS part events into ``{study}/{series}/{instance}.dcm`` under ``root``.

    Each part goes to a temporary file in ``root``; at its end the UIDs are read from the
    file itself, validated, and the file is renamed into place (``os.replace``, so a retried
    download overwrites atomically). ``abort()`` removes an unfinished temporary file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[Path] = []
        self._handle: IO[bytes] | None = None
        self._temp: Path | None = None
        self._head = bytearray()

    @classmethod
    def create(cls, output_folder: str | os.PathLike[str]) -> PartFileWriter:
        """A writer into ``output_folder``, created if missing."""
        root = Path(output_folder)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
            reason = getattr(exc, "strerror", None) or exc
            raise InvalidArgumentError(f"cannot create {root}: {reason}") from exc
        return cls(root)

    def feed(self, events: Iterable[multipart.Event], progress: Progress | None = None) -> None:
        """Process events; report each completed file to ``progress(files_done, None)``."""
        for event in events:
            if self.handle(event) is not None and progress is not None:
                progress(len(self.written), None)

    def handle(self, event: multipart.Event) -> Path | None:
        """Process one event; return the final path when a part was completed."""
        try:
            return self._handle_event(event)
        except OSError as exc:
            self.abort()
            raise DicomkitError(f"cannot write the download under {self.root}: {exc}") from exc

    def _handle_event(self, event: multipart.Event) -> Path | None:
        if isinstance(event, multipart.PartStart):
            self.abort()
            fd, name = tempfile.mkstemp(prefix=".dicomkit-", suffix=".part", dir=self.root)
            self._handle = os.fdopen(fd, "wb")
            self._temp = Path(name)
            self._head = bytearray()
        elif isinstance(event, multipart.PartData):
            if self._handle is None:
                raise ProtocolError("multipart data arrived outside a part")
            self._handle.write(event.data)
            if len(self._head) < HEAD_BYTES:
                self._head += event.data[: HEAD_BYTES - len(self._head)]
        elif isinstance(event, multipart.PartEnd):
            return self._finish()
        return None

    def _finish(self) -> Path:
        if self._handle is None or self._temp is None:
            raise ProtocolError("a multipart part ended before it started")
        self._handle.close()
        self._handle = None
        temp, self._temp = self._temp, None
        try:
            target = self._target_for(temp)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        self.written.append(target)
        return target

    def _target_for(self, temp: Path) -> Path:
        found = scan_uids(bytes(self._head))
        if found is not None:  # already valid UIDs, exactly what pydicom would read
            study, series, instance = found
            return self.root / study / series / f"{instance}.dcm"
        try:
            with warnings.catch_warnings():  # the UIDs are validated below, by our rules
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(
                    temp,
                    force=True,
                    stop_before_pixels=True,
                    specific_tags=list(_UID_TAG_NUMBERS),
                )
                uids = [str(ds[tag].value) if tag in ds else "" for tag in _UID_TAG_NUMBERS]
        except Exception as exc:  # pydicom raises many types on damaged data
            raise ProtocolError(f"the server sent a part that is not DICOM: {exc}") from exc
        try:
            study, series, instance = (
                validate_uid(uid, keyword) for uid, keyword in zip(uids, _UID_TAGS, strict=True)
            )
        except InvalidUIDError as exc:
            raise ProtocolError(f"the server sent an instance with a bad UID: {exc}") from exc
        return self.root / study / series / f"{instance}.dcm"

    def abort(self) -> None:
        """Close and delete the temporary file of an unfinished part, if any."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None


class FolderUpload:
    """The plan of one folder upload: files sniffed, batches formed, outcomes reported."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        recursive: bool,
        max_count: int | None,
        max_bytes: int | None,
        workers: int = 1,
    ) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise InvalidArgumentError("workers must be an integer >= 1")
        self.report = FolderUploadReport()
        scan = scan_folder(folder, recursive=recursive)
        self.report.failed.update(scan.unreadable)
        self.report.not_dicom.extend(scan.special)
        dicom: list[ScannedFile] = []
        for path in scan.files:
            scanned = sniff_file(path)
            if not scanned.is_dicom:
                self.report.not_dicom.append(path)
            elif scanned.problem is not None:
                self.report.failed[path] = scanned.problem
            else:
                dicom.append(scanned)
        self.total = len(scan.files) + len(scan.unreadable) + len(scan.special)
        self.done = self.total - len(dicom)
        self._scanned = dicom
        if max_count is None and workers > 1:
            # Two batches per worker keep every worker busy without many small requests.
            max_count = max(1, min(_stow.DEFAULT_BATCH_COUNT, -(-len(dicom) // (2 * workers))))
        self._batches = _stow.plan_batches(
            [scanned_item(s) for s in dicom],
            max_count=_stow.DEFAULT_BATCH_COUNT if max_count is None else max_count,
            max_bytes=_stow.DEFAULT_BATCH_BYTES if max_bytes is None else max_bytes,
        )

    def batches(self) -> Iterator[tuple[list[ScannedFile], list[_stow.StowItem]]]:
        """Each batch with the files it came from."""
        start = 0
        for batch in self._batches:
            yield self._scanned[start : start + len(batch)], batch
            start += len(batch)

    def jobs(
        self, study: str | None
    ) -> list[tuple[list[ScannedFile], tuple[list[_stow.StowItem], str | None]]]:
        """Each batch's files with the arguments of the request that stores them."""
        return [(scanned, (items, study)) for scanned, items in self.batches()]

    def settler(
        self, progress: Progress | None
    ) -> Callable[[Sequence[ScannedFile], StoreResult | DicomkitError], None]:
        """Record one batch's outcome (its result, or the error that refused it), then report."""

        def settle(scanned: Sequence[ScannedFile], outcome: StoreResult | DicomkitError) -> None:
            if isinstance(outcome, StoreResult):
                self.record(scanned, outcome)
            else:
                self.fail(scanned, outcome)
            if progress is not None:
                progress(self.done, self.total)

        return settle

    def record(self, scanned: Sequence[ScannedFile], result: StoreResult) -> None:
        self.report.record_batch(scanned, result)
        self.done += len(scanned)

    def fail(self, scanned: Sequence[ScannedFile], error: DicomkitError) -> None:
        """A whole batch was refused or unreadable; credentials problems stop the upload."""
        if isinstance(error, (UnauthorizedError, ForbiddenError)):
            raise error
        self.report.record_failure(scanned, str(error))
        self.done += len(scanned)
