"""The requests backend, dicomkit's default: it honours what requests users already configure.

A caller-owned ``requests.Session`` keeps its adapters, proxies, CA bundle and mounts; dicomkit
only turns off requests' own redirect handling (redirects go through
:mod:`dicomkit.core.redirects`) and reads bodies straight from urllib3 so nothing is buffered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dicomkit.core import errors
from dicomkit.core.interface import Headers, Request, Response
from dicomkit.transports import support
from dicomkit.transports._common import BuiltinOptions, BuiltinTransport
from dicomkit.transports._urllib3_errors import urllib3_table, wrapped_error
from dicomkit.transports._verbatim import install, origin_target, sending

if TYPE_CHECKING:
    import requests
    from typing_extensions import Unpack  # annotations only: not a runtime dependency

__all__ = ["REQUESTS_ERRORS", "RequestsTransport", "mapped_errors", "requests_table"]


def requests_table() -> support.ErrorTable:
    """Every exception class of ``requests.exceptions`` and the dicomkit error it becomes."""
    from requests import exceptions as e

    return {
        e.ConnectTimeout: errors.ConnectTimeout,
        e.ReadTimeout: errors.ReadTimeout,
        e.Timeout: errors.TimeoutError,
        e.SSLError: errors.TLSError,
        e.ProxyError: errors.ConnectError,
        e.ConnectionError: errors.ConnectError,
        e.ChunkedEncodingError: errors.ConnectionLostError,
        e.ContentDecodingError: errors.ProtocolError,
        e.TooManyRedirects: errors.TooManyRedirectsError,
        e.InvalidProxyURL: errors.InvalidArgumentError,
        e.InvalidURL: errors.InvalidArgumentError,
        e.InvalidSchema: errors.InvalidArgumentError,
        e.MissingSchema: errors.InvalidArgumentError,
        e.URLRequired: errors.InvalidArgumentError,
        e.InvalidHeader: errors.InvalidArgumentError,
        e.JSONDecodeError: errors.ProtocolError,
        e.InvalidJSONError: errors.InvalidArgumentError,
        e.StreamConsumedError: errors.TransportClosedError,
        e.RetryError: errors.TransportError,
        e.UnrewindableBodyError: errors.TransportError,
        e.HTTPError: errors.TransportError,
        e.RequestException: errors.TransportError,
        e.FileModeWarning: errors.TransportError,
        e.RequestsDependencyWarning: errors.TransportError,
        e.RequestsWarning: errors.TransportError,
    }


REQUESTS_ERRORS = support.ExceptionTranslator(
    "requests", lambda: {**urllib3_table(), **requests_table()}, unwrap=wrapped_error
)
"""requests wraps urllib3's errors (``ConnectionError(MaxRetryError(NewConnectionError))``);
the wrapped error decides when it is the more precise one, as the translator's ``unwrap`` says."""

mapped_errors = REQUESTS_ERRORS.translated
"""requests, urllib3 and stdlib networking errors become dicomkit's; everything else passes."""


class RequestsTransport(BuiltinTransport):
    """Send requests through a ``requests.Session``.

    Pass ``session`` to use one you own: dicomkit never closes it, and its own ``verify``,
    ``cert``, proxies and adapters apply. Otherwise a session is built with TLS verification
    on, no retries and no cookie jar (a transport only moves bytes). Safe to share between
    threads.

    The request target is written exactly as dicomkit built it (``^`` stays ``^``) through a
    session dicomkit builds. A caller's session is used through its own ``request()`` and
    adapters, which may percent-encode such characters (:mod:`dicomkit.transports._verbatim`).
    """

    def __init__(
        self, *, session: requests.Session | None = None, **options: Unpack[BuiltinOptions]
    ) -> None:
        if session is not None:
            support.refuse_session_options(options, "requests.Session (session=)")
        super().__init__("requests", session, **options)
        build = self._own_session if session is None else None
        self._sessions = support.ProcessLocal("requests.Session", build, session)
        # ``verify`` and ``cert`` are given per request, because requests lets
        # REQUESTS_CA_BUNDLE override session.verify; only for our own session (a caller's
        # keeps its own settings).
        self._environment: dict[str, dict[str, Any]] = {}

    @property
    def _session(self) -> requests.Session:
        """This process's session (a forked child opens its own, see ``support.ProcessLocal``)."""
        return self._sessions.get()

    def _own_session(self) -> requests.Session:
        """A session with no retries and no cookie jar (a transport only moves bytes)."""
        from http.cookiejar import DefaultCookiePolicy  # loaded by requests already

        library = self._library
        session: requests.Session = library.Session()
        adapter = library.adapters.HTTPAdapter(
            pool_connections=10, pool_maxsize=self._options.pool_maxsize, max_retries=0
        )
        install(adapter.poolmanager)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        return session

    def _send_once(self, request: Request) -> Response:
        self._state.check()
        fields = request.headers if self._owned else self._with_callers_session(request.headers)
        headers: dict[str, str] = {}
        for name, value in fields.items():
            # requests keeps one value per name; a repeated field is sent as one list.
            folded = next((key for key in headers if key.lower() == name.lower()), name)
            headers[folded] = f"{headers[folded]}, {value}" if folded in headers else value
        data: Any = None
        if isinstance(request.body, bytes):
            data = request.body
        elif request.body is not None:
            data = b"" if request.content_length == 0 else support.SizedBody(request)
        timeout = (request.timeout.connect, request.timeout.read)
        with mapped_errors(), support.closing_body(data):
            if self._owned:
                prepared = self._prepare(request.method, request.url, headers, data)
                answer = self._send_own(request, prepared, timeout)
            else:
                # A caller's Session subclass may override request() (OAuth, caching): use it.
                answer = self._session.request(
                    request.method,
                    request.url,
                    headers=headers,
                    data=data,
                    stream=True,
                    allow_redirects=False,
                    timeout=timeout,
                    # dicomkit's Authorization as sent: not replaced by credentials from .netrc
                    auth=_as_sent if "Authorization" in fields else None,
                    # a request's hooks replace the session's: keep theirs, ours last
                    hooks={"response": [*self._session.hooks["response"], _hide_location]},
                )
        return Response(
            answer.status_code,
            # urllib3's headers keep every field a server repeated; requests' merge them
            list(answer.raw.headers.items()),
            stream=support.stream_chunks(answer.iter_content(self._chunk_size), mapped_errors),
            on_close=lambda: _close(answer),
            url=request.url,
            request=request,
        )

    def _with_callers_session(self, headers: Headers) -> Headers:
        """``headers`` under the one rule for a caller's session (``support.session_fields``)."""
        session = self._session
        defaults = {
            name: value if isinstance(value, str) else value.decode("latin-1")
            for name, value in session.headers.items()
        }
        return support.session_fields(
            headers,
            defaults,
            session_auth=session.auth is not None,
            stock_agent=self._library.utils.default_user_agent(),
        )

    def _prepare(
        self, method: str, url: str, headers: dict[str, str], data: Any
    ) -> requests.PreparedRequest:
        """What ``Session.prepare_request`` builds for our own session, URL kept verbatim.

        Our session has no cookies and takes no credentials from ``.netrc`` (dicomkit's auth is
        explicit), so the request is prepared with requests' public ``prepare_*`` steps and
        without re-parsing a URL dicomkit built and checked: together these were about half the
        cost of a small request. ``test_own_preparation_matches_requests`` pins the equivalence.
        """
        prepared: requests.PreparedRequest = self._library.PreparedRequest()
        if origin_target(url) is None:
            prepared.prepare(
                method=method, url=url, headers=self._with_session_headers(headers), data=data or {}
            )
            return prepared
        # A printable-ASCII URL already checked to be absolute http(s): requests' own URL
        # preparation (IDNA, re-quoting) would only re-encode what dicomkit built on purpose.
        prepared.prepare_method(method)
        prepared.url = url
        prepared.prepare_headers(self._with_session_headers(headers))
        prepared.prepare_cookies(None)
        prepared.prepare_body(data or {}, None)
        return prepared

    def _send_own(
        self,
        request: Request,
        prepared: requests.PreparedRequest,
        timeout: tuple[float | None, float | None],
    ) -> requests.Response:
        """Send through our session's adapter, the step ``Session.send`` ends in.

        ``Session.send`` would also merge cookies into a jar that refuses them all and, even
        with ``allow_redirects=False``, read a redirect's body and parse its ``Location`` to
        prepare the hop dicomkit decides itself.
        """
        url = prepared.url or request.url
        adapter = self._session.get_adapter(url)
        with sending(origin_target(request.url)):
            options = {**self._environment_settings(url), "timeout": timeout}
            return adapter.send(prepared, **options)

    def _with_session_headers(self, headers: dict[str, str]) -> Any:
        """Our session's default fields (User-Agent ...) under the request's own ones."""
        merged = self._library.structures.CaseInsensitiveDict(self._session.headers)
        merged.update(headers)
        return merged

    def _environment_settings(self, url: str) -> dict[str, Any]:
        """Proxy and CA bundle for ``url``'s origin, looked up once: the proxy as every
        backend chooses it (``support.Proxies``), the CA bundle as requests reads it."""
        origin = "/".join(url.split("/", 3)[:3])
        cached = self._environment.get(origin)
        if cached is None:
            found = dict(
                self._session.merge_environment_settings(
                    url, {}, True, self._options.verify, self._options.cert
                )
            )
            proxy = self._options.proxies.for_url(url)
            found["proxies"] = {"http": proxy, "https": proxy} if proxy else {}
            cached = self._environment[origin] = found
        return cached

    def close(self) -> None:
        if not self._state.close_once():
            return
        session = self._sessions.take()
        if session is not None:
            with mapped_errors():
                close_session_pools(session)
                session.close()


def close_session_pools(session: requests.Session) -> None:
    """Close the pools of every adapter now: ``Session.close()`` only forgets them, which
    leaves their sockets to the garbage collector once a failed request made a cycle."""
    from dicomkit.transports._urllib3 import close_pools

    for adapter in session.adapters.values():
        managers = [getattr(adapter, "poolmanager", None)]
        managers += list(getattr(adapter, "proxy_manager", {}).values())
        for manager in managers:
            if manager is not None:
                close_pools(manager)


def _close(answer: requests.Response) -> None:
    """Return the connection to the pool, or drop it when the body was not read to the end."""
    with mapped_errors():
        answer.close()


def _as_sent(prepared: requests.PreparedRequest) -> requests.PreparedRequest:
    """An auth that changes nothing: requests then takes no credentials from ``.netrc``."""
    return prepared


def _hide_location(answer: requests.Response, **_: Any) -> None:
    """Hide a redirect's ``Location`` from requests, which parses it even when not following.

    Only a caller's session needs this (ours is sent without ``Session.send``).
    ``Session.send(allow_redirects=False)`` still works out the next hop: it reads the body
    and a malformed ``Location`` (a broken IPv6 host, raw non-UTF-8 bytes) raises a bare
    ``ValueError`` there. dicomkit decides redirects itself from urllib3's headers, which keep
    the field. ``test_requests_still_parses_location_when_not_following`` pins the need.
    """
    answer.headers.pop("Location", None)
