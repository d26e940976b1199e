"""Downloaded instances made final in groups: one fsync pass and one journal transaction each.

Syncing and journaling every file on its own cost three quarters of a download's time
(docs/transfers.md). Here each instance is written to a temporary file in its target folder
as it arrives (:class:`StagedFiles`, one per unit of work); a group of them is handed to the
run's :class:`Syncer`, a thread that fsyncs the files, renames them into place and calls
``commit`` (the job journals the whole group in one transaction) while the workers go on
receiving. The order is what keeps the promises:

- data is on the disk before its final name exists, so a file under its final name is
  complete whatever instant the process (or the machine) stopped at;
- the journal says ``written`` only after the rename, so a journaled file exists, and a file
  renamed but not journaled yet (the process died in between) is found complete on resume
  and journaled from the disk, never fetched again;
- a temporary file never journaled is a leftover: removed on resume, its instance fetched.

A kill loses at most the groups not made final yet (a few per worker, bounded by
GROUP_FILES, GROUP_BYTES and GROUP_AGE): temporary files, fetched again.
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from dicomkit.jobs._files import DiskError, sha256_of, target_path

__all__ = [
    "GROUP_AGE",
    "GROUP_BYTES",
    "GROUP_FILES",
    "SYNC_QUEUE",
    "SYNC_THREADS",
    "Staged",
    "StagedFiles",
    "Syncer",
]

GROUP_FILES = 64
"""Files per group at most: one journal transaction each."""
GROUP_BYTES = 64 << 20
"""Bytes per group at most: what a kill may cost to fetch again, per worker."""
GROUP_AGE = 0.5
"""Seconds a file may wait for its group: progress and the journal stay that fresh."""
SYNC_THREADS = 16
"""fsync calls in flight at once, each started as soon as its file is written. A file system
commits its journal once for all the fsyncs waiting together: on this machine's ext4, 500
files of 525 KB took 0.4-0.7 s synced 16 at a time against 1.6-1.9 s one by one."""
SYNC_QUEUE = 2
"""Groups waiting for the syncer at most; a worker that would add one more waits (the disk
is then the slower side, and what a kill may cost stays bounded)."""


@dataclass(frozen=True)
class Staged:
    """One instance written to ``temp``, to be renamed to ``target`` and journaled."""

    item: int
    key: int
    sop: str
    target: Path
    temp: str
    size: int
    sha256: str
    synced: Future[None]
    """The file's fsync, started as soon as it was written (:meth:`Syncer.sync`)."""


class StagedFiles:
    """One unit of work's group of downloaded instances on their way to their final names.

    Not thread-safe: each unit has its own (the async job runs it from one worker thread at a
    time). A group goes to ``syncer`` when :meth:`due`, and at the unit's end (:meth:`flush`);
    :meth:`discard` removes the files of a unit cut short.
    """

    def __init__(
        self,
        root: Path,
        syncer: Syncer,
        *,
        max_files: int = GROUP_FILES,
        max_bytes: int = GROUP_BYTES,
        max_age: float = GROUP_AGE,
    ) -> None:
        self.root = root
        self._syncer = syncer
        self._limits = (max_files, max_bytes, max_age)
        self._group: list[Staged] = []
        self._bytes = 0
        self._since = 0.0
        self._folders: set[Path] = set()

    def add(self, uids: tuple[str, str, str], data: bytes, item: int, key: int) -> Staged:
        """Write one instance to a temporary file next to its target (not synced yet).

        A disk error removes the file and raises DiskError naming the folder."""
        target = target_path(self.root, uids)
        temp: str | None = None
        try:
            if target.parent not in self._folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(target.parent)
            fd, temp = tempfile.mkstemp(prefix=".dicomkit-", suffix=".part", dir=target.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            if temp is not None:
                Path(temp).unlink(missing_ok=True)
            raise DiskError(f"cannot write the download under {self.root}: {exc}") from exc
        synced = self._syncer.sync(temp)
        staged = Staged(item, key, uids[2], target, temp, len(data), sha256_of(data), synced)
        if not self._group:
            self._since = time.monotonic()
        self._group.append(staged)
        self._bytes += staged.size
        return staged

    def holds(self, sop: str | None) -> bool:
        """Whether an instance is in the group (written, not handed to the syncer yet)."""
        return any(staged.sop == sop for staged in self._group)

    def due(self) -> bool:
        max_files, max_bytes, max_age = self._limits
        return bool(self._group) and (
            len(self._group) >= max_files
            or self._bytes >= max_bytes
            or time.monotonic() - self._since >= max_age
        )

    def flush(self) -> None:
        """Hand the group to the syncer (waits while its queue is full); raises the
        syncer's DiskError if it has failed."""
        group, self._group, self._bytes = self._group, [], 0
        if group:
            self._syncer.submit(group)

    def discard(self) -> None:
        """Give up the group: its temporary files are removed (fetched again next run)."""
        group, self._group, self._bytes = self._group, [], 0
        if group:
            self._syncer.remove(group)


class Syncer:
    """A thread that makes groups final, in the order given: fsync every file of a group,
    rename each into place, then ``commit(group)``. ``drop(group)`` is told of files given
    up. After a disk error it removes the files of every later group and :meth:`submit` and
    :meth:`close` raise the error: the job stops, its journal resumable."""

    def __init__(
        self,
        root: Path,
        commit: Callable[[list[Staged]], None],
        drop: Callable[[list[Staged]], None],
    ) -> None:
        self.root = root
        self._commit = commit
        self._drop = drop
        self._queue: queue.Queue[list[Staged] | None] = queue.Queue(SYNC_QUEUE)
        self._error: BaseException | None = None
        self._pool = ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="dicomkit-job-fsync")
        self._thread = threading.Thread(target=self._run, name="dicomkit-job-sync", daemon=True)
        self._thread.start()

    def submit(self, group: list[Staged]) -> None:
        if self._error is not None:
            self.remove(group)
            raise self._error
        self._queue.put(group)

    def close(self, *, check: bool = True) -> None:
        """Wait until every group handed over is final (or removed), then stop; with
        ``check``, raise the error that stopped the syncer, if any."""
        self._queue.put(None)
        self._thread.join()
        self._pool.shutdown()
        if check and self._error is not None:
            raise self._error

    def sync(self, temp: str) -> Future[None]:
        """Start flushing a file's data to the disk now, on the fsync threads, so that it
        runs while the workers receive the rest of its group."""
        return self._pool.submit(_sync, temp)

    def remove(self, group: list[Staged]) -> None:
        """Delete a group's temporary files (fetched again next run)."""
        wait([staged.synced for staged in group])  # no file is removed while synced
        for staged in group:
            Path(staged.temp).unlink(missing_ok=True)
        self._drop(group)

    def _run(self) -> None:
        while (group := self._queue.get()) is not None:
            if self._error is not None:
                self.remove(group)
                continue
            try:
                self._final(group)
            except BaseException as exc:  # kept for the workers and close()
                self._error = exc

    def _final(self, group: list[Staged]) -> None:
        """Wait for the group's fsyncs, rename its files, commit. A disk error removes the
        files not renamed yet (those renamed are complete) and raises DiskError; nothing of
        the group is journaled then."""
        renamed = 0
        try:
            for staged in group:
                staged.synced.result()
            for staged in group:
                os.replace(staged.temp, staged.target)
                renamed += 1
        except OSError as exc:
            self.remove(group[renamed:])
            raise DiskError(f"cannot write the download under {self.root}: {exc}") from exc
        self._commit(group)


def _sync(path: str) -> None:
    """Flush one file's data to the disk (reopened: no descriptor is held between parts)."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
