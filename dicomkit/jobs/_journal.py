"""The SQLite journal of one job: its settings, its targets and the state of every item.

WAL mode with ``synchronous=NORMAL``; every state change is one transaction, so whatever
instant the process dies at (SIGKILL included), the file holds the last committed change and
nothing half-made. A power cut may take back the last few commits, which the jobs are built
to survive (docs/transfers.md, "The journal"). A journal is made under a temporary name (with
no rollback journal and no sync while it is filled), fsynced once, and linked into place
complete, so another process never sees it half-made. Every method takes
the journal's lock: worker threads share one connection.

A journal that nobody will resume (a Dask task's own, thrown away when the task ends) may be
made with ``durable=False``, or inside :func:`disposable_journals`: ``synchronous=OFF`` and
not even that one sync when it is made, so it costs no fsync at all (docs/dask.md, "Task
journals").
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import NamedTuple

from dicomkit.core.errors import DicomkitError, InvalidArgumentError
from dicomkit.jobs._files import sync_file

__all__ = ["Item", "Journal", "JOURNAL_VERSION", "disposable_journals"]

JOURNAL_VERSION = "1"

_DURABLE: ContextVar[bool] = ContextVar("dicomkit_journal_durable", default=True)
"""What ``Journal.create(durable=None)`` chooses: False inside :func:`disposable_journals`."""


@contextmanager
def disposable_journals() -> Iterator[None]:
    """Journals made inside this block (in this thread or task only) skip every sync, as
    ``Journal.create(durable=False)`` does.

    For jobs made by ``UploadJob.create`` or ``DownloadJob.create`` as throwaway scratch:
    a Dask task's journal lives as long as the task, and a task whose worker dies is run
    again from the submitter's journal, so its journal needs to survive nothing, while its
    fsyncs cost a task on a busy disk more time than its request did.
    """
    token = _DURABLE.set(False)
    try:
        yield
    finally:
        _DURABLE.reset(token)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS targets (
    id INTEGER PRIMARY KEY, study TEXT NOT NULL, series TEXT, sop TEXT,
    state TEXT NOT NULL, reason TEXT);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY, label TEXT NOT NULL, study TEXT, series TEXT, sop TEXT,
    size INTEGER, state TEXT NOT NULL, reason TEXT, sha256 TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, updated REAL NOT NULL);
CREATE INDEX IF NOT EXISTS items_state ON items (state);
CREATE INDEX IF NOT EXISTS items_sop ON items (sop);
"""


class Item(NamedTuple):
    """One row of the journal: a file to upload or an instance to download."""

    id: int
    label: str
    study: str | None
    series: str | None
    sop: str | None
    size: int | None
    state: str
    reason: str | None = None
    sha256: str | None = None
    attempts: int = 0


_CREATE_PRIVATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
"""How the journal's file is first made: new (never someone else's), readable by its owner."""
_ITEM_COLUMNS = "id, label, study, series, sop, size, state, reason, sha256, attempts"


class Journal:
    """One job's SQLite file, opened once and shared by the job's workers."""

    def __init__(self, path: Path, connection: sqlite3.Connection, *, durable: bool = True) -> None:
        self.path = path
        self.durable = durable
        """False: no commit, checkpoint or close syncs anything (``synchronous=OFF``)."""
        self._db = connection
        self._lock = threading.RLock()

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        fill: Callable[[sqlite3.Connection], None],
        *,
        durable: bool | None = None,
    ) -> Journal:
        """Make the journal at ``path`` with what ``fill`` writes, in one transaction, then
        open it. It is built under a temporary name and linked into place whole, so another
        process (``dicomkit jobs list``) sees either nothing or a complete journal. An existing
        ``path`` or a folder that cannot be written is an InvalidArgumentError.

        ``durable`` False: nothing is synced, neither when it is made nor later, so a crash of
        the machine may lose or damage it (a crash of the process cannot: every commit is still
        whole); for scratch journals only. None: True, unless made inside
        :func:`disposable_journals`."""
        durable = _DURABLE.get() if durable is None else durable
        path = Path(path).expanduser()
        if path.exists():
            raise InvalidArgumentError(f"a job journal already exists at {path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Private (file paths and UIDs are the user's business); SQLite takes an empty
            # file as an empty database. A random name made here, not by tempfile (whose import,
            # with random's, is part of every download's start).
            temp = path.parent / f".{path.name}.{os.urandom(6).hex()}.creating"
            os.close(os.open(temp, _CREATE_PRIVATE, 0o600))
        except OSError as exc:
            raise InvalidArgumentError(f"cannot create {path}: {exc}") from exc
        try:
            # The file is private until it is linked into place, and removed on any failure:
            # it needs no rollback journal and no sync while it is filled (each of the ten
            # fdatasync calls of a synced rollback commit was a wait before every job's first
            # request). It is switched to WAL (the mode is kept in the file's header), closed,
            # then synced once, whole, when durable.
            db = sqlite3.connect(temp, isolation_level=None, timeout=30)
            try:
                db.execute("PRAGMA journal_mode=OFF")
                db.execute("PRAGMA synchronous=OFF")
                db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}")
                fill(db)
                db.execute("COMMIT")
                db.execute("PRAGMA journal_mode=WAL")
            finally:
                db.close()
            if durable:
                sync_file(temp)
            _publish(temp, path)
        except sqlite3.Error as exc:
            raise DicomkitError(f"cannot create the job journal {path}: {exc}") from exc
        except OSError as exc:
            raise InvalidArgumentError(f"cannot create {path}: {exc}") from exc
        finally:
            for leftover in (temp, *(Path(f"{temp}{end}") for end in ("-wal", "-shm"))):
                leftover.unlink(missing_ok=True)
        return cls.open(path, durable=durable)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, durable: bool = True) -> Journal:
        """Open the journal at ``path``; a missing, foreign or unfinished file is an
        InvalidArgumentError. ``durable`` False: this connection syncs nothing (as
        :meth:`create` says)."""
        path = Path(path).expanduser()
        if not path.is_file():
            raise InvalidArgumentError(f"no job journal at {path}")
        try:
            db = _connect(path, durable)
        except sqlite3.Error as exc:
            raise InvalidArgumentError(f"{path} is not a dicomkit job journal: {exc}") from exc
        try:  # read before anything is changed: a foreign file is left as it was
            rows = list(db.execute("SELECT value FROM meta WHERE key = 'version'"))
            if rows and next(iter(db.execute("PRAGMA journal_mode")))[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")  # made by hand, or by an old version
        except sqlite3.Error as exc:
            db.close()
            raise InvalidArgumentError(f"{path} is not a dicomkit job journal: {exc}") from exc
        if not rows:
            db.close()
            raise InvalidArgumentError(
                f"{path} is not a complete dicomkit job journal (made by another program, or "
                "its creation was interrupted: create the job again)"
            )
        return cls(path, db, durable=durable)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic change: committed whole at the end, or not at all."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise DicomkitError(f"cannot update the job journal {self.path}: {exc}") from exc

    def _query(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return list(self._db.execute(sql, args))
            except sqlite3.Error as exc:
                raise DicomkitError(f"cannot read the job journal {self.path}: {exc}") from exc

    # -- settings ------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    @staticmethod
    def put_meta(db: sqlite3.Connection, values: dict[str, str]) -> None:
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    # -- items ---------------------------------------------------------------------------------

    @staticmethod
    def add_items(db: sqlite3.Connection, rows: Iterable[tuple[object, ...]]) -> None:
        """Insert (label, study, series, sop, size, state, reason, sha256) rows."""
        now = time.time()
        db.executemany(
            "INSERT INTO items (label, study, series, sop, size, state, reason, sha256, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((*tuple(row), now) for row in rows),
        )

    def items(self, *states: str) -> list[Item]:
        """Items in any of ``states`` (all items when none is given), in journal order."""
        sql = f"SELECT {_ITEM_COLUMNS} FROM items"
        if states:
            sql += f" WHERE state IN ({', '.join('?' * len(states))})"
        return [_item(row) for row in self._query(sql + " ORDER BY id", states)]

    def set_state(
        self,
        items: Iterable[Item | int],
        state: str,
        reason: str | None = None,
        *,
        attempt: bool = False,
    ) -> None:
        """Move items to ``state`` in one transaction (``attempt`` counts one more try)."""
        ids = [item.id if isinstance(item, Item) else item for item in items]
        if not ids:
            return
        now = time.time()
        with self.transaction() as db:
            db.executemany(
                "UPDATE items SET state = ?, reason = ?, updated = ?,"
                " attempts = attempts + ? WHERE id = ?",
                ((state, reason, now, int(attempt), ident) for ident in ids),
            )

    def set_written(self, item_id: int, size: int, sha256: str | None) -> None:
        """One downloaded instance complete on disk, with what verifies it."""
        self.set_written_many([(item_id, size, sha256)])

    def set_written_many(self, written: Iterable[tuple[int, int, str | None]]) -> None:
        """Downloaded instances complete on disk, as (item id, size, SHA-256 or None), in one
        transaction: the job journals a group of files made final together."""
        now = time.time()
        with self.transaction() as db:
            db.executemany(
                "UPDATE items SET state = 'written', size = ?, sha256 = ?, reason = NULL,"
                " updated = ? WHERE id = ?",
                ((size, sha256, now, ident) for ident, size, sha256 in written),
            )

    def counts(self) -> dict[str, int]:
        """Items per state; a download target not listed yet counts as one pending item, one
        the server did not have as one failed."""
        rows = self._query(
            "SELECT state, COUNT(*) FROM (SELECT state FROM items"
            " UNION ALL SELECT state FROM targets WHERE state IN ('pending', 'failed'))"
            " GROUP BY state"
        )
        return {str(state): int(str(n)) for state, n in rows}

    def byte_totals(self) -> tuple[int | None, int]:
        """(bytes of all items, or None when a size is unknown; bytes of finished items)."""
        rows = self._query(
            "SELECT SUM(size), COUNT(*) - COUNT(size),"
            " SUM(CASE WHEN state IN ('stored', 'already_present', 'written') THEN size END)"
            " FROM items WHERE state != 'not_dicom'"
        )
        total, unknown, done = rows[0]
        known_total = None if unknown or total is None else int(str(total))
        return known_total, int(str(done or 0))

    def failures(self) -> dict[str, str]:
        rows = self._query(
            "SELECT study || COALESCE('/' || series, '') || COALESCE('/' || sop, ''), reason"
            " FROM targets WHERE state = 'failed'"
            " UNION ALL SELECT label, reason FROM items WHERE state = 'failed'"
        )
        return {str(label): str(reason or "failed") for label, reason in rows}

    # -- download targets ----------------------------------------------------------------------

    def targets(self, state: str) -> list[tuple[int, str, str | None, str | None]]:
        rows = self._query("SELECT id, study, series, sop FROM targets WHERE state = ?", (state,))
        return [(int(str(i)), str(st), _text(se), _text(so)) for i, st, se, so in rows]


def _connect(path: Path, durable: bool = True) -> sqlite3.Connection:
    """A connection with ``synchronous=NORMAL`` (journals are in WAL mode, kept in the file):
    a commit is atomic and survives the process; only a power cut may take back the last ones
    (docs/transfers.md says why the jobs are safe with that). Not ``durable``: ``OFF``, which
    in WAL mode keeps commits atomic for the process too but leaves the checkpoints unsynced.
    Changes nothing in the file. ``timeout``: how long to wait for another process's lock."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    try:
        db.execute(f"PRAGMA synchronous={'NORMAL' if durable else 'OFF'}")
    except sqlite3.Error:
        db.close()
        raise
    return db


def _publish(temp: Path, path: Path) -> None:
    """Give the finished journal its name, never over an existing file: a hard link where
    the system has them (atomic, fails if ``path`` exists), else a rename (Windows refuses
    one over an existing file too)."""
    try:
        if os.name == "nt":
            os.rename(temp, path)
        else:
            os.link(temp, path)
    except FileExistsError as exc:
        raise InvalidArgumentError(f"a job journal already exists at {path}") from exc
    except OSError as exc:
        raise InvalidArgumentError(f"cannot create {path}: {exc}") from exc


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _item(row: tuple[object, ...]) -> Item:
    ident, label, study, series, sop, size, state, reason, sha, attempts = row
    return Item(
        id=int(str(ident)),
        label=str(label),
        study=_text(study),
        series=_text(series),
        sop=_text(sop),
        size=None if size is None else int(str(size)),
        state=str(state),
        reason=_text(reason),
        sha256=_text(sha),
        attempts=int(str(attempts)),
    )
