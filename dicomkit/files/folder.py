"""Folder upload: scanning a folder, sniffing each file, batching and reporting every file.

Uploads recognise DICOM by content, not by extension, and account for every entry found:
stored, already present, failed (with the reason) or not DICOM.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from dicomkit.core import stow
from dicomkit.core.errors import (
    DicomkitError,
    ForbiddenError,
    InvalidArgumentError,
    UnauthorizedError,
)
from dicomkit.core.held import NOT_YET, maybe_stored
from dicomkit.core.query import check_count
from dicomkit.core.stow_response import FailedInstance, StoreResult
from dicomkit.files import Progress
from dicomkit.files.uid_scan import HEAD_BYTES, scan_headerless, scan_sop_uid

__all__ = [
    "ALREADY_PRESENT_CODES",
    "HEADERLESS_PROBLEM",
    "UNKNOWN_REASON",
    "FolderUpload",
    "FolderScan",
    "FolderUploadReport",
    "ScannedFile",
    "scan_folder",
    "scanned_item",
    "sniff_file",
]

ALREADY_PRESENT_CODES = stow.ALREADY_PRESENT_CODES
"""Failure reasons meaning "this instance is stored already" (defined in dicomkit.core.stow)."""


@dataclass
class ScannedFile:
    """One file found in a folder, and what its first bytes say about it.

    ``headerless`` marks a data set stored without the Part 10 preamble and ``DICM`` (what
    pydicom reads only with ``force=True``); it is uploaded, re-encoded as Part 10, only when
    the caller passes ``force=True``.
    """

    path: Path
    is_dicom: bool
    size: int = 0
    sop_instance_uid: str | None = None
    problem: str | None = None
    headerless: bool = False


UNKNOWN_REASON = (
    "outcome unknown: the request broke without an answer and the server could not be asked "
    "which instances it holds"
)
"""The start of the reason of a file in ``FolderUploadReport.unknown``."""

HEADERLESS_PROBLEM = (
    "no DICOM Part 10 header (no preamble and 'DICM'; pydicom reads it only with force=True): "
    "pass force=True to upload it re-encoded as a Part 10 file"
)


@dataclass
class FolderUploadReport:
    """What ``upload_dicom_folder`` did with every file it found.

    A file whose request broke without an answer is stored or failed as the server itself says
    when asked afterwards (QIDO-RS, :mod:`dicomkit.core.held`). It is ``unknown``, with the
    reason, when that question fails too, or when the server did not hold it yet after a
    timeout (it may still be storing it): it may or may not be on the server.
    """

    stored: list[Path] = field(default_factory=list)
    already_present: list[Path] = field(default_factory=list)
    failed: dict[Path, str] = field(default_factory=dict)
    not_dicom: list[Path] = field(default_factory=list)
    results: list[StoreResult] = field(default_factory=list)
    unknown: dict[Path, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when every DICOM file is known to be on the server (non-DICOM files are
        skipped, not failures)."""
        return not self.failed and not self.unknown

    @property
    def total(self) -> int:
        return (
            len(self.stored)
            + len(self.already_present)
            + len(self.failed)
            + len(self.not_dicom)
            + len(self.unknown)
        )

    def __str__(self) -> str:
        text = (
            f"{len(self.stored)} stored, {len(self.already_present)} already present, "
            f"{len(self.failed)} failed, {len(self.not_dicom)} not DICOM"
        )
        return text + (f", {len(self.unknown)} outcome unknown" if self.unknown else "")

    def record_batch(self, batch: Sequence[ScannedFile], result: StoreResult) -> None:
        """Attribute a batch's StoreResult to its files by SOPInstanceUID, in order."""
        self.results.append(result)
        outcomes: dict[str, list[FailedInstance | None]] = {}
        for stored in result.stored:
            outcomes.setdefault(stored.sop_instance_uid or "", []).append(None)
        for failed in (*result.failed, *result.already_present):
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
            elif any(outcome is present for present in result.already_present):
                self.already_present.append(scanned.path)
            elif outcome.reason == NOT_YET:  # the server may still be storing it
                self.unknown[scanned.path] = _failure_text(outcome)
            else:
                self.failed[scanned.path] = _failure_text(outcome)

    def record_failure(self, batch: Sequence[ScannedFile], reason: str) -> None:
        for scanned in batch:
            self.failed[scanned.path] = reason

    def record_unknown(self, batch: Sequence[ScannedFile], reason: str) -> None:
        """The batch's request broke and the server could not be asked what it holds."""
        for scanned in batch:
            self.unknown[scanned.path] = reason


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
    root = Path(folder).expanduser()
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


def sniff_file(path: str | os.PathLike[str], *, force: bool = False) -> ScannedFile:
    """Whether ``path`` holds a DICOM file, judged by its content, and its SOP Instance UID.

    The first 64 KiB are walked without pydicom (:mod:`dicomkit.files.uid_scan`); only an
    encoding the walk does not know (big endian, deflated, a UID beyond the head) is left to
    pydicom, read raw, so no value is converted and no validation warning is raised. Nothing
    global (``warnings`` filters, pydicom's config) is touched, so threads may sniff at once.
    A data set without the Part 10 header is DICOM with :data:`HEADERLESS_PROBLEM`, unless
    ``force`` accepts it.
    """
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        return ScannedFile(path, is_dicom=True, problem=f"unreadable: {exc.strerror or exc}")
    if len(head) < 132 or head[128:132] != b"DICM":
        uid = scan_headerless(head)
        if uid is None:
            return ScannedFile(path, is_dicom=False)
        problem = None if force else HEADERLESS_PROBLEM
        return ScannedFile(path, True, size, uid, problem=problem, headerless=True)
    uid = scan_sop_uid(head)
    if uid is None:
        try:
            uid = _pydicom_sop_uid(path)
        except OSError as exc:
            return ScannedFile(path, is_dicom=True, problem=f"unreadable: {exc.strerror or exc}")
        except Exception as exc:  # pydicom raises many types on damaged files
            return ScannedFile(path, is_dicom=True, problem=f"damaged DICOM file: {exc}")
    if not uid:
        problem = "DICOM file without a SOPInstanceUID (damaged, or not a storable instance)"
        return ScannedFile(path, is_dicom=True, size=size, problem=problem)
    return ScannedFile(path, is_dicom=True, size=size, sop_instance_uid=uid)


def _pydicom_sop_uid(path: Path) -> str | None:
    """The SOP Instance UID as pydicom finds it, read raw (no conversion, so no warning)."""
    import pydicom  # only for encodings the walk leaves aside: most uploads never import it

    ds = pydicom.dcmread(path, force=False, stop_before_pixels=True, specific_tags=[_SOP_TAG])
    if _SOP_TAG not in ds:
        return None
    value = ds.get_item(_SOP_TAG).value
    if isinstance(value, bytes):
        value = value.rstrip(b"\x00 ").decode("ascii")
    return str(value).strip() or None


_SOP_TAG = 0x00080018


def scanned_item(scanned: ScannedFile) -> stow.StowItem:
    """The STOW item of a sniffed file: opened only while its part is sent, on every attempt.

    A headerless file (accepted with ``force=True``) is re-encoded as Part 10 now, in memory.
    """
    path = scanned.path
    if scanned.headerless:
        from dicomkit.files.part10 import headerless_part10

        data = headerless_part10(path)
        return stow.StowItem(data, label=str(path), sop_instance_uid=scanned.sop_instance_uid)

    def opener() -> BinaryIO:
        return open(path, "rb")

    return stow.StowItem(
        opener,
        length=scanned.size,
        label=str(path),
        sop_instance_uid=scanned.sop_instance_uid,
    )


class FolderUpload:
    """The plan of one folder upload: files sniffed, batches formed, outcomes reported."""

    def __init__(
        self,
        folder: str | os.PathLike[str],
        recursive: bool,
        max_count: int | None,
        max_bytes: int | None,
        workers: int = 1,
        force: bool = False,
    ) -> None:
        check_count("workers", workers, minimum=1, required=True)
        self.report = FolderUploadReport()
        scan = scan_folder(folder, recursive=recursive)
        self.report.failed.update(scan.unreadable)
        self.report.not_dicom.extend(scan.special)
        dicom: list[ScannedFile] = []
        items: list[stow.StowItem] = []
        for path in scan.files:
            scanned = sniff_file(path, force=force)
            if not scanned.is_dicom:
                self.report.not_dicom.append(path)
            elif scanned.problem is not None:
                self.report.failed[path] = scanned.problem
            else:
                try:
                    items.append(scanned_item(scanned))
                except InvalidArgumentError as exc:  # a headerless file pydicom cannot encode
                    self.report.failed[path] = str(exc)
                    continue
                dicom.append(scanned)
        self.total = len(scan.files) + len(scan.unreadable) + len(scan.special)
        self.done = self.total - len(dicom)
        self._scanned = dicom
        if max_count is None and workers > 1:
            # Two batches per worker keep every worker busy without many small requests.
            max_count = max(1, min(stow.DEFAULT_BATCH_COUNT, -(-len(dicom) // (2 * workers))))
        self._batches = stow.plan_batches(
            items,
            max_count=stow.DEFAULT_BATCH_COUNT if max_count is None else max_count,
            max_bytes=stow.DEFAULT_BATCH_BYTES if max_bytes is None else max_bytes,
        )

    def batches(self) -> Iterator[tuple[list[ScannedFile], list[stow.StowItem]]]:
        """Each batch with the files it came from."""
        start = 0
        for batch in self._batches:
            yield self._scanned[start : start + len(batch)], batch
            start += len(batch)

    def jobs(
        self, study: str | None
    ) -> list[tuple[list[ScannedFile], tuple[list[stow.StowItem], str | None]]]:
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
        """A whole batch was refused or unreadable; credentials problems stop the upload. A
        batch that may have been stored comes here only when the lookup after it failed too
        (``maybe_stored``): its files' outcome is unknown, not failed."""
        if isinstance(error, (UnauthorizedError, ForbiddenError)):
            raise error
        if maybe_stored(error):
            self.report.record_unknown(scanned, f"{UNKNOWN_REASON}: {error}")
        else:
            self.report.record_failure(scanned, str(error))
        self.done += len(scanned)
