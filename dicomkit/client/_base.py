"""What DicomClient and AsyncDicomClient share: options, and everything that never waits.

The drivers differ only in how they send, read, sleep and offload; protocol knowledge stays in
:mod:`dicomkit.core` (one exchange per operation), files in :mod:`dicomkit.files`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

from dicomkit.core import stow
from dicomkit.core.dicomjson import StoreResult
from dicomkit.core.errors import (
    DicomkitError,
    HTTPError,
    InvalidArgumentError,
    StoreError,
    TransportError,
)
from dicomkit.core.interface import Request, Response, Timeout
from dicomkit.core.operations import Dialect, Exchanges, Operations, resolve_dialect
from dicomkit.core.retry import RetryPolicy, coerce_retry
from dicomkit.core.uids import validate_uid
from dicomkit.core.urls import DicomWebURLs
from dicomkit.files import Progress
from dicomkit.files.folder import FolderUpload, ScannedFile
from dicomkit.files.part10 import DEFAULT_CHUNK_SIZE, InstanceInput, stow_items

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ClientBase",
    "StoreTally",
    "TimeoutInput",
    "coerce_timeout",
    "patient_filter",
    "raise_transport_failure",
    "store_outcome",
    "unique_uids",
    "uploadable",
]

TimeoutInput = Timeout | float | tuple[float | None, float | None] | None


def coerce_timeout(value: TimeoutInput) -> Timeout:
    """A client's ``timeout=``: a Timeout, one number for both, or ``(connect, read)``."""
    if value is None:
        return Timeout()
    if isinstance(value, Timeout):
        return value
    if isinstance(value, tuple):
        if len(value) != 2:
            raise InvalidArgumentError("timeout as a tuple is (connect, read)")
        return Timeout(connect=value[0], read=value[1])
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return Timeout(connect=float(value), read=float(value))
    raise InvalidArgumentError("timeout must be a Timeout, seconds > 0, or (connect, read)")


class ClientBase:
    """Options, exchanges and the bookkeeping common to both clients."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: Any,
        asynchronous: bool,
        timeout: TimeoutInput,
        retry: RetryPolicy | int | bool | None,
        headers: Mapping[str, str] | None,
        api_version: str | int | None,
        partition: str | None,
        qido_prefix: str | None,
        wado_prefix: str | None,
        stow_prefix: str | None,
        chunk_size: int,
        dialect: str | Dialect | None,
    ) -> None:
        from dicomkit.auth import check_transport_security, resolve_auth

        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise InvalidArgumentError("chunk_size must be a positive number of bytes")
        self.urls = DicomWebURLs(
            base_url,
            api_version=api_version,
            partition=partition,
            qido_prefix=qido_prefix,
            wado_prefix=wado_prefix,
            stow_prefix=stow_prefix,
        )
        self.base_url = self.urls.base_url
        self.operations = Operations(self.urls, timeout=coerce_timeout(timeout), headers=headers)
        self.exchanges = Exchanges(self.operations, resolve_dialect(dialect))
        self.retry = coerce_retry(retry)
        self.auth = resolve_auth(auth, asynchronous=asynchronous)
        self._asynchronous = asynchronous
        self._client_name = "AsyncDicomClient" if asynchronous else "DicomClient"
        check_transport_security(self.urls.base_url, self.auth, stacklevel=4)
        self.chunk_size = chunk_size

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.urls.root!r})"

    def _resolve_transport(self, transport: Any) -> tuple[Any, bool]:
        """A transport by name or class (owned, closed with the client) for this I/O style."""
        from dicomkit.transports.registry import resolve_transport

        return resolve_transport(transport, asynchronous=self._asynchronous)

    def _retry_delay(
        self,
        attempt: int,
        request: Request,
        started: float,
        *,
        response: Response | None = None,
        error: TransportError | None = None,
    ) -> float | None:
        """Seconds to wait before sending ``request`` again after this outcome, or None.

        One place for both drivers, which then only sleep their own way and send again.
        """
        elapsed = time.monotonic() - started
        if response is None:
            return self.retry.next_delay(attempt, request.method, error=error, elapsed=elapsed)
        if response.status not in self.retry.retry_statuses:
            return None
        return self.retry.next_delay(
            attempt,
            request.method,
            status=response.status,
            retry_after=response.headers.get("Retry-After"),
            elapsed=elapsed,
        )

    def _explained(self, error: DicomkitError) -> DicomkitError:
        """``error``, plus how to fix a 401 caused by sending no credentials at all."""
        if not isinstance(error, HTTPError) or error.status != 401 or self.auth is not None:
            return error
        return type(error)(
            error.status,
            f"{error}; the server requires credentials: pass auth=... to {self._client_name}",
            method=error.method,
            url=error.url,
            headers=error.headers,
            body=error.body,
            reasons=error.reasons,
        )

    @staticmethod
    def _with_headers(request: Request, extra: Mapping[str, str]) -> Request:
        if not extra:
            return request
        headers = request.headers.copy()
        for name, value in extra.items():
            headers.set(name, value)
        return replace(request, headers=headers)

    def _stow_exchange(
        self, items: Sequence[stow.StowItem], study: str | None
    ) -> stow.StoreExchange:
        """The STOW-RS exchange of one batch; its body is read from disk again on every send."""
        return stow.store_exchange(self.operations, items, study, chunk_size=self.chunk_size)

    def _stow_batches(
        self,
        instances: Iterable[InstanceInput] | InstanceInput,
        max_count: int | None,
        max_bytes: int | None,
    ) -> list[list[stow.StowItem]]:
        """Instances as STOW items in batches (blocking: it encodes datasets, stats files)."""
        return stow.plan_batches(
            stow_items(instances, self.chunk_size),
            max_count=stow.DEFAULT_BATCH_COUNT if max_count is None else max_count,
            max_bytes=stow.DEFAULT_BATCH_BYTES if max_bytes is None else max_bytes,
        )

    @staticmethod
    def _folder_upload(
        folder: str | os.PathLike[str],
        recursive: bool,
        study: str | None,
        max_count: int | None,
        max_bytes: int | None,
        workers: int,
    ) -> FolderUpload:
        """The plan of a folder upload (blocking: it scans and sniffs every file)."""
        if study is not None:
            validate_uid(study, "StudyInstanceUID")
        return FolderUpload(folder, recursive, max_count, max_bytes, workers)


def raise_transport_failure(request: Request, error: TransportError, attempts: int) -> NoReturn:
    """Re-raise ``error`` (same class, original as cause) naming the request that failed.

    Backends word their errors after the socket ("HTTPConnection(host=...)"); the user
    needs to know which DICOMweb call failed and whether retrying already happened.
    """
    message = f"{request.method} {_without_userinfo(request.url)}: {error}"
    if attempts > 1:
        message += f" (gave up after {attempts} attempts)"
    try:
        failure = type(error)(message)
    except TypeError:  # a backend's own subclass with another constructor: keep it as is
        raise error from error.__cause__
    raise failure from error


def _without_userinfo(url: str) -> str:
    """``url`` without any ``user:password@``, so error messages never carry secrets."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def patient_filter(patient_id: str) -> dict[str, str]:
    """The QIDO-RS filter that matches exactly one patient's ID.

    QIDO-RS has no escape character: an empty value matches every patient, ``*`` and ``?``
    are wildcards and ``\\`` separates values. Such an ID would quietly return other patients'
    studies (and a delete loop over them would delete those), so it is refused.
    """
    if not isinstance(patient_id, str) or not patient_id.strip():
        raise InvalidArgumentError("patient_id must be a non-empty string")
    if any(character in patient_id for character in "*?\\"):
        raise InvalidArgumentError(
            "patient_id may not contain '*', '?' or '\\': QIDO-RS would match other patients"
        )
    return {"PatientID": patient_id}


def unique_uids(values: Iterable[Any]) -> list[str]:
    """The distinct non-empty values as strings, in the order first seen."""
    return list(dict.fromkeys(str(value) for value in values if value))


def store_outcome(results: list[StoreResult], errors: list[StoreError]) -> StoreResult:
    """Merge batch results; raise one StoreError carrying everything if any batch failed."""
    merged = stow.merge_results(results)
    if errors:
        if len(errors) == 1 and len(results) == 1:
            raise errors[0]
        raise StoreError(
            stow.store_error_message(merged, merged.status), merged, status=merged.status
        )
    return merged


class StoreTally:
    """The batches of one ``store_instances`` call, their outcomes, and its progress."""

    def __init__(self, batches: list[list[stow.StowItem]], progress: Progress | None) -> None:
        self.batches = batches
        self.progress = progress
        self.total = sum(len(batch) for batch in batches)
        self.done = 0
        self.results: list[StoreResult] = []
        self.errors: list[StoreError] = []

    def jobs(self, study: str | None) -> list[tuple[int, tuple[list[stow.StowItem], str | None]]]:
        """Each batch's size with the arguments of the request that stores it."""
        return [(len(batch), (batch, study)) for batch in self.batches]

    def settle(self, count: int, outcome: StoreResult | StoreError) -> None:
        """Record one batch's outcome, then report progress."""
        if isinstance(outcome, StoreError):
            self.errors.append(outcome)
            outcome = outcome.result
        self.results.append(outcome)
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    def outcome(self) -> StoreResult:
        """Every batch merged; one StoreError carrying everything if any batch failed."""
        return store_outcome(self.results, self.errors)


def uploadable(path: str | os.PathLike[str], scanned: ScannedFile) -> Path:
    """``path``, checked as ``upload_dicom_folder`` checks its files: InvalidArgumentError for
    a missing, unreadable or non-DICOM file, before any request."""
    if not scanned.is_dicom:
        raise InvalidArgumentError(
            f"cannot upload {path}: not a DICOM file (no Part 10 'DICM' header)"
        )
    if scanned.problem:
        raise InvalidArgumentError(f"cannot upload {path}: {scanned.problem}")
    return Path(path)
