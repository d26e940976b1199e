"""Run dicomkit's journaled transfer jobs on a Dask cluster (docs/dask.md).

:func:`run_job` takes an ``UploadJob`` or ``DownloadJob`` (``dicomkit.jobs``), a
``ClientConfig`` every worker builds its own client from, and a ``distributed.Client``; the
journal stays in the calling process, which records each task's outcome as it finishes.
"""

from __future__ import annotations

from dicomkit_dask._cluster import connect, for_workers
from dicomkit_dask._executor import DEFAULT_MAX_REQUESTS, DEFAULT_TASK_SIZE, run_job
from dicomkit_dask._work import Outcome, download_task, upload_task

__all__ = [
    "DEFAULT_MAX_REQUESTS",
    "DEFAULT_TASK_SIZE",
    "Outcome",
    "connect",
    "download_task",
    "for_workers",
    "run_job",
    "upload_task",
]
