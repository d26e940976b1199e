"""The values a job hands back: item states, progress, status and report, and the defaults.

Plain frozen values with no I/O, so the CLI can print them and tests can compare them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from dicomkit.core.operations.options import DEFAULT_WORKERS as _MEASURED_WORKERS

__all__ = [
    "ALREADY_PRESENT",
    "DEFAULT_WORKERS",
    "FAILED",
    "FINAL_STATES",
    "NOT_DICOM",
    "PENDING",
    "SENT",
    "STORED",
    "WRITTEN",
    "JobReport",
    "JobStatus",
    "Progress",
    "ProgressCallback",
    "default_journal_folder",
]

PENDING = "pending"
"""Not moved yet (or moved without a confirmation that was then found missing)."""
SENT = "sent"
"""Upload: in a STOW-RS request whose answer has not been recorded; resolved by a QIDO
search before anything is sent again."""
STORED = "stored"
ALREADY_PRESENT = "already_present"
FAILED = "failed"
NOT_DICOM = "not_dicom"
"""Upload: a file found under a given folder that is not DICOM; never sent."""
WRITTEN = "written"
"""Download: the file is complete on disk (renamed into place once whole; fsynced first in a
durable job) and its size is recorded (and its SHA-256 in a durable job)."""
FINAL_STATES = frozenset({STORED, ALREADY_PRESENT, FAILED, NOT_DICOM, WRITTEN})

DEFAULT_WORKERS = _MEASURED_WORKERS
"""Requests in flight at once when ``workers=None``; measured in docs/transfers.md (the same
default as ``upload_dicom_folder``'s)."""


def default_journal_folder() -> Path:
    """Where journals go unless a path is given: ``$DICOMKIT_JOBS_DIR``, else the user's
    state folder (``$XDG_STATE_HOME/dicomkit/jobs``, ``~/.local/state/dicomkit/jobs``;
    ``%LOCALAPPDATA%\\dicomkit\\jobs`` on Windows). Not created here."""
    explicit = os.environ.get("DICOMKIT_JOBS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "dicomkit" / "jobs"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser() / "dicomkit" / "jobs"


@dataclass(frozen=True)
class Progress:
    """Where a running job stands, for all its workers together.

    ``instances_total`` is None for a download until its targets are listed; ``bytes_total``
    is None for downloads (servers do not say sizes up front). ``bytes_done`` counts bytes
    confirmed plus those of requests in flight (an upload's bytes read into its request);
    ``bytes_this_run`` and ``elapsed`` (seconds since ``run`` began) give the rate, and
    ``instances_this_run`` (confirmed by this run) the time left when bytes cannot.
    """

    kind: str
    instances_done: int
    instances_total: int | None
    bytes_done: int
    bytes_total: int | None
    failed: int
    bytes_this_run: int
    elapsed: float
    instances_this_run: int = 0

    @property
    def rate(self) -> float:
        """Bytes per second moved by this run so far (0.0 at the start)."""
        return self.bytes_this_run / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate: by bytes when their total is known (uploads),
        else by instances (downloads); None until something moved."""
        if self.bytes_total is not None and self.rate > 0:
            return max(0.0, (self.bytes_total - self.bytes_done) / self.rate)
        if self.instances_total is not None and self.instances_this_run and self.elapsed > 0:
            per_second = self.instances_this_run / self.elapsed
            return max(0.0, (self.instances_total - self.instances_done) / per_second)
        return None


ProgressCallback = Callable[[Progress], None]
"""Called after every instance and every chunk moved; calls never overlap (workers share a
lock), but under threads they may come from a worker thread."""


@dataclass(frozen=True)
class JobStatus:
    """What a journal holds: the job's kind, when it was made, and its items by state."""

    path: Path
    kind: str
    created: datetime
    description: str
    counts: Mapping[str, int]
    """Items per state (``pending``, ``sent``, ``stored``, ``already_present``, ``failed``,
    ``not_dicom``, ``written``); states with no item are absent."""
    total_bytes: int | None
    done_bytes: int
    failures: Mapping[str, str] = field(default_factory=dict)
    """Each failed item's label (a file path, or study/series/instance UIDs) and reason."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def unfinished(self) -> int:
        """Items a resumed run would still move (pending, or sent and unconfirmed)."""
        return sum(n for state, n in self.counts.items() if state not in FINAL_STATES)

    @property
    def finished(self) -> bool:
        return self.unfinished == 0

    @property
    def ok(self) -> bool:
        """Finished with no failure."""
        return self.finished and not self.counts.get(FAILED)

    @property
    def job_id(self) -> str:
        return self.path.stem

    def __str__(self) -> str:
        parts = [f"{n} {state.replace('_', ' ')}" for state, n in sorted(self.counts.items())]
        return f"{self.kind} {self.job_id}: " + (", ".join(parts) or "no items")


@dataclass(frozen=True)
class JobReport(JobStatus):
    """The status at the end of one ``run``, plus what that run moved."""

    moved_instances: int = 0
    moved_bytes: int = 0
    elapsed: float = 0.0
