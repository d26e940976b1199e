"""Files on disk for the clients: Part 10 encoding, folder upload and download to files.

This layer sits between :mod:`dicomkit.client` and :mod:`dicomkit.core`: it reads and writes
files but never sends anything, so it imports neither the client nor a transport nor an HTTP
library (tests/files/test_layering.py checks it). Every function here blocks; the async
client runs them in a worker thread so that its event loop never waits on a disk.

- :mod:`dicomkit.files.part10` turns datasets, paths, bytes and file objects into STOW items;
- :mod:`dicomkit.files.folder` scans and sniffs a folder and plans its upload;
- :mod:`dicomkit.files.download` writes WADO-RS parts to ``study/series/instance.dcm``;
- :mod:`dicomkit.files.writes` hands downloaded bytes to the system in bounded calls;
- :mod:`dicomkit.files.uid_scan` reads an instance's three UIDs from its first bytes, fast.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

__all__ = ["BYTES_RECEIVED", "Progress"]

Progress = Callable[[int, int | None], None]
"""A progress callback: ``progress(done, total)``; ``total`` is None when unknown."""

BYTES_RECEIVED: ContextVar[Callable[[int], None] | None] = ContextVar(
    "dicomkit_bytes_received", default=None
)
"""Called by the client with the size of every chunk of an answer it reads, in the thread or
task that set it: how :mod:`dicomkit.jobs` shows download bytes as they arrive."""
