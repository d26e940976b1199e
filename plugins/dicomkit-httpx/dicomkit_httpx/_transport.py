"""``HttpxTransport``: one class that is both a sync and an async dicomkit transport, on httpx.

Written only against dicomkit's public API, as any third-party backend would be. httpx is
imported when a transport is built, not when this module is imported, so the registry can list
the backend even where httpx is missing and say what to install. The ``httpx.Client`` and the
``httpx.AsyncClient`` are each opened on first use, so a sync-only user never builds the async
one and the reverse.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from dicomkit.core import AsyncTransport, Request, Response, Transport
from dicomkit.core.errors import InvalidArgumentError, TransportClosedError
from dicomkit.transports.support import (
    MAX_PIECE,
    ClosedFlag,
    Content,
    ProcessLocal,
    Proxies,
    TransportOptions,
    aclose_body,
    afollow_redirects,
    astream_chunks,
    closing_body,
    common_options,
    follow_redirects,
    import_library,
    refuse_session_options,
    request_content,
    session_fields,
    ssl_option,
    stream_chunks,
)
from dicomkit_httpx._errors import translated_errors

if TYPE_CHECKING:
    import ssl

    import httpx
    from typing_extensions import Unpack

__all__ = ["HttpxTransport"]

_INSTALL_HINT = "the 'httpx' transport needs httpx: pip install dicomkit-httpx (or httpx)"


def _default_ca_bundle() -> str | None:
    """httpx verifies against certifi's bundle by default; keep that when adding a client cert."""
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def _cut(chunk: bytes) -> Iterator[bytes]:
    """A chunk larger than ``MAX_PIECE`` as pieces of ``MAX_PIECE`` (the last one shorter)."""
    view = memoryview(chunk)
    for start in range(0, len(view), MAX_PIECE):
        yield bytes(view[start : start + MAX_PIECE])


def _within_bound(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` cut to ``MAX_PIECE`` where one is larger (a gzip piece decoded, a caller's
    transport reading more): the pieces of a larger read, handed out at once."""
    for chunk in chunks:
        if len(chunk) <= MAX_PIECE:
            yield chunk
        else:
            yield from _cut(chunk)


async def _awithin_bound(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """:func:`_within_bound` for an async stream."""
    async for chunk in chunks:
        for piece in _cut(chunk) if len(chunk) > MAX_PIECE else (chunk,):
            yield piece


def _read_already(sent: httpx.Response) -> bool:
    """Whether httpx holds ``sent``'s whole body already, its stream consumed: so it does for
    a response built with ``content=`` (``httpx.MockTransport`` handlers return those), and
    ``iter_raw`` would then raise ``StreamConsumed``."""
    import httpx

    try:
        sent.content  # noqa: B018 - the property raises ResponseNotRead for an unread body
    except httpx.ResponseNotRead:
        return False
    return True


_Client = TypeVar("_Client", "httpx.Client", "httpx.AsyncClient")


class _ClientSlot(Generic[_Client]):
    """One httpx client of the transport: the caller's, or ours, opened on first use (and
    again in a forked child: ``ProcessLocal``)."""

    def __init__(
        self,
        client: _Client | None,
        kind: type[_Client],
        option: str,
        options: dict[str, Any],
        transport: Callable[[], Any],
    ) -> None:
        if client is not None and not isinstance(client, kind):
            raise InvalidArgumentError(f"{option} must be an httpx.{kind.__name__}")
        self.kind: type[_Client] = kind
        self.owned = client is None

        def build() -> _Client:
            # pools of its own for every client built (a forked child's too)
            return kind(**options, transport=transport())

        self._local: ProcessLocal[_Client] = ProcessLocal(
            f"httpx.{kind.__name__}", build if client is None else None, client
        )

    def open(self) -> _Client:
        """The client, built if need be; refused once a caller closed theirs."""
        client = self._local.get()
        if client.is_closed:
            raise TransportClosedError(
                f"the httpx.{self.kind.__name__} given to this transport is closed"
            )
        return client

    def take_owned(self) -> _Client | None:
        """Forget the client; return it when it is ours to close."""
        return self._local.take()


_Route = TypeVar("_Route", "httpx.BaseTransport", "httpx.AsyncBaseTransport")


class _Routes(Generic[_Route]):
    """httpx connection pools by proxy: each request goes through the one its URL asks for
    (``Proxies.for_url``, the same decision as every other backend), each opened on first use.

    httpx takes one proxy per client (and reads the environment its own way), so our client
    gets this as its ``transport=``; httpx then reads no proxy variable itself. Each pool is a
    :mod:`dicomkit_httpx._pools` transport: httpx's own, reading 256 KiB at a time.
    """

    def __init__(self, make: Callable[[str | None], _Route], proxies: Proxies) -> None:
        self._make: Callable[[str | None], _Route] = make
        self._proxies = proxies
        self._made: dict[str | None, _Route] = {}

    def pick(self, url: str) -> _Route:
        proxy = self._proxies.for_url(url)
        route = self._made.get(proxy)
        if route is None:  # a pool opens no connection until used: a race costs nothing
            route = self._made.setdefault(proxy, self._make(proxy))
        return route

    def routes(self) -> list[_Route]:
        return list(self._made.values())


class _SyncRouter(_Routes["httpx.BaseTransport"]):
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.pick(str(request.url)).handle_request(request)

    def __enter__(self) -> _SyncRouter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for route in self.routes():
            route.close()


class _AsyncRouter(_Routes["httpx.AsyncBaseTransport"]):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.pick(str(request.url)).handle_async_request(request)

    async def __aenter__(self) -> _AsyncRouter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for route in self.routes():
            await route.aclose()


class HttpxTransport(Transport, AsyncTransport):
    """Send dicomkit requests with httpx, from sync (``send``) or async (``asend``) code.

    ``client`` / ``async_client`` let the caller bring httpx clients of their own; those are
    used as they are (their TLS settings and limits apply, not ``verify``, ``cert`` and
    ``pool_maxsize``: the common :class:`~dicomkit.transports.support.TransportOptions`) and
    never closed here. ``close()`` closes the sync client we opened and
    ``aclose()`` both; after either, the transport refuses new requests. ``pool_maxsize`` is
    the number of idle keep-alive connections kept; open connections are not capped, so
    threads and tasks holding unread responses never wait for one another.
    """

    def __init__(
        self,
        *,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        trust_env: bool | None = None,
        **options: Unpack[TransportOptions],
    ) -> None:
        httpx = import_library("httpx", _INSTALL_HINT)
        if client is not None or async_client is not None:
            given = "httpx.Client (client=)"
            if client is None:
                given = "httpx.AsyncClient (async_client=)"
            refuse_session_options(options, given, trust_env=trust_env)
        checked = common_options(options, min_pool_maxsize=0)
        verified: bool | ssl.SSLContext = ssl_option(
            checked.verify, checked.cert, default_cafile=_default_ca_bundle()
        )
        keepalive = checked.pool_maxsize
        proxies = checked.proxies
        if trust_env is False and not proxies.given:
            proxies = Proxies(None, environment=False)
        connections: dict[str, Any] = {
            "verify": verified,
            "limits": httpx.Limits(max_connections=None, max_keepalive_connections=keepalive),
            "trust_env": True if trust_env is None else trust_env,
        }
        self._client_options: dict[str, Any] = {"follow_redirects": False, "timeout": None}

        from dicomkit_httpx._pools import AsyncWideReadTransport, WideReadTransport

        def sync_route(proxy: str | None) -> Any:
            return WideReadTransport(proxy=proxy, **connections)

        def async_route(proxy: str | None) -> Any:
            return AsyncWideReadTransport(proxy=proxy, **connections)

        def sync_router() -> _SyncRouter:
            return _SyncRouter(sync_route, proxies)

        def async_router() -> _AsyncRouter:
            return _AsyncRouter(async_route, proxies)

        shared = self._client_options
        self._sync = _ClientSlot(client, httpx.Client, "client", shared, sync_router)
        self._async = _ClientSlot(
            async_client, httpx.AsyncClient, "async_client", shared, async_router
        )
        self._max_redirects = checked.max_redirects
        self._state = ClosedFlag("httpx")

    def _open(self, slot: _ClientSlot[_Client]) -> _Client:
        # No lock of ours (one held at a fork could hang the child): the slot's ProcessLocal
        # serialises opening against close, and refuses to open once closed.
        self._state.check()
        return slot.open()

    def _build(
        self, client: httpx.Client | httpx.AsyncClient, request: Request, *, asynchronous: bool
    ) -> tuple[httpx.Request, Content]:
        """The httpx request, and its body to close once sent (see ``close_body``)."""
        import httpx

        headers, content = request_content(request, asynchronous=asynchronous)
        slot = self._async if asynchronous else self._sync
        if not slot.owned:
            stock = f"python-httpx/{httpx.__version__}"
            auth = client.auth is not None
            headers = session_fields(headers, client.headers, session_auth=auth, stock_agent=stock)
        timeout = request.timeout
        return client.build_request(
            request.method,
            request.url,
            headers=headers.items(),
            content=content,
            timeout=httpx.Timeout(
                connect=timeout.connect, read=timeout.read, write=timeout.read, pool=None
            ),
        ), content

    def _answer(
        self, sent: httpx.Response, request: Request, client: httpx.Client | httpx.AsyncClient
    ) -> Response:
        """A dicomkit :class:`Response` streaming ``sent`` in ``client``'s flavour, sync or async.

        A read that fails once the transport (or the caller's client) was closed says so; the
        close returns the connection to the pool, or drops it if the body was not read to the
        end.
        """

        def closed() -> bool:
            return self._state.closed or client.is_closed

        async def aclose() -> None:
            with translated_errors():
                await sent.aclose()

        def close() -> None:
            with translated_errors():
                sent.close()

        # httpx's decoding layers only when needed; and a body read already (a caller's
        # transport answering httpx.Response(200, content=...): httpx reads it when built) has
        # no raw stream left, only the bytes it kept, which iter_bytes hands out.
        decoded = "Content-Encoding" in sent.headers or _read_already(sent)
        # Our pools read at most MAX_PIECE, and one h11 event holds at most one read: raw pieces
        # from them are within the bound as they come, with no check per piece.
        asynchronous = isinstance(client, self._async.kind)
        unbounded = decoded or not (self._async if asynchronous else self._sync).owned
        body: dict[str, Any]
        if asynchronous:
            chunks = sent.aiter_bytes() if decoded else sent.aiter_raw()
            if unbounded:
                chunks = _awithin_bound(chunks)
            body = {
                "astream": astream_chunks(chunks, translated_errors, closed),
                "on_aclose": aclose,
            }
        else:
            raw = sent.iter_bytes() if decoded else sent.iter_raw()
            if unbounded:
                raw = _within_bound(raw)
            body = {"stream": stream_chunks(raw, translated_errors, closed), "on_close": close}
        headers = sent.headers.multi_items()
        return Response(sent.status_code, headers, url=str(sent.url), request=request, **body)

    # -- sync -----------------------------------------------------------------------------

    def send(self, request: Request) -> Response:
        client = self._open(self._sync)
        with translated_errors():
            return follow_redirects(
                request, lambda r: self._send_once(client, r), self._max_redirects
            )

    def _send_once(self, client: httpx.Client, request: Request) -> Response:
        built, content = self._build(client, request, asynchronous=False)
        with closing_body(content):
            sent = client.send(built, stream=True)
        return self._answer(sent, request, client)

    def close(self) -> None:
        self._state.close_once()
        client = self._sync.take_owned()
        if client is not None:
            with translated_errors():
                client.close()

    # -- async ----------------------------------------------------------------------------

    async def asend(self, request: Request) -> Response:
        client = self._open(self._async)
        with translated_errors():
            return await afollow_redirects(
                request, lambda r: self._asend_once(client, r), self._max_redirects
            )

    async def _asend_once(self, client: httpx.AsyncClient, request: Request) -> Response:
        built, content = self._build(client, request, asynchronous=True)
        try:
            sent = await client.send(built, stream=True)
        finally:
            await aclose_body(content)
        return self._answer(sent, request, client)

    async def aclose(self) -> None:
        self._state.close_once()
        async_client = self._async.take_owned()
        client = self._sync.take_owned()
        with translated_errors():
            if async_client is not None:
                await async_client.aclose()
            if client is not None:
                client.close()

    def __repr__(self) -> str:
        state = "closed" if self._state.closed else "open"
        return f"<HttpxTransport {state}>"
