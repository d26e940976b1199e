"""Journaled, resumable transfer jobs: uploads and downloads that survive a kill.

A job records every instance's state in a SQLite journal, each change one transaction, so a
job killed at any moment (SIGKILL included) resumes with :func:`open_job` and moves only what
is not yet confirmed::

    job = UploadJob.create(None, ["/data/scans"])        # journal in default_journal_folder()
    report = job.run(DicomClient(url), progress=print)
    ...
    open_job(job.path).run(DicomClient(url))              # after a crash: the rest only

Uploads end every file as stored, already present or failed (a STOW-RS request that broke
without an answer is resolved by asking the server, with QIDO-RS, which of its instances it
holds). Downloads write each instance once, complete (temporary name, rename, in groups
journaled together), and record its size; ``durable=True`` also fsyncs every file and records
its SHA-256 (``run(verify=True)`` on a job without it checks sizes and issues a
:class:`VerifyWarning`). docs/transfers.md says more, with the measured defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicomkit._lazy import lazy_getattr
from dicomkit.jobs._download import DownloadJob, Target
from dicomkit.jobs._job import Job, list_jobs, new_journal_path, open_job
from dicomkit.jobs._journal import disposable_journals
from dicomkit.jobs._model import (
    ALREADY_PRESENT,
    DEFAULT_WORKERS,
    FAILED,
    NOT_DICOM,
    PENDING,
    SENT,
    STORED,
    WRITTEN,
    JobReport,
    JobStatus,
    Progress,
    ProgressCallback,
    default_journal_folder,
)
from dicomkit.jobs._warnings import VerifyWarning

if TYPE_CHECKING:
    from dicomkit.jobs._upload import UploadJob

__getattr__ = lazy_getattr(__name__, {"UploadJob": "dicomkit.jobs._upload"})

__all__ = [
    "ALREADY_PRESENT",
    "DEFAULT_WORKERS",
    "FAILED",
    "NOT_DICOM",
    "PENDING",
    "SENT",
    "STORED",
    "WRITTEN",
    "DownloadJob",
    "Job",
    "JobReport",
    "JobStatus",
    "Progress",
    "ProgressCallback",
    "Target",
    "UploadJob",
    "VerifyWarning",
    "default_journal_folder",
    "disposable_journals",
    "list_jobs",
    "new_journal_path",
    "open_job",
]
