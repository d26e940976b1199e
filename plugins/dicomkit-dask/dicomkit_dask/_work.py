"""What runs on a worker: one task's files or instances, moved by a small local job.

A task gets a :class:`~dicomkit.ClientConfig` (never a live session, and secrets only as their
source, such as an ``EnvSecret`` the worker reads from its own environment) and builds its own
client. It moves its items with a throwaway journaled job of their own in a temporary folder,
so the rules of a local run (STOW answers judged per file, broken requests settled by QIDO-RS,
files written complete) are the same code, and hands back each item's outcome for the
submitting side to journal.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dicomkit import ClientConfig
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.jobs import FAILED, WRITTEN, DownloadJob, UploadJob, disposable_journals
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


@contextmanager
def _scratch() -> Iterator[str]:
    """A folder for a task's throwaway journals, made inside it without a single sync.

    They need no durability (a task whose worker dies is run again from the submitter's
    journal), and a journal's fsyncs on a busy disk cost a task more time than its request
    (170 ms a task under load): so they are disposable journals (``synchronous=OFF``, nothing
    synced when made), in the system's temporary folder (``tempfile.gettempdir()``:
    ``TMPDIR``, else ``/tmp`` or the user's temporary folder on Windows), which every system
    has, where a memory folder such as Linux's ``/dev/shm`` may be missing or small.
    """
    with tempfile.TemporaryDirectory(prefix="dicomkit-dask-") as folder, disposable_journals():
        yield folder


def _lease(semaphore: Any) -> AbstractContextManager[Any]:
    """The cluster-wide request cap: a lease held while the task talks to the server."""
    lease: AbstractContextManager[Any] = nullcontext() if semaphore is None else semaphore
    return lease


def _run_all(
    config: ClientConfig, jobs: Sequence[UploadJob | DownloadJob], asynchronous: bool
) -> None:
    """Run ``jobs`` one after the other with one client built from ``config``: blocking, or
    an asyncio client on a loop of this task's own (for an asyncio-only transport)."""
    if not asynchronous:
        with config.client() as client:
            for job in jobs:
                job.run(client, workers=1)
        return

    async def run() -> None:
        async with config.async_client() as client:
            for job in jobs:
                await job.arun(client, workers=1)

    asyncio.run(run())


def upload_task(
    config: ClientConfig,
    paths: Sequence[str],
    study: str | None,
    semaphore: Any = None,
    asynchronous: bool = False,
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
    with _scratch() as local:
        try:
            job = UploadJob.create(
                Path(local) / "task.dicomkit-job", present, study=study, batch_files=len(present)
            )
        except InvalidArgumentError as exc:  # a file changed into something else since the scan
            return outcomes + [Outcome(path, FAILED, str(exc)) for path in present]
        with job, _lease(semaphore):
            _run_all(config, [job], asynchronous)
            outcomes += [Outcome(i.label, i.state, i.reason) for i in job.journal.items()]
    return outcomes


def download_task(
    config: ClientConfig,
    destination: Destination,
    instances: Sequence[tuple[str, str, str]],
    whole_series: bool,
    semaphore: Any = None,
    staging_prefix: str = STAGING_PREFIX,
    asynchronous: bool = False,
    durable: bool = False,
) -> list[Outcome]:
    """Write ``instances`` to ``destination`` (``{study}/{series}/{sop}.dcm``), asked for as
    one series request when ``whole_series``, else one request per instance.

    Files land in a staging folder of this task (beside the files, or on this worker's disk
    for a URL) and are placed from there, so tasks never see each other's partial files and
    each file appears only complete (:meth:`Destination.place`). A worker that dies leaves its
    staging folder behind: the submitter removes its job's (``staging_prefix``) once no task
    of the job runs. ``durable``: each file is fsynced before it is placed (the job's own
    setting, handed on by the executor).
    """
    groups = [list(instances)] if whole_series else [[uids] for uids in instances]
    fs = destination.filesystem() if destination.is_url else None
    with (
        _scratch() as local,
        destination.staging(staging_prefix) as staging,
        ExitStack() as open_jobs,
    ):
        jobs = [
            open_jobs.enter_context(
                DownloadJob.create(
                    Path(local) / f"{number}.dicomkit-job", group, staging, durable=durable
                )
            )
            for number, group in enumerate(groups)
        ]
        with _lease(semaphore):
            _run_all(config, jobs, asynchronous)
        items = {item.label: item for job in jobs for item in job.journal.items()}
        labels = [f"{study}/{series}/{sop}" for study, series, sop in instances]
        return [_placed(destination, staging, label, items.get(label), fs) for label in labels]


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
