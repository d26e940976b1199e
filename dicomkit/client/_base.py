"""What DicomClient and AsyncDicomClient share: options, request building, error helpers.

Everything here is free of waiting, so the two drivers differ only in how they send, read and
sleep. Protocol knowledge stays in :mod:`dicomkit.core.operations`; turning inputs into
Part 10 bytes lives in :mod:`dicomkit.files.part10`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

from dicomkit.core import multipart, stow
from dicomkit.core.dicomjson import StoreResult
from dicomkit.core.errors import (
    HTTPError,
    InvalidArgumentError,
    StoreError,
    TransportError,
)
from dicomkit.core.interface import Request, Response, Timeout
from dicomkit.core.operations import ERROR_BODY_LIMIT, Operations
from dicomkit.core.retry import RetryPolicy, coerce_retry
from dicomkit.core.urls import DicomWebURLs, Level
from dicomkit.files.part10 import DEFAULT_CHUNK_SIZE, InstanceInput, stow_items

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ClientBase",
    "TimeoutInput",
    "abounded",
    "bounded",
    "coerce_timeout",
    "patient_filter",
    "raise_transport_failure",
    "store_outcome",
    "unique_uids",
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
    """Options and request building common to both clients."""

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
        self.retry = coerce_retry(retry)
        self.auth = resolve_auth(auth, asynchronous=asynchronous)
        self._client_name = "AsyncDicomClient" if asynchronous else "DicomClient"
        check_transport_security(self.urls.base_url, self.auth, stacklevel=4)
        self.chunk_size = chunk_size

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.urls.root!r})"

    # -- request building shared by the drivers ------------------------------------------------

    def _search_request(
        self,
        level: Level,
        study: str | None,
        series: str | None,
        search_filters: Mapping[str, Any] | None,
        fuzzymatching: bool | None,
        limit: int | None,
        offset: int | None,
        fields: Sequence[str] | None,
    ) -> Request:
        filters = dict(search_filters or {})
        if series is not None and study is None:
            filters["SeriesInstanceUID"] = series
            series = None
        return self.operations.search(
            level,
            study=study,
            series=series,
            search_filters=filters,
            fuzzymatching=fuzzymatching,
            limit=limit,
            offset=offset,
            fields=fields,
        )

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

    def _explained(self, error: HTTPError) -> HTTPError:
        """``error``, plus how to fix a 401 caused by sending no credentials at all."""
        if error.status != 401 or self.auth is not None:
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

    def _stow_request(self, items: Sequence[stow.StowItem], study: str | None) -> Request:
        """The STOW-RS request of one batch; its body is re-read from disk on every attempt."""
        avoid = [item.source for item in items if isinstance(item.source, bytes)]
        boundary = multipart.new_boundary(avoid=avoid)
        body = stow.stow_body(items, boundary, chunk_size=self.chunk_size)
        return self.operations.store(body, boundary, study)

    def _stow_batches(
        self,
        instances: Iterable[InstanceInput] | InstanceInput,
        max_count: int | None,
        max_bytes: int | None,
    ) -> list[list[stow.StowItem]]:
        return stow.plan_batches(
            stow_items(instances, self.chunk_size),
            max_count=stow.DEFAULT_BATCH_COUNT if max_count is None else max_count,
            max_bytes=stow.DEFAULT_BATCH_BYTES if max_bytes is None else max_bytes,
        )


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


def bounded(chunks: Iterator[bytes], limit: int = ERROR_BODY_LIMIT) -> bytes:
    """At most ``limit`` bytes of an error body; stops reading past it."""
    kept = bytearray()
    for chunk in chunks:
        kept += chunk
        if len(kept) >= limit:
            break
    return bytes(kept[:limit])


async def abounded(chunks: AsyncIterator[bytes], limit: int = ERROR_BODY_LIMIT) -> bytes:
    """Async twin of :func:`bounded`."""
    kept = bytearray()
    async for chunk in chunks:
        kept += chunk
        if len(kept) >= limit:
            break
    return bytes(kept[:limit])
