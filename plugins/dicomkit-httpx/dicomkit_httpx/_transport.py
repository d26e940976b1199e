"""``HttpxTransport``: one class that is both a sync and an async dicomkit transport, on httpx.

Written only against dicomkit's public API, as any third-party backend would be. httpx is
imported when a transport is built, not when this module is imported, so the registry can list
the backend even where httpx is missing and say what to install. The ``httpx.Client`` and the
``httpx.AsyncClient`` are each opened on first use, so a sync-only user never builds the async
one and the reverse.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from dicomkit.core import AsyncTransport, Request, Response, Transport
from dicomkit.core.errors import InvalidArgumentError, TransportClosedError
from dicomkit.transports.support import (
    ClientCert,
    abody_chunks,
    afollow_redirects,
    astream_chunks,
    body_chunks,
    check_options,
    checked_headers,
    follow_redirects,
    import_library,
    ssl_option,
    stream_chunks,
)
from dicomkit_httpx._errors import translated_errors

if TYPE_CHECKING:
    import ssl

    import httpx

__all__ = ["HttpxTransport"]

_INSTALL_HINT = "the 'httpx' transport needs httpx: pip install dicomkit-httpx (or httpx)"


def _default_ca_bundle() -> str | None:
    """httpx verifies against certifi's bundle by default; keep that when adding a client cert."""
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


_Client = TypeVar("_Client", "httpx.Client", "httpx.AsyncClient")


def _usable(client: _Client, what: str) -> _Client:
    """``client``, unless it is a caller's client they have closed already."""
    if client.is_closed:
        raise TransportClosedError(f"the {what} given to this transport is closed")
    return client


def _chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body as it arrives; the decoding layers only when a Content-Encoding needs them."""
    if "Content-Encoding" in response.headers:
        return response.iter_bytes()
    return response.iter_raw()


def _achunks(response: httpx.Response) -> AsyncIterator[bytes]:
    if "Content-Encoding" in response.headers:
        return response.aiter_bytes()
    return response.aiter_raw()


class HttpxTransport(Transport, AsyncTransport):
    """Send dicomkit requests with httpx, from sync (``send``) or async (``asend``) code.

    ``client`` / ``async_client`` let the caller bring httpx clients of their own; those are
    used as they are (their TLS settings and limits apply, not ``verify``, ``cert`` and
    ``pool_maxsize``) and never closed here. ``close()`` closes the sync client we opened and
    ``aclose()`` both; after either, the transport refuses new requests. ``pool_maxsize`` is
    the number of idle keep-alive connections kept; open connections are not capped, so
    threads and tasks holding unread responses never wait for one another.
    """

    def __init__(
        self,
        *,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        verify: bool | str = True,
        cert: ClientCert = None,
        max_redirects: int = 10,
        pool_maxsize: int = 10,
        trust_env: bool = True,
    ) -> None:
        httpx = import_library("httpx", _INSTALL_HINT)
        if client is not None and not isinstance(client, httpx.Client):
            raise InvalidArgumentError("client must be an httpx.Client")
        if async_client is not None and not isinstance(async_client, httpx.AsyncClient):
            raise InvalidArgumentError("async_client must be an httpx.AsyncClient")
        check_options(verify, max_redirects, pool_maxsize, min_pool_maxsize=0)
        self._verify: bool | ssl.SSLContext = ssl_option(
            verify, cert, default_cafile=_default_ca_bundle()
        )
        self._limits = httpx.Limits(max_connections=None, max_keepalive_connections=pool_maxsize)
        self._trust_env = trust_env
        self._max_redirects = max_redirects
        self._client = client
        self._owns_client = client is None
        self._async_client = async_client
        self._owns_async_client = async_client is None
        self._lock = threading.Lock()
        self._closed = False

    def _client_options(self) -> dict[str, Any]:
        return {
            "verify": self._verify,
            "limits": self._limits,
            "trust_env": self._trust_env,
            "follow_redirects": False,
            "timeout": None,
        }

    def _open_client(self) -> httpx.Client:
        import httpx

        with self._lock:
            self._check_open()
            if self._client is None:
                self._client = httpx.Client(**self._client_options())
            return _usable(self._client, "httpx.Client")

    def _open_async_client(self) -> httpx.AsyncClient:
        import httpx

        with self._lock:
            self._check_open()
            if self._async_client is None:
                self._async_client = httpx.AsyncClient(**self._client_options())
            return _usable(self._async_client, "httpx.AsyncClient")

    def _check_open(self) -> None:
        if self._closed:
            raise TransportClosedError("the httpx transport is closed")

    def _timeout(self, request: Request) -> httpx.Timeout:
        import httpx

        timeout = request.timeout
        return httpx.Timeout(
            connect=timeout.connect, read=timeout.read, write=timeout.read, pool=None
        )

    def _build(
        self, client: httpx.Client | httpx.AsyncClient, request: Request, *, asynchronous: bool
    ) -> httpx.Request:
        headers = checked_headers(request.headers)
        content: bytes | Iterator[bytes] | AsyncIterator[bytes] | None
        if request.body is None or isinstance(request.body, bytes):
            content = request.body
        else:
            content = abody_chunks(request) if asynchronous else body_chunks(request)
            length = request.content_length
            if length is not None:
                headers.set("Content-Length", str(length))
        return client.build_request(
            request.method,
            request.url,
            headers=headers.items(),
            content=content,
            timeout=self._timeout(request),
        )

    # -- sync -----------------------------------------------------------------------------

    def send(self, request: Request) -> Response:
        client = self._open_client()
        with translated_errors():
            return follow_redirects(
                request, lambda r: self._send_once(client, r), self._max_redirects
            )

    def _send_once(self, client: httpx.Client, request: Request) -> Response:
        sent = client.send(self._build(client, request, asynchronous=False), stream=True)
        return Response(
            sent.status_code,
            sent.headers.multi_items(),
            stream=stream_chunks(_chunks(sent), translated_errors, self._closed_for(client)),
            on_close=lambda: self._close_response(sent),
            url=str(sent.url),
            request=request,
        )

    @staticmethod
    def _close_response(response: httpx.Response) -> None:
        """Return the connection to the pool, or drop it if the body was not read to the end."""
        with translated_errors():
            response.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None and self._owns_client:
            with translated_errors():
                client.close()

    # -- async ----------------------------------------------------------------------------

    async def asend(self, request: Request) -> Response:
        client = self._open_async_client()
        with translated_errors():
            return await afollow_redirects(
                request, lambda r: self._asend_once(client, r), self._max_redirects
            )

    async def _asend_once(self, client: httpx.AsyncClient, request: Request) -> Response:
        sent = await client.send(self._build(client, request, asynchronous=True), stream=True)
        return Response(
            sent.status_code,
            sent.headers.multi_items(),
            astream=astream_chunks(_achunks(sent), translated_errors, self._closed_for(client)),
            on_aclose=lambda: self._aclose_response(sent),
            url=str(sent.url),
            request=request,
        )

    def _closed_for(self, client: httpx.Client | httpx.AsyncClient) -> Callable[[], bool]:
        """Whether a failed read is explained by the transport (or the caller's client) closing."""
        return lambda: self._closed or client.is_closed

    @staticmethod
    async def _aclose_response(response: httpx.Response) -> None:
        with translated_errors():
            await response.aclose()

    async def aclose(self) -> None:
        with self._lock:
            self._closed = True
            async_client, self._async_client = self._async_client, None
            client, self._client = self._client, None
        with translated_errors():
            if async_client is not None and self._owns_async_client:
                await async_client.aclose()
            if client is not None and self._owns_client:
                client.close()

    # -- both -----------------------------------------------------------------------------

    if TYPE_CHECKING:
        # The inherited context managers, typed as this class: ``with`` gives ``send`` and
        # ``aclose``, ``async with`` gives ``asend`` and ``close`` too.
        def __enter__(self) -> HttpxTransport: ...

        async def __aenter__(self) -> HttpxTransport: ...

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<HttpxTransport {state}>"
