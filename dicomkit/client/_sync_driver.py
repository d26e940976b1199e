"""The sending half of DicomClient: transport, authentication, retries, error statuses.

Kept apart from the DICOMweb methods so that each file has one job; the async twin is
:mod:`dicomkit.client._aio_driver`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

from dicomkit.client._base import (
    DEFAULT_CHUNK_SIZE,
    ClientBase,
    TimeoutInput,
    bounded,
    raise_transport_failure,
)
from dicomkit.core.errors import (
    TransportError,
)
from dicomkit.core.interface import Headers, Request, Response, Transport
from dicomkit.core.operations import (
    PartAssembler,
    apply_byte_range,
    error_from_response,
    parse_json_array,
)
from dicomkit.core.retry import RetryPolicy

__all__ = ["SyncDriver"]

_Self = TypeVar("_Self", bound="SyncDriver")
_K = TypeVar("_K")
_R = TypeVar("_R")


class SyncDriver(ClientBase):
    """Owns the transport and sends requests with authentication and retries."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: Any = "requests",
        auth: Any = None,
        timeout: TimeoutInput = None,
        retry: RetryPolicy | int | bool | None = None,
        headers: Mapping[str, str] | None = None,
        api_version: str | int | None = None,
        partition: str | None = None,
        qido_prefix: str | None = None,
        wado_prefix: str | None = None,
        stow_prefix: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        super().__init__(
            base_url,
            auth=auth,
            asynchronous=False,
            timeout=timeout,
            retry=retry,
            headers=headers,
            api_version=api_version,
            partition=partition,
            qido_prefix=qido_prefix,
            wado_prefix=wado_prefix,
            stow_prefix=stow_prefix,
            chunk_size=chunk_size,
        )
        self.transport: Transport
        if isinstance(transport, Transport):
            self.transport, self._owns_transport = transport, False
        else:
            from dicomkit.transports.registry import resolve_transport

            self.transport, self._owns_transport = resolve_transport(transport, asynchronous=False)

    def close(self) -> None:
        """Close the transport if this client created it."""
        if self._owns_transport:
            self.transport.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sending -------------------------------------------------------------------------------

    def _send(self, request: Request) -> Response:
        """Send with auth and retries; return the final response, error statuses included."""
        started = time.monotonic()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            auth_headers = self.auth.headers(self.transport) if self.auth else {}
            try:
                response = self.transport.send(self._with_headers(request, auth_headers))
            except TransportError as exc:
                delay = self._retry_delay(attempt, request, started, error=exc)
                if delay is None:
                    raise_transport_failure(request, exc, attempt)
                time.sleep(delay)
                continue
            if response.status == 401 and self.auth is not None and not refreshed:
                refreshed = True
                if self.auth.refresh(self.transport, auth_headers):
                    response.close()
                    attempt -= 1
                    continue
            delay = self._retry_delay(attempt, request, started, response=response)
            if delay is None:
                return response
            response.close()
            time.sleep(delay)

    def _concurrently(
        self,
        send: Callable[..., _R],
        jobs: Sequence[tuple[_K, tuple[Any, ...]]],
        workers: int,
        settle: Callable[[_K, _R], None],
    ) -> None:
        """Call ``send(*args)`` for each job, ``workers`` at a time on threads.

        ``settle(key, outcome)`` runs on this thread in job order, so it needs no locking; if
        it raises, jobs not yet started are cancelled.
        """
        if workers <= 1 or len(jobs) <= 1:
            for key, args in jobs:
                settle(key, send(*args))
            return
        with ThreadPoolExecutor(min(workers, len(jobs)), thread_name_prefix="dicomkit") as pool:
            futures = [pool.submit(send, *args) for _, args in jobs]
            try:
                for (key, _), future in zip(jobs, futures, strict=True):
                    settle(key, future.result())
            finally:
                for future in futures:
                    future.cancel()

    def _ok(self, request: Request) -> Response:
        """Send; raise the matching HTTPError (with the server's bounded body) unless 2xx.

        A 3xx here is a redirect the transport did not follow (only GET and HEAD are), so
        the server did not act on the request: an error, never a silent success.
        """
        response = self._send(request)
        if response.status >= 300:
            with response:
                body = bounded(response.iter_bytes())
            error = error_from_response(request, response.status, response.headers, body)
            raise self._explained(error)
        return response

    def _json(self, request: Request) -> tuple[list[dict[str, Any]], Headers]:
        response = self._ok(request)
        return parse_json_array(response.status, response.read()), response.headers

    def _items(self, request: Request) -> list[dict[str, Any]]:
        """The DICOM JSON objects of a search or metadata answer."""
        return (self._json(request))[0]

    def _done(self, request: Request) -> None:
        """Send a request whose answer has no body worth reading (DELETE)."""
        response = self._ok(request)
        response.close()

    def _bulk(self, request: Request, byte_range: tuple[int, int | None] | None) -> list[bytes]:
        """Bulk data parts, trimmed to ``byte_range`` if the server sent everything."""
        response = self._ok(request)
        parts: list[bytes] = []
        with response:
            assembler = PartAssembler(response.headers)
            for chunk in response.iter_bytes():
                parts.extend(body for _, body in assembler.feed(chunk))
            parts.extend(body for _, body in assembler.close())
        return apply_byte_range(parts, response.status, byte_range)

    def _parts(self, request: Request) -> Iterator[tuple[Headers, bytes]]:
        response = self._ok(request)
        with response:
            assembler = PartAssembler(response.headers)
            for chunk in response.iter_bytes():
                yield from assembler.feed(chunk)
            yield from assembler.close()
