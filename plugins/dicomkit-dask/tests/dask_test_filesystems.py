"""A local fsspec filesystem (protocol ``torn``) that logs every write and tears some uploads
halfway (half the bytes, then an OSError), for workers and the submitter alike.

Workers are separate processes: the log and the tear budget are files named by environment
variables (set before the cluster starts), so every process shares them. The tests read the
log to prove that no final name ever received bytes other than by a move of a complete file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fsspec import register_implementation
from fsspec.implementations.local import LocalFileSystem

__all__ = ["LOG_VARIABLE", "TEARS_VARIABLE", "TornFileSystem", "read_log", "register"]

LOG_VARIABLE = "DICOMKIT_DASK_TEST_FS_LOG"
"""A file every process appends its operations to, one JSON list a line."""
TEARS_VARIABLE = "DICOMKIT_DASK_TEST_FS_TEARS"
"""A folder of tokens: each upload that removes one is torn."""


def _log(*entry: Any) -> None:
    with open(os.environ[LOG_VARIABLE], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


def _tear_now() -> bool:
    """Take one token of the budget, if any is left (only one process gets each)."""
    for token in sorted(Path(os.environ[TEARS_VARIABLE]).glob("tear-*")):
        try:
            token.unlink()
        except FileNotFoundError:
            continue
        return True
    return False


class TornFileSystem(LocalFileSystem):
    """Local files under ``torn://``, every write logged; an upload that draws a tear token
    writes half its bytes to the target and raises OSError."""

    protocol = "torn"

    def put_file(self, path1: Any, path2: Any, callback: Any = None, **kwargs: Any) -> None:
        target = self._strip_protocol(path2)
        data = Path(path1).read_bytes()
        if _tear_now():
            Path(target).write_bytes(data[: len(data) // 2])
            _log("torn", target, len(data) // 2)
            raise OSError("the connection dropped mid-upload (test)")
        Path(target).write_bytes(data)
        _log("put", target, len(data))

    def open(self, path: Any, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
        if "r" not in mode:
            _log("open", self._strip_protocol(path), mode)
        return super().open(path, mode, *args, **kwargs)

    def mv(self, path1: Any, path2: Any, *args: Any, **kwargs: Any) -> None:
        super().mv(path1, path2, *args, **kwargs)
        _log("mv", self._strip_protocol(path1), self._strip_protocol(path2))


def register() -> None:
    """Make ``torn://`` known to fsspec in this process."""
    register_implementation("torn", TornFileSystem, clobber=True)


def read_log() -> list[list[Any]]:
    path = Path(os.environ[LOG_VARIABLE])
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
