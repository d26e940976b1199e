"""Journaled downloads: each instance written once, complete, with its size and SHA-256."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dicomkit.jobs._job import Job
from dicomkit.jobs._model import JobReport, ProgressCallback

if TYPE_CHECKING:
    from dicomkit.client import AsyncDicomClient, DicomClient

__all__ = ["DownloadJob", "Target"]

Target = str | tuple[str] | tuple[str, str] | tuple[str, str, str]
"""A study UID, or a (study, series) or (study, series, instance) tuple of UIDs."""


class DownloadJob(Job):
    """Download studies, series or instances to ``{out_dir}/{study}/{series}/{sop}.dcm``."""

    kind = "download"

    @classmethod
    def create(
        cls,
        journal_path: str | os.PathLike[str] | None,
        targets: Iterable[Target],
        out_dir: str | os.PathLike[str],
    ) -> DownloadJob:
        """Journal the targets (UIDs validated here: InvalidArgumentError) and the output
        folder; nothing is requested yet. ``journal_path`` None: a new name in the default
        folder. The instances of each target are listed (QIDO-RS) at the start of ``run``."""
        raise NotImplementedError

    @property
    def out_dir(self) -> str:
        """The folder files are written under."""
        raise NotImplementedError

    def run(
        self,
        client: DicomClient,
        *,
        workers: int | None = None,
        progress: ProgressCallback | None = None,
        retry_failed: bool = False,
    ) -> JobReport:
        """Download what is not yet written, ``workers`` requests at once (None: the measured
        default), and return the report.

        Whole series are asked for where nothing of them is written yet; a series whose
        answer breaks midway continues with instance requests for the rest; on resume, files
        already complete are skipped. Each file appears only complete (temporary name, fsync,
        rename). A target the server does not have, or an instance that keeps failing, ends
        ``failed``; a failing disk (full, read-only) raises a DicomkitError and leaves the
        journal resumable with nothing lost. ``retry_failed`` tries failed items again.
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
        """:meth:`run` for AsyncDicomClient (tasks; disk and journal work in worker threads)."""
        raise NotImplementedError
