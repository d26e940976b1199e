"""The requests backend, dicomkit's default: it honours what requests users already configure.

A caller-owned ``requests.Session`` keeps its adapters, proxies, CA bundle and mounts; dicomkit
only turns off requests' own redirect handling (redirects go through
:mod:`dicomkit.core.redirects`) and reads bodies straight from urllib3 so nothing is buffered.
"""

from __future__ import annotations

import contextlib
from http.cookiejar import DefaultCookiePolicy
from typing import TYPE_CHECKING, Any

from dicomkit.core.errors import (
    ConnectError,
    ConnectionLostError,
    ConnectTimeout,
    DicomkitError,
    InvalidArgumentError,
    ProtocolError,
    ReadTimeout,
    TLSError,
    TooManyRedirectsError,
    TransportClosedError,
    TransportError,
)
from dicomkit.core.errors import (
    TimeoutError as DicomkitTimeoutError,
)
from dicomkit.core.interface import Request, Response
from dicomkit.transports import support
from dicomkit.transports._common import (
    CHUNK_SIZE,
    BodyPump,
    BuiltinTransport,
    map_stdlib_error,
    mapping,
    streamed_response,
)
from dicomkit.transports._urllib3_errors import describe, map_urllib3_error
from dicomkit.transports._verbatim import install, origin_target, sending

if TYPE_CHECKING:
    import requests

__all__ = ["RequestsTransport", "map_requests_error", "mapped_errors", "requests_table"]


def requests_table() -> dict[type[BaseException], type[DicomkitError]]:
    """Every exception class of ``requests.exceptions`` and the dicomkit error it becomes."""
    from requests import exceptions as e

    return {
        e.ConnectTimeout: ConnectTimeout,
        e.ReadTimeout: ReadTimeout,
        e.Timeout: DicomkitTimeoutError,
        e.SSLError: TLSError,
        e.ProxyError: ConnectError,
        e.ConnectionError: ConnectError,
        e.ChunkedEncodingError: ConnectionLostError,
        e.ContentDecodingError: ProtocolError,
        e.TooManyRedirects: TooManyRedirectsError,
        e.InvalidProxyURL: InvalidArgumentError,
        e.InvalidURL: InvalidArgumentError,
        e.InvalidSchema: InvalidArgumentError,
        e.MissingSchema: InvalidArgumentError,
        e.URLRequired: InvalidArgumentError,
        e.InvalidHeader: InvalidArgumentError,
        e.JSONDecodeError: ProtocolError,
        e.InvalidJSONError: InvalidArgumentError,
        e.StreamConsumedError: TransportClosedError,
        e.RetryError: TransportError,
        e.UnrewindableBodyError: TransportError,
        e.HTTPError: TransportError,
        e.RequestException: TransportError,
        e.FileModeWarning: TransportError,
        e.RequestsDependencyWarning: TransportError,
        e.RequestsWarning: TransportError,
    }


def map_requests_error(exc: BaseException) -> DicomkitError | None:
    """The dicomkit error for a requests exception, or None if ``exc`` is not one of requests'.

    requests wraps urllib3's errors (``ConnectionError(MaxRetryError(NewConnectionError))``):
    the wrapped error is the more precise one, so it decides when there is one.
    """
    table = requests_table()
    kind = next((table[k] for k in type(exc).__mro__ if k in table), None)
    if kind is None:
        return None
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    if inner is not None:
        precise = map_urllib3_error(inner) or map_stdlib_error(inner)
        if precise is not None and (kind in _VAGUE or isinstance(precise, kind)):
            return precise
    return kind(describe(exc))


_VAGUE = (ConnectError, TransportError)


def mapped_errors(pump: BodyPump | None = None) -> contextlib.AbstractContextManager[None]:
    """requests, urllib3 and stdlib networking errors become dicomkit's; the rest pass."""
    return mapping(pump, map_requests_error, map_urllib3_error, map_stdlib_error)


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
        self,
        *,
        session: requests.Session | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        max_redirects: int = 10,
        pool_maxsize: int = 10,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        super().__init__("requests", verify, max_redirects, pool_maxsize, chunk_size)
        self._requests = requests = support.import_library("requests")

        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=10, pool_maxsize=pool_maxsize, max_retries=0
            )
            install(adapter.poolmanager)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._session = session
        # Given per request, because requests lets REQUESTS_CA_BUNDLE override session.verify;
        # only for our own session (a caller's keeps its own settings).
        self._verify = verify
        self._cert = cert
        self._environment: dict[str, dict[str, Any]] = {}

    def _send_once(self, request: Request) -> Response:
        self._state.check()
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            # requests keeps one value per name; a repeated field is sent as one list.
            folded = next((key for key in headers if key.lower() == name.lower()), name)
            headers[folded] = f"{headers[folded]}, {value}" if folded in headers else value
        data: Any = None
        pump: BodyPump | None = None
        if isinstance(request.body, bytes):
            data = request.body
        elif request.body is not None:
            if request.content_length == 0:
                data = b""
            else:
                pump = data = BodyPump(request)
        timeout = (request.timeout.connect, request.timeout.read)
        with mapped_errors(pump):
            if self._owns_session:
                answer = self._send_verbatim(request, headers, data, timeout)
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
                    # a request's hooks replace the session's: keep theirs, ours last
                    hooks={"response": [*self._session.hooks["response"], _hide_location]},
                )
        return _wrap(answer, request, self._chunk_size)

    def _send_verbatim(
        self,
        request: Request,
        headers: dict[str, str],
        data: Any,
        timeout: tuple[float | None, float | None],
    ) -> requests.Response:
        """``Session.request`` unrolled, so the prepared URL keeps the target dicomkit built.

        Our session has no cookies and takes no credentials from ``.netrc`` (dicomkit's auth is
        explicit), so the request is prepared without the session's cookie and netrc merging
        and without re-parsing a URL dicomkit built and checked; the environment's proxy and
        CA-bundle settings are read once per origin. Together these were about half the cost of
        a small request.
        """
        session = self._session
        requests = self._requests
        target = origin_target(request.url)
        prepared = requests.PreparedRequest()
        if target is None:
            prepared.prepare(
                method=request.method,
                url=request.url,
                headers=self._with_session_headers(headers),
                data=data or {},
                hooks={"response": [_hide_location]},
            )
        else:
            # A printable-ASCII URL already checked to be absolute http(s): requests' own URL
            # preparation (IDNA, re-quoting) would only re-encode what dicomkit built on purpose.
            prepared.prepare_method(request.method)
            prepared.url = request.url
            prepared.prepare_headers(self._with_session_headers(headers))
            prepared.prepare_cookies(None)
            prepared.prepare_body(data or {}, None)
            prepared.prepare_hooks({"response": [_hide_location]})
        settings = self._environment_settings(prepared.url or request.url)
        with sending(target):
            return session.send(prepared, allow_redirects=False, timeout=timeout, **settings)

    def _with_session_headers(self, headers: dict[str, str]) -> Any:
        """Our session's default fields (User-Agent ...) under the request's own ones."""
        merged = self._requests.structures.CaseInsensitiveDict(self._session.headers)
        merged.update(headers)
        return merged

    def _environment_settings(self, url: str) -> dict[str, Any]:
        """Proxies and CA bundle from the environment for ``url``'s origin, looked up once."""
        origin = "/".join(url.split("/", 3)[:3])
        cached = self._environment.get(origin)
        if cached is None:
            found = self._session.merge_environment_settings(
                url, {}, True, self._verify, self._cert
            )
            cached = self._environment[origin] = dict(found)
        return cached

    def close(self) -> None:
        if self._state.close_once() and self._owns_session:
            with mapped_errors():
                self._session.close()


def _hide_location(answer: requests.Response, **_: Any) -> None:
    """Hide a redirect's ``Location`` from requests, which parses it even when not following.

    ``Session.send(allow_redirects=False)`` still works out the next hop, and a malformed
    ``Location`` (a broken IPv6 host, raw non-UTF-8 bytes) raises a bare ``ValueError`` there.
    dicomkit decides redirects itself from urllib3's headers, which keep the field.
    """
    answer.headers.pop("Location", None)


def _wrap(answer: requests.Response, request: Request, chunk_size: int) -> Response:
    def read_already() -> bytes | None:
        # requests reads a 3xx body itself (Session.send looks for the next hop).
        return answer.content if getattr(answer, "_content_consumed", False) else None

    return streamed_response(
        answer.raw,
        answer.status_code,
        request,
        chunk_size,
        mapped_errors,
        read_already=read_already,
    )
