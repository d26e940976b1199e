"""Downloaded instances made final in groups: renamed into place, then journaled together.

Each instance is written by the worker that received it to a temporary name in its target
folder as its pieces arrive (:class:`StagedFile`: one ``open`` with ``O_CREAT | O_EXCL``, a
``write`` per piece, ``close``; nothing of a part is held whole); a group of them is handed
to the run's :class:`Syncer`, a thread that renames them into place and calls ``commit``
(the job journals the whole group in one transaction) while the workers go on receiving.
The order is what keeps the promises:

- a file gets its final name only once complete, so no truncated file is ever visible under
  it, whatever instant the process stops at;
- the journal says ``written`` only after the rename, so a journaled file exists; a file
  renamed but not journaled yet (the process died in between) is found on resume;
- a temporary file never journaled is a leftover: removed on resume, its instance fetched.

Durability (docs/transfers.md, "Durability"): by default nothing is fsynced, as curl, wget
and rsync do not: a killed process loses nothing already written (the data sits in the
system's page cache), and after a power cut the job checks every journaled file again.
With ``durable`` every file is fsynced before its rename (the fsyncs of a group run side
by side, started as soon as each file is written) and its folder after it, so a journaled
file survives a power cut too.

A kill loses at most the groups not made final yet (a few per worker, bounded by
GROUP_FILES, GROUP_BYTES and GROUP_AGE): temporary files, fetched again.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from dicomkit.files.writes import WRITE_LIMIT, write_pieces
from dicomkit.jobs._files import DiskError, sync_file, target_name

if TYPE_CHECKING:  # durable runs import it (it imports logging: time a plain download saves)
    from concurrent.futures import Future, ThreadPoolExecutor

__all__ = [
    "GROUP_AGE",
    "GROUP_BYTES",
    "GROUP_FILES",
    "SYNC_QUEUE",
    "SYNC_THREADS",
    "WRITE_BATCH",
    "Group",
    "Staged",
    "StagedFile",
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
"""fsync calls in flight at once (durable runs), each started as soon as its file is written.
A file system commits its journal once for all the fsyncs waiting together: on this machine's
ext4, 500 files of 525 KB took 0.4-0.7 s synced 16 at a time against 1.6-1.9 s one by one."""
WRITE_BATCH = WRITE_LIMIT
"""Bytes of received pieces a file gathers before handing them to the system: small pieces
go in one ``writev`` instead of a call each (each call is a turn of the interpreter's lock
among the workers). The pieces are the received ``bytes`` themselves, not copies. No more
than WRITE_LIMIT, the most one call may take (:mod:`dicomkit.files.writes`: larger calls
made this machine's page cache slow); it was 1 MiB, one ``writev`` per 525 KB file."""
SYNC_QUEUE = 2
"""Groups waiting for the syncer at most; a worker that would add one more waits (the disk
is then the slower side, and what a kill may cost stays bounded)."""

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_CREATE |= getattr(os, "O_BINARY", 0)


class Staged(NamedTuple):
    """One instance written to ``temp``, to be renamed to ``target`` and journaled.

    ``item`` is None for an instance the journal does not hold yet (a series fetched whole
    without listing it first): the commit adds it."""

    item: int | None
    key: int
    uids: tuple[str, str, str]
    target: str
    temp: str
    size: int
    sha256: str | None
    """Computed while writing in a durable run only (docs/transfers.md, "Durability")."""
    synced: Future[None] | None
    """The file's fsync in a durable run, started as soon as it was written."""


class Group:
    """Files made final together, and the download targets complete once they are journaled
    (``finished``: a series fetched whole is listed by its last group, in its transaction)."""

    __slots__ = ("files", "finished")

    def __init__(self, files: list[Staged] | None = None, finished: tuple[int, ...] = ()) -> None:
        self.files: list[Staged] = [] if files is None else files
        self.finished = finished


class StagedFile:
    """One instance on its way to its temporary file, written piece by piece as it arrives
    (:meth:`StagedFiles.start`): at most WRITE_BATCH bytes of it wait in memory, handed to the
    system together (``writev``). In a durable run its SHA-256 is computed from the pieces. A
    disk error removes the file and raises DiskError."""

    __slots__ = ("_fd", "_hash", "_pending", "_waiting", "root", "size", "target", "temp", "uids")

    def __init__(
        self, root: Path, uids: tuple[str, str, str], target: str, temp: str, fd: int, digest: bool
    ) -> None:
        self.root = root
        self.uids = uids
        self.target = target
        self.temp = temp
        self.size = 0
        self._fd = fd
        self._hash = _sha256() if digest else None
        self._pending: list[bytes] = []
        self._waiting = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        piece = data if type(data) is bytes else bytes(data)  # kept: must not change meanwhile
        self._pending.append(piece)
        self._waiting += len(piece)
        self.size += len(piece)
        if self._hash is not None:
            self._hash.update(piece)
        if self._waiting >= WRITE_BATCH:
            self._flush()

    def _flush(self) -> None:
        pieces, self._pending, self._waiting = self._pending, [], 0
        try:
            write_pieces(self._fd, pieces)
        except OSError as exc:
            self.abort()
            raise DiskError(f"cannot write the download under {self.root}: {exc}") from exc

    def digest(self) -> str | None:
        return None if self._hash is None else self._hash.hexdigest()

    def close(self) -> None:
        if self._pending:
            self._flush()
        fd, self._fd = self._fd, -1
        if fd >= 0:
            try:
                os.close(fd)
            except OSError as exc:
                Path(self.temp).unlink(missing_ok=True)
                raise DiskError(f"cannot write the download under {self.root}: {exc}") from exc

    def abort(self) -> None:
        """Give the file up: closed and removed (its instance is fetched again)."""
        self._pending, self._waiting = [], 0
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)
        Path(self.temp).unlink(missing_ok=True)


class StagedFiles:
    """One unit of work's group of downloaded instances on their way to their final names.

    Not thread-safe: each unit has its own (the async job runs it from one worker thread at a
    time). A group goes to ``syncer`` when :meth:`due`, and at the unit's end (:meth:`flush`);
    :meth:`discard` removes the files of a unit cut short.
    """

    def __init__(
        self,
        syncer: Syncer,
        *,
        max_files: int = GROUP_FILES,
        max_bytes: int = GROUP_BYTES,
        max_age: float = GROUP_AGE,
    ) -> None:
        self.root = syncer.root
        self._syncer = syncer
        self._limits = (max_files, max_bytes, max_age)
        self._group: list[Staged] = []
        self._bytes = 0
        self._since = 0.0

    def add(self, uids: tuple[str, str, str], data: bytes, item: int | None, key: int) -> None:
        """Write one instance held whole to a temporary file next to its target."""
        file = self.start(uids)
        file.write(data)
        self.finish(file, item, key)

    def start(self, uids: tuple[str, str, str]) -> StagedFile:
        """Open a new temporary file next to the target of ``uids`` (its folder made if
        missing), for an instance written as it arrives; a DiskError names the folder."""
        target = target_name(self._syncer.root_name, uids)
        folder = os.path.dirname(target)
        temp = self._syncer.temp_name(folder)
        try:
            fd = os.open(temp, _CREATE, 0o666)
        except FileNotFoundError:
            self._syncer.make_folder(folder)
            fd = self._open(temp)
        except OSError as exc:
            raise DiskError(f"cannot write the download under {self.root}: {exc}") from exc
        return StagedFile(self.root, uids, target, temp, fd, self._syncer.durable)

    def finish(self, file: StagedFile, item: int | None, key: int) -> None:
        """Close a complete file and add it to the group (its fsync started, when durable)."""
        file.close()
        synced = self._syncer.sync(file.temp) if self._syncer.durable else None
        staged = Staged(
            item, key, file.uids, file.target, file.temp, file.size, file.digest(), synced
        )
        if not self._group:
            self._since = time.monotonic()
        self._group.append(staged)
        self._bytes += staged.size

    def _open(self, temp: str) -> int:
        try:
            return os.open(temp, _CREATE, 0o666)
        except OSError as exc:
            raise DiskError(f"cannot write the download under {self.root}: {exc}") from exc

    def due(self) -> bool:
        max_files, max_bytes, max_age = self._limits
        return bool(self._group) and (
            len(self._group) >= max_files
            or self._bytes >= max_bytes
            or time.monotonic() - self._since >= max_age
        )

    def flush(self, finished: tuple[int, ...] = ()) -> None:
        """Hand the group to the syncer (waits while its queue is full), with the targets
        complete once it is journaled; raises the syncer's DiskError if it has failed."""
        files, self._group, self._bytes = self._group, [], 0
        if files or finished:
            self._syncer.submit(Group(files, finished))

    def discard(self) -> None:
        """Give up the group: its temporary files are removed (fetched again next run)."""
        files, self._group, self._bytes = self._group, [], 0
        if files:
            self._syncer.remove(Group(files))


class Syncer:
    """A thread that makes groups final, in the order given: (durable: fsync every file of a
    group,) rename each into place, (durable: fsync their folders,) then ``commit(group)``.
    ``drop(group)`` is told of files given up. After a disk error it removes the files of
    every later group and :meth:`submit` and :meth:`close` raise the error: the job stops,
    its journal resumable."""

    def __init__(
        self,
        root: Path,
        commit: Callable[[Group], None],
        drop: Callable[[Group], None],
        *,
        durable: bool = False,
    ) -> None:
        self.root = root
        self.root_name = str(root)
        self.durable = durable
        self._commit = commit
        self._drop = drop
        self._prefix = f".dicomkit-{os.urandom(4).hex()}-"
        self._numbers = itertools.count()
        self._queue: queue.Queue[Group | None] = queue.Queue(SYNC_QUEUE)
        self._error: BaseException | None = None
        self._pool = _fsync_pool() if durable else None
        self._thread = threading.Thread(target=self._run, name="dicomkit-job-sync", daemon=True)
        self._thread.start()

    def temp_name(self, folder: str) -> str:
        """A temporary name no other file has: this run's random prefix and a counter."""
        return os.path.join(folder, f"{self._prefix}{next(self._numbers)}.part")

    def make_folder(self, folder: str) -> None:
        """Create a target folder (a DiskError when it cannot be made)."""
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise DiskError(f"cannot write the download under {self.root}: {exc}") from exc

    def submit(self, group: Group) -> None:
        if self._error is not None:
            self.remove(group)
            raise self._error
        self._queue.put(group)

    def close(self, *, check: bool = True) -> None:
        """Wait until every group handed over is final (or removed), then stop; with
        ``check``, raise the error that stopped the syncer, if any."""
        self._queue.put(None)
        self._thread.join()
        if self._pool is not None:
            self._pool.shutdown()
        if check and self._error is not None:
            raise self._error

    def sync(self, temp: str) -> Future[None] | None:
        """Durable runs: start flushing a file's data to the disk now, on the fsync threads,
        so that it runs while the workers receive the rest of its group."""
        return None if self._pool is None else self._pool.submit(sync_file, temp)

    def remove(self, group: Group) -> None:
        """Delete a group's temporary files (fetched again next run)."""
        for staged in group.files:
            if staged.synced is not None:
                staged.synced.exception()  # wait: its file is removed below
        for staged in group.files:
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

    def _final(self, group: Group) -> None:
        """(Wait for the group's fsyncs,) rename its files, (sync their folders,) commit. A
        disk error removes the files not renamed yet (those renamed are complete) and raises
        DiskError; nothing of the group is journaled then."""
        renamed = 0
        try:
            for staged in group.files:
                if staged.synced is not None:
                    staged.synced.result()
            for staged in group.files:
                os.replace(staged.temp, staged.target)
                renamed += 1
            if self.durable:
                for folder in {os.path.dirname(staged.target) for staged in group.files}:
                    _sync_folder(folder)
        except OSError as exc:
            self.remove(Group(group.files[renamed:]))
            raise DiskError(f"cannot write the download under {self.root}: {exc}") from exc
        self._commit(group)


def _sha256() -> Any:
    import hashlib  # durable runs only: a plain download does not load it

    return hashlib.sha256()


def _fsync_pool() -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="dicomkit-job-fsync")


def _sync_folder(folder: str) -> None:
    """Make the renames into ``folder`` durable (POSIX; Windows has no folder fsync)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
