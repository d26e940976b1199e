"""An in-memory transport for client unit tests: a handler function plays the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

from dicomkit.core.interface import AsyncTransport, Headers, Request, Response, Transport

Answer = tuple[int, dict[str, str], bytes]
Handler = Callable[[Request, bytes], Answer]


@dataclass
class Seen:
    """A request as the fake server received it, body included."""

    request: Request
    body: bytes


@dataclass
class FakeTransport(Transport, AsyncTransport):
    """Calls ``handler(request, body)`` for every request; streams the answer in small chunks."""

    handler: Handler
    chunk: int = 7
    seen: list[Seen] = field(default_factory=list)
    closed: bool = False

    def _answer(self, request: Request) -> tuple[int, Headers, bytes]:
        body = b"".join(request.iter_body())
        self.seen.append(Seen(request, body))
        status, headers, payload = self.handler(request, body)
        return status, Headers(headers), payload

    def _chunks(self, payload: bytes) -> Iterator[bytes]:
        for start in range(0, len(payload), self.chunk):
            yield payload[start : start + self.chunk]

    def send(self, request: Request) -> Response:
        status, headers, payload = self._answer(request)
        return Response(status, headers, stream=self._chunks(payload), request=request)

    async def asend(self, request: Request) -> Response:
        status, headers, payload = self._answer(request)

        async def stream() -> AsyncIterator[bytes]:
            for chunk in self._chunks(payload):
                yield chunk

        return Response(status, headers, astream=stream(), request=request)

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True
