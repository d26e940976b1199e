"""Journals that skip every sync, for scratch jobs nobody resumes (a Dask task's own).

Every journal is filled under a private name with ``synchronous=OFF`` and no rollback journal
(the file is removed if filling fails); a durable one is then fsynced once, whole, before it is
published, and opened with NORMAL. ``Journal.create(durable=False)``, or any journal made
inside ``disposable_journals()``, skips that fsync and is opened with OFF, so neither its
creation nor its commits, checkpoints or close call fsync. The statements each SQLite
connection runs are traced (sqlite3's trace callback), so the test sees the setting every
connection got before its first write, not only the last.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dicomkit.jobs._journal as journal_module
from dicomkit.jobs import DownloadJob, UploadJob, disposable_journals, open_job
from dicomkit.jobs._journal import Journal
from dicomkit.testing.data import make_study, write_instances

Traced = list[list[str]]
"""The statements of every connection opened, one list per connection, in order."""


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files :func:`Journal.create` fsyncs itself, in order."""
    paths: list[Path] = []
    real = journal_module.sync_file

    def sync(path: Path) -> None:
        paths.append(path)
        real(path)

    monkeypatch.setattr(journal_module, "sync_file", sync)
    return paths


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Traced:
    connections: Traced = []
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = real(*args, **kwargs)
        statements: list[str] = []
        connections.append(statements)
        db.set_trace_callback(statements.append)
        return db

    monkeypatch.setattr(journal_module.sqlite3, "connect", connect)
    return connections


def _synchronous_before_writing(statements: list[str]) -> str:
    """The synchronous setting the connection had when it first wrote (SQLite's default,
    FULL, unless a PRAGMA set another before)."""
    setting = "FULL"
    for statement in statements:
        if statement.upper().startswith("PRAGMA SYNCHRONOUS="):
            setting = statement.split("=", 1)[1].strip().upper()
        if statement.upper().startswith("BEGIN"):
            break
    return setting


def _fill(db: sqlite3.Connection) -> None:
    Journal.put_meta(db, {"kind": "upload", "version": journal_module.JOURNAL_VERSION})


def _make(tmp_path: Path, **options: Any) -> Journal:
    journal = Journal.create(tmp_path / "j.dicomkit-job", _fill, **options)
    with journal.transaction() as db:
        Journal.put_meta(db, {"one": "more commit"})
    return journal


def _pragma(journal: Journal) -> int:
    return int(journal._db.execute("PRAGMA synchronous").fetchone()[0])


@pytest.mark.parametrize(
    ("make", "durable"),
    [
        (lambda path: _make(path), True),
        (lambda path: _make(path, durable=True), True),
        (lambda path: _make(path, durable=False), False),
        (lambda path: _with_disposable(lambda: _make(path)), False),
        (lambda path: _with_disposable(lambda: _make(path, durable=True)), True),
    ],
    ids=["default", "durable", "not-durable", "disposable-block", "explicit-wins"],
)
def test_every_connection_of_a_journal_syncs_as_chosen(
    tmp_path: Path,
    traced: Traced,
    synced: list[Path],
    make: Callable[[Path], Journal],
    durable: bool,
) -> None:
    journal = make(tmp_path)
    try:
        assert journal.durable is durable
        assert _pragma(journal) == (1 if durable else 0)  # NORMAL or OFF, now
        filling, opened = traced
        assert _synchronous_before_writing(filling) == "OFF"
        assert any(s.upper() == "PRAGMA JOURNAL_MODE=OFF" for s in filling)
        assert len(synced) == (1 if durable else 0)  # the filled file, before its link
        assert all(path.name.endswith(".creating") for path in synced)
        assert _synchronous_before_writing(opened) == ("NORMAL" if durable else "OFF")
        assert journal.meta("one") == "more commit"
    finally:
        journal.close()


def _with_disposable(make: Callable[[], Journal]) -> Journal:
    with disposable_journals():
        return make()


def test_a_disposable_journal_is_a_whole_journal_that_reopens(tmp_path: Path) -> None:
    """Skipping syncs changes what a crash of the machine may do, nothing else: the journal
    is in WAL mode, complete, and reopens (durable again) with everything committed."""
    folder = tmp_path / "scans"
    write_instances(folder, make_study(3))
    with disposable_journals():
        job = UploadJob.create(tmp_path / "up.dicomkit-job", [folder])
    with job:
        assert job.journal.durable is False
        assert job.journal._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        counts = job.status().counts
    with open_job(tmp_path / "up.dicomkit-job") as again:
        assert again.journal.durable is True
        assert again.status().counts == counts == {"pending": 3}


def test_the_block_covers_this_thread_only_and_ends_with_it(tmp_path: Path) -> None:
    made: dict[str, bool] = {}

    def other_thread() -> None:
        with DownloadJob.create(tmp_path / "other.dicomkit-job", ["1.2.3"], tmp_path) as job:
            made["other thread"] = job.journal.durable

    with disposable_journals():
        with DownloadJob.create(tmp_path / "in.dicomkit-job", ["1.2.3"], tmp_path) as job:
            made["inside"] = job.journal.durable
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    with DownloadJob.create(tmp_path / "after.dicomkit-job", ["1.2.3"], tmp_path) as job:
        made["after"] = job.journal.durable
    assert made == {"inside": False, "other thread": True, "after": True}


def test_the_block_ends_even_when_it_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), disposable_journals():
        raise RuntimeError("stop")
    journal = _make(tmp_path)
    try:
        assert journal.durable is True
    finally:
        journal.close()
