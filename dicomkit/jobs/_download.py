"""Journaled downloads: each instance written once, complete, with its size and SHA-256.

The instances of every target are listed first (QIDO-RS) and journaled. A series nothing of
which is written yet is asked for whole; when its answer breaks midway, the instances not yet
written are asked for one by one, so a broken connection costs one file, not the study.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dicomkit._logging import job_series_broken
from dicomkit.core.errors import (
    ConnectError,
    ConnectTimeout,
    ForbiddenError,
    HTTPError,
    InvalidArgumentError,
    NotFoundError,
    ProtocolError,
    TransportError,
    UnauthorizedError,
)
from dicomkit.core.uids import validate_uid
from dicomkit.files import BYTES_RECEIVED
from dicomkit.jobs._files import file_digest, instance_uids, target_path
from dicomkit.jobs._job import Job
from dicomkit.jobs._journal import Item
from dicomkit.jobs._meter import Meter, on_threads
from dicomkit.jobs._model import FAILED, PENDING, WRITTEN, JobReport, ProgressCallback
from dicomkit.jobs._staging import Staged, StagedFiles, Syncer
from dicomkit.jobs._tasks import on_tasks, to_thread

if TYPE_CHECKING:
    from dicomkit.client import AsyncDicomClient, DicomClient

__all__ = ["DownloadJob", "MAX_ATTEMPTS", "Target"]

Target = str | tuple[str] | tuple[str, str] | tuple[str, str, str]
"""A study UID, or a (study, series) or (study, series, instance) tuple of UIDs."""

MAX_ATTEMPTS = 3
"""Requests an instance may be asked in before it is marked failed."""
_TARGET_KEYS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
_NETWORK = (TransportError, ProtocolError, HTTPError)
"""What a broken or refused answer raises; anything else (a disk error) stops the job."""
_STOPS = (UnauthorizedError, ForbiddenError, ConnectError, ConnectTimeout)
"""Failures every further request would share: the job stops, its items stay pending."""


@dataclass(frozen=True)
class _Unit:
    """One request's worth of work: a whole series, or one instance."""

    study: str
    series: str
    items: tuple[Item, ...]
    whole_series: bool

    @property
    def key(self) -> int:
        """The meter's key for this unit's bytes in flight (negative: never an item's)."""
        return -self.items[0].id


class DownloadJob(Job):
    """Download studies, series or instances to ``{out_dir}/{study}/{series}/{sop}.dcm``."""

    kind = "download"

    @classmethod
    def create(
        cls,
        journal_path: str | os.PathLike[str] | None,
        targets: Iterable[Target],
        out_dir: str | os.PathLike[str],
    ) -> DownloadJob:
        """Journal the targets (UIDs validated here: InvalidArgumentError) and the output
        folder; nothing is requested yet. ``journal_path`` None: a new name in the default
        folder. The instances of each target are listed (QIDO-RS) at the start of ``run``."""
        rows = [_target(target) for target in ([targets] if isinstance(targets, str) else targets)]
        if not rows:
            raise InvalidArgumentError("nothing to download: no study, series or instance given")
        description = ", ".join("/".join(uid for uid in row if uid) for row in rows[:3])
        description += f" (+{len(rows) - 3} more)" if len(rows) > 3 else ""
        settings = {"out_dir": str(Path(out_dir).expanduser().absolute())}

        def fill(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT INTO targets (study, series, sop, state) VALUES (?, ?, ?, 'pending')",
                rows,
            )

        return cls(cls._make(journal_path, description, settings, fill))

    @property
    def out_dir(self) -> str:
        """The folder files are written under."""
        return self.journal.meta("out_dir") or ""

    def run(
        self,
        client: DicomClient,
        *,
        workers: int | None = None,
        progress: ProgressCallback | None = None,
        retry_failed: bool = False,
    ) -> JobReport:
        """Download what is not yet written, ``workers`` requests at once (None: the measured
        default), and return the report.

        Whole series are asked for where nothing of them is written yet; a series whose
        answer breaks midway continues with instance requests for the rest; on resume, files
        already complete are skipped. Each file appears only complete (temporary name, fsync,
        rename). A target the server does not have, or an instance that keeps failing, ends
        ``failed``; a failing disk (full, read-only) raises a DicomkitError and leaves the
        journal resumable with nothing lost. ``retry_failed`` tries failed items again.
        """
        count = self._workers(workers)
        root = Path(self.out_dir)
        self._ran_against(client)
        self._prepare(root, retry_failed)
        self._list(client)
        meter = self._checked(root, progress)
        units = self._units(self.journal.items(PENDING))
        syncer = self._syncer(root, meter)
        try:
            on_threads(lambda unit: self._fetch(client, syncer, unit, meter), units, count)
        except BaseException:
            syncer.close(check=False)  # what is complete is journaled, then the error
            raise
        syncer.close()
        return self._report(meter)

    async def arun(
        self,
        client: AsyncDicomClient,
        *,
        workers: int | None = None,
        progress: ProgressCallback | None = None,
        retry_failed: bool = False,
    ) -> JobReport:
        """:meth:`run` for AsyncDicomClient: ``workers`` tasks; files and the journal are
        written from worker threads, so the event loop never waits on the disk."""
        count = self._workers(workers)
        root = Path(self.out_dir)
        await to_thread(self._ran_against, client)
        await to_thread(self._prepare, root, retry_failed)
        await self._alist(client)
        meter = await to_thread(self._checked, root, progress)
        units = self._units(await to_thread(self.journal.items, PENDING))
        syncer = self._syncer(root, meter)
        try:
            await on_tasks(lambda unit: self._afetch(client, syncer, unit, meter), units, count)
        except BaseException:
            await to_thread(partial(syncer.close, check=False))
            raise
        await to_thread(syncer.close)
        return await to_thread(self._report, meter)

    def list_targets(self, client: DicomClient) -> None:
        """Journal the instances of every target not listed yet, as :meth:`run` does first:
        for executors that split the items among processes themselves (dicomkit-dask)."""
        self._ran_against(client)
        self._list(client)

    def _prepare(self, root: Path, retry_failed: bool) -> None:
        if retry_failed:
            self.journal.set_state(self.journal.items(FAILED), PENDING)
            with self.journal.transaction() as db:
                db.execute("UPDATE targets SET state = 'pending' WHERE state = 'failed'")
        _remove_leftovers(root)

    def _checked(self, root: Path, progress: ProgressCallback | None) -> Meter:
        self._check_disk(root)
        meter = self._meter(progress)
        meter.start()
        return meter

    def _meter(self, progress: ProgressCallback | None) -> Meter:
        counts = self.journal.counts()
        _, done_bytes = self.journal.byte_totals()
        listed = not self.journal.targets("pending")
        return Meter(
            self.kind,
            progress,
            done=counts.get(WRITTEN, 0) + counts.get(FAILED, 0),
            total=sum(counts.values()) if listed else None,
            bytes_done=done_bytes,
            bytes_total=None,
            failed=counts.get(FAILED, 0),
        )

    # -- listing and checking ------------------------------------------------------------------

    def _list(self, client: DicomClient) -> None:
        """Journal the instances of every target not listed yet, one transaction each."""
        known = {item.sop for item in self.journal.items()}
        for target in self.journal.targets("pending"):
            _, study, series, sop = target
            found: list[tuple[str, str]] | str
            if sop is not None and series is not None:
                found = [(series, sop)]
            else:
                try:
                    found = _pairs(client.search_for_instances(study, series, **_LISTING), series)
                except NotFoundError as exc:
                    found = f"not found on the server: {exc}"
            self._listed(target, found, known)

    async def _alist(self, client: AsyncDicomClient) -> None:
        known = {item.sop for item in await to_thread(self.journal.items)}
        for target in await to_thread(self.journal.targets, "pending"):
            _, study, series, sop = target
            found: list[tuple[str, str]] | str
            if sop is not None and series is not None:
                found = [(series, sop)]
            else:
                try:
                    listing = await client.search_for_instances(study, series, **_LISTING)
                    found = _pairs(listing, series)
                except NotFoundError as exc:
                    found = f"not found on the server: {exc}"
            await to_thread(self._listed, target, found, known)

    def _listed(
        self,
        target: tuple[int, str, str | None, str | None],
        found: list[tuple[str, str]] | str,
        known: set[str | None],
    ) -> None:
        """Journal a target's instances (``found``), or why it failed, in one transaction."""
        ident, study = target[0], target[1]
        failure = found if isinstance(found, str) else None
        if not found:
            failure = "the server lists no instance of it"
        fresh = [] if isinstance(found, str) else [(se, so) for se, so in found if so not in known]
        known.update(so for _, so in fresh)
        with self.journal.transaction() as db:
            self.journal.add_items(
                db,
                (
                    (f"{study}/{se}/{so}", study, se, so, None, PENDING, None, None)
                    for se, so in fresh
                ),
            )
            db.execute(
                "UPDATE targets SET state = ?, reason = ? WHERE id = ?",
                ("failed" if failure else "listed", failure, ident),
            )

    def _check_disk(self, root: Path) -> None:
        """Written files still complete stay written (else pending again); a pending file
        already complete on disk (the job died between its rename and its journal entry; a
        file gets its final name only once fsynced) is written: nothing is downloaded twice."""
        changed = []
        for item in self.journal.items(WRITTEN):
            path = target_path(root, _uids(item))
            try:
                intact = path.stat().st_size == item.size
            except OSError:
                intact = False
            if not intact:
                changed.append(item)
        self.journal.set_state(changed, PENDING, "the file went missing or changed")
        found = []
        for item in self.journal.items(PENDING):
            path = target_path(root, _uids(item))
            if path.is_file():
                digest = file_digest(path)
                if digest is not None:
                    found.append((item.id, *digest))
        if found:
            self.journal.set_written_many(found)

    def _units(self, pending: Sequence[Item]) -> list[_Unit]:
        """Whole series where nothing of them is written yet, single instances elsewhere."""
        everything: dict[tuple[str, str], int] = {}
        for item in self.journal.items():
            key = (item.study or "", item.series or "")
            everything[key] = everything.get(key, 0) + 1
        by_series: dict[tuple[str, str], list[Item]] = {}
        for item in pending:
            by_series.setdefault((item.study or "", item.series or ""), []).append(item)
        units = []
        for (study, series), items in by_series.items():
            if len(items) > 1 and len(items) == everything[(study, series)]:
                units.append(_Unit(study, series, tuple(items), whole_series=True))
            else:
                units.extend(_Unit(study, series, (item,), whole_series=False) for item in items)
        return units

    def _syncer(self, root: Path, meter: Meter) -> Syncer:
        """The run's syncer: groups of files journaled and counted once final."""

        def commit(group: list[Staged]) -> None:
            self.journal.set_written_many(
                (staged.item, staged.size, staged.sha256) for staged in group
            )
            meter.landed([staged.size for staged in group])

        def drop(group: list[Staged]) -> None:
            meter.unstaged([staged.size for staged in group])

        return Syncer(root, commit, drop)

    def _fetch(self, client: DicomClient, syncer: Syncer, unit: _Unit, meter: Meter) -> None:
        """Run one unit, its files made final in groups; a series broken midway goes on with
        its remaining instances. Files not final when the unit fails are fetched next run."""
        files = StagedFiles(syncer.root, syncer)
        try:
            self._fetch_unit(client, unit, meter, files)
            files.flush()
        finally:
            files.discard()

    def _fetch_unit(
        self, client: DicomClient, unit: _Unit, meter: Meter, files: StagedFiles
    ) -> None:
        remaining = {item.sop: item for item in unit.items}
        if unit.whole_series:
            try:
                with _counted(meter, unit.key):
                    for headers, body in client.iter_parts(unit.study, unit.series):
                        self._save(files, body, headers, remaining, meter, unit)
            except _STOPS:
                raise
            except _NETWORK as exc:  # what is missing is asked for below, one by one
                job_series_broken(self.job_id, unit.series, len(remaining), str(exc))
        for item in list(remaining.values()):
            self._fetch_instance(client, item, meter, files)

    def _fetch_instance(
        self, client: DicomClient, item: Item, meter: Meter, files: StagedFiles
    ) -> None:
        reason = "no answer"
        for _ in range(MAX_ATTEMPTS):
            remaining = {item.sop: item}
            try:
                with _counted(meter, -item.id):
                    parts = client.iter_parts(item.study or "", item.series, item.sop)
                    for headers, body in parts:
                        self._save(files, body, headers, remaining, meter, None)
            except NotFoundError as exc:
                reason = f"not found on the server: {exc}"
                break
            except _STOPS:
                raise
            except _NETWORK as exc:
                reason = str(exc)
                if files.holds(item.sop):  # it arrived whole before the answer broke
                    return
                continue
            if not remaining:
                return
            reason = "the server's answer did not hold it"
        self._failed(item, reason, meter)

    async def _afetch(
        self, client: AsyncDicomClient, syncer: Syncer, unit: _Unit, meter: Meter
    ) -> None:
        files = StagedFiles(syncer.root, syncer)
        try:
            await self._afetch_unit(client, unit, meter, files)
            await to_thread(files.flush)
        finally:
            files.discard()  # removes the files of a unit cut short (nothing when flushed)

    async def _afetch_unit(
        self, client: AsyncDicomClient, unit: _Unit, meter: Meter, files: StagedFiles
    ) -> None:
        remaining = {item.sop: item for item in unit.items}
        if unit.whole_series:
            try:
                with _counted(meter, unit.key):
                    async for headers, body in client.iter_parts(unit.study, unit.series):
                        await to_thread(self._save, files, body, headers, remaining, meter, unit)
            except _STOPS:
                raise
            except _NETWORK as exc:
                job_series_broken(self.job_id, unit.series, len(remaining), str(exc))
        for item in list(remaining.values()):
            await self._afetch_instance(client, item, meter, files)

    async def _afetch_instance(
        self, client: AsyncDicomClient, item: Item, meter: Meter, files: StagedFiles
    ) -> None:
        reason = "no answer"
        for _ in range(MAX_ATTEMPTS):
            remaining = {item.sop: item}
            try:
                with _counted(meter, -item.id):
                    parts = client.iter_parts(item.study or "", item.series, item.sop)
                    async for headers, body in parts:
                        await to_thread(self._save, files, body, headers, remaining, meter, None)
            except NotFoundError as exc:
                reason = f"not found on the server: {exc}"
                break
            except _STOPS:
                raise
            except _NETWORK as exc:
                reason = str(exc)
                if files.holds(item.sop):
                    return
                continue
            if not remaining:
                return
            reason = "the server's answer did not hold it"
        await to_thread(self._failed, item, reason, meter)

    def _failed(self, item: Item, reason: str, meter: Meter) -> None:
        self.journal.set_state([item], FAILED, reason, attempt=True)
        meter.settle([(item.id, None, False, True)])

    def _save(
        self,
        files: StagedFiles,
        body: bytes,
        headers: Any,
        remaining: dict[str | None, Item],
        meter: Meter,
        unit: _Unit | None,
    ) -> None:
        """Write one part to its group (made final and journaled with it); a part of an
        instance not expected is written only in a whole-series answer (it was added since
        the listing) and journaled then."""
        expected = None
        if len(remaining) == 1:
            only = next(iter(remaining.values()))
            expected = _uids(only)
        uids = instance_uids(body, expected)
        length = headers.get("Content-Length") if hasattr(headers, "get") else None
        if length is not None and length.strip().isdigit() and int(length) != len(body):
            raise ProtocolError(f"a part of {len(body)} bytes announced {length}")
        item = remaining.pop(uids[2], None)
        if item is None:
            if unit is None or files.holds(uids[2]) or target_path(files.root, uids).exists():
                return
            item = self._new_item(uids)
        key = unit.key if unit is not None else -item.id
        files.add(uids, body, item.id, key)
        meter.staged(key, len(body))
        if files.due():
            files.flush()

    def _new_item(self, uids: tuple[str, str, str]) -> Item:
        study, series, sop = uids
        with self.journal.transaction() as db:
            self.journal.add_items(
                db, [(f"{study}/{series}/{sop}", study, series, sop, None, PENDING, None, None)]
            )
        return next(item for item in self.journal.items(PENDING) if item.sop == sop)


_LISTING: dict[str, Any] = {
    "fields": ["SeriesInstanceUID", "SOPInstanceUID"],
    "get_remaining": True,
}
"""The QIDO-RS query that lists a target's instances, every page."""


def _pairs(found: list[dict[str, Any]], series: str | None) -> list[tuple[str, str]]:
    """(series, SOP) UIDs of listed instances, validated (they become folder names)."""
    pairs: list[tuple[str, str]] = []
    for instance in found:
        se = _first(instance, "0020000E") or series
        so = _first(instance, "00080018")
        if se and so:
            pairs.append(
                (validate_uid(se, "SeriesInstanceUID"), validate_uid(so, "SOPInstanceUID"))
            )
    return pairs


def _first(instance: dict[str, Any], tag: str) -> str | None:
    values = instance.get(tag, {}).get("Value") or []
    return str(values[0]) if values else None


def _uids(item: Item) -> tuple[str, str, str]:
    return (item.study or "", item.series or "", item.sop or "")


def _target(target: Target) -> tuple[str, str | None, str | None]:
    parts = (target,) if isinstance(target, str) else tuple(target)
    if not 1 <= len(parts) <= 3:
        raise InvalidArgumentError(f"a download target is 1 to 3 UIDs, not {target!r}")
    checked = [validate_uid(uid, key) for uid, key in zip(parts, _TARGET_KEYS, strict=False)]
    study, series, sop = ([*checked, None, None])[:3]
    return study or "", series, sop


@contextmanager
def _counted(meter: Meter, key: int) -> Iterator[None]:
    """Count the bytes of the answers read here as in flight under ``key`` (through the
    client's BYTES_RECEIVED hook, set for this thread or task only); at the end, what did
    not become a file (multipart framing, a part cut short) no longer counts."""
    token = BYTES_RECEIVED.set(partial(meter.read, key))
    try:
        yield
    finally:
        BYTES_RECEIVED.reset(token)
        meter.rewind(key)


def _remove_leftovers(root: Path) -> None:
    """Temporary files of a run that died mid-file: never complete, never journaled."""
    if root.is_dir():
        for leftover in root.glob("*/*/.dicomkit-*.part"):
            leftover.unlink(missing_ok=True)
