"""Journaled uploads: every file ends stored, already present or failed, never unknown."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dicomkit.jobs._job import Job
from dicomkit.jobs._model import JobReport, ProgressCallback

if TYPE_CHECKING:
    from dicomkit.client import AsyncDicomClient, DicomClient

__all__ = ["UploadJob"]


class UploadJob(Job):
    """Upload files and folders with STOW-RS, journaled per file."""

    kind = "upload"

    @classmethod
    def create(
        cls,
        journal_path: str | os.PathLike[str] | None,
        paths: Iterable[str | os.PathLike[str]],
        *,
        study: str | None = None,
        recursive: bool = True,
        batch_files: int | None = None,
        batch_bytes: int | None = None,
    ) -> UploadJob:
        """Scan ``paths`` (files, and folders searched ``recursive``-ly) and journal each file.

        Nothing is sent yet: call :meth:`run`. Files are recognised by content; a file under a
        folder that is not DICOM is journaled as ``not_dicom``, an unreadable or damaged one as
        ``failed``; a named file that is missing or not DICOM is an InvalidArgumentError, as is
        a ``journal_path`` that exists already (None: a new name in the default folder).
        ``study`` sends every request to ``/studies/{study}``; ``batch_files`` and
        ``batch_bytes`` bound each STOW-RS request (defaults in docs/transfers.md).
        """
        raise NotImplementedError

    def run(
        self,
        client: DicomClient,
        *,
        workers: int | None = None,
        progress: ProgressCallback | None = None,
        retry_failed: bool = False,
    ) -> JobReport:
        """Send what is not yet confirmed, ``workers`` requests at once (None: the measured
        default), and return the report; runs again after a crash or a kill move only the rest.

        Files journaled ``sent`` by a run that died are first looked up on the server (QIDO-RS
        by SOPInstanceUID); a request that breaks without an answer is resolved the same way,
        and its files not found are sent again. ``retry_failed`` sends failed files again.
        Rejected credentials raise (UnauthorizedError/ForbiddenError) and so does a server
        that cannot be reached; the journal then still holds every confirmed outcome.
        """
        raise NotImplementedError

    async def arun(
        self,
        client: AsyncDicomClient,
        *,
        workers: int | None = None,
        progress: ProgressCallback | None = None,
        retry_failed: bool = False,
    ) -> JobReport:
        """:meth:`run` for AsyncDicomClient: ``workers`` tasks; the journal is written from a
        worker thread so the event loop never waits on the disk."""
        raise NotImplementedError
