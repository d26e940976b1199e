"""Where a download's files go: a folder every worker mounts, or an fsspec URL.

A :class:`Destination` is a small picklable value (a path or a URL, never an open filesystem):
each process that uses it builds its filesystem itself, with its own credentials. The rule
of a local run holds on every destination: a file appears under its final name only
complete. In a folder, a worker writes into a staging folder beside the files and renames
into place; through fsspec, it writes the file on its own disk first, then sends it under a
temporary name and moves it into place, except on object stores whose upload is atomic (an
object appears only once its upload ends: S3, Google Cloud Storage, Azure Blob), which get the
final name at once.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dicomkit.core.errors import DicomkitError, InvalidArgumentError

__all__ = ["ATOMIC_PROTOCOLS", "STAGING_PREFIX", "Destination", "is_url"]

ATOMIC_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory"})
"""fsspec protocols whose upload of a whole file is atomic: no temporary name is needed."""

STAGING_PREFIX = ".dicomkit-dask-"
"""Temporary names and staging folders start with this: never a final name."""


def is_url(text: str) -> bool:
    """True for an fsspec URL (``s3://bucket/x``, ``file:///data``), False for a path."""
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.replace("+", "").replace("-", "").isalnum() and len(scheme) > 1


@dataclass(frozen=True)
class Destination:
    """A download's root: ``location`` is an absolute folder or an fsspec URL."""

    location: str

    @classmethod
    def of(cls, location: str | os.PathLike[str]) -> Destination:
        """A destination for a path or a URL; a URL with credentials in it is refused: it
        would travel to the scheduler in every task (InvalidArgumentError)."""
        text = os.fspath(location)
        if is_url(text):
            if "@" in urlsplit(text).netloc:
                raise InvalidArgumentError(
                    "a destination URL must not hold credentials (they would travel in the"
                    " task graph): give them to the filesystem through each process's"
                    " environment or credential chain"
                )
            return cls(text.rstrip("/"))
        return cls(str(Path(text).expanduser().absolute()))

    @property
    def is_url(self) -> bool:
        return is_url(self.location)

    def filesystem(self) -> tuple[Any, str]:
        """The fsspec filesystem and the root path in it (InvalidArgumentError when the URL's
        filesystem is not installed, with what to install)."""
        try:
            fsspec: Any = importlib.import_module("fsspec.core")  # untyped: calls not checked
            fs, root = fsspec.url_to_fs(self.location)
        except (ImportError, ValueError) as exc:
            raise InvalidArgumentError(
                f"cannot write to {self.location}: {exc} (install the fsspec filesystem"
                " for this URL, e.g. s3fs or gcsfs, here and on every worker)"
            ) from None
        return fs, str(root).rstrip("/")

    # -- on a worker ----------------------------------------------------------------------

    @contextmanager
    def staging(self, prefix: str) -> Iterator[Path]:
        """A folder for a task's files before they are placed: beside the files for a folder
        (a rename is then atomic and free), on the worker's own disk for a URL."""
        if self.is_url:
            with tempfile.TemporaryDirectory(prefix="dicomkit-dask-") as local:
                yield Path(local)
            return
        root = Path(self.location)
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=prefix, dir=root) as staging:
            yield Path(staging)

    def place(self, source: Path, relative: str, fs: Any = None) -> None:
        """Put the complete file ``source`` under ``relative``, appearing only whole; a
        failing destination raises a DicomkitError (the job stays resumable)."""
        if not self.is_url:
            target = Path(self.location) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            return
        fs, root = fs or self.filesystem()
        final = f"{root}/{relative}"
        parent, _, name = final.rpartition("/")
        protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
        try:
            fs.makedirs(parent, exist_ok=True)
            if protocols & ATOMIC_PROTOCOLS:
                fs.put_file(str(source), final)
                return
            temporary = f"{parent}/{STAGING_PREFIX}{name}.{secrets.token_hex(4)}.part"
            try:
                fs.put_file(str(source), temporary)
                fs.mv(temporary, final)
            except BaseException:
                _remove_quietly(fs, temporary)
                raise
        except OSError as exc:
            raise DicomkitError(f"cannot write {final} at {self.location}: {exc}") from exc

    # -- on the submitter -----------------------------------------------------------------

    def sizes(self) -> dict[str, int]:
        """``relative path -> size`` of every file under the root that has a final name (one
        listing, not one request per file)."""
        found: dict[str, int] = {}
        if not self.is_url:
            folder = Path(self.location)
            for path in folder.glob("*/*/*.dcm"):
                if not path.name.startswith("."):
                    try:
                        found[path.relative_to(folder).as_posix()] = path.stat().st_size
                    except OSError:
                        continue
            return found
        fs, root = self.filesystem()
        try:
            listed = fs.find(root, detail=True) if fs.exists(root) else {}
        except OSError as exc:
            raise DicomkitError(f"cannot list {self.location}: {exc}") from exc
        for path, info in listed.items():
            relative = str(path).rstrip("/")[len(root) :].lstrip("/")
            if relative.endswith(".dcm") and not relative.rpartition("/")[2].startswith("."):
                found[relative] = int(info.get("size") or 0)
        return found

    def digest(self, relative: str) -> tuple[int, str] | None:
        """(size, SHA-256) of a placed file, or None when it cannot be read."""
        digest = hashlib.sha256()
        size = 0
        try:
            with self._open(relative) as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError:
            return None
        return size, digest.hexdigest()

    def _open(self, relative: str) -> Any:
        if self.is_url:
            fs, root = self.filesystem()
            return fs.open(f"{root}/{relative}", "rb")
        return open(Path(self.location) / relative, "rb")  # the caller closes it

    def remove_leftovers(self, prefix: str) -> None:
        """Staging folders of this job (``prefix``) and temporary names left by workers that
        died mid-file; best effort (the submitter may not see a folder as workers do)."""
        if not self.is_url:
            for leftover in Path(self.location).glob(f"{prefix}*"):
                shutil.rmtree(leftover, ignore_errors=True)
            return
        try:
            fs, root = self.filesystem()
            leftovers = fs.glob(f"{root}/*/*/{STAGING_PREFIX}*.part")
        except (OSError, InvalidArgumentError):
            return
        for leftover in leftovers:
            _remove_quietly(fs, leftover)


def _remove_quietly(fs: Any, path: str) -> None:
    with suppress(OSError, NotImplementedError):
        fs.rm_file(path)
