"""Journaled downloads: each instance written once, complete, with its size and SHA-256.

Targets are listed first (dicomkit.jobs._download_plan): a study becomes its series, and a
series nothing of which is journaled yet is asked for whole and its instances journaled as
they are written. When a series' answer breaks midway, the instances not yet written are
asked for one by one, so a broken connection costs one file, not the study.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
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
from dicomkit.files import BYTES_RECEIVED
from dicomkit.jobs._download_plan import (
    INSTANCE_LISTING,
    SERIES_LISTING,
    Listing,
    SeriesRows,
    Target,
    Unit,
    add_pending,
    boot_id,
    expand,
    expected_key,
    instance_pairs,
    item_uids,
    make_units,
    series_rows,
    target_row,
    unlisted_pending,
)
from dicomkit.jobs._files import file_digest, target_path
from dicomkit.jobs._job import Job
from dicomkit.jobs._journal import Item, Journal
from dicomkit.jobs._meter import Meter, on_threads
from dicomkit.jobs._model import (
    DEFAULT_WORKERS,
    FAILED,
    PENDING,
    WRITTEN,
    JobReport,
    JobStatus,
    ProgressCallback,
)
from dicomkit.jobs._part_sink import Choice, Receiver, Taken
from dicomkit.jobs._staging import Group, StagedFiles, Syncer
from dicomkit.jobs._tasks import on_tasks, to_thread
from dicomkit.jobs._warnings import warn_sizes_only

if TYPE_CHECKING:
    from dicomkit.client import AsyncDicomClient, DicomClient

__all__ = ["DownloadJob", "MAX_ATTEMPTS", "Target"]

MAX_ATTEMPTS = 3
"""Requests an instance may be asked in before it is marked failed."""
_NETWORK = (TransportError, ProtocolError, HTTPError)
"""What a broken or refused answer raises; anything else (a disk error) stops the job."""
_STOPS = (UnauthorizedError, ForbiddenError, ConnectError, ConnectTimeout)
"""Failures every further request would share: the job stops, its items stay pending."""
_UNSYNCED = "unsynced_boot"
"""Journal setting: the boot (machine start) under which a run wrote files without fsync;
empty when every journaled file was synced."""


class _Pass:
    """One unit's run: the items still to write and the SOPs written so far."""

    __slots__ = ("files", "remaining", "seen", "unit")

    def __init__(self, unit: Unit, files: StagedFiles, remaining: dict[str | None, Item]) -> None:
        self.unit = unit
        self.files = files
        self.remaining = remaining
        self.seen: set[str] = set()


class DownloadJob(Job):
    """Download studies, series or instances to ``{out_dir}/{study}/{series}/{sop}.dcm``."""

    kind = "download"

    @staticmethod
    def default_workers() -> int:
        """One request per CPU the process may run on, from 2 to :data:`DEFAULT_WORKERS`.

        A download parses and writes every byte in this one process, so on a small machine
        more threads than CPUs only take the interpreter's lock from each other: with the
        500 x 525 KB study on 2 CPUs, 4 workers made 43,000 futex calls against 7,700 at 2,
        and the whole command took 0.46 s against 0.40 s (median of 21, each run in turn;
        Orthanc 0.49 s against 0.46 s, the reference server 0.42 s both, in
        ``benchmarks.concurrency``). Uploads, which the server's storing bounds, keep 4."""
        return max(2, min(DEFAULT_WORKERS, _usable_cpus()))

    @classmethod
    def create(
        cls,
        journal_path: str | os.PathLike[str] | None,
        targets: Iterable[Target],
        out_dir: str | os.PathLike[str],
        *,
        durable: bool = False,
    ) -> DownloadJob:
        """Journal the targets (UIDs validated here: InvalidArgumentError) and the output
        folder; nothing is requested yet. ``journal_path`` None: a new name in the default
        folder. ``durable``: fsync every file (and its folder) before it is journaled, so a
        journaled file survives a power cut; by default files are not synced, as curl does
        not, and a resume after a crash of the machine checks them (docs/transfers.md)."""
        rows = [target_row(t) for t in ([targets] if isinstance(targets, str) else targets)]
        if not rows:
            raise InvalidArgumentError("nothing to download: no study, series or instance given")
        description = ", ".join("/".join(uid for uid in row if uid) for row in rows[:3])
        description += f" (+{len(rows) - 3} more)" if len(rows) > 3 else ""
        settings = {
            "out_dir": str(Path(out_dir).expanduser().absolute()),
            "durable": "1" if durable else "",
        }

        def fill(db: Any) -> None:
            db.executemany(
                "INSERT INTO targets (study, series, sop, state) VALUES (?, ?, ?, 'pending')",
                rows,
            )

        return cls(cls._make(journal_path, description, settings, fill))

    @property
    def out_dir(self) -> str:
        """The folder files are written under."""
        return self.journal.meta("out_dir") or ""

    @property
    def durable(self) -> bool:
        """Whether files are fsynced before they are journaled (chosen at ``create``)."""
        return bool(self.journal.meta("durable"))

    def run(
        self,
        client: DicomClient,
        *,
        workers: int | None = None,
        progress: ProgressCallback | None = None,
        retry_failed: bool = False,
        verify: bool = False,
    ) -> JobReport:
        """Download what is not yet written, ``workers`` requests at once (None: the measured
        default), and return the report.

        Series are asked for whole where nothing of them is written yet; a series whose
        answer breaks midway continues with instance requests for the rest; on resume, files
        already written are checked (size; with ``verify``, and after the machine restarted
        under a run that did not fsync, SHA-256, which only a ``durable`` job records) and
        skipped. ``verify=True`` on a job created without ``durable`` checks sizes only, as
        there is no digest to compare with, and says so with one
        :class:`~dicomkit.jobs.VerifyWarning` rather than let the caller believe the files
        were read back. Each file appears only complete (temporary name, rename). A target
        the server does not have, or an instance that keeps failing, ends ``failed``; a
        failing disk (full, read-only) raises a DicomkitError and leaves the journal
        resumable with nothing lost. ``retry_failed`` tries failed items again.
        """
        if verify and not self.durable:
            warn_sizes_only(self.job_id)
        count = self._workers(workers)
        root = Path(self.out_dir)
        self._ran_against(client)
        self._prepare(root, retry_failed)
        expected = self._list(client)
        self._check_disk(root, verify)
        units, total = make_units(self.journal, expected)
        meter = self._meter(progress, total)
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
        verify: bool = False,
    ) -> JobReport:
        """:meth:`run` for AsyncDicomClient: ``workers`` tasks; files and the journal are
        written from worker threads, so the event loop never waits on the disk.
        ``verify=True`` on a job created without ``durable`` issues a
        :class:`~dicomkit.jobs.VerifyWarning`, as :meth:`run` does (the journal is read in a
        worker thread for it too)."""
        if verify and not await to_thread(lambda: self.durable):
            warn_sizes_only(self.job_id)
        count = self._workers(workers)
        root = Path(self.out_dir)
        await to_thread(self._ran_against, client)
        await to_thread(self._prepare, root, retry_failed)
        expected = await self._alist(client)
        await to_thread(self._check_disk, root, verify)
        units, total = await to_thread(make_units, self.journal, expected)
        meter = await to_thread(self._meter, progress, total)
        syncer = self._syncer(root, meter)
        try:
            await on_tasks(lambda unit: self._afetch(client, syncer, unit, meter), units, count)
        except BaseException:
            await to_thread(partial(syncer.close, check=False))
            raise
        await to_thread(syncer.close)
        return await to_thread(self._report, meter)

    def list_targets(self, client: DicomClient) -> None:
        """Journal the instances of every target (QIDO-RS), none left to list while fetching:
        for executors that split the items among processes themselves (dicomkit-dask)."""
        self._ran_against(client)
        self._list(client, every=True)

    def _prepare(self, root: Path, retry_failed: bool) -> None:
        if retry_failed:
            self.journal.set_state(self.journal.items(FAILED), PENDING)
            with self.journal.transaction() as db:
                db.execute("UPDATE targets SET state = 'pending' WHERE state = 'failed'")
        _remove_leftovers(root)

    def _meter(self, progress: ProgressCallback | None, total: int | None) -> Meter:
        counts = self.journal.counts()
        _, done_bytes = self.journal.byte_totals()
        meter = Meter(
            self.kind,
            progress,
            done=counts.get(WRITTEN, 0) + counts.get(FAILED, 0),
            total=total,
            bytes_done=done_bytes,
            bytes_total=None,
            failed=counts.get(FAILED, 0),
        )
        meter.start()
        return meter

    # -- listing -------------------------------------------------------------------------------

    def _list(
        self, client: DicomClient, *, every: bool = False
    ) -> dict[tuple[str, str], int | None]:
        """Expand study targets into series and list what must be listed (see the module
        of the plan); the instance counts of the series fetched whole without a listing."""
        studies: dict[str, SeriesRows] = {}
        for ident, study, series, _ in self.journal.targets(PENDING):
            if series is None:
                if study not in studies:
                    studies[study] = self._series_of(client, study)
                expand(self.journal, ident, study, studies[study])
        expected: dict[tuple[str, str], int | None] = {}
        known, listed = self._known()
        for target in self.journal.targets(PENDING):
            _, study, series, sop = target
            if series is None:
                continue
            if sop is not None:
                self._listed(target, [(series, sop)], known)
            elif every or (study, series) in listed:
                self._listed(target, self._instances_of(client, study, series), known)
            else:
                if study not in studies:
                    studies[study] = self._series_of(client, study)
                expected[(study, series)] = self._expecting(study, series, studies[study])
        return expected

    async def _alist(self, client: AsyncDicomClient) -> dict[tuple[str, str], int | None]:
        studies: dict[str, SeriesRows] = {}
        for ident, study, series, _ in await to_thread(self.journal.targets, PENDING):
            if series is None:
                if study not in studies:
                    studies[study] = await self._aseries_of(client, study)
                await to_thread(expand, self.journal, ident, study, studies[study])
        expected: dict[tuple[str, str], int | None] = {}
        known, listed = await to_thread(self._known)
        for target in await to_thread(self.journal.targets, PENDING):
            _, study, series, sop = target
            if series is None:
                continue
            if sop is not None:
                await to_thread(self._listed, target, [(series, sop)], known)
            elif (study, series) in listed:
                found = await self._ainstances_of(client, study, series)
                await to_thread(self._listed, target, found, known)
            else:
                if study not in studies:
                    studies[study] = await self._aseries_of(client, study)
                expected[(study, series)] = await to_thread(
                    self._expecting, study, series, studies[study]
                )
        return expected

    def _expecting(self, study: str, series: str, rows: SeriesRows) -> int | None:
        """The instance count the server gave for a series fetched whole, journaled for
        :meth:`status` (None: unknown)."""
        count = None if isinstance(rows, str) else dict(rows).get(series)
        key = expected_key(study, series)
        if count is not None and self.journal.meta(key) != str(count):
            with self.journal.transaction() as db:
                Journal.put_meta(db, {key: str(count)})
        return count

    def status(self) -> JobStatus:
        """Every item's state as the journal holds it now; the instances of a series not
        listed yet count as pending when the server said how many it holds."""
        status = super().status()
        extra = unlisted_pending(self.journal)
        if not extra:
            return status
        counts = dict(status.counts)
        counts[PENDING] = counts.get(PENDING, 0) + extra
        return replace(status, counts=counts)

    def _known(self) -> tuple[set[str | None], set[tuple[str, str]]]:
        """SOPs the journal holds, and the series it holds items of."""
        items = self.journal.items()
        return {i.sop for i in items}, {(i.study or "", i.series or "") for i in items}

    @staticmethod
    def _series_of(client: DicomClient, study: str) -> SeriesRows:
        try:
            return series_rows(client.search_for_series(study, **SERIES_LISTING))
        except NotFoundError as exc:
            return f"not found on the server: {exc}"

    @staticmethod
    async def _aseries_of(client: AsyncDicomClient, study: str) -> SeriesRows:
        try:
            return series_rows(await client.search_for_series(study, **SERIES_LISTING))
        except NotFoundError as exc:
            return f"not found on the server: {exc}"

    @staticmethod
    def _instances_of(client: DicomClient, study: str, series: str) -> Listing:
        try:
            found = client.search_for_instances(study, series, **INSTANCE_LISTING)
        except NotFoundError as exc:
            return f"not found on the server: {exc}"
        return instance_pairs(found, series)

    @staticmethod
    async def _ainstances_of(client: AsyncDicomClient, study: str, series: str) -> Listing:
        try:
            found = await client.search_for_instances(study, series, **INSTANCE_LISTING)
        except NotFoundError as exc:
            return f"not found on the server: {exc}"
        return instance_pairs(found, series)

    def _listed(
        self,
        target: tuple[int, str, str | None, str | None],
        found: Listing,
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
            add_pending(db, study, fresh)
            db.execute(
                "UPDATE targets SET state = ?, reason = ? WHERE id = ?",
                ("failed" if failure else "listed", failure, ident),
            )

    def _rest(self, state: _Pass, found: Listing) -> None:
        """After a series fetched whole broke: journal its instances not written in this
        run nor held already, and ask for them one by one."""
        unit = state.unit
        if isinstance(found, str):
            return
        missing = {
            so: se
            for se, so in found
            if so not in state.seen and so not in state.remaining and so not in unit.known
        }
        with self.journal.transaction() as db:
            add_pending(db, unit.study, ((se, so) for so, se in missing.items()))
        for item in self.journal.items(PENDING):
            if item.sop in missing:
                state.remaining[item.sop] = item

    # -- checking the disk ---------------------------------------------------------------------

    def _check_disk(self, root: Path, verify: bool) -> None:
        """Written files still complete stay written (else pending again); a pending file
        complete on disk (the job died between its rename and its journal entry) is journaled
        from the disk: nothing is downloaded twice.

        Files of a run that did not fsync are doubted once the machine may have restarted
        since (another boot, or one the system does not tell): their SHA-256 is checked
        (when the restart is certain, or with ``verify``), and pending files found on disk are
        fetched again, as a power cut may have left them short."""
        marker = self.journal.meta(_UNSYNCED) or ""
        boot = boot_id()
        doubted = bool(marker) and (marker != boot or boot == "?")
        digests = verify or (doubted and boot != "?" and marker != "?")
        changed = [
            item
            for item in self.journal.items(WRITTEN)
            if not _intact(target_path(root, item_uids(item)), item, digests)
        ]
        self.journal.set_state(changed, PENDING, "the file went missing or changed")
        if not doubted:  # a file just found changed is fetched again, not taken back
            refused = {item.id for item in changed}
            found = [
                (item.id, *on_disk)
                for item in self.journal.items(PENDING)
                if item.id not in refused
                and (on_disk := _on_disk(target_path(root, item_uids(item)), self.durable))
            ]
            if found:
                self.journal.set_written_many(found)
        if self.durable:
            if marker:  # an earlier run's files, perhaps not on the disk yet
                if hasattr(os, "sync"):
                    os.sync()
                self._set_unsynced("")
        elif marker != boot:
            self._set_unsynced(boot)

    def _set_unsynced(self, value: str) -> None:
        with self.journal.transaction() as db:
            Journal.put_meta(db, {_UNSYNCED: value})

    # -- fetching ------------------------------------------------------------------------------

    def _syncer(self, root: Path, meter: Meter) -> Syncer:
        """The run's syncer: groups of files journaled and counted once final."""

        def commit(group: Group) -> None:
            now = time.time()
            files = group.files
            with self.journal.transaction() as db:
                db.executemany(
                    "UPDATE items SET state = 'written', size = ?, sha256 = ?, reason = NULL,"
                    " updated = ? WHERE id = ?",
                    ((s.size, s.sha256, now, s.item) for s in files if s.item is not None),
                )
                Journal.add_items(
                    db,
                    (
                        ("/".join(s.uids), *s.uids, s.size, WRITTEN, None, s.sha256)
                        for s in files
                        if s.item is None
                    ),
                )
                db.executemany(
                    "UPDATE targets SET state = 'listed', reason = NULL WHERE id = ?",
                    ((ident,) for ident in group.finished),
                )
            meter.landed([s.size for s in files])

        def drop(group: Group) -> None:
            meter.unstaged([s.size for s in group.files])

        return Syncer(root, commit, drop, durable=self.durable)

    def _fetch(self, client: DicomClient, syncer: Syncer, unit: Unit, meter: Meter) -> None:
        """Run one unit, its files made final in groups; a series broken midway goes on with
        its remaining instances. Files not final when the unit fails are fetched next run."""
        state = _Pass(unit, StagedFiles(syncer), {item.sop: item for item in unit.items})
        try:
            finished = self._fetch_unit(client, state, meter)
            state.files.flush(finished)
        finally:
            state.files.discard()

    def _fetch_unit(self, client: DicomClient, state: _Pass, meter: Meter) -> tuple[int, ...]:
        unit = state.unit
        if unit.whole_series:
            receiver = self._receiver(state, meter, None)
            try:
                with _counted(meter, unit.key):
                    client.retrieve_series_to(receiver.sink, unit.study, unit.series)
                    receiver.end()
            except _STOPS:
                raise
            except _NETWORK as exc:  # what is missing is asked for below, one by one
                if unit.streamed and isinstance(exc, NotFoundError) and not state.seen:
                    self._failed_targets(unit.streamed, exc)
                    return ()
                if unit.streamed:
                    self._rest(state, self._instances_of(client, unit.study, unit.series))
                self._broken(state, exc)
            finally:
                receiver.abort()  # the part cut short, if any
        for item in list(state.remaining.values()):
            self._fetch_instance(client, item, meter, state)
        return unit.streamed

    def _fetch_instance(self, client: DicomClient, item: Item, meter: Meter, state: _Pass) -> None:
        reason = "no answer"
        for _ in range(MAX_ATTEMPTS):
            receiver = self._receiver(state, meter, item)
            try:
                with _counted(meter, -item.id):
                    sink = receiver.sink(None)
                    uids = (item.study or "", item.series or "", item.sop or "")
                    sink.headers = client.retrieve_instance_to(sink, *uids).headers
                    receiver.end()
            except NotFoundError as exc:
                reason = f"not found on the server: {exc}"
                break
            except _STOPS:
                raise
            except _NETWORK as exc:
                reason = str(exc)
                continue
            finally:
                receiver.abort()
            if item.sop in state.seen:
                return
            reason = "the server's answer did not hold it"
        self._failed(item, reason, meter)

    async def _afetch(
        self, client: AsyncDicomClient, syncer: Syncer, unit: Unit, meter: Meter
    ) -> None:
        state = _Pass(unit, StagedFiles(syncer), {item.sop: item for item in unit.items})
        try:
            finished = await self._afetch_unit(client, state, meter)
            await to_thread(state.files.flush, finished)
        finally:
            state.files.discard()  # removes the files of a unit cut short (nothing when flushed)

    async def _afetch_unit(
        self, client: AsyncDicomClient, state: _Pass, meter: Meter
    ) -> tuple[int, ...]:
        unit = state.unit
        if unit.whole_series:
            receiver = self._receiver(state, meter, None)
            try:
                with _counted(meter, unit.key):
                    await client.retrieve_series_to(receiver.sink, unit.study, unit.series)
                    await to_thread(receiver.end)
            except _STOPS:
                raise
            except _NETWORK as exc:
                if unit.streamed and isinstance(exc, NotFoundError) and not state.seen:
                    await to_thread(self._failed_targets, unit.streamed, exc)
                    return ()
                if unit.streamed:
                    found = await self._ainstances_of(client, unit.study, unit.series)
                    await to_thread(self._rest, state, found)
                self._broken(state, exc)
            finally:
                await to_thread(receiver.abort)
        for item in list(state.remaining.values()):
            await self._afetch_instance(client, item, meter, state)
        return unit.streamed

    async def _afetch_instance(
        self, client: AsyncDicomClient, item: Item, meter: Meter, state: _Pass
    ) -> None:
        reason = "no answer"
        for _ in range(MAX_ATTEMPTS):
            receiver = self._receiver(state, meter, item)
            try:
                with _counted(meter, -item.id):
                    sink = receiver.sink(None)
                    uids = (item.study or "", item.series or "", item.sop or "")
                    sink.headers = (await client.retrieve_instance_to(sink, *uids)).headers
                    await to_thread(receiver.end)
            except NotFoundError as exc:
                reason = f"not found on the server: {exc}"
                break
            except _STOPS:
                raise
            except _NETWORK as exc:
                reason = str(exc)
                continue
            finally:
                await to_thread(receiver.abort)
            if item.sop in state.seen:
                return
            reason = "the server's answer did not hold it"
        await to_thread(self._failed, item, reason, meter)

    def _broken(self, state: _Pass, exc: Exception) -> None:
        unit = state.unit
        job_series_broken(self.job_id, unit.series, len(state.remaining), str(exc))

    def _failed(self, item: Item, reason: str, meter: Meter) -> None:
        self.journal.set_state([item], FAILED, reason, attempt=True)
        meter.settle([(item.id, None, False, True)])

    def _failed_targets(self, idents: tuple[int, ...], exc: Exception) -> None:
        with self.journal.transaction() as db:
            db.executemany(
                "UPDATE targets SET state = 'failed', reason = ? WHERE id = ?",
                ((f"not found on the server: {exc}", ident) for ident in idents),
            )

    def _receiver(self, state: _Pass, meter: Meter, asked: Item | None) -> Receiver:
        """The sinks of one answer: for one instance (``asked``) only that instance is taken;
        in a whole series, an instance not journaled yet is taken if it belongs to the series
        (streamed, or added since the listing) and was not written before. A part taken is
        journaled with its group once complete."""
        unit = state.unit
        key = unit.key if asked is None else -asked.id

        def choose(uids: tuple[str, str, str]) -> Choice | None:
            sop = uids[2]
            if asked is not None:
                return None if sop != asked.sop or sop in state.seen else (asked.id, key)
            item = state.remaining.get(sop)
            if item is None and (
                sop in state.seen or sop in unit.known or uids[:2] != (unit.study, unit.series)
            ):
                return None
            return (None if item is None else item.id, key)

        def landed(taken: Taken) -> None:
            uids, file, (item, counted) = taken
            state.remaining.pop(uids[2], None)
            state.files.finish(file, item, counted)
            state.seen.add(uids[2])
            meter.staged(counted, file.size)
            if state.files.due():
                state.files.flush()

        expected = item_uids(asked) if asked is not None else None
        return Receiver(state.files, expected, choose, landed)


def _usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, as a container's limit sets it), else
    the machine's count, else 1."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return len(affinity(0)) or 1
    return os.cpu_count() or 1


def _on_disk(path: Path, digest: bool) -> tuple[int, str | None] | None:
    """(size, SHA-256 when ``digest``) of a complete file found where a pending instance
    goes, or None when there is none."""
    if digest:
        return file_digest(path) if path.is_file() else None
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_size, None) if stat.S_ISREG(found.st_mode) else None


def _intact(path: Path, item: Item, digest: bool) -> bool:
    """Whether a written file is still as journaled: its size, and with ``digest`` its
    SHA-256 (read back from the disk)."""
    if digest and item.sha256 is not None:
        return file_digest(path) == (item.size, item.sha256)
    try:
        return path.stat().st_size == item.size
    except OSError:
        return False


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
