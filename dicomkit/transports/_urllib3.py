"""The urllib3 backend: the thinnest layer over a connection pool, and the fastest built-in one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dicomkit.core.interface import Request, Response
from dicomkit.transports import support
from dicomkit.transports._common import BuiltinOptions, BuiltinTransport
from dicomkit.transports._urllib3_errors import URLLIB3_ERRORS
from dicomkit.transports._verbatim import install, origin_target, sending

if TYPE_CHECKING:
    import urllib3
    from typing_extensions import Unpack  # annotations only: not a runtime dependency

__all__ = ["Urllib3Transport", "close_pools", "mapped_errors"]

mapped_errors = URLLIB3_ERRORS.translated
"""urllib3 and stdlib networking errors become dicomkit's; everything else passes."""


_URLOPEN: dict[str, Any] = {
    "redirect": False,
    "retries": False,
    "assert_same_host": False,
    "preload_content": False,
    "decode_content": True,
    "enforce_content_length": True,
}
"""What every ``urlopen`` asks of urllib3: dicomkit decides redirects and retries itself (and a
redirect may change host), and the body streams, decoded, its length enforced."""


class Urllib3Transport(BuiltinTransport):
    """Send requests through a ``urllib3.PoolManager``.

    Pass ``pool_manager`` to use one you own (dicomkit then never clears it, and ``verify``,
    ``cert`` and ``pool_maxsize`` are the pool's business); otherwise one is built with TLS
    verification on. Safe to share between threads.

    A pool manager dicomkit builds writes each request target exactly as dicomkit built it
    (:mod:`dicomkit.transports._verbatim`); a caller's own manager is left as it is, so urllib3
    may percent-encode characters such as ``^`` in its targets.
    """

    def __init__(
        self, *, pool_manager: urllib3.PoolManager | None = None, **options: Unpack[BuiltinOptions]
    ) -> None:
        if pool_manager is not None:
            support.refuse_session_options(options, "urllib3.PoolManager (pool_manager=)")
        super().__init__("urllib3", pool_manager, **options)
        build = self._own_pool if pool_manager is None else None
        self._pools = support.ProcessLocal("urllib3.PoolManager", build, pool_manager)
        # one ProxyManager per proxy URL, opened on first use (our pools only: a caller's
        # manager is used as it is, and may be a ProxyManager itself)
        self._proxied: support.ProcessLocal[dict[str, urllib3.PoolManager]]
        self._proxied = support.ProcessLocal("urllib3.ProxyManager", dict, None)

    @property
    def _pool(self) -> urllib3.PoolManager:
        """This process's pool manager (a forked child opens its own: ``ProcessLocal``)."""
        return self._pools.get()

    def _own_pool(self, proxy: str | None = None) -> urllib3.PoolManager:
        """A pool manager with no retries that writes request targets verbatim (through
        ``proxy`` when given: absolute-form for http://, a CONNECT tunnel for https://)."""
        tls: dict[str, Any] = {}
        if self._options.verify is not True or self._options.cert is not None:
            # else urllib3's defaults verify as ssl_context(True) would, with no context built
            tls["ssl_context"] = support.ssl_context(self._options.verify, self._options.cert)
        options: dict[str, Any] = {"maxsize": self._options.pool_maxsize, "retries": False}
        pool_manager: urllib3.PoolManager
        if proxy is None:
            pool_manager = self._library.PoolManager(num_pools=10, **options, **tls)
        else:
            pool_manager = self._library.proxy_from_url(proxy, num_pools=10, **options, **tls)
        install(pool_manager)
        return pool_manager

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        """The manager for ``url``: ours through its proxy, if any, or the caller's."""
        if not self._owned:
            return self._pool
        proxy = self._options.proxies.for_url(url)
        if proxy is None:
            return self._pool
        managers: dict[str, urllib3.PoolManager] = self._proxied.get()
        manager = managers.get(proxy)
        if manager is None:
            # no lock (one held at a fork could hang the child): a manager opens no socket
            # until used, so one built twice by racing threads costs nothing
            manager = managers.setdefault(proxy, self._own_pool(proxy))
        return manager

    def _send_once(self, request: Request) -> Response:
        self._state.check()
        urllib3 = self._library
        fields = request.headers
        if not self._owned:  # urllib3 drops the manager's own headers once a request has some
            fields = support.session_fields(fields, self._pool.headers, merge=True)
        headers = urllib3.HTTPHeaderDict()
        for name, value in fields.items():
            headers.add(name, value)
        body: Any = None
        chunked = False
        if isinstance(request.body, bytes):
            body = request.body
        elif request.body is not None:
            length = request.content_length
            if length == 0:
                body = b""
            else:
                body = support.body_chunks(request)
                if length is None:
                    chunked = True
                elif "Content-Length" not in headers:
                    headers["Content-Length"] = str(length)
        pool = self._pool_for(request.url)
        # through a proxy, plain HTTP goes in absolute form, which urllib3 encodes itself
        with mapped_errors(), support.closing_body(body), sending(origin_target(request.url)):
            timeout = urllib3.Timeout(connect=request.timeout.connect, read=request.timeout.read)
            options = {"body": body, "headers": headers, "timeout": timeout, "chunked": chunked}
            raw = pool.urlopen(request.method, request.url, **options, **_URLOPEN)
        return _streamed_response(raw, request, self._chunk_size)

    def close(self) -> None:
        if not self._state.close_once():
            return
        pool = self._pools.take()
        proxied = self._proxied.take() or {}
        with mapped_errors():
            for manager in [pool, *proxied.values()]:
                if manager is not None:
                    close_pools(manager)


def close_pools(manager: urllib3.PoolManager) -> None:
    """Close every pool now: ``PoolManager.clear()`` leaves sockets to the garbage collector."""
    pools = manager.pools
    for key in list(pools.keys()):
        pool = pools.get(key)
        if pool is not None:
            pool.close()
    manager.clear()


def _streamed_response(raw: Any, request: Request, chunk_size: int) -> Response:
    """A :class:`Response` reading urllib3's ``raw`` response in ``chunk_size`` pieces.

    A body read to the end returns its connection to the pool, one closed early drops it.
    """
    finished = False

    def chunks() -> Iterator[bytes]:
        nonlocal finished
        yield from support.stream_chunks(raw.stream(chunk_size, decode_content=True), mapped_errors)
        finished = True

    def release() -> None:
        with mapped_errors():
            if not finished:
                raw.close()
            raw.release_conn()

    return Response(
        raw.status,
        list(raw.headers.items()),
        stream=chunks(),
        on_close=release,
        url=request.url,
        request=request,
    )
