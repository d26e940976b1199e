"""Run dicomkit's journaled transfer jobs on a Dask cluster (docs/dask.md).

:func:`run_job` takes an ``UploadJob`` or ``DownloadJob`` (``dicomkit.jobs``), a
``ClientConfig`` every worker builds its own client from, and a ``distributed.Client``; the
journal stays in the calling process, which records each task's outcome as it finishes.
Downloads write to a shared folder or an fsspec URL (:class:`Destination`).
"""

from __future__ import annotations

from dicomkit_dask._cluster import connect, for_workers
from dicomkit_dask._destination import Destination
from dicomkit_dask._executor import (
    DEFAULT_MAX_REQUESTS,
    DEFAULT_TASK_SIZE,
    DESTINATION_KEY,
    run_job,
)
from dicomkit_dask._work import Outcome, download_task, upload_task

__all__ = [
    "DEFAULT_MAX_REQUESTS",
    "DEFAULT_TASK_SIZE",
    "DESTINATION_KEY",
    "Destination",
    "Outcome",
    "connect",
    "download_task",
    "for_workers",
    "run_job",
    "upload_task",
]
