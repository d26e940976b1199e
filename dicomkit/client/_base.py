"""What DicomClient and AsyncDicomClient share: options, and everything that never waits.

The drivers differ only in how they send, read, sleep and offload; protocol knowledge stays in
:mod:`dicomkit.core` (one exchange per operation), files in :mod:`dicomkit.files`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from dicomkit.core import stow
from dicomkit.core.errors import (
    DicomkitError,
    HTTPError,
    InvalidArgumentError,
    TransportError,
)
from dicomkit.core.interface import Request, Response
from dicomkit.core.operations import (
    MAX_JSON_BYTES,
    Dialect,
    Exchanges,
    Operations,
    TimeoutInput,
    resolve_dialect,
)
from dicomkit.core.retry import RetryPolicy, coerce_retry
from dicomkit.core.uids import validate_uid
from dicomkit.core.urls import DicomWebURLs, without_userinfo
from dicomkit.files.folder import FolderUpload, ScannedFile
from dicomkit.files.part10 import DEFAULT_CHUNK_SIZE, InstanceInput, stow_items

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ClientBase",
    "TimeoutInput",
    "raise_transport_failure",
    "uploadable",
]


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
        max_json_bytes: int = MAX_JSON_BYTES,
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
        self.operations = Operations(self.urls, timeout=timeout, headers=headers)
        if not isinstance(max_json_bytes, int) or max_json_bytes < 1:
            raise InvalidArgumentError("max_json_bytes must be a positive number of bytes")
        self.exchanges = Exchanges(
            self.operations, resolve_dialect(dialect), max_json_bytes=max_json_bytes
        )
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

    def _stow_exchange(
        self, items: Sequence[stow.StowItem], study: str | None
    ) -> stow.StoreExchange:
        """The STOW-RS exchange of one batch; its body is read from disk again on every send."""
        exchange = stow.store_exchange(self.operations, items, study, chunk_size=self.chunk_size)
        exchange.max_bytes = self.exchanges.max_json_bytes
        return exchange

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
    message = f"{request.method} {without_userinfo(request.url)}: {error}"
    if attempts > 1:
        message += f" (gave up after {attempts} attempts)"
    try:
        failure = type(error)(message)
    except TypeError:  # a backend's own subclass with another constructor: keep it as is
        raise error from error.__cause__
    raise failure from error


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
