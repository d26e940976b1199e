"""Downloaded instances made final in groups: one fsync pass and one journal transaction each.

Syncing and journaling every file on its own cost three quarters of a download's time
(docs/transfers.md). Here each instance is written to a temporary file in its target folder
as it arrives; a group of them is then fsynced, renamed into place and handed to ``commit``
(the job journals the whole group in one transaction). The order is what keeps the promises:

- data is on the disk before its final name exists, so a file under its final name is
  complete whatever instant the process (or the machine) stopped at;
- the journal says ``written`` only after the rename, so a journaled file exists, and a file
  renamed but not journaled yet (the process died in between) is found complete on resume
  and journaled from the disk, never fetched again;
- a temporary file never journaled is a leftover: removed on resume, its instance fetched.

A kill loses at most one unfinished group per worker: temporary files, fetched again.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dicomkit.jobs._files import DiskError, sha256_of, target_path

__all__ = ["GROUP_AGE", "GROUP_BYTES", "GROUP_FILES", "Staged", "StagedFiles"]

GROUP_FILES = 64
"""Files per group at most: one journal transaction each."""
GROUP_BYTES = 64 << 20
"""Bytes per group at most: what a kill may cost to fetch again, per worker."""
GROUP_AGE = 0.5
"""Seconds a file may wait for its group: progress and the journal stay that fresh."""


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


class StagedFiles:
    """One worker's group of downloaded instances on their way to their final names.

    Not thread-safe: each unit of work has its own (the async job runs it from one worker
    thread at a time). ``commit(group)`` journals a group made final; ``drop(group)`` is
    told of files given up (an error, or :meth:`discard`).
    """

    def __init__(
        self,
        root: Path,
        commit: Callable[[list[Staged]], None],
        drop: Callable[[list[Staged]], None],
        *,
        max_files: int = GROUP_FILES,
        max_bytes: int = GROUP_BYTES,
        max_age: float = GROUP_AGE,
    ) -> None:
        self.root = root
        self._commit = commit
        self._drop = drop
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
        staged = Staged(item, key, uids[2], target, temp, len(data), sha256_of(data))
        if not self._group:
            self._since = time.monotonic()
        self._group.append(staged)
        self._bytes += staged.size
        return staged

    def holds(self, sop: str | None) -> bool:
        """Whether an instance is in the group (written, not final yet)."""
        return any(staged.sop == sop for staged in self._group)

    def due(self) -> bool:
        max_files, max_bytes, max_age = self._limits
        return bool(self._group) and (
            len(self._group) >= max_files
            or self._bytes >= max_bytes
            or time.monotonic() - self._since >= max_age
        )

    def flush(self) -> None:
        """Make the group final: fsync every file, rename each into place, then commit.

        A disk error removes the files not renamed yet (those renamed are complete) and
        raises DiskError; nothing of the group is journaled then."""
        group, self._group, self._bytes = self._group, [], 0
        if not group:
            return
        renamed = 0
        try:
            for staged in group:
                _sync(staged.temp)
            for staged in group:
                os.replace(staged.temp, staged.target)
                renamed += 1
        except OSError as exc:
            self._remove(group[renamed:])
            raise DiskError(f"cannot write the download under {self.root}: {exc}") from exc
        self._commit(group)

    def discard(self) -> None:
        """Give up the group: its temporary files are removed (fetched again next run)."""
        group, self._group, self._bytes = self._group, [], 0
        if group:
            self._remove(group)

    def _remove(self, group: list[Staged]) -> None:
        for staged in group:
            Path(staged.temp).unlink(missing_ok=True)
        self._drop(group)


def _sync(path: str) -> None:
    """Flush one file's data to the disk (reopened: no descriptor is held between parts)."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
