"""Download to files: WADO-RS parts written safely to ``{study}/{series}/{instance}.dcm``.

Each file is named after the UIDs inside its part (validated, so a server cannot steer a write
outside the output folder) and appears only once complete: bytes go to a temporary file that
is renamed into place at the end of the part and deleted on any error.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from dicomkit.core import multipart
from dicomkit.core.errors import DicomkitError, InvalidArgumentError, InvalidUIDError, ProtocolError
from dicomkit.core.uids import validate_uid
from dicomkit.files import Progress
from dicomkit.files.uid_scan import HEAD_BYTES, scan_uids
from dicomkit.files.writes import limited

__all__ = ["PartFileWriter"]

_UID_TAGS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
_UID_TAG_NUMBERS = (0x0020000D, 0x0020000E, 0x00080018)
"""The same three as tag numbers: looked up by number, a part's UIDs cost half as much."""


class PartFileWriter:
    """Stream WADO-RS part events into ``{study}/{series}/{instance}.dcm`` under ``root``.

    Each part goes to a temporary file in ``root``; at its end the UIDs are read from the
    file itself, validated, and the file is renamed into place (``os.replace``, so a retried
    download overwrites atomically). ``abort()`` removes an unfinished temporary file.

    It holds only a file handle, a path and bytes (no event loop, lock or thread-local), so
    the async client may call :meth:`feed` from a worker thread (``asyncio.to_thread``); calls
    must not overlap (nor overlap :meth:`abort`), and a ``progress`` given here runs in that
    thread (the client passes none and reports progress itself).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[Path] = []
        self._handle: IO[bytes] | None = None
        self._temp: Path | None = None
        self._head = bytearray()

    @classmethod
    def create(cls, output_folder: str | os.PathLike[str]) -> PartFileWriter:
        """A writer into ``output_folder``, created if missing."""
        root = Path(output_folder).expanduser()
        try:
            root.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
            reason = getattr(exc, "strerror", None) or exc
            raise InvalidArgumentError(f"cannot create {root}: {reason}") from exc
        return cls(root)

    def feed(self, events: Iterable[multipart.Event], progress: Progress | None = None) -> None:
        """Process events; report each completed file to ``progress(files_done, None)``."""
        for event in events:
            if self.handle(event) is not None and progress is not None:
                progress(len(self.written), None)

    def handle(self, event: multipart.Event) -> Path | None:
        """Process one event; return the final path when a part was completed."""
        try:
            return self._handle_event(event)
        except OSError as exc:
            self.abort()
            raise DicomkitError(f"cannot write the download under {self.root}: {exc}") from exc

    def _handle_event(self, event: multipart.Event) -> Path | None:
        if isinstance(event, multipart.PartStart):
            self.abort()
            fd, name = tempfile.mkstemp(prefix=".dicomkit-", suffix=".part", dir=self.root)
            self._handle = os.fdopen(fd, "wb")
            self._temp = Path(name)
            self._head = bytearray()
        elif isinstance(event, multipart.PartData):
            if self._handle is None:
                raise ProtocolError("multipart data arrived outside a part")
            for piece in limited(event.data):
                self._handle.write(piece)
            if len(self._head) < HEAD_BYTES:
                self._head += event.data[: HEAD_BYTES - len(self._head)]
        elif isinstance(event, multipart.PartEnd):
            return self._finish()
        return None

    def _finish(self) -> Path:
        if self._handle is None or self._temp is None:
            raise ProtocolError("a multipart part ended before it started")
        self._handle.close()
        self._handle = None
        temp, self._temp = self._temp, None
        try:
            target = self._target_for(temp)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        self.written.append(target)
        return target

    def _target_for(self, temp: Path) -> Path:
        found = scan_uids(bytes(self._head))
        if found is not None:  # already valid UIDs, exactly what pydicom would read
            study, series, instance = found
            return self.root / study / series / f"{instance}.dcm"
        try:
            uids = _pydicom_uids(temp)
        except Exception as exc:  # pydicom raises many types on damaged data
            raise ProtocolError(f"the server sent a part that is not DICOM: {exc}") from exc
        try:
            study, series, instance = (
                validate_uid(uid, keyword) for uid, keyword in zip(uids, _UID_TAGS, strict=True)
            )
        except InvalidUIDError as exc:
            raise ProtocolError(f"the server sent an instance with a bad UID: {exc}") from exc
        return self.root / study / series / f"{instance}.dcm"

    def abort(self) -> None:
        """Close and delete the temporary file of an unfinished part, if any."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None


def _pydicom_uids(path: Path) -> list[str]:
    """The three UIDs as pydicom reads them, for encodings the fast scan leaves aside.

    The elements are read raw (``get_item``): converting them would run pydicom's value
    validation, which warns, and silencing that would change the process-wide ``warnings``
    filters. The UIDs are validated afterwards, by our rules.
    """
    import pydicom  # downloads of common encodings never import it

    ds = pydicom.dcmread(
        path, force=True, stop_before_pixels=True, specific_tags=list(_UID_TAG_NUMBERS)
    )
    uids = []
    for tag in _UID_TAG_NUMBERS:
        value = ds.get_item(tag).value if tag in ds else ""
        if isinstance(value, bytes):
            value = value.rstrip(b"\x00 ").decode("ascii", "replace")
        uids.append(str(value or "").strip())
    return uids
