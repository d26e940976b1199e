"""What every job shares: its journal, its status, opening and listing journals."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.query import check_count
from dicomkit.core.urls import without_userinfo
from dicomkit.jobs._journal import JOURNAL_VERSION, Journal
from dicomkit.jobs._meter import Meter
from dicomkit.jobs._model import DEFAULT_WORKERS, JobReport, JobStatus, default_journal_folder

if TYPE_CHECKING:
    from dicomkit.jobs._download import DownloadJob
    from dicomkit.jobs._upload import UploadJob

__all__ = ["Job", "list_jobs", "new_journal_path", "open_job"]

JOURNAL_SUFFIX = ".dicomkit-job"
_Self = TypeVar("_Self", bound="Job")


def new_journal_path(kind: str, folder: str | os.PathLike[str] | None = None) -> Path:
    """A fresh journal name in ``folder`` (default: :func:`default_journal_folder`), such as
    ``20261202T101600-upload-3f9a1c.dicomkit-job``: sortable by time, unique."""
    base = default_journal_folder() if folder is None else Path(folder).expanduser()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return base / f"{stamp}-{kind}-{os.urandom(3).hex()}{JOURNAL_SUFFIX}"


class Job:
    """A journaled transfer. Build one with ``UploadJob.create`` / ``DownloadJob.create`` or
    reopen any with :func:`open_job`; close it (or use ``with``) to release the journal."""

    kind: ClassVar[str] = ""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    @property
    def path(self) -> Path:
        """The journal file: what :func:`open_job` and ``dicomkit jobs resume`` take."""
        return self.journal.path

    @property
    def job_id(self) -> str:
        return self.path.stem

    @property
    def url(self) -> str | None:
        """The DICOMweb URL the job last ran against (no credentials), so that a resume can
        default to it; None before the first run."""
        return self.journal.meta("url") or None

    def _ran_against(self, client: Any) -> None:
        """Journal the client's URL (credentials removed) as the job's server."""
        url = without_userinfo(str(client.base_url))
        if self.journal.meta("url") != url:
            with self.journal.transaction() as db:
                self.journal.put_meta(db, {"url": url})

    @classmethod
    def _make(
        cls,
        journal_path: str | os.PathLike[str] | None,
        description: str,
        settings: dict[str, str],
        fill: Callable[[sqlite3.Connection], None],
    ) -> Journal:
        """A new journal holding ``settings`` and what ``fill`` writes, made whole or not at
        all (:meth:`Journal.create`), stamped with its version. ``created`` has microseconds:
        jobs made in the same second list in the order they were made."""
        path = new_journal_path(cls.kind) if journal_path is None else Path(journal_path)
        meta = {
            "kind": cls.kind,
            "created": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            "description": description,
            **settings,
            "version": JOURNAL_VERSION,
        }

        def filled(db: sqlite3.Connection) -> None:
            fill(db)
            Journal.put_meta(db, meta)

        return Journal.create(path, filled)

    def status(self) -> JobStatus:
        """Every item's state as the journal holds it now (cheap; safe while running)."""
        total, done = self.journal.byte_totals()
        return JobStatus(
            path=self.path,
            kind=self.kind,
            created=_created(self.journal),
            description=self.journal.meta("description") or "",
            counts=self.journal.counts(),
            total_bytes=total,
            done_bytes=done,
            failures=self.journal.failures(),
        )

    def _report(self, meter: Meter) -> JobReport:
        """The status now, plus what this run moved."""
        return JobReport(
            **vars(self.status()),
            moved_instances=meter.moved_instances,
            moved_bytes=meter.bytes_this_run,
            elapsed=meter.elapsed,
        )

    @staticmethod
    def default_workers() -> int:
        """Requests in flight when ``run`` is given ``workers=None``: :data:`DEFAULT_WORKERS`
        (a download job chooses by the machine's CPUs; docs/transfers.md, "Fast defaults")."""
        return DEFAULT_WORKERS

    def _workers(self, workers: int | None) -> int:
        if workers is None:
            return self.default_workers()
        check_count("workers", workers, minimum=1)
        return workers

    def close(self) -> None:
        self.journal.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"


def _created(journal: Journal) -> datetime:
    text = journal.meta("created")
    try:
        return datetime.fromisoformat(text) if text else datetime.fromtimestamp(0, timezone.utc)
    except ValueError:
        return datetime.fromtimestamp(0, timezone.utc)


def open_job(journal_path: str | os.PathLike[str]) -> UploadJob | DownloadJob:
    """Reopen a job from its journal, to resume it with ``run`` or read its ``status``."""
    from dicomkit.jobs._download import DownloadJob
    from dicomkit.jobs._upload import UploadJob

    journal = Journal.open(journal_path)
    kind = journal.meta("kind")
    kinds: dict[str, Any] = {UploadJob.kind: UploadJob, DownloadJob.kind: DownloadJob}
    if kind not in kinds:
        journal.close()
        raise InvalidArgumentError(f"{journal.path} holds a job of unknown kind {kind!r}")
    job: UploadJob | DownloadJob = kinds[kind](journal)
    return job


def list_jobs(folder: str | os.PathLike[str] | None = None) -> list[JobStatus]:
    """The status of every job journal in ``folder`` (default: the default journal folder),
    oldest first; files that are not complete journals are left out."""
    base = default_journal_folder() if folder is None else Path(folder).expanduser()
    if not base.is_dir():
        return []
    statuses = []
    for path in sorted(base.glob(f"*{JOURNAL_SUFFIX}")):
        try:
            with open_job(path) as job:
                statuses.append(job.status())
        except InvalidArgumentError:
            continue
    return sorted(statuses, key=lambda status: (status.created, str(status.path)))
