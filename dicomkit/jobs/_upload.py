"""Journaled uploads: every file ends stored, already present or failed, never unknown.

A batch is journaled ``sent`` before its STOW-RS request goes out. When the request breaks
without an answer (or the process dies), the server is asked with QIDO-RS which of the
batch's SOP Instance UIDs it holds: those are stored, the rest are sent again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from dicomkit._logging import job_looked_up
from dicomkit.core.errors import (
    ConnectError,
    ConnectTimeout,
    DicomkitError,
    ForbiddenError,
    HTTPError,
    InvalidArgumentError,
    StoreError,
    UnauthorizedError,
)
from dicomkit.core.held import LOOKUP_CHUNK
from dicomkit.core.query import check_count
from dicomkit.core.stow_response import StoreResult
from dicomkit.core.uids import validate_uid
from dicomkit.files.folder import scan_folder
from dicomkit.jobs._files import MeteredFile, sniff
from dicomkit.jobs._job import Job
from dicomkit.jobs._journal import Item, Journal
from dicomkit.jobs._meter import Meter, on_threads
from dicomkit.jobs._model import (
    ALREADY_PRESENT,
    FAILED,
    NOT_DICOM,
    PENDING,
    SENT,
    STORED,
    JobReport,
    ProgressCallback,
)
from dicomkit.jobs._tasks import on_tasks, to_thread

if TYPE_CHECKING:
    from dicomkit.client import AsyncDicomClient, DicomClient

__all__ = [
    "DEFAULT_BATCH_BYTES",
    "DEFAULT_BATCH_FILES",
    "IN_FLIGHT_SHARE",
    "MAX_ATTEMPTS",
    "UploadJob",
]

DEFAULT_BATCH_FILES = 10
"""Files per STOW-RS request at most: more cost little less per request (docs/transfers.md),
and a broken request's files are all sent again."""
IN_FLIGHT_SHARE = 10
"""By default, all requests in flight together hold at most a tenth of the files to send: a
kill loses what is in flight (a server stores nothing of a broken request), and on average
half of it was sent, so a job killed half way sends at most about 55% when resumed."""
DEFAULT_BATCH_BYTES = 32 << 20
"""Bytes per STOW-RS request at most (a larger file goes alone)."""
MAX_ATTEMPTS = 3
"""Requests a file may ride in without an answer before it is marked failed."""
QIDO_CHUNK = LOOKUP_CHUNK
"""SOP Instance UIDs per QIDO-RS lookup (a UID list, PS3.18 8.3.4.1; dicomkit.core.held)."""

Outcome = tuple[Item, str, str | None]


class UploadJob(Job):
    """Upload files and folders with STOW-RS, journaled per file."""

    kind = "upload"

    @classmethod
    def create(
        cls,
        journal_path: str | os.PathLike[str] | None,
        paths: Iterable[str | os.PathLike[str]],
        *,
        study: str | None = None,
        recursive: bool = True,
        batch_files: int | None = None,
        batch_bytes: int | None = None,
    ) -> UploadJob:
        """Scan ``paths`` (files, and folders searched ``recursive``-ly) and journal each file.

        Nothing is sent yet: call :meth:`run`. Files are recognised by content; a file under a
        folder that is not DICOM is journaled as ``not_dicom``, an unreadable or damaged one as
        ``failed``; a named file that is missing or not DICOM is an InvalidArgumentError, as is
        a ``journal_path`` that exists already (None: a new name in the default folder).
        ``study`` sends every request to ``/studies/{study}``; ``batch_files`` and
        ``batch_bytes`` bound each STOW-RS request (defaults in docs/transfers.md).
        """
        if study is not None:
            validate_uid(study, "StudyInstanceUID")
        files = _positive(batch_files, "batch_files", DEFAULT_BATCH_FILES)
        size = _positive(batch_bytes, "batch_bytes", DEFAULT_BATCH_BYTES)
        named = [Path(path).expanduser() for path in _listed(paths)]
        if not named:
            raise InvalidArgumentError("nothing to upload: no path given")
        rows = [row for path in named for row in _rows(path, recursive)]
        description = ", ".join(str(path) for path in named[:3])
        description += f" (+{len(named) - 3} more)" if len(named) > 3 else ""
        chosen = "" if batch_files is None else str(files)
        settings = {"study": study or "", "batch_files": chosen, "batch_bytes": str(size)}
        return cls(
            cls._make(journal_path, description, settings, partial(Journal.add_items, rows=rows))
        )

    # -- running -------------------------------------------------------------------------------

    def run(
        self,
        client: DicomClient,
        *,
        workers: int | None = None,
        progress: ProgressCallback | None = None,
        retry_failed: bool = False,
    ) -> JobReport:
        """Send what is not yet confirmed, ``workers`` requests at once (None: the measured
        default), and return the report; runs again after a crash or a kill move only the rest.

        Files journaled ``sent`` by a run that died are first looked up on the server (QIDO-RS
        by SOPInstanceUID); a request that breaks without an answer is resolved the same way,
        and its files not found are sent again. ``retry_failed`` sends failed files again.
        Rejected credentials raise (UnauthorizedError/ForbiddenError) and so does a server
        that cannot be reached; the journal then still holds every confirmed outcome.
        """
        count = self._workers(workers)
        self._ran_against(client)
        meter = self._begin(progress, retry_failed)
        self._resolve(client, self.journal.items(SENT), meter)
        while pending := self.journal.items(PENDING):
            batches = self._batches(pending, count)
            on_threads(lambda batch: self._send(client, batch, meter), batches, count)
        return self._report(meter)

    async def arun(
        self,
        client: AsyncDicomClient,
        *,
        workers: int | None = None,
        progress: ProgressCallback | None = None,
        retry_failed: bool = False,
    ) -> JobReport:
        """:meth:`run` for AsyncDicomClient: ``workers`` tasks; the journal is written from a
        worker thread so the event loop never waits on the disk (``progress`` may then be
        called from such a thread too, never two calls at once)."""
        count = self._workers(workers)
        await to_thread(self._ran_against, client)
        meter = await to_thread(self._begin, progress, retry_failed)
        await self._aresolve(client, await to_thread(self.journal.items, SENT), meter)
        while pending := await to_thread(self.journal.items, PENDING):
            batches = self._batches(pending, count)
            await on_tasks(lambda batch: self._asend(client, batch, meter), batches, count)
        return await to_thread(self._report, meter)

    def _begin(self, progress: ProgressCallback | None, retry_failed: bool) -> Meter:
        if retry_failed:
            self.journal.set_state(self.journal.items(FAILED), PENDING)
        meter = self._meter(progress)
        meter.start()
        return meter

    def _meter(self, progress: ProgressCallback | None) -> Meter:
        counts = self.journal.counts()
        total_bytes, done_bytes = self.journal.byte_totals()
        done = counts.get(STORED, 0) + counts.get(ALREADY_PRESENT, 0) + counts.get(FAILED, 0)
        return Meter(
            self.kind,
            progress,
            done=done,
            total=sum(n for state, n in counts.items() if state != NOT_DICOM),
            bytes_done=done_bytes,
            bytes_total=total_bytes,
            failed=counts.get(FAILED, 0),
            monotonic=True,
        )

    def _batches(self, items: Sequence[Item], workers: int) -> list[list[Item]]:
        """Consecutive batches bounded by the job's file count and bytes. By default a batch
        holds at most 1/(IN_FLIGHT_SHARE x workers) of the files, so that a kill wastes little."""
        chosen = self.journal.meta("batch_files")
        if chosen:  # the caller's choice, only shrunk so that every worker gets a batch
            limit = max(1, min(int(chosen), -(-len(items) // workers)))
        else:
            share = -(-len(items) // (workers * IN_FLIGHT_SHARE))
            limit = max(1, min(DEFAULT_BATCH_FILES, share))
        max_bytes = int(self.journal.meta("batch_bytes") or DEFAULT_BATCH_BYTES)
        batches: list[list[Item]] = []
        current: list[Item] = []
        size = 0
        for item in items:
            if current and (len(current) >= limit or size + (item.size or 0) > max_bytes):
                batches.append(current)
                current, size = [], 0
            current.append(item)
            size += item.size or 0
        if current:
            batches.append(current)
        return batches

    def _send(self, client: DicomClient, batch: list[Item], meter: Meter) -> None:
        """One STOW-RS request for ``batch``, journaled before and after."""
        batch = self._unchanged(batch, meter)
        if not batch:
            return
        files, study = self._sending(batch, meter)
        try:
            answer: StoreResult | DicomkitError = client.store_instances(
                _as_files(files), study, duplicates="present", confirm=False
            )
        except DicomkitError as exc:
            answer = exc
        outcomes = self._judged(batch, files, answer, meter)
        if outcomes is None:
            outcomes = self._lookup(client, batch, str(answer))
        self._settle(meter, outcomes)

    async def _asend(self, client: AsyncDicomClient, batch: list[Item], meter: Meter) -> None:
        batch = await to_thread(self._unchanged, batch, meter)
        if not batch:
            return
        files, study = await to_thread(self._sending, batch, meter)
        try:
            answer: StoreResult | DicomkitError = await client.store_instances(
                _as_files(files), study, duplicates="present", confirm=False
            )
        except DicomkitError as exc:
            answer = exc
        outcomes = await to_thread(self._judged, batch, files, answer, meter)
        if outcomes is None:
            outcomes = await self._alookup(client, batch, str(answer))
        await to_thread(self._settle, meter, outcomes)

    def _unchanged(self, batch: list[Item], meter: Meter) -> list[Item]:
        """The batch without files that vanished or changed size since the scan, which are
        failed: a request reads exactly the journaled size, and a part cut short or run long
        would store a damaged instance."""
        changed: list[Outcome] = []
        for item in batch:
            try:
                size = os.stat(item.label).st_size
            except OSError as exc:
                changed.append((item, FAILED, f"unreadable: {exc.strerror or exc}"))
                continue
            if size != item.size:
                why = f"changed since the job was made ({item.size} bytes then, {size} now)"
                changed.append((item, FAILED, why))
        if changed:
            self._settle(meter, changed)
        gone = {item.id for item, _, _ in changed}
        return [item for item in batch if item.id not in gone]

    def _sending(self, batch: list[Item], meter: Meter) -> tuple[list[MeteredFile], str | None]:
        """Journal the batch ``sent`` and its files, metered, for the request."""
        self.journal.set_state(batch, SENT, attempt=True)
        files = [
            MeteredFile(
                Path(item.label),
                item.size or 0,
                partial(meter.read, item.id),
                partial(meter.rewind, item.id),
            )
            for item in batch
        ]
        return files, self.journal.meta("study") or None

    def _judged(
        self,
        batch: list[Item],
        files: list[MeteredFile],
        answer: StoreResult | DicomkitError,
        meter: Meter,
    ) -> list[Outcome] | None:
        """Each file's outcome from the request's answer or error; None when only the server
        can say (no readable answer): its files are then looked up. Errors that stop the job
        (bad credentials, no server) are raised once the batch is pending again."""
        if isinstance(answer, StoreResult):
            return _attributed(batch, answer)
        if isinstance(answer, StoreError):
            return _attributed(batch, answer.result)
        if isinstance(answer, (UnauthorizedError, ForbiddenError, ConnectError, ConnectTimeout)):
            self._settle(meter, [(item, PENDING, None) for item in batch])
            raise answer
        if isinstance(answer, InvalidArgumentError):  # a file vanished or became unreadable
            return _unreadable(batch, files, str(answer))
        if isinstance(answer, HTTPError) and answer.status < 500:
            return [(item, FAILED, str(answer)) for item in batch]  # refused whole
        return None

    def _resolve(self, client: DicomClient, items: list[Item], meter: Meter) -> None:
        """Settle files left ``sent`` by a run that died, before anything is sent again."""
        for start in range(0, len(items), QIDO_CHUNK * 4):
            chunk = items[start : start + QIDO_CHUNK * 4]
            outcomes = self._lookup(client, chunk, "no answer before the job stopped")
            self._settle(meter, outcomes, moved=False)

    def _lookup(self, client: DicomClient, batch: Sequence[Item], why: str) -> list[Outcome]:
        """Files the server holds are stored; the others go back to pending (or fail after
        MAX_ATTEMPTS). A lookup that fails raises: the files stay ``sent`` for the next run."""
        held: set[str] = set()
        for study, uids in _by_study(batch).items():
            held |= client.held_instances(uids, study)
        return self._found(batch, held, why)

    async def _alookup(
        self, client: AsyncDicomClient, batch: Sequence[Item], why: str
    ) -> list[Outcome]:
        held: set[str] = set()
        for study, uids in _by_study(batch).items():
            held |= await client.held_instances(uids, study)
        return self._found(batch, held, why)

    async def _aresolve(self, client: AsyncDicomClient, items: list[Item], meter: Meter) -> None:
        for start in range(0, len(items), QIDO_CHUNK * 4):
            chunk = items[start : start + QIDO_CHUNK * 4]
            outcomes = await self._alookup(client, chunk, "no answer before the job stopped")
            await to_thread(self._settle, meter, outcomes, False)

    def _found(self, batch: Sequence[Item], held: set[str], why: str) -> list[Outcome]:
        missing = [item for item in batch if item.sop not in held]
        job_looked_up(self.job_id, len(batch), len(batch) - len(missing), why)
        outcomes: list[Outcome] = [(item, STORED, None) for item in batch if item.sop in held]
        return outcomes + self._unanswered(batch, missing, why)

    @staticmethod
    def _unanswered(batch: Sequence[Item], missing: Sequence[Item], why: str) -> list[Outcome]:
        """Files to send again, or failed once they rode in MAX_ATTEMPTS requests."""
        outcomes: list[Outcome] = []
        for item in missing:
            tries = item.attempts + (1 if item.state != SENT else 0)
            if tries >= MAX_ATTEMPTS:
                outcomes.append((item, FAILED, f"no answer after {tries} attempts: {why}"))
            else:
                outcomes.append((item, PENDING, None))
        return outcomes

    def _settle(self, meter: Meter, outcomes: Sequence[Outcome], moved: bool = True) -> None:
        """Journal the outcomes, one transaction per state, then count them (``moved``
        False: found on the server, not sent by this run)."""
        groups: dict[tuple[str, str | None], list[Item]] = {}
        for item, state, reason in outcomes:
            groups.setdefault((state, reason), []).append(item)
        for (state, reason), items in groups.items():
            self.journal.set_state(items, state, reason)
        meter.settle(
            (
                (item.id, item.size, state in (STORED, ALREADY_PRESENT), state == FAILED)
                for item, state, _ in outcomes
            ),
            moved=moved,
        )


def _by_study(items: Sequence[Item]) -> dict[str | None, list[str]]:
    """SOP Instance UIDs to look up, per study when known (the client's ``held_instances``
    asks QIDO_CHUNK at a time: the one lookup of dicomkit.core.held, shared with the client's
    own uploads)."""
    by_study: dict[str | None, list[str]] = {}
    for item in items:
        if item.sop:
            by_study.setdefault(item.study, []).append(item.sop)
    return by_study


def _as_files(files: list[MeteredFile]) -> list[BinaryIO]:
    """MeteredFile is the seekable binary file ``store_instances`` reads from."""
    return cast(list[BinaryIO], files)


def _attributed(batch: Sequence[Item], result: StoreResult) -> list[Outcome]:
    """Each file's outcome from a STOW-RS answer, matched by SOP Instance UID; what counts as
    "already present" is decided where both upload methods decide it (``duplicates="present"``,
    :func:`dicomkit.core.stow.settle_duplicates`)."""
    stored = [ref.sop_instance_uid for ref in result.stored]
    present = [ref.sop_instance_uid for ref in result.already_present]
    failed = {ref.sop_instance_uid: ref for ref in result.failed}
    outcomes: list[Outcome] = []
    for item in batch:
        if item.sop in stored:
            stored.remove(item.sop)
            outcomes.append((item, STORED, None))
        elif item.sop in present:
            present.remove(item.sop)
            outcomes.append((item, ALREADY_PRESENT, None))
        elif item.sop in failed:
            ref = failed[item.sop]
            code = "" if ref.reason_code is None else f" (0x{ref.reason_code:04X})"
            detail = f": {ref.detail}" if ref.detail else ""
            outcomes.append((item, FAILED, f"{ref.reason}{code}{detail}"))
        elif result.ok and not result.failed:
            outcomes.append((item, STORED, None))
        else:
            outcomes.append((item, FAILED, "not acknowledged by the server"))
    return outcomes


def _unreadable(batch: Sequence[Item], files: Sequence[MeteredFile], why: str) -> list[Outcome]:
    """After a file could not be read mid-request: that file failed, the others go again."""
    broken = {file.name for file in files if file.error is not None}
    if not broken:
        return [(item, FAILED, why) for item in batch]
    return [
        (item, FAILED, why) if item.label in broken else (item, PENDING, None) for item in batch
    ]


def _positive(value: int | None, name: str, default: int) -> int:
    check_count(name, value, minimum=1)
    return default if value is None else value


def _listed(paths: Iterable[str | os.PathLike[str]]) -> list[str | os.PathLike[str]]:
    if isinstance(paths, (str, os.PathLike)):
        return [paths]
    return list(paths)


def _rows(path: Path, recursive: bool) -> list[tuple[object, ...]]:
    """Journal rows for a named file or a folder's files."""
    if path.is_dir():
        scan = scan_folder(path, recursive=recursive)
        rows = [_row(file, named=False) for file in scan.files]
        rows += [
            (str(p), None, None, None, None, FAILED, why, None)
            for p, why in scan.unreadable.items()
        ]
        rows += [(str(p), None, None, None, None, NOT_DICOM, None, None) for p in scan.special]
        return rows
    if not path.exists():
        raise InvalidArgumentError(f"cannot upload {path}: no such file or folder")
    return [_row(path, named=True)]


def _row(path: Path, *, named: bool) -> tuple[object, ...]:
    found = sniff(path)
    if not found.is_dicom:
        if named:
            raise InvalidArgumentError(f"cannot upload {path}: not a DICOM file (no 'DICM' header)")
        return (str(path), None, None, None, None, NOT_DICOM, None, None)
    if found.problem:
        if named:
            raise InvalidArgumentError(f"cannot upload {path}: {found.problem}")
        return (str(path), None, None, None, None, FAILED, found.problem, None)
    return (str(path), found.study, found.series, found.sop, found.size, PENDING, None, None)
