# Generated from dicomkit/client/_aio_driver.py by scripts/unasync.py.
# Do not edit: change the async source and run `python scripts/unasync.py`.
"""The running half of the client: transport, authentication, retries, and one exchange runner.

The asyncio driver is the source; scripts/unasync.py generates the blocking one from it. Every
operation reaches the server through :meth:`SyncDriver._exchange_items`: send with
authentication and retries, hand the answer's head to the exchange, feed it the body chunk by
chunk, close it, and send again while the exchange has a next request.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from dicomkit.client._base import ClientBase, raise_transport_failure
from dicomkit.client._io_sync import call_back, offload, sleep, write_pieces
from dicomkit.core.errors import (
    DicomkitError,
    HTTPError,
    InvalidArgumentError,
    ProtocolError,
    StoreError,
    TokenEndpointError,
    TransportError,
)
from dicomkit.core.interface import Headers, Request, Response, Transport
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

__all__ = ["SyncDriver"]

_Self = TypeVar("_Self", bound="SyncDriver")
_P = ParamSpec("_P")
_I = TypeVar("_I")
_R = TypeVar("_R")

OFFLOAD_BYTES = 4 << 20
"""Joining or parsing this many bytes takes milliseconds: ``_heavy`` offloads it from this size
up (to a worker thread under asyncio; blocking code simply runs it)."""

SINK_BATCH = 1 << 20
"""Received bytes that may wait for their sink's writes: one worker-thread hop under asyncio
covers this many, not every piece; memory stays at this plus one piece, whatever the part."""


class SyncDriver(ClientBase):
    """Owns the transport and runs exchanges with authentication and retries."""

    def __init__(self, settings: ClientSettings) -> None:
        super().__init__(
            settings,
            asynchronous=False,
        )
        transport = settings.transport
        self.transport: Transport
        if isinstance(transport, Transport):
            self.transport, self._owns_transport = transport, False
        else:
            self.transport, self._owns_transport = self._resolve_transport(transport)

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
        from dicomkit._logging import log_attempt, watch  # loaded with the first request

        started = time.monotonic()
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            sent = time.monotonic()
            try:  # a token endpoint that cannot be reached is retried like the request
                auth_headers = self.auth.headers(self.transport) if self.auth else {}
                response = self.transport.send(with_headers(request, auth_headers))
            except (TransportError, TokenEndpointError) as exc:
                delay = self._retry_delay(attempt, request, started, error=exc)
                log_attempt(self.retry, request, attempt, delay, sent=sent, error=exc)
                if delay is None:
                    raise_transport_failure(request, exc, attempt)
                sleep(delay)
                continue
            response = watch(response, request, attempt, sent)
            if response.status == 401 and not refreshed:
                refreshed = True
                if self._renewed(response, auth_headers):
                    attempt -= 1
                    continue
            delay = self._retry_delay(attempt, request, started, response=response)
            log_attempt(self.retry, request, attempt, delay, sent=sent, status=response.status)
            if delay is None:
                return response
            response.close()
            sleep(delay)

    def _renewed(self, response: Response, failed_headers: Mapping[str, str]) -> bool:
        """After a 401: whether the auth got new credentials to send again with; the 401 answer
        is closed then, and also when renewing fails (it must not hold its connection)."""
        if self.auth is None:
            return False
        try:
            renewed = self.auth.refresh(self.transport, failed_headers)
        except BaseException:
            response.close()
            raise
        if renewed:
            response.close()
        return renewed

    # -- running exchanges ---------------------------------------------------------------------

    def _exchange_items(self, exchange: Exchange[_I, Any]) -> Generator[_I, None]:
        """Run ``exchange`` to its end, yielding its items as the body arrives."""
        from dicomkit.core.operations import Step

        while not exchange.done:
            response = self._send(exchange.request)
            with response:
                step = exchange.start(response.status, response.headers)
                if step is Step.REJECT:
                    raise self._rejection(exchange, response)
                if step is Step.READ:
                    received = BYTES_RECEIVED.get()
                    for chunk in response.iter_bytes():
                        if received is not None:
                            received(len(chunk))
                        for item in self._work(exchange, exchange.feed, chunk):
                            yield item
                    for item in self._work(exchange, exchange.close):
                        yield item

    @classmethod
    def _work(cls, exchange: Exchange[Any, Any], work: Callable[..., _R], *args: bytes) -> _R:
        """``work(*args)`` of ``exchange``, which may join or parse what it holds."""
        size = exchange.pending + sum(len(chunk) for chunk in args)
        return cls._heavy(size, work, *args)

    @staticmethod
    def _heavy(size: int, work: Callable[..., _R], *args: Any) -> _R:
        """``work(*args)`` over ``size`` bytes, through ``offload`` from OFFLOAD_BYTES up (under
        asyncio a worker thread, so the event loop never waits for it); inline below, where a
        thread hop per part (hundreds for a series) costs more than the parse it moves."""
        if size < OFFLOAD_BYTES:
            return work(*args)
        return offload(work, *args)

    def _rejection(self, exchange: Exchange[Any, Any], response: Response) -> DicomkitError:
        """The error of a refused answer, from at most ERROR_BODY_LIMIT bytes of its body."""
        from dicomkit.core.operations import ERROR_BODY_LIMIT

        kept = bytearray()
        for chunk in response.iter_bytes():
            kept += chunk
            if len(kept) >= ERROR_BODY_LIMIT:
                break
        body = bytes(kept[:ERROR_BODY_LIMIT])
        return self._explained(exchange.error(response.status, response.headers, body))

    def _stream(
        self, build: Callable[_P, Exchange[_I, Any]], *args: _P.args, **kwargs: _P.kwargs
    ) -> Generator[_I, None]:
        """The items of the exchange ``build(*args, **kwargs)``; its arguments are checked at
        the first item, so a bad one surfaces there in both clients alike."""
        yield from self._exchange_items(build(*args, **kwargs))

    def _run(
        self, build: Callable[_P, Exchange[Any, _R]], *args: _P.args, **kwargs: _P.kwargs
    ) -> _R:
        """The result of the exchange ``build(*args, **kwargs)``, its answer read whole."""
        exchange = build(*args, **kwargs)
        for _ in self._exchange_items(exchange):
            pass
        return self._work(exchange, exchange.result)

    # -- STOW-RS and files ---------------------------------------------------------------------

    def _store_batch(
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

        items = offload(wire_ready_all, items)
        try:
            return self._run(self._stow_exchange, items, study, extra_params)
        except StoreError as exc:
            return exc
        except (TransportError, ProtocolError, HTTPError) as exc:
            if not (confirm and maybe_stored(exc)):
                raise
            return self._confirm(items, study, exc)

    def _confirm(
        self, items: Sequence[StowItem], study: str | None, error: DicomkitError
    ) -> StoreResult | StoreError:
        """A batch whose request broke without an answer, settled by asking the server which
        of its instances it holds (core/held.py). When that cannot be asked (a lookup that
        fails, an instance whose UID is unknown), ``error`` is raised: the outcome is unknown.
        """
        from dicomkit.client._confirm import batch_sop_uids
        from dicomkit.core.held import HeldExchange, confirmed

        uids = offload(batch_sop_uids, items)
        if uids is None:
            raise error
        try:
            held = self._run(HeldExchange, self.exchanges, uids, study)
        except DicomkitError:
            raise error from error.__cause__
        return confirmed(uids, held, error)

    def _store_outcome(
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
            outcome = self._store_batch(items, study)
        except (HTTPError, InvalidArgumentError, TransportError, ProtocolError) as exc:
            return exc
        result = outcome.result if isinstance(outcome, StoreError) else outcome
        return settle_duplicates(result, duplicates)

    def _download(
        self,
        events: Generator[list[multipart.Event], None],
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
            for batch in events:
                if writer is None:
                    writer = offload(PartFileWriter.create, output_folder)
                done = len(writer.written)
                offload(writer.feed, batch)
                if progress is not None:
                    for count in range(done + 1, len(writer.written) + 1):
                        progress(count, None)
        except BaseException:
            if writer is not None:
                offload(writer.abort)
            raise
        finally:
            events.close()
        return [] if writer is None else list(dict.fromkeys(writer.written))

    def _write_parts(
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
            for events in items:
                for event in events:
                    if type(event) is multipart.PartData:
                        pieces += _bounded_pieces(event.data)
                        waiting += len(event.data)
                        if waiting < SINK_BATCH:
                            continue
                    write_pieces(write, pieces)
                    size, pieces, waiting = size + waiting, [], 0
                    if type(event) is multipart.PartStart:
                        headers, size = event.headers, 0
                        if sinks is not None:
                            target = call_back(sinks, headers)
                            write = writer_of(target)
                    elif type(event) is multipart.PartEnd:
                        done.append(WrittenPart(headers, size, target))
        finally:
            items.close()
        return done


def _bounded_pieces(data: bytes) -> list[bytes]:
    """``data`` in pieces of at most MAX_PIECE bytes: a backend that decodes a compressed answer
    may hand out more at once (httpx inflating Orthanc's gzip), a sink never gets more."""
    if len(data) <= MAX_PIECE:
        return [data]
    return [data[start : start + MAX_PIECE] for start in range(0, len(data), MAX_PIECE)]


def _nowhere(data: bytes) -> None:
    """The writer before a part starts: the decoder hands out no bytes outside a part."""
