"""The sending half of AsyncDicomClient: transport, authentication, retries, error statuses.

The twin of :mod:`dicomkit.client._sync_driver`; only the awaiting differs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

from dicomkit.client._base import (
    DEFAULT_CHUNK_SIZE,
    ClientBase,
    TimeoutInput,
    abounded,
    raise_transport_failure,
)
from dicomkit.core.errors import (
    TransportError,
)
from dicomkit.core.interface import AsyncTransport, Headers, Request, Response
from dicomkit.core.operations import (
    PartAssembler,
    apply_byte_range,
    error_from_response,
    parse_json_array,
)
from dicomkit.core.retry import RetryPolicy

__all__ = ["AsyncDriver"]

_Self = TypeVar("_Self", bound="AsyncDriver")
_K = TypeVar("_K")
_R = TypeVar("_R")


class AsyncDriver(ClientBase):
    """Owns the transport and sends requests with authentication and retries."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: Any = "aiohttp",
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
            asynchronous=True,
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
        self.transport: AsyncTransport
        if isinstance(transport, AsyncTransport):
            self.transport, self._owns_transport = transport, False
        else:
            from dicomkit.transports.registry import resolve_transport

            self.transport, self._owns_transport = resolve_transport(transport, asynchronous=True)

    async def close(self) -> None:
        """Close the transport if this client created it."""
        if self._owns_transport:
            await self.transport.aclose()

    async def __aenter__(self: _Self) -> _Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- sending -------------------------------------------------------------------------------

    async def _send(self, request: Request) -> Response:
        """Send with auth and retries; return the final response, error statuses included."""
        started = time.monotonic()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            auth_headers = await self.auth.aheaders(self.transport) if self.auth else {}
            try:
                response = await self.transport.asend(self._with_headers(request, auth_headers))
            except TransportError as exc:
                delay = self._retry_delay(attempt, request, started, error=exc)
                if delay is None:
                    raise_transport_failure(request, exc, attempt)
                await asyncio.sleep(delay)
                continue
            if response.status == 401 and self.auth is not None and not refreshed:
                refreshed = True
                if await self.auth.arefresh(self.transport, auth_headers):
                    await response.aclose()
                    attempt -= 1
                    continue
            delay = self._retry_delay(attempt, request, started, response=response)
            if delay is None:
                return response
            await response.aclose()
            await asyncio.sleep(delay)

    async def _concurrently(
        self,
        send: Callable[..., Awaitable[_R]],
        jobs: Sequence[tuple[_K, tuple[Any, ...]]],
        workers: int,
        settle: Callable[[_K, _R], None],
    ) -> None:
        """Await ``send(*args)`` for each job, ``workers`` at a time as tasks.

        ``settle(key, outcome)`` runs in job order; if it raises, the other tasks are cancelled.
        """
        if workers <= 1 or len(jobs) <= 1:
            for key, args in jobs:
                settle(key, await send(*args))
            return
        gate = asyncio.Semaphore(workers)

        async def run(args: tuple[Any, ...]) -> _R:
            async with gate:
                return await send(*args)

        tasks = [asyncio.ensure_future(run(args)) for _, args in jobs]
        try:
            for (key, _), task in zip(jobs, tasks, strict=True):
                settle(key, await task)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _ok(self, request: Request) -> Response:
        """Send; raise the matching HTTPError (with the server's bounded body) unless 2xx.

        A 3xx here is a redirect the transport did not follow (only GET and HEAD are), so
        the server did not act on the request: an error, never a silent success.
        """
        response = await self._send(request)
        if response.status >= 300:
            async with response:
                body = await abounded(response.aiter_bytes())
            error = error_from_response(request, response.status, response.headers, body)
            raise self._explained(error)
        return response

    async def _json(self, request: Request) -> tuple[list[dict[str, Any]], Headers]:
        response = await self._ok(request)
        return parse_json_array(response.status, await response.aread()), response.headers

    async def _items(self, request: Request) -> list[dict[str, Any]]:
        """The DICOM JSON objects of a search or metadata answer."""
        return (await self._json(request))[0]

    async def _done(self, request: Request) -> None:
        """Send a request whose answer has no body worth reading (DELETE)."""
        response = await self._ok(request)
        await response.aclose()

    async def _bulk(
        self, request: Request, byte_range: tuple[int, int | None] | None
    ) -> list[bytes]:
        """Bulk data parts, trimmed to ``byte_range`` if the server sent everything."""
        response = await self._ok(request)
        parts: list[bytes] = []
        async with response:
            assembler = PartAssembler(response.headers)
            async for chunk in response.aiter_bytes():
                parts.extend(body for _, body in assembler.feed(chunk))
            parts.extend(body for _, body in assembler.close())
        return apply_byte_range(parts, response.status, byte_range)

    async def _parts(self, request: Request) -> AsyncIterator[tuple[Headers, bytes]]:
        response = await self._ok(request)
        async with response:
            assembler = PartAssembler(response.headers)
            async for chunk in response.aiter_bytes():
                for part in assembler.feed(chunk):
                    yield part
            for part in assembler.close():
                yield part
