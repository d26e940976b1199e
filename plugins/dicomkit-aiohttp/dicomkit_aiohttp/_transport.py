"""``AiohttpTransport``: dicomkit's :class:`~dicomkit.core.AsyncTransport` on an aiohttp session.

Written only against dicomkit's public API, as any third-party backend would be. aiohttp is
imported when a transport is built, not when this module is imported, so the registry can list
the backend even where aiohttp is missing and say what to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dicomkit.core import AsyncTransport, Request, Response
from dicomkit.core.errors import InvalidArgumentError, TransportClosedError
from dicomkit.transports.support import (
    ClosedFlag,
    ProcessLocal,
    Proxies,
    TransportOptions,
    aclose_body,
    afollow_redirects,
    astream_chunks,
    common_options,
    import_library,
    refuse_session_options,
    request_content,
    session_fields,
    ssl_option,
)
from dicomkit_aiohttp._errors import translated_errors

if TYPE_CHECKING:
    import ssl

    import aiohttp
    from typing_extensions import Unpack

__all__ = ["CHUNK_SIZE", "AiohttpTransport"]

CHUNK_SIZE = 256 * 1024
"""Largest response chunk handed to the caller: aiohttp's read buffer size, so one chunk is what
one read brought in. Smaller ones are handed over as they arrive, never waited for."""

_INSTALL_HINT = "the 'aiohttp' transport needs aiohttp: pip install dicomkit-aiohttp (or aiohttp)"


class AiohttpTransport(AsyncTransport):
    """Send dicomkit requests with aiohttp; bodies stream both ways.

    ``session`` lets the caller bring an ``aiohttp.ClientSession`` of their own, which is then
    used as it is (its connector's TLS settings and limits apply, not ``verify``, ``cert`` and
    ``pool_maxsize``: the common :class:`~dicomkit.transports.support.TransportOptions`) and
    never closed here. Otherwise a session is opened on the first request
    (aiohttp binds it to the running event loop) and closed by :meth:`aclose`.
    ``pool_maxsize`` caps open connections; it defaults to 100 so that 100 concurrent requests
    each holding an unread response never wait for one another.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        trust_env: bool | None = None,
        **options: Unpack[TransportOptions],
    ) -> None:
        library = import_library("aiohttp", _INSTALL_HINT)
        if session is not None:
            if not isinstance(session, library.ClientSession):
                raise InvalidArgumentError("session must be an aiohttp.ClientSession")
            refuse_session_options(options, "aiohttp.ClientSession (session=)", trust_env=trust_env)
        checked = common_options(options, pool_maxsize=100)
        self._ssl: bool | ssl.SSLContext = ssl_option(checked.verify, checked.cert)
        self._max_redirects = checked.max_redirects
        self._pool_maxsize = checked.pool_maxsize
        self._trust_env = bool(trust_env)
        self._proxies = checked.proxies
        if trust_env is False and not self._proxies.given:
            self._proxies = Proxies(None, environment=False)
        build = self._new_session if session is None else None
        self._sessions: ProcessLocal[aiohttp.ClientSession]
        self._sessions = ProcessLocal("aiohttp.ClientSession", build, session)
        self._state = ClosedFlag("aiohttp")

    def _new_session(self) -> aiohttp.ClientSession:
        """Our session, opened on the first request (aiohttp binds it to the running loop)."""
        import aiohttp

        connector = aiohttp.TCPConnector(limit=self._pool_maxsize, ssl=self._ssl)
        return aiohttp.ClientSession(connector=connector, trust_env=self._trust_env)

    def _open_session(self) -> aiohttp.ClientSession:
        self._state.check()
        session = self._sessions.get()
        if session.closed:
            raise TransportClosedError("the aiohttp session given to this transport is closed")
        return session

    async def asend(self, request: Request) -> Response:
        session = self._open_session()
        with translated_errors():
            return await afollow_redirects(
                request, lambda r: self._send_once(session, r), self._max_redirects
            )

    async def _send_once(self, session: aiohttp.ClientSession, request: Request) -> Response:
        import aiohttp
        from yarl import URL

        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=request.timeout.connect, sock_read=request.timeout.read
        )
        headers, data = request_content(request, asynchronous=True)
        if not self._sessions.owned:
            auth = session.auth is not None
            headers = session_fields(headers, session.headers, session_auth=auth)
        # statuses are dicomkit's to judge: a session's raise_for_status=True does not apply
        options: dict[str, Any] = {"raise_for_status": False}
        if self._sessions.owned:  # a caller's session chooses its proxies itself (trust_env)
            options["proxy"] = self._proxies.for_url(request.url)
        if "Content-Type" not in headers:
            options["skip_auto_headers"] = ("Content-Type",)
        try:
            url = URL(request.url, encoded=True)
            # yarl checks the host and port lazily: ask now, so a bad URL fails here.
            complete = url.host is not None and url.port is not None
        except ValueError as exc:
            raise InvalidArgumentError(f"invalid URL {request.url!r}: {exc}") from exc
        if not complete:
            raise InvalidArgumentError(f"not an absolute http(s) URL: {request.url!r}")
        try:
            response = await session.request(
                request.method,
                url,
                headers=headers.items(),
                data=data,
                timeout=timeout,
                allow_redirects=False,
                **options,
            )
        except BaseException:
            # aiohttp stops reading a body it failed to send; once it answered, it may still
            # be sending (an answer before the whole upload), so the body is its to finish.
            await aclose_body(data)
            raise
        return Response(
            response.status,
            list(response.headers.items()),
            astream=astream_chunks(
                response.content.iter_chunked(CHUNK_SIZE),
                translated_errors,
                # aiohttp raises a bare RuntimeError once its session is gone
                closed=lambda: self._state.closed or session.closed,
            ),
            on_aclose=lambda: self._release(response),
            url=str(response.url),
            request=request,
        )

    async def _release(self, response: aiohttp.ClientResponse) -> None:
        """Return the connection to the pool, or close it if the body was not read to the end."""
        with translated_errors():
            response.release()

    async def aclose(self) -> None:
        if not self._state.close_once():
            return
        session = self._sessions.take()
        if session is not None:
            with translated_errors():
                await session.close()

    def __repr__(self) -> str:
        state = "closed" if self._state.closed else "open"
        return f"<AiohttpTransport {state}>"
