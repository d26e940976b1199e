"""The stdlib backend's connections, kept alive in a pool.

Plain HTTP without a proxy is a :class:`~dicomkit.transports._wire.PlainConnection` (a TCP
socket). ``http.client.HTTPConnection`` is used, for the rest only, for what it does well:
the CONNECT tunnel through a proxy (``set_tunnel``) and the TLS handshake; it is imported
then, so that a plain-HTTP process never loads it (nor ``ssl`` and ``email``, which it
imports). Requests are then written on the connection's socket and answers read with
:func:`~dicomkit.transports._wire.read_answer` (in :mod:`dicomkit.transports._stdlib`),
without a request state machine: dicomkit builds the whole head itself, so each connection
can go back to a :class:`ConnectionPool` once its answer was read to the end.
"""

from __future__ import annotations

import base64
import select
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

from dicomkit.transports._wire import PlainConnection

if TYPE_CHECKING:
    import ssl

__all__ = ["Connection", "ConnectionPool", "Route", "connection_for", "dropped", "route"]


class Connection(Protocol):
    """What the pool and the backend use of a connection: ``http.client``'s or ours."""

    sock: socket.socket | None

    def connect(self) -> None: ...

    def close(self) -> None: ...


class Route(NamedTuple):
    """Where one origin's requests go: the pool key, and what the head needs (a named tuple:
    a frozen dataclass would cost this module's import a millisecond more).

    ``key`` is (scheme, host, port, proxy URL or None); ``host_field`` the ``Host`` value;
    ``absolute`` whether the request target is the whole URL (plain HTTP through a proxy);
    ``proxy_fields`` the ``Proxy-Authorization`` field such a request carries, if any.
    """

    key: tuple[str, str, int, str | None]
    host_field: str
    absolute: bool
    proxy_fields: tuple[tuple[str, str], ...]


def _host_field(host: str, port: int, default_port: int) -> str:
    """``Host`` as http.client writes it: IPv6 in brackets, IDNA for a non-ASCII name, the
    port only when it is not the scheme's."""
    if ":" in host:
        host = f"[{host}]"
    elif not host.isascii():
        host = host.encode("idna").decode("ascii")
    return host if port == default_port else f"{host}:{port}"


def _proxy_authorization(proxy: str) -> tuple[tuple[str, str], ...]:
    """``Proxy-Authorization: Basic ...`` for a proxy URL with credentials, else nothing."""
    parts = urlsplit(proxy)
    if parts.username is None:
        return ()
    secret = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return (("Proxy-Authorization", "Basic " + base64.b64encode(secret).decode("ascii")),)


def route(url: str, proxy: str | None) -> Route:
    """The :class:`Route` of an absolute http(s) URL (already checked) through ``proxy``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    default_port = 443 if scheme == "https" else 80
    host = parts.hostname or ""
    port = parts.port or default_port
    absolute = proxy is not None and scheme == "http"
    fields = _proxy_authorization(proxy) if absolute and proxy is not None else ()
    return Route(
        (scheme, host, port, proxy), _host_field(host, port, default_port), absolute, fields
    )


def connection_for(
    key: tuple[str, str, int, str | None],
    timeout: float | None,
    tls: Callable[[], ssl.SSLContext],
) -> Connection:
    """A connection for ``key``, not yet connected: ``connect()`` it within ``timeout``.

    Through a proxy, plain HTTP connects to the proxy (the request target is then absolute)
    and HTTPS tunnels to the origin with CONNECT, TLS running inside the tunnel.
    """
    scheme, host, port, proxy = key
    if proxy is None and scheme == "http":
        return PlainConnection(host, port, timeout)
    import http.client

    if proxy is None:
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=tls())
    parts = urlsplit(proxy)
    proxy_host, proxy_port = parts.hostname or "", parts.port or 80
    if scheme == "http":
        return PlainConnection(proxy_host, proxy_port, timeout)
    connection = http.client.HTTPSConnection(proxy_host, proxy_port, timeout=timeout, context=tls())
    # IDNA here: before 3.12, http.client writes the CONNECT line's host as ASCII or fails
    tunnel_host = host if host.isascii() else host.encode("idna").decode("ascii")
    connection.set_tunnel(tunnel_host, port, headers=dict(_proxy_authorization(proxy)))
    return connection


def dropped(connection: Connection) -> bool:
    """Whether an idle connection is unusable: closed by us, or readable, which for a
    connection with no request in flight means the server closed it (or sent bytes that
    belong to no answer). The check urllib3 makes before reusing a connection."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True
    except AttributeError:  # no poll() on this platform
        return bool(select.select([sock], [], [], 0)[0])


class ConnectionPool:
    """Idle keep-alive connections by route key, at most ``maxsize`` kept per key.

    Thread-safe: a connection is taken out by one request and given back (or closed) when its
    answer is done, so no two threads ever share one. Held by the transport in a
    ``support.ProcessLocal``, so that a forked child builds a pool of its own.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._idle: dict[tuple[str, str, int, str | None], list[Connection]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def take(self, key: tuple[str, str, int, str | None]) -> Connection | None:
        """An idle connection for ``key`` that is still usable, or None (open a new one)."""
        while True:
            with self._lock:
                idle = self._idle.get(key)
                if not idle:
                    return None
                connection = idle.pop()
            if not dropped(connection):
                return connection
            connection.close()

    def give(self, key: tuple[str, str, int, str | None], connection: Connection) -> None:
        """Keep ``connection`` for the next request to ``key``, or close it when the pool is
        closed or already holds ``maxsize`` idle ones for that key."""
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if not self._closed and len(idle) < self._maxsize:
                idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Close every idle connection now; connections given back later are closed too."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()
