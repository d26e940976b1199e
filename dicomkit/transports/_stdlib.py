"""The stdlib backend: HTTP/1.1 on the standard library only, no third-party import.

Why it exists: a command-line process pays for every import before its first byte, and
urllib3 (with requests on top) costs more start-up than a whole small download; an embedder
may also want a backend with no HTTP dependency at all. It is as correct as the others: the
shared contract suite runs against it (tests/transports/test_contract_stdlib.py).

How it stays fast: ``http.client`` only connects HTTPS and proxied connections (the proxy's
CONNECT tunnel, TLS; see :mod:`dicomkit.transports._stdlib_pool`, loaded with the first
request), so a plain-HTTP process never imports it. The head is written here in one piece,
the answer's head is read by :mod:`dicomkit.transports._wire`, and a body without chunked
coding is read straight from the socket's buffered reader into the bytes handed out.
Everything around the library (options, checks, TLS contexts, proxies, request bodies, the
closed flag, redirects, error translation) is the public :mod:`dicomkit.transports.support`
toolkit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dicomkit.core import errors
from dicomkit.core.interface import Request, Response
from dicomkit.transports import support
from dicomkit.transports._checks import _TOKEN  # the one token grammar (RFC 9110 5.6.2)
from dicomkit.transports._common import BuiltinOptions, BuiltinTransport
from dicomkit.transports._urllib3_errors import after_connect_table

if TYPE_CHECKING:
    import ssl

    from typing_extensions import Unpack  # annotations only: not a runtime dependency

    from dicomkit.transports._stdlib_pool import Connection, ConnectionPool, Route
    from dicomkit.transports._wire import WireAnswer

__all__ = ["CONNECT_ERRORS", "EXCHANGE_ERRORS", "StdlibTransport", "mapped_errors"]


def _connect_table() -> support.ErrorTable:
    """What connecting raises (TCP, the proxy's CONNECT, the TLS handshake): nothing was sent
    yet, so every failure there is a failure to connect; TLS errors stay ``TLSError`` (the
    standard library's table, by the nearer ancestor)."""
    import http.client

    return {
        TimeoutError: errors.ConnectTimeout,
        ConnectionError: errors.ConnectError,
        http.client.HTTPException: errors.ConnectError,  # a proxy's answer to CONNECT, cut
        UnicodeError: errors.InvalidArgumentError,  # a host name with no IDNA form
        OSError: errors.ConnectError,  # "Tunnel connection failed: 407 ..."
    }


def _exchange_table() -> support.ErrorTable:
    """What sending and reading raise once connected: the kinds shared with urllib3's escaped
    errors, and a ``Content-Encoding`` that does not decode."""
    import zlib

    from dicomkit.transports._wire import BrokenAnswer

    return {
        **after_connect_table(),
        zlib.error: errors.ProtocolError,
        BrokenAnswer: errors.ConnectionLostError,
    }


CONNECT_ERRORS = support.ExceptionTranslator("http.client", _connect_table)
"""Translates what opening a connection raises (a timeout there is ``ConnectTimeout``)."""

EXCHANGE_ERRORS = support.ExceptionTranslator("http.client", _exchange_table)
"""Translates what a request and its answer raise once connected (a timeout is
``ReadTimeout``; ``IncompleteRead``, ``RemoteDisconnected``, ``BadStatusLine`` and
``LineTooLong`` are ``ConnectionLostError``, as through urllib3)."""

mapped_errors = EXCHANGE_ERRORS.translated
"""Standard library networking errors after connecting become dicomkit's."""

_NO_LENGTH_METHODS = frozenset({"GET", "HEAD", "DELETE", "TRACE", "OPTIONS", "CONNECT"})
"""Methods sent without ``Content-Length: 0`` when they have no body (urllib3's rule)."""
_JOIN_LIMIT = 64 * 1024
"""A bytes body up to this size goes out in the same ``sendall`` as the head."""
_ROUTES_KEPT = 256


class StdlibTransport(BuiltinTransport):
    """Send requests with the standard library only (``socket``; ``http.client`` and ``ssl`` for
    HTTPS and proxies, ``zlib`` for gzip).

    Sync only (the standard library has no async HTTP client). Keeps up to ``pool_maxsize``
    idle keep-alive connections per (scheme, host, port, proxy); safe to share between
    threads and across ``os.fork()``. Takes the common options and ``chunk_size``; there is no
    caller's session to pass.
    """

    def __init__(self, **options: Unpack[BuiltinOptions]) -> None:
        super().__init__("http.client", None, **options)
        self._pools: support.ProcessLocal[ConnectionPool]
        self._pools = support.ProcessLocal("http.client connection pool", self._new_pool)
        self._routes: dict[tuple[str, str | None], Route] = {}
        self._tls: ssl.SSLContext | None = None

    def _new_pool(self) -> ConnectionPool:
        from dicomkit.transports._stdlib_pool import ConnectionPool

        return ConnectionPool(self._options.pool_maxsize)

    def _tls_context(self) -> ssl.SSLContext:
        """This transport's TLS settings, built for its first HTTPS connection (threads racing
        there may build two: identical, and cheaper than a lock that a fork could strand)."""
        context = self._tls
        if context is None:
            context = self._tls = support.ssl_context(self._options.verify, self._options.cert)
        return context

    def _route(self, url: str) -> tuple[Route, str]:
        """Where ``url`` goes (cached per origin and proxy) and its request target."""
        origin, rest = _split(url)
        proxy = self._options.proxies.for_url(url)
        found = self._routes.get((origin, proxy))
        if found is None:
            from dicomkit.transports._stdlib_pool import route

            with CONNECT_ERRORS.translated():
                found = route(url, proxy)
            if len(self._routes) >= _ROUTES_KEPT:
                self._routes.clear()
            self._routes[(origin, proxy)] = found
        if found.absolute:  # plain HTTP through a proxy: the whole URL
            return found, _wire_target(url.partition("#")[0])
        target = rest.partition("#")[0]
        return found, _wire_target(target if target.startswith("/") else "/" + target)

    def _send_once(self, request: Request) -> Response:
        self._state.check()
        if not _TOKEN.fullmatch(request.method):  # no request line injected
            raise errors.InvalidArgumentError(f"invalid HTTP method {request.method!r}")
        pool = self._pools.get()
        route, target = self._route(request.url)
        content: Any = None
        chunked = False
        length = request.content_length
        if isinstance(request.body, bytes):
            content = request.body
        elif request.body is not None:
            content = support.body_chunks(request)
            # chunked coding unless the length is known, or framing was set by the caller
            framed = "Content-Length" in request.headers or "Transfer-Encoding" in request.headers
            chunked = length is None and not framed
        head = _head(request, route, target, chunked)
        with support.closing_body(content):
            connection = pool.take(route.key) or self._connect(route, request)
            try:
                with mapped_errors():
                    sock: Any = connection.sock
                    sock.settimeout(request.timeout.read)
                    answer, sent = _exchange(sock, head, content, chunked, length, request.method)
            except BaseException:
                connection.close()
                raise
        return _response(request, answer, pool, route, connection, sent, self._chunk_size)

    def _connect(self, route: Route, request: Request) -> Connection:
        """A new connection for ``route``, connected within ``Timeout.connect``."""
        from dicomkit.transports._stdlib_pool import connection_for

        connection = connection_for(route.key, request.timeout.connect, self._tls_context)
        try:
            with CONNECT_ERRORS.translated():
                connection.connect()
        except BaseException:
            connection.close()
            raise
        return connection

    def close(self) -> None:
        if not self._state.close_once():
            return
        pool = self._pools.take()
        if pool is not None:
            with mapped_errors():
                pool.close()


def _split(url: str) -> tuple[str, str]:
    """``scheme://authority`` and the rest (path, query, fragment) of a checked URL."""
    start = url.find("//") + 2
    end = len(url)
    for mark in "/?#":
        found = url.find(mark, start, end)
        if found != -1:
            end = found
    return url[:end], url[end:]


def _wire_target(target: str) -> str:
    """``target`` as sent: unchanged when it is printable ASCII (dicomkit's URL builder makes
    it so, and it must reach the server byte for byte), else with the other characters
    percent-encoded as UTF-8, as urllib3 would."""
    if target.isascii() and target.isprintable() and " " not in target:
        return target
    from urllib.parse import quote

    return "".join(c if "!" <= c <= "~" else quote(c, safe="") for c in target)


def _head(request: Request, route: Route, target: str, chunked: bool) -> bytes:
    """The request line and header fields, as one block of bytes.

    ``Host`` and ``Accept-Encoding: identity`` unless the request has its own (as
    ``http.client`` adds them), ``Proxy-Authorization`` for plain HTTP through a proxy with
    credentials, and the body's framing: ``Content-Length`` when known (``0`` for an empty
    body, and for POST, PUT and PATCH without one), ``Transfer-Encoding: chunked`` otherwise.
    """
    fields = request.headers
    lines = [f"{request.method} {target} HTTP/1.1"]
    if "Host" not in fields:
        lines.append(f"Host: {route.host_field}")
    lines.extend(f"{name}: {value}" for name, value in fields.items())
    if "Accept-Encoding" not in fields:
        lines.append("Accept-Encoding: identity")
    lines.extend(f"{name}: {value}" for name, value in route.proxy_fields)
    if "Content-Length" not in fields and "Transfer-Encoding" not in fields:
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        elif request.body is not None:
            lines.append(f"Content-Length: {request.content_length}")
        elif request.method not in _NO_LENGTH_METHODS:
            lines.append("Content-Length: 0")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("latin-1")


def _exchange(
    sock: Any, head: bytes, content: Any, chunked: bool, length: int | None, method: str
) -> tuple[WireAnswer, bool]:
    """Send the request on ``sock`` and read the answer's head; True when all was sent.

    A server may answer and close before reading the whole body (413, 401): a broken pipe or
    reset while sending is then not the result, the answer is (urllib3 does the same), and a
    failure to read it is.
    """
    from dicomkit.transports._wire import read_answer

    sent = True
    try:
        if content is None or (isinstance(content, bytes) and len(content) <= _JOIN_LIMIT):
            sock.sendall(head + content if content else head)
        else:
            sock.sendall(head)
            if isinstance(content, bytes):
                sock.sendall(content)
            else:
                _send_stream(sock.sendall, content, chunked, length)
    except (BrokenPipeError, ConnectionResetError):
        sent = False
    return read_answer(sock, method), sent


def _send_stream(sendall: Any, chunks: Iterator[bytes], chunked: bool, length: int | None) -> None:
    """Send each chunk as the source yields it (chunked transfer coding when ``chunked``).

    A source that gives other than the ``length`` it declared is refused before a byte too
    many goes out: the server would take the extra bytes for a next request (and answer it on
    a connection we would reuse), or wait for the missing ones until a timeout.
    """
    if not chunked:
        left = length
        for chunk in chunks:
            if left is not None:
                left -= len(chunk)
                if left < 0:
                    break
            sendall(chunk)
        if left:
            raise errors.InvalidArgumentError(
                f"the request body's source gave {'more' if left < 0 else 'fewer'} bytes than "
                f"the {length} its length declared"
            )
        return
    for chunk in chunks:
        if not chunk:
            continue
        if len(chunk) <= _JOIN_LIMIT:
            sendall(b"%X\r\n%b\r\n" % (len(chunk), chunk))
        else:
            sendall(b"%X\r\n" % len(chunk))
            sendall(chunk)
            sendall(b"\r\n")
    sendall(b"0\r\n\r\n")


def _response(
    request: Request,
    answer: WireAnswer,
    pool: ConnectionPool,
    route: Route,
    connection: Connection,
    sent: bool,
    chunk_size: int,
) -> Response:
    """A :class:`Response` streaming ``answer``; its connection goes back to ``pool`` when the
    body was read to the end and the server keeps it open, else it is closed."""
    finished = False
    pieces = _body(answer, chunk_size)
    coding = (answer.getheader("Content-Encoding") or "").strip().lower()
    if coding in _DECODERS and answer.length != 0:
        from dicomkit.transports._stdlib_decode import decoded

        pieces = decoded(pieces, coding, chunk_size)

    def chunks() -> Iterator[bytes]:
        nonlocal finished
        yield from support.stream_chunks(pieces, mapped_errors)
        finished = True

    def release() -> None:
        with mapped_errors():
            answer.close()
            if finished and sent and not answer.will_close and connection.sock is not None:
                pool.give(route.key, connection)
            else:
                connection.close()

    return Response(
        answer.status,
        answer.headers,
        stream=chunks(),
        on_close=release,
        url=request.url,
        request=request,
    )


_DECODERS = frozenset({"gzip", "x-gzip", "deflate"})


def _body(answer: WireAnswer, size: int) -> Iterator[bytes]:
    """``answer``'s body in pieces of ``size`` bytes (the last one shorter); returns only once
    the body is complete (a cut raises ``BrokenAnswer``: ``ConnectionLostError``).

    Without chunked coding each piece is one ``read(size)`` of the socket's buffered reader,
    which receives straight into the bytes object handed out (the ``readinto`` of the piece
    itself: no second copy, no buffer to shrink). Full pieces, as urllib3's ``stream()``
    reads them, stream twice as fast as one ``read1`` (one ``recv``) per piece: those were
    half as large on loopback, and each was allocated at full size, then shrunk.
    """
    length = answer.length
    if length == 0:
        return
    if answer.chunked:
        yield from answer.chunks(size)
        return
    read = answer.fp.read
    if length is None:  # the body ends when the server closes the connection
        while piece := read(size):
            yield piece
        return
    while length:
        piece = read(size if length > size else length)
        if not piece:
            from dicomkit.transports._wire import BrokenAnswer

            raise BrokenAnswer(
                f"the connection closed with {length} bytes of the answer's body still to come"
            )
        length -= len(piece)
        yield piece
