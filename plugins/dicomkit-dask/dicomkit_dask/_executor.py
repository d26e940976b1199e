"""The submitting side: split a job into tasks, keep a bounded number running, journal results.

The job's journal stays here, in the submitting process, and is the only record: a task's
items are journaled as in flight when it is submitted and get their final state as soon as
its result arrives (``as_completed``), so a submitter killed at any moment resumes with
``open_job`` and moves only what no result confirmed. Workers hold no state worth keeping: a
worker lost mid-task has its task run again elsewhere by the scheduler.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from dicomkit import ClientConfig
from dicomkit.core.errors import DicomkitError, InvalidArgumentError
from dicomkit.core.query import check_count
from dicomkit.core.urls import without_userinfo
from dicomkit.jobs import (
    FAILED,
    PENDING,
    SENT,
    WRITTEN,
    DownloadJob,
    JobReport,
    Progress,
    ProgressCallback,
    UploadJob,
)
from dicomkit_dask._destination import Destination
from dicomkit_dask._work import STAGING_PREFIX, Outcome, download_task, upload_task

__all__ = ["DEFAULT_MAX_REQUESTS", "DEFAULT_TASK_SIZE", "DESTINATION_KEY", "run_job"]

DEFAULT_MAX_REQUESTS = 8
"""Requests in flight to the server at once, for the whole cluster (docs/dask.md: sizing)."""
DEFAULT_TASK_SIZE = 10
"""Files (uploads) or instances (downloads) per task at most: one STOW-RS request's worth by
default, so that a lost worker or a killed submitter wastes little."""
DESTINATION_KEY = "dask_destination"
"""The journal's record of where a download writes, so that a resume writes there too."""


def run_job(
    job: UploadJob | DownloadJob,
    config: ClientConfig,
    dask_client: Any,
    *,
    max_requests: int = DEFAULT_MAX_REQUESTS,
    task_size: int = DEFAULT_TASK_SIZE,
    progress: ProgressCallback | None = None,
    retry_failed: bool = False,
    semaphore_name: str | None = None,
    destination: str | os.PathLike[str] | None = None,
    asynchronous: bool = False,
) -> JobReport:
    """Run ``job`` on the cluster of ``dask_client`` (a ``distributed.Client``) and return the
    report, like ``job.run`` does on threads.

    At most ``max_requests`` tasks run at once, each holding a lease of a cluster-wide
    ``distributed.Semaphore`` (named ``semaphore_name``, by default after the server's URL and
    the cap, so jobs of several submitters to one server with the same cap share it); new
    tasks are submitted only as others finish. ``progress`` receives the same
    :class:`~dicomkit.jobs.Progress` as a local run, once per finished task.

    Downloads list their targets here first (with a client built from ``config``), check
    which files are already complete at the destination, and write to ``destination``: a
    folder every worker reaches at the same path, or an fsspec URL (``s3://bucket/export``,
    with the filesystem installed on every worker); by default the job's ``out_dir``. The
    journal records it, so a resume without ``destination`` writes to the same place.

    ``asynchronous``: tasks use ``config.async_client()`` on an event loop of their own,
    for a configuration whose transport is asyncio-only (``aiohttp``); the submitter then
    lists a download with the default blocking transport.
    """
    import distributed

    dask: Any = distributed  # untyped: its calls are not checked
    for name, value in (("max_requests", max_requests), ("task_size", task_size)):
        check_count(name, value, minimum=1, required=True)
    url = without_userinfo(config.url)
    name = semaphore_name or f"dicomkit:{url}:{max_requests}"
    semaphore = dask.Semaphore(max_leases=max_requests, name=name)
    try:
        semaphore.register()
    except ValueError as exc:  # the scheduler holds this name with another cap
        raise InvalidArgumentError(
            f"the request cap {name!r} exists with another size: {exc}"
        ) from None
    started = time.monotonic()
    if retry_failed:
        job.journal.set_state(job.journal.items(FAILED), PENDING)
    place = None
    if isinstance(job, DownloadJob):
        place = _destination(job, destination)
        with _blocking(config, asynchronous).client() as client:
            job.list_targets(client)
        _check_destination(job, place)
    else:
        _ran_against(job, url)
    before = job.status()
    meter = _Meter(job, progress, started, before.done_bytes)
    meter.emit()
    tasks = _tasks(job, config, task_size, semaphore, place, asynchronous)
    _stream(job, dask_client, tasks, max_requests, meter)
    if isinstance(job, DownloadJob) and place is not None:
        place.remove_leftovers(_staging_prefix(job))
    after = job.status()
    return JobReport(
        **vars(after),
        moved_instances=meter.moved,
        moved_bytes=after.done_bytes - before.done_bytes,
        elapsed=time.monotonic() - started,
    )


_Task = tuple[list[Any], Callable[..., list[Outcome]], tuple[Any, ...]]
"""(the task's journal items, the function a worker runs, its arguments)."""


def _blocking(config: ClientConfig, asynchronous: bool) -> ClientConfig:
    """The configuration the submitter lists a download with: ``config``, or for an
    asyncio-only transport the same server, auth and policies on the default blocking one."""
    return replace(config, transport=None, transport_options={}) if asynchronous else config


def _ran_against(job: UploadJob, url: str) -> None:
    """Journal the server's URL (no credentials), as a local run does, for ``jobs resume``."""
    if job.journal.meta("url") != url:
        with job.journal.transaction() as db:
            job.journal.put_meta(db, {"url": url})


def _destination(job: DownloadJob, given: str | os.PathLike[str] | None) -> Destination:
    """Where this run writes: ``given``, else where the journal says the job wrote, else its
    ``out_dir``; journaled."""
    recorded = job.journal.meta(DESTINATION_KEY)
    place = Destination.of(given if given is not None else recorded or job.out_dir)
    if place.location != recorded:
        with job.journal.transaction() as db:
            job.journal.put_meta(db, {DESTINATION_KEY: place.location})
    return place


def _relative(item: Any) -> str:
    return f"{item.study}/{item.series}/{item.sop}.dcm"


def _check_destination(job: DownloadJob, place: Destination) -> None:
    """Before any task: a written file no longer there whole (by size) is pending again; a
    pending file already under its final name (its task's result never came back: final
    names only ever hold complete files) is journaled written, not fetched again."""
    sizes = place.sizes()
    changed = [
        item for item in job.journal.items(WRITTEN) if sizes.get(_relative(item)) != item.size
    ]
    job.journal.set_state(changed, PENDING, "the file went missing or changed")
    found = []
    for item in job.journal.items(PENDING):
        if _relative(item) in sizes:
            digest = place.digest(_relative(item))
            if digest is not None:
                found.append((item.id, *digest))
    if found:
        job.journal.set_written_many(found)


def _tasks(
    job: UploadJob | DownloadJob,
    config: ClientConfig,
    size: int,
    semaphore: Any,
    place: Destination | None,
    asynchronous: bool,
) -> Iterator[_Task]:
    if isinstance(job, UploadJob):
        study = job.journal.meta("study") or None
        pending = job.journal.items(PENDING, SENT)
        for start in range(0, len(pending), size):
            chunk = pending[start : start + size]
            paths = [item.label for item in chunk]
            yield chunk, upload_task, (config, paths, study, semaphore, asynchronous)
        return
    everything: dict[tuple[str | None, str | None], int] = {}
    for item in job.journal.items():
        everything[(item.study, item.series)] = everything.get((item.study, item.series), 0) + 1
    by_series: dict[tuple[str | None, str | None], list[Any]] = {}
    for item in job.journal.items(PENDING):
        by_series.setdefault((item.study, item.series), []).append(item)
    for key, items in by_series.items():
        whole = len(items) == everything[key] and 1 < len(items) <= size
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            uids = [(i.study or "", i.series or "", i.sop or "") for i in chunk]
            staging = _staging_prefix(job)
            # an object store's upload is durable by its own rules
            durable = job.durable and place is not None and not place.is_url
            arguments = (config, place, uids, whole, semaphore, staging, asynchronous, durable)
            yield chunk, download_task, arguments


def _staging_prefix(job: DownloadJob) -> str:
    return f"{STAGING_PREFIX}{job.job_id}-"


def _stream(
    job: UploadJob | DownloadJob,
    dask_client: Any,
    tasks: Iterator[_Task],
    limit: int,
    meter: _Meter,
) -> None:
    """Keep ``limit`` tasks submitted; journal each result as it comes. On an error the
    running tasks are cancelled and their items go back to pending before it is raised."""
    import distributed

    dask: Any = distributed
    running: dict[Any, list[Any]] = {}

    def submit() -> Any:
        task = next(tasks, None)
        if task is None:
            return None
        items, function, args = task
        if isinstance(job, UploadJob):
            job.journal.set_state(items, SENT, attempt=True)
        future = dask_client.submit(function, *args, pure=False, retries=0)
        running[future] = items
        return future

    # no reference outlives its result: a finished task still held would be computed again
    # when the worker keeping its result dies
    stream = dask.as_completed([future for _ in range(limit) if (future := submit()) is not None])
    try:
        for future in stream:
            items = running.pop(future)
            outcomes = _result(future)
            _journal(job, items, outcomes)
            meter.settled(outcomes)
            del future
            following = submit()
            if following is not None:
                stream.add(following)
    except BaseException:
        for future, items in running.items():
            future.cancel()
            job.journal.set_state(items, PENDING)
        raise


def _result(future: Any) -> list[Outcome]:
    """A task's outcomes; a task that failed for want of a cluster (its workers kept dying, it
    was cancelled) raises a DicomkitError, a dicomkit error raised on the worker as itself."""
    try:
        outcomes: list[Outcome] = future.result()
    except DicomkitError:
        raise
    except Exception as exc:
        raise DicomkitError(f"a task could not finish on the cluster: {exc!r}") from exc
    return outcomes


def _journal(job: UploadJob | DownloadJob, items: Sequence[Any], outcomes: list[Outcome]) -> None:
    """Record a task's outcomes: one transaction per state (and per written instance)."""
    by_label = {item.label: item for item in items}
    groups: dict[tuple[str, str | None], list[Any]] = {}
    for outcome in outcomes:
        item = by_label.pop(outcome.label, None)
        if item is None:
            continue
        if outcome.size is not None:
            job.journal.set_written(item.id, outcome.size, outcome.sha256)
        else:
            groups.setdefault((outcome.state, outcome.reason), []).append(item)
    if by_label:  # not answered for: sent again by the next run
        groups.setdefault((PENDING, None), []).extend(by_label.values())
    for (state, reason), grouped in groups.items():
        job.journal.set_state(grouped, state, reason)


class _Meter:
    """The local job's Progress, updated once per finished task."""

    def __init__(
        self,
        job: UploadJob | DownloadJob,
        progress: ProgressCallback | None,
        started: float,
        start_bytes: int,
    ) -> None:
        self.job = job
        self.progress = progress
        self.started = started
        self.start_bytes = start_bytes
        self.moved = 0

    def settled(self, outcomes: Sequence[Outcome]) -> None:
        self.moved += sum(1 for outcome in outcomes if outcome.state not in (FAILED, PENDING))
        self.emit()

    def emit(self) -> None:
        if self.progress is None:
            return
        status = self.job.status()
        counts = status.counts
        final = sum(n for state, n in counts.items() if state not in (PENDING, SENT, "not_dicom"))
        listed = not isinstance(self.job, DownloadJob) or self.job.status().total > 0
        self.progress(
            Progress(
                kind=self.job.kind,
                instances_done=final,
                instances_total=status.total - counts.get("not_dicom", 0) if listed else None,
                bytes_done=status.done_bytes,
                bytes_total=status.total_bytes if isinstance(self.job, UploadJob) else None,
                failed=counts.get(FAILED, 0),
                bytes_this_run=status.done_bytes - self.start_bytes,
                elapsed=time.monotonic() - self.started,
                instances_this_run=self.moved,
            )
        )
