"""Instances as files under a root folder, indexed in SQLite, shared by every request thread.

Each row keeps the few UIDs the routes filter on plus the instance's DICOM JSON (bulk values
replaced by a placeholder BulkDataURI), so QIDO and metadata never reopen the files.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BULK_PLACEHOLDER", "InstanceRecord", "Store", "linked", "linked_text"]

BULK_PLACEHOLDER = "dicomkit-bulk:"
"""Prefix of stored BulkDataURIs, followed by the element's path below the instance
(``7FE00010``, ``00880200/1/7FE00010``); made an absolute URL by :func:`linked` and
:func:`linked_text`, the only two places that turn it into one, whatever route serves it."""
_STORED_URI = f'"BulkDataURI":"{BULK_PLACEHOLDER}'


def linked_text(metadata_text: str, instance_url: str) -> str:
    """Stored DICOM JSON text with every placeholder BulkDataURI pointing below the instance.

    Only ``BulkDataURI`` members are touched: a text value that happens to start with the
    placeholder stays as it is.
    """
    return metadata_text.replace(_STORED_URI, f'"BulkDataURI":"{instance_url}/bulkdata/')


def linked(element: dict[str, Any], instance_url: str) -> dict[str, Any]:
    """A stored DICOM JSON element with its placeholder BulkDataURIs, at any depth of
    sequences, pointing below the instance; the element itself when it holds none."""
    uri = element.get("BulkDataURI")
    if isinstance(uri, str) and uri.startswith(BULK_PLACEHOLDER):
        return {**element, "BulkDataURI": f"{instance_url}/bulkdata/{uri[len(BULK_PLACEHOLDER) :]}"}
    if element.get("vr") != "SQ" or not element.get("Value"):
        return element
    items = [
        {tag: linked(value, instance_url) for tag, value in item.items()}
        for item in element["Value"]
    ]
    return {**element, "Value": items}


_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    partition TEXT NOT NULL,
    study TEXT NOT NULL,
    series TEXT NOT NULL,
    sop TEXT NOT NULL,
    sop_class TEXT NOT NULL,
    transfer_syntax TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    UNIQUE (partition, sop)
);
CREATE INDEX IF NOT EXISTS by_study ON instances (partition, study, series);
"""
_COLUMNS = "partition, study, series, sop, sop_class, transfer_syntax, path, size, metadata"
_SELECTED = "seq, " + _COLUMNS
_UID_COLUMNS = ("study", "series", "sop")


@dataclass
class InstanceRecord:
    """One stored instance: where its file is and what QIDO and metadata need to know."""

    partition: str
    study: str
    series: str
    sop: str
    sop_class: str
    transfer_syntax: str
    path: Path
    size: int
    metadata_text: str
    _metadata: dict[str, Any] | None = field(default=None, repr=False)
    seq: int = 0
    """Row number in the index; a stored-again instance gets a new one."""

    @property
    def metadata(self) -> dict[str, Any]:
        """The DICOM JSON object of the instance (parsed once, on first use)."""
        if self._metadata is None:
            self._metadata = json.loads(self.metadata_text)
        return self._metadata


class Store:
    """File store plus SQLite index; every method is safe to call from any thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            str(root / "index.sqlite3"), check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")  # a test server: speed over durability
        self._parsed: dict[int, dict[str, Any]] = {}
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def incoming_dir(self) -> Path:
        """Where uploads are spooled before they are indexed (same filesystem: moves are cheap)."""
        path = self.root / "incoming"
        path.mkdir(exist_ok=True)
        return path

    def _file_path(self, partition: str, study: str, series: str, sop: str) -> Path:
        return self.root / "data" / partition / study / series / f"{sop}.dcm"

    def get(self, partition: str, sop: str) -> InstanceRecord | None:
        rows = self._select("partition = ? AND sop = ?", (partition, sop))
        return rows[0] if rows else None

    def put(
        self,
        *,
        partition: str,
        study: str,
        series: str,
        sop: str,
        sop_class: str,
        transfer_syntax: str,
        metadata: dict[str, Any],
        source: Path,
    ) -> InstanceRecord:
        """Move ``source`` into place and index it, replacing any instance with the same UID."""
        target = self._file_path(partition, study, series, sop)
        with self._lock:
            old = self.get(partition, sop)
            if old is not None:
                self._parsed.pop(old.seq, None)
                if old.path != target:
                    old.path.unlink(missing_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            source.replace(target)
            text = json.dumps(metadata, separators=(",", ":"))
            size = target.stat().st_size
            self._db.execute(
                "DELETE FROM instances WHERE partition = ? AND sop = ?", (partition, sop)
            )
            self._db.execute(
                f"INSERT INTO instances ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    partition,
                    study,
                    series,
                    sop,
                    sop_class,
                    transfer_syntax,
                    str(target),
                    size,
                    text,
                ),
            )
        return InstanceRecord(
            partition, study, series, sop, sop_class, transfer_syntax, target, size, text, metadata
        )

    def find(self, partition: str, uids: Mapping[str, str]) -> list[InstanceRecord]:
        """Instances of a partition in storage order, narrowed by whichever of ``study``,
        ``series`` and ``sop`` ``uids`` holds: a route's named groups pass straight through
        (its other groups, such as ``level``, are not columns and are ignored)."""
        clauses = ["partition = ?"]
        params: list[str] = [partition]
        for column in _UID_COLUMNS:
            if column in uids:
                clauses.append(f"{column} = ?")
                params.append(uids[column])
        return self._select(" AND ".join(clauses), tuple(params))

    def delete(self, partition: str, uids: Mapping[str, str]) -> int:
        """Remove the instances :meth:`find` gives (files and rows); returns how many."""
        with self._lock:
            records = self.find(partition, uids)
            for record in records:
                self._parsed.pop(record.seq, None)
                record.path.unlink(missing_ok=True)
                self._db.execute(
                    "DELETE FROM instances WHERE partition = ? AND sop = ?",
                    (partition, record.sop),
                )
        return len(records)

    def clear(self) -> None:
        """Forget everything: rows, stored files and spooled uploads."""
        with self._lock:
            self._db.execute("DELETE FROM instances")
            self._parsed.clear()
            for name in ("data", "incoming"):
                shutil.rmtree(self.root / name, ignore_errors=True)

    def count(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM instances").fetchone()
        return int(row[0])

    def _select(self, where: str, params: tuple[str, ...]) -> list[InstanceRecord]:
        """Matching rows in storage order; parsed DICOM JSON is cached by row (rows never change,
        a replaced instance gets a new row)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_SELECTED} FROM instances WHERE {where} ORDER BY seq", params
            ).fetchall()
            records = []
            for row in rows:
                seq = int(row[0])
                metadata = self._parsed.get(seq)
                if metadata is None:
                    metadata = self._parsed[seq] = json.loads(row[9])
                records.append(
                    InstanceRecord(
                        partition=row[1],
                        study=row[2],
                        series=row[3],
                        sop=row[4],
                        sop_class=row[5],
                        transfer_syntax=row[6],
                        path=Path(row[7]),
                        size=int(row[8]),
                        metadata_text=row[9],
                        _metadata=metadata,
                        seq=seq,
                    )
                )
        return records
