"""What runs on a worker: one task's files or instances, moved by a small local job.

A task gets a :class:`~dicomkit.ClientConfig` (never a live session, and secrets only as their
source, such as an ``EnvSecret`` the worker reads from its own environment) and builds its own
client. It moves its items with a throwaway journaled job of their own in a temporary folder,
so the rules of a local run (STOW answers judged per file, broken requests settled by QIDO-RS,
files written complete) are the same code, and hands back each item's outcome for the
submitting side to journal.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dicomkit import ClientConfig
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.jobs import FAILED, WRITTEN, DownloadJob, UploadJob
from dicomkit_dask._destination import STAGING_PREFIX, Destination

__all__ = ["STAGING_PREFIX", "Outcome", "download_task", "upload_task"]


@dataclass(frozen=True)
class Outcome:
    """One item's end on a worker: its label (a file path, or study/series/instance UIDs),
    its state, and for a written instance its size and SHA-256."""

    label: str
    state: str
    reason: str | None = None
    size: int | None = None
    sha256: str | None = None


def _lease(semaphore: Any) -> AbstractContextManager[Any]:
    """The cluster-wide request cap: a lease held while the task talks to the server."""
    lease: AbstractContextManager[Any] = nullcontext() if semaphore is None else semaphore
    return lease


def upload_task(
    config: ClientConfig, paths: Sequence[str], study: str | None, semaphore: Any = None
) -> list[Outcome]:
    """Send ``paths`` (one STOW-RS request per batch, one request at a time) and say how
    each ended: stored, already present or failed."""
    present = [path for path in paths if os.path.isfile(path)]
    outcomes = [
        Outcome(path, FAILED, "unreadable: no such file on the worker")
        for path in paths
        if path not in present
    ]
    if not present:
        return outcomes
    with tempfile.TemporaryDirectory(prefix="dicomkit-dask-") as local:
        try:
            job = UploadJob.create(
                Path(local) / "task.dicomkit-job", present, study=study, batch_files=len(present)
            )
        except InvalidArgumentError as exc:  # a file changed into something else since the scan
            return outcomes + [Outcome(path, FAILED, str(exc)) for path in present]
        with job, _lease(semaphore), config.client() as client:
            job.run(client, workers=1)
            outcomes += [Outcome(i.label, i.state, i.reason) for i in job.journal.items()]
    return outcomes


def download_task(
    config: ClientConfig,
    destination: Destination,
    instances: Sequence[tuple[str, str, str]],
    whole_series: bool,
    semaphore: Any = None,
    staging_prefix: str = STAGING_PREFIX,
) -> list[Outcome]:
    """Write ``instances`` to ``destination`` (``{study}/{series}/{sop}.dcm``), asked for as
    one series request when ``whole_series``, else one request per instance.

    Files land in a staging folder of this task (beside the files, or on this worker's disk
    for a URL) and are placed from there, so tasks never see each other's partial files and
    each file appears only complete (:meth:`Destination.place`). A worker that dies leaves its
    staging folder behind: the submitter removes its job's (``staging_prefix``) once no task
    of the job runs.
    """
    groups = [list(instances)] if whole_series else [[uids] for uids in instances]
    outcomes: list[Outcome] = []
    fs = destination.filesystem() if destination.is_url else None
    with (
        tempfile.TemporaryDirectory(prefix="dicomkit-dask-") as local,
        destination.staging(staging_prefix) as staging,
        _lease(semaphore),
        config.client() as client,
    ):
        for number, group in enumerate(groups):
            journal = Path(local) / f"{number}.dicomkit-job"
            with DownloadJob.create(journal, group, staging) as job:
                job.run(client, workers=1)
                items = {item.label: item for item in job.journal.items()}
            for study, series, sop in group:
                label = f"{study}/{series}/{sop}"
                outcomes.append(_placed(destination, staging, label, items.get(label), fs))
    return outcomes


def _placed(destination: Destination, staging: Path, label: str, item: Any, fs: Any) -> Outcome:
    """Place a written instance from the staging folder."""
    if item is None:
        return Outcome(label, FAILED, "the server lists no such instance")
    if item.state != WRITTEN:
        return Outcome(label, FAILED, item.reason or "not written")
    study, series, sop = label.split("/")
    relative = f"{study}/{series}/{sop}.dcm"
    destination.place(staging / relative, relative, fs)
    return Outcome(label, WRITTEN, None, item.size, item.sha256)
