"""httpx transports whose connections read up to 256 KiB at a time, where httpcore reads 64 KiB.

A study download spends most of its time above the socket: every read goes through h11's
parser, httpcore's and httpx's stream layers and dicomkit's decoder, so the read size sets the
number of trips (issue 19: 1.34x curl's time at 64 KiB). ``httpx.HTTPTransport`` offers no way
to change it, but both libraries have public seams for this: httpx takes any
``httpx.BaseTransport`` as ``transport=``, and httpcore's pools take a ``network_backend=``.
So these transports build the pools ``httpx.HTTPTransport`` would (same TLS context, limits
and proxy), on a backend whose streams are asked for :data:`READ_SIZE` bytes per read,
and build the TLS context only once an ``https://`` URL needs it.

A read returns what the socket has (up to that size), never waits for more, so answers still
stream; one h11 ``Data`` event holds at most one read, which keeps pieces within
``support.MAX_PIECE``. httpcore's exceptions become httpx's, as ``httpx.HTTPTransport`` does.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import httpcore
import httpx

from dicomkit.transports.support import MAX_PIECE

__all__ = ["READ_SIZE", "AsyncWideReadTransport", "WideReadTransport"]

READ_SIZE = MAX_PIECE
"""Bytes asked of the socket per read: the largest piece a dicomkit backend hands out."""

_SHARED_ERRORS = (
    "ConnectTimeout",
    "ReadTimeout",
    "WriteTimeout",
    "PoolTimeout",
    "TimeoutException",
    "ConnectError",
    "ReadError",
    "WriteError",
    "NetworkError",
    "ProxyError",
    "UnsupportedProtocol",
    "LocalProtocolError",
    "RemoteProtocolError",
    "ProtocolError",
)
"""Exception classes httpcore and httpx both define under the same name (httpx's own map)."""

_ERRORS: dict[type[BaseException], type[httpx.HTTPError]] = {
    getattr(httpcore, name): getattr(httpx, name) for name in _SHARED_ERRORS
}


@contextlib.contextmanager
def _httpx_errors() -> Iterator[None]:
    """Raise httpcore's errors as httpx's class of the same name, the original as the cause."""
    try:
        yield
    except Exception as exc:
        for kind in type(exc).__mro__:  # the most specific mapped class first
            mapped = _ERRORS.get(kind)
            if mapped is not None:
                raise mapped(str(exc)) from exc
        raise


# -- network streams that read more at a time --------------------------------------------------


class _WideStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(READ_SIZE, timeout)  # whatever httpcore asked (64 KiB)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _WideStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _WideBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, its streams wrapped in :class:`_WideStream`."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _WideStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _WideStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _AsyncWideStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._stream.read(READ_SIZE, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        return _AsyncWideStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _AsyncWideBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend (asyncio, or trio through anyio), streams wrapped."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _AsyncWideStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_unix_socket(path, timeout, socket_options)
        return _AsyncWideStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


# -- the pools, as httpx.HTTPTransport builds them ------------------------------------------------


class _Pools:
    """The httpcore pools of one route (direct, or through one proxy): one for ``http://``
    targets and one for ``https://`` ones, each built on first use.

    Only the TLS pool gets an SSL context: building one (loading the CA bundle) costs about
    0.1 s, which ``httpx.HTTPTransport`` pays when it is built even if every URL is plain HTTP.
    """

    def __init__(
        self,
        kinds: tuple[Any, Any],
        backend: Callable[[], Any],
        *,
        verify: bool | ssl.SSLContext,
        trust_env: bool,
        limits: httpx.Limits,
        proxy: str | None,
    ) -> None:
        self._options: dict[str, Any] = {
            "max_connections": limits.max_connections,
            "max_keepalive_connections": limits.max_keepalive_connections,
            "keepalive_expiry": limits.keepalive_expiry,
        }
        self._kind = kinds[0]
        if proxy is not None:  # only http:// proxies reach here (support.Proxies)
            via = httpx.Proxy(url=proxy)
            url = via.url
            self._kind = kinds[1]
            self._options["proxy_url"] = httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            )
            self._options["proxy_auth"] = via.raw_auth
            self._options["proxy_headers"] = via.headers.raw
        self._backend = backend
        self._verify = verify
        self._trust_env = trust_env
        self._made: dict[bool, Any] = {}

    def for_url(self, url: httpx.URL) -> Any:
        tls = url.scheme == "https"
        pool = self._made.get(tls)
        if pool is None:  # a pool opens no connection until used: a race costs nothing
            pool = self._made.setdefault(tls, self._build(tls))
        return pool

    def _build(self, tls: bool) -> Any:
        context = None
        if tls:
            context = httpx.create_ssl_context(verify=self._verify, trust_env=self._trust_env)
        return self._kind(**self._options, ssl_context=context, network_backend=self._backend())

    def made(self) -> list[Any]:
        return list(self._made.values())


def _core_request(request: httpx.Request) -> httpcore.Request:
    url = request.url
    return httpcore.Request(
        method=request.method,
        url=httpcore.URL(
            scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
        ),
        headers=request.headers.raw,
        content=request.stream,
        extensions=request.extensions,
    )


class _Body(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _httpx_errors():
            yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            with _httpx_errors():
                close()


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for piece in self._stream:
                yield piece

    async def aclose(self) -> None:
        aclose = getattr(self._stream, "aclose", None)
        if aclose is not None:
            with _httpx_errors():
                await aclose()


class _PoolOwner:
    """The constructor both transports share: ``httpx.HTTPTransport``'s settings dicomkit uses."""

    _kinds: tuple[Any, Any]
    _backend: Callable[[], Any]

    def __init__(
        self,
        *,
        verify: bool | ssl.SSLContext,
        trust_env: bool,
        limits: httpx.Limits,
        proxy: str | None = None,
    ) -> None:
        self._pools = _Pools(
            self._kinds,
            type(self)._backend,
            verify=verify,
            trust_env=trust_env,
            limits=limits,
            proxy=proxy,
        )


class WideReadTransport(_PoolOwner, httpx.BaseTransport):
    """``httpx.HTTPTransport(verify=, trust_env=, limits=, proxy=)`` reading :data:`READ_SIZE`."""

    _kinds = (httpcore.ConnectionPool, httpcore.HTTPProxy)
    _backend = _WideBackend

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        pool: httpcore.ConnectionPool = self._pools.for_url(request.url)
        with _httpx_errors():
            answer = pool.handle_request(_core_request(request))
        assert isinstance(answer.stream, Iterable)  # httpcore's sync pools stream so
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=_Body(answer.stream),
            extensions=answer.extensions,
        )

    def close(self) -> None:
        with _httpx_errors():
            for pool in self._pools.made():
                pool.close()


class AsyncWideReadTransport(_PoolOwner, httpx.AsyncBaseTransport):
    """``httpx.AsyncHTTPTransport(...)`` reading :data:`READ_SIZE` per read."""

    _kinds = (httpcore.AsyncConnectionPool, httpcore.AsyncHTTPProxy)
    _backend = _AsyncWideBackend

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pool: httpcore.AsyncConnectionPool = self._pools.for_url(request.url)
        with _httpx_errors():
            answer = await pool.handle_async_request(_core_request(request))
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=_AsyncBody(answer.stream),
            extensions=answer.extensions,
        )

    async def aclose(self) -> None:
        with _httpx_errors():
            for pool in self._pools.made():
                await pool.aclose()
