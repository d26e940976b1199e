"""Fault injection: misbehaviour that real servers show only by accident, here on demand.

Tests script it per path and per request count, for example::

    server.faults.add("/studies", status=503, retry_after=1, times=2)
    server.faults.add("/studies", cut_after=100)        # drop the connection mid-body
    server.faults.add(re.compile(r"/frames/"), malformed_multipart=True)
    server.faults.add("/studies", gzip_bomb=4 << 30)      # 4 MB of gzip inflating to 4 GiB
    server.faults.add("/studies", endless=True)           # a JSON body that never ends
"""

from __future__ import annotations

import re
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["Fault", "Faults", "endless_json_body", "gzip_bomb_body"]

_BLOCK = 1 << 20
_JSON_HEADERS = {"Content-Type": "application/dicom+json"}


def gzip_bomb_body(inflated: int) -> Iterator[bytes]:
    """A gzip stream of a JSON array padded with spaces to ``inflated`` bytes, made lazily.

    Each 1 MiB of spaces is deflated after a full flush, so every block compresses to the same
    ~1 KB: the first block is compressed once and repeated, and a 4 GiB bomb costs the server
    only the CRC of what a client actually reads.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = b" " * _BLOCK
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(b"[")
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # gzip header: deflate, no name, no mtime
    yield compressor.compress(b"[") + compressor.flush(zlib.Z_FULL_FLUSH)
    spaces = max(0, inflated - 2)
    for _ in range(spaces // _BLOCK):
        crc = zlib.crc32(block, crc)
        yield segment
    tail = b" " * (spaces % _BLOCK) + b"]"
    crc = zlib.crc32(tail, crc)
    yield compressor.compress(tail) + compressor.flush(zlib.Z_FINISH)
    yield crc.to_bytes(4, "little") + (inflated & 0xFFFFFFFF).to_bytes(4, "little")


def endless_json_body() -> Iterator[bytes]:
    """A DICOM JSON array whose objects never end: what a runaway server streams."""
    item = b'{"00080018":{"vr":"UI","Value":["1.2.3"]}},' * 1024
    yield b"["
    while True:
        yield item


@dataclass
class Fault:
    """One scripted misbehaviour; ``times=None`` keeps it active until cleared.

    A string ``path`` matches as a prefix of the request path, either the full path or the path
    below the DICOMweb root (API version and partition removed); a compiled pattern is searched
    in the full path.
    """

    path: str | re.Pattern[str] = ""
    method: str | None = None
    times: int | None = 1
    after: int = 0
    status: int | None = None
    retry_after: float | str | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    cut_after: int | None = None
    truncate_after: int | None = None
    malformed_multipart: bool = False
    stream: Callable[[], Iterator[bytes]] | None = None
    matched: int = 0
    applied: int = 0

    async def serve(
        self,
        request: web.Request,
        send: Callable[..., Awaitable[web.StreamResponse]],
        headers: dict[str, str],
    ) -> web.StreamResponse:
        """Stream :attr:`stream` with ``send`` (``_respond.send``); the client hanging up
        midway is the expected end of a bomb, not an error for the server's log."""
        from aiohttp import web

        assert self.stream is not None
        try:
            return await send(request, status=self.status, headers=headers, chunks=self.stream())
        except ConnectionError:
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=499)  # never sent: the connection is gone

    def matches(self, method: str, full_path: str, relative_path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.search(full_path) is not None
        return full_path.startswith(self.path) or relative_path.startswith(self.path)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.applied >= self.times


class Faults:
    """The scripted faults of one server; safe to change from the test's thread at any time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        path: str | re.Pattern[str] = "",
        *,
        method: str | None = None,
        times: int | None = 1,
        after: int = 0,
        status: int | None = None,
        retry_after: float | str | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        cut_after: int | None = None,
        truncate_after: int | None = None,
        malformed_multipart: bool = False,
        gzip_bomb: int | None = None,
        endless: bool = False,
    ) -> Fault:
        """Script a fault for the next ``times`` matching requests, after letting ``after`` pass.

        ``status`` answers with that status (and ``Retry-After`` when given) instead of the real
        handler; ``delay`` sleeps before answering; ``cut_after`` sends that many body bytes of
        the real answer then drops the connection; ``truncate_after`` ends a chunked body
        cleanly after that many bytes; ``malformed_multipart`` announces a boundary that the
        body never uses. ``gzip_bomb`` answers 200 with a gzip-encoded DICOM JSON body that
        inflates to that many bytes; ``endless`` answers 200 with a JSON body that never ends
        (both streamed, chunked, whatever the request asked).
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for always)")
        stream: Callable[[], Iterator[bytes]] | None = None
        headers = dict(headers or {})
        if gzip_bomb is not None:
            stream = partial(gzip_bomb_body, gzip_bomb)  # a fresh stream for every request
            headers = {**_JSON_HEADERS, "Content-Encoding": "gzip", **headers}
        elif endless:
            stream = endless_json_body
            headers = {**_JSON_HEADERS, **headers}
        if stream is not None and status is None:
            status = 200
        fault = Fault(
            path=path,
            method=method,
            times=times,
            after=after,
            status=status,
            retry_after=retry_after,
            body=body,
            headers=headers,
            delay=delay,
            cut_after=cut_after,
            truncate_after=truncate_after,
            malformed_multipart=malformed_multipart,
            stream=stream,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for fault in self._faults if not fault.exhausted)

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def take(self, method: str, full_path: str, relative_path: str) -> Fault | None:
        """The first live fault matching this request, counted as applied; None if none."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(method, full_path, relative_path):
                    continue
                fault.matched += 1
                if fault.matched <= fault.after:
                    continue
                fault.applied += 1
                return fault
        return None
