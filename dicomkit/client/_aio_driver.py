"""The running half of the client: transport, authentication, retries, and one exchange runner.

The asyncio driver is the source; scripts/unasync.py generates the blocking one from it. Every
operation reaches the server through :meth:`AsyncDriver._exchange_items`: send with
authentication and retries, hand the answer's head to the exchange, feed it the body chunk by
chunk, close it, and send again while the exchange has a next request.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from dicomkit.client._base import ClientBase, raise_transport_failure
from dicomkit.client._io_async import call_back, offload, sleep, write_pieces
from dicomkit.core.errors import (
    DicomkitError,
    HTTPError,
    InvalidArgumentError,
    ProtocolError,
    StoreError,
    TokenEndpointError,
    TransportError,
)
from dicomkit.core.interface import AsyncTransport, Headers, Request, Response
from dicomkit.core.operations import with_headers
from dicomkit.files import BYTES_RECEIVED, Progress
from dicomkit.transports.support import MAX_PIECE

if TYPE_CHECKING:
    from dicomkit.config import ClientSettings
    from dicomkit.core import multipart
    from dicomkit.core.operations import Exchange, PartStreamExchange, Sink, WrittenPart
    from dicomkit.core.query import ExtraParams
    from dicomkit.core.stow import StowItem
    from dicomkit.core.stow_response import StoreResult

__all__ = ["AsyncDriver"]

_Self = TypeVar("_Self", bound="AsyncDriver")
_P = ParamSpec("_P")
_I = TypeVar("_I")
_R = TypeVar("_R")

OFFLOAD_BYTES = 4 << 20
"""Joining or parsing this many bytes takes milliseconds: ``_heavy`` offloads it from this size
up (to a worker thread under asyncio; blocking code simply runs it)."""

SINK_BATCH = 1 << 20
"""Received bytes that may wait for their sink's writes: one worker-thread hop under asyncio
covers this many, not every piece; memory stays at this plus one piece, whatever the part."""


class AsyncDriver(ClientBase):
    """Owns the transport and runs exchanges with authentication and retries."""

    def __init__(self, settings: ClientSettings) -> None:
        super().__init__(
            settings,
            asynchronous=True,  # unasync: sync=asynchronous=False,
        )
        transport = settings.transport
        self.transport: AsyncTransport
        if isinstance(transport, AsyncTransport):
            self.transport, self._owns_transport = transport, False
        else:
            self.transport, self._owns_transport = self._resolve_transport(transport)

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
        from dicomkit._logging import log_attempt, watch  # loaded with the first request

        started = time.monotonic()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            sent = time.monotonic()
            try:  # a token endpoint that cannot be reached is retried like the request
                auth_headers = await self.auth.aheaders(self.transport) if self.auth else {}
                response = await self.transport.asend(with_headers(request, auth_headers))
            except (TransportError, TokenEndpointError) as exc:
                delay = self._retry_delay(attempt, request, started, error=exc)
                log_attempt(self.retry, request, attempt, delay, sent=sent, error=exc)
                if delay is None:
                    raise_transport_failure(request, exc, attempt)
                await sleep(delay)
                continue
            response = watch(response, request, attempt, sent)
            if response.status == 401 and not refreshed:
                refreshed = True
                if await self._renewed(response, auth_headers):
                    attempt -= 1
                    continue
            delay = self._retry_delay(attempt, request, started, response=response)
            log_attempt(self.retry, request, attempt, delay, sent=sent, status=response.status)
            if delay is None:
                return response
            await response.aclose()
            await sleep(delay)

    async def _renewed(self, response: Response, failed_headers: Mapping[str, str]) -> bool:
        """After a 401: whether the auth got new credentials to send again with; the 401 answer
        is closed then, and also when renewing fails (it must not hold its connection)."""
        if self.auth is None:
            return False
        try:
            renewed = await self.auth.arefresh(self.transport, failed_headers)
        except BaseException:
            await response.aclose()
            raise
        if renewed:
            await response.aclose()
        return renewed

    # -- running exchanges ---------------------------------------------------------------------

    async def _exchange_items(self, exchange: Exchange[_I, Any]) -> AsyncGenerator[_I, None]:
        """Run ``exchange`` to its end, yielding its items as the body arrives."""
        from dicomkit.core.operations import Step

        while not exchange.done:
            response = await self._send(exchange.request)
            async with response:
                step = exchange.start(response.status, response.headers)
                if step is Step.REJECT:
                    raise await self._rejection(exchange, response)
                if step is Step.READ:
                    received = BYTES_RECEIVED.get()
                    async for chunk in response.aiter_bytes():
                        if received is not None:
                            received(len(chunk))
                        for item in await self._work(exchange, exchange.feed, chunk):
                            yield item
                    for item in await self._work(exchange, exchange.close):
                        yield item

    @classmethod
    async def _work(cls, exchange: Exchange[Any, Any], work: Callable[..., _R], *args: bytes) -> _R:
        """``work(*args)`` of ``exchange``, which may join or parse what it holds."""
        size = exchange.pending + sum(len(chunk) for chunk in args)
        return await cls._heavy(size, work, *args)

    @staticmethod
    async def _heavy(size: int, work: Callable[..., _R], *args: Any) -> _R:
        """``work(*args)`` over ``size`` bytes, through ``offload`` from OFFLOAD_BYTES up (under
        asyncio a worker thread, so the event loop never waits for it); inline below, where a
        thread hop per part (hundreds for a series) costs more than the parse it moves."""
        if size < OFFLOAD_BYTES:
            return work(*args)
        return await offload(work, *args)

    async def _rejection(self, exchange: Exchange[Any, Any], response: Response) -> DicomkitError:
        """The error of a refused answer, from at most ERROR_BODY_LIMIT bytes of its body."""
        from dicomkit.core.operations import ERROR_BODY_LIMIT

        kept = bytearray()
        async for chunk in response.aiter_bytes():
            kept += chunk
            if len(kept) >= ERROR_BODY_LIMIT:
                break
        body = bytes(kept[:ERROR_BODY_LIMIT])
        return self._explained(exchange.error(response.status, response.headers, body))

    async def _stream(
        self, build: Callable[_P, Exchange[_I, Any]], *args: _P.args, **kwargs: _P.kwargs
    ) -> AsyncGenerator[_I, None]:
        """The items of the exchange ``build(*args, **kwargs)``; its arguments are checked at
        the first item, so a bad one surfaces there in both clients alike."""
        async for item in self._exchange_items(build(*args, **kwargs)):
            yield item

    async def _run(
        self, build: Callable[_P, Exchange[Any, _R]], *args: _P.args, **kwargs: _P.kwargs
    ) -> _R:
        """The result of the exchange ``build(*args, **kwargs)``, its answer read whole."""
        exchange = build(*args, **kwargs)
        async for _ in self._exchange_items(exchange):
            pass
        return await self._work(exchange, exchange.result)

    # -- STOW-RS and files ---------------------------------------------------------------------

    async def _store_batch(
        self,
        items: Sequence[StowItem],
        study: str | None,
        confirm: bool = True,
        extra_params: ExtraParams = None,
    ) -> StoreResult | StoreError:
        """The StoreResult of one STOW-RS request, or the StoreError saying what failed.

        Each instance is first made fit for the wire (Implicit VR Little Endian re-encoded,
        big endian refused: PS3.18 8.7.3), in a worker thread since it reads every head.
        A request that broke when the server may have stored some of it is, with ``confirm``,
        settled per instance by a QIDO-RS lookup (``_confirm``) instead of raising; that
        lookup goes without the STOW-RS request's ``extra_params``, a vendor's STOW parameters.
        """
        from dicomkit.core.held import maybe_stored
        from dicomkit.core.stow import wire_ready_all

        items = await offload(wire_ready_all, items)
        try:
            return await self._run(self._stow_exchange, items, study, extra_params)
        except StoreError as exc:
            return exc
        except (TransportError, ProtocolError, HTTPError) as exc:
            if not (confirm and maybe_stored(exc)):
                raise
            return await self._confirm(items, study, exc)

    async def _confirm(
        self, items: Sequence[StowItem], study: str | None, error: DicomkitError
    ) -> StoreResult | StoreError:
        """A batch whose request broke without an answer, settled by asking the server which
        of its instances it holds (core/held.py). When that cannot be asked (a lookup that
        fails, an instance whose UID is unknown), ``error`` is raised: the outcome is unknown.
        """
        from dicomkit.client._confirm import batch_sop_uids
        from dicomkit.core.held import HeldExchange, confirmed

        uids = await offload(batch_sop_uids, items)
        if uids is None:
            raise error
        try:
            held = await self._run(HeldExchange, self.exchanges, uids, study)
        except DicomkitError:
            raise error from error.__cause__
        return confirmed(uids, held, error)

    async def _store_outcome(
        self, items: Sequence[StowItem], study: str | None, duplicates: str = "present"
    ) -> StoreResult | DicomkitError:
        """One folder batch's result; a refused, unreadable or lost batch is returned, not raised.

        A connection lost (after retries) mid-batch is settled per file by ``_store_batch``'s
        lookup; the error comes back only when that lookup failed too (the folder report then
        says "outcome unknown"). The other batches are still sent, so the report says exactly
        what reached the server. Instances already on the server are settled by
        ``duplicates`` (core/stow.py decides).
        """
        from dicomkit.core.stow import settle_duplicates

        try:
            outcome = await self._store_batch(items, study)
        except (HTTPError, InvalidArgumentError, TransportError, ProtocolError) as exc:
            return exc
        result = outcome.result if isinstance(outcome, StoreError) else outcome
        return settle_duplicates(result, duplicates)

    async def _download(
        self,
        events: AsyncGenerator[list[multipart.Event], None],
        output_folder: str | os.PathLike[str],
        progress: Progress | None,
    ) -> list[Path]:
        """Write part events to files through ``offload``; the folder is made at the first.

        ``progress`` runs here, in the caller's thread (the event loop's, in the async client).
        On any failure the unfinished file is removed and the answer closed at once.
        """
        from dicomkit.files.download import PartFileWriter

        writer: PartFileWriter | None = None
        try:
            async for batch in events:
                if writer is None:
                    writer = await offload(PartFileWriter.create, output_folder)
                done = len(writer.written)
                await offload(writer.feed, batch)
                if progress is not None:
                    for count in range(done + 1, len(writer.written) + 1):
                        progress(count, None)
        except BaseException:
            if writer is not None:
                await offload(writer.abort)
            raise
        finally:
            await events.aclose()
        return [] if writer is None else list(dict.fromkeys(writer.written))

    async def _write_parts(
        self,
        exchange: PartStreamExchange,
        sink: Sink | None = None,
        sinks: Callable[[Headers], Sink] | None = None,
    ) -> list[WrittenPart]:
        """Stream each part's body to ``sink``, or to the sink ``sinks(headers)`` makes when the
        part starts, as it arrives: one ``write`` per received piece (cut to MAX_PIECE when a
        backend decoded a larger one), in order, at most SINK_BATCH bytes waiting for them.
        The parts written whole, in order.

        Any failure (an answer refused or cut short, a sink's own error) raises at once: the
        part being written has no WrittenPart and no later part starts. Sinks are never
        closed: they are the caller's (docs/usage.md, "Streaming huge parts").
        """
        if sinks is not None and not callable(sinks):
            raise InvalidArgumentError("sinks is a callable that takes a part's headers")
        from dicomkit.core import multipart
        from dicomkit.core.operations import WrittenPart, writer_of

        write = writer_of(sink) if sinks is None else _nowhere
        done: list[WrittenPart] = []
        target, headers, size = sink, Headers(), 0
        pieces: list[bytes] = []
        waiting = 0
        items = self._exchange_items(exchange)
        try:
            async for events in items:
                for event in events:
                    if type(event) is multipart.PartData:
                        pieces += _bounded_pieces(event.data)
                        waiting += len(event.data)
                        if waiting < SINK_BATCH:
                            continue
                    await write_pieces(write, pieces)
                    size, pieces, waiting = size + waiting, [], 0
                    if type(event) is multipart.PartStart:
                        headers, size = event.headers, 0
                        if sinks is not None:
                            target = await call_back(sinks, headers)
                            write = writer_of(target)
                    elif type(event) is multipart.PartEnd:
                        done.append(WrittenPart(headers, size, target))
        finally:
            await items.aclose()
        return done


def _bounded_pieces(data: bytes) -> list[bytes]:
    """``data`` in pieces of at most MAX_PIECE bytes: a backend that decodes a compressed answer
    may hand out more at once (httpx inflating Orthanc's gzip), a sink never gets more."""
    if len(data) <= MAX_PIECE:
        return [data]
    return [data[start : start + MAX_PIECE] for start in range(0, len(data), MAX_PIECE)]


def _nowhere(data: bytes) -> None:
    """The writer before a part starts: the decoder hands out no bytes outside a part."""
