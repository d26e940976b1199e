"""OAuth2 client credentials (RFC 6749 section 4.4) over the client's own transport.

The token request goes through the same :class:`~dicomkit.core.interface.Transport` as the
DICOMweb requests, so there is no second HTTP stack with its own TLS and proxy settings. The
request body holding the client secret is a :class:`StreamBody`, whose ``repr`` shows no bytes.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import quote, urlencode, urlsplit

from dicomkit.auth._base import (
    _MASK,
    SecretInput,
    _checked_secret,
    _Secret,
    check_transport_security,
)
from dicomkit.auth._tokens import Clock, Token, TokenAuth
from dicomkit.core.errors import (
    AuthError,
    InvalidArgumentError,
    TokenEndpointError,
    TransportError,
)
from dicomkit.core.interface import AsyncTransport, Headers, Request, StreamBody, Timeout, Transport

__all__ = ["LEGACY_ENV_KEYS", "TOKEN_URL_KEY", "OAuth2ClientCredentials"]

LEGACY_ENV_KEYS = ("authority", "client_id", "client_secret", "oauth_resource")
"""Keys of the legacy ``AUTH_CONNECTION_INFO`` dict, all required when there is no token URL."""
TOKEN_URL_KEY = "token_url"
"""The key (or ``from_env`` argument) of a full token endpoint URL, for any OAuth2 server; with
it, ``authority`` and ``oauth_resource`` are not needed, and ``scope`` may be given."""

_MAX_TOKEN_RESPONSE = 1 << 20
_MAX_DETAIL = 300


class OAuth2ClientCredentials(TokenAuth):
    """A service identity's bearer token from an OAuth2 token endpoint, renewed before expiry.

    ``scope`` (a string or several) and ``resource`` (the older Azure AD v1 parameter) are sent
    when given. ``client_auth="body"`` sends the client id and secret as form fields (what Azure
    AD expects); ``"basic"`` sends them in an ``Authorization: Basic`` header (RFC 6749 2.3.1).
    ``token_requests`` counts the requests made to the token endpoint. ``client_secret`` may be
    an :class:`~dicomkit.auth.EnvSecret`; pickling needs one, or ``pickle_secret=True``.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: SecretInput,
        scope: str | Sequence[str] | None = None,
        resource: str | None = None,
        *,
        pickle_secret: bool = False,
        refresh_margin: float = 60.0,
        client_auth: str = "body",
        timeout: Timeout | None = None,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(refresh_margin=refresh_margin, clock=clock)
        if not isinstance(token_url, str) or urlsplit(token_url).scheme not in ("http", "https"):
            raise InvalidArgumentError("token_url must be an http:// or https:// URL")
        if not isinstance(client_id, str) or not client_id:
            raise InvalidArgumentError("client_id must be a non-empty str")
        if client_auth not in ("body", "basic"):
            raise InvalidArgumentError('client_auth must be "body" or "basic"')
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = _checked_secret(
            client_secret, "the client secret", picklable=pickle_secret
        )
        if scope is None or isinstance(scope, str):
            self.scope = scope
        else:
            self.scope = " ".join(scope)
        self.resource = resource
        self.client_auth = client_auth
        self.timeout = timeout or Timeout()
        self.token_requests = 0
        check_transport_security(token_url, self, stacklevel=2)

    @classmethod
    def from_env(
        cls,
        name: str = "AUTH_CONNECTION_INFO",
        *,
        environ: Mapping[str, str] | None = None,
        token_url: str | None = None,
        **options: Any,
    ) -> OAuth2ClientCredentials:
        """Build from the legacy ``AUTH_CONNECTION_INFO`` variable of the Azure DICOM client.

        Its value is a Python dict literal (JSON is accepted too), parsed with
        :func:`ast.literal_eval`, never executed. Azure style: ``authority`` (e.g.
        ``https://login.microsoftonline.com/{tenant}``), ``client_id``, ``client_secret`` and
        ``oauth_resource``, mapped to ``{authority}/oauth2/v2.0/token`` with scope
        ``{oauth_resource}/.default``. Any other OAuth2 server: ``token_url`` (the full token
        endpoint URL), ``client_id``, ``client_secret`` and optionally ``scope``; the
        ``token_url`` argument does the same and wins over the variable. Errors name the
        variable and key, never the value.
        """
        raw = _read_env(name, environ)
        if raw is None:
            raise AuthError(f"the environment variable {name} is not set")
        info = _parse_legacy(raw)
        if info is None:
            raise AuthError(
                f"{name} is not a dict literal such as {{'authority': ..., 'client_id': ..., "
                "'client_secret': ..., 'oauth_resource': ...}"
            )
        url = token_url if token_url is not None else info.get(TOKEN_URL_KEY)
        required = ["client_id", "client_secret"] if url else list(LEGACY_ENV_KEYS)
        missing = [key for key in required if key not in info]
        if missing:
            raise AuthError(f"{name} is missing the key(s): {', '.join(missing)}")
        for key in [*required, *(k for k in ("scope", TOKEN_URL_KEY) if k in info)]:
            if not isinstance(info[key], (str, _Secret)) or not info[key]:
                raise AuthError(f"{name}[{key!r}] must be a non-empty string")
        if url:
            url = str(url)
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
                where = "token_url" if token_url is not None else f"{name}[{TOKEN_URL_KEY!r}]"
                raise AuthError(f"{where} must be an http:// or https:// URL")
            scope = info.get("scope") or (
                f"{info['oauth_resource']}/.default" if info.get("oauth_resource") else None
            )
        else:
            authority = str(info["authority"]).rstrip("/")
            parts = urlsplit(authority)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise AuthError(
                    f"{name}['authority'] must be a URL such as https://login.example/tenant"
                )
            url = f"{authority}/oauth2/v2.0/token"
            scope = f"{info['oauth_resource']}/.default"
        secret = info["client_secret"]
        if environ is None and isinstance(secret, _Secret):  # pickles as "read {name} again"
            secret = _Secret(secret.reveal(), source=_LegacyEnvSecret(name))
        return cls(
            url,
            str(info["client_id"]),
            secret,  # type: ignore[arg-type]
            scope=None if scope is None else str(scope),
            **options,
        )

    def _worth_retry(self, failed: str | None, new: Token) -> bool:
        # A token the endpoint just issued is as fresh as it gets: always worth one retry.
        return True

    def token_request(self) -> Request:
        """The POST this provider sends to the token endpoint (secret inside, body unshown)."""
        fields = [("grant_type", "client_credentials")]
        headers = {
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        secret = self._client_secret.reveal()
        if self.client_auth == "basic":
            basic = _basic_value(quote(self.client_id, safe=""), quote(secret, safe=""))
            headers["Authorization"] = basic
        else:
            fields += [("client_id", self.client_id), ("client_secret", secret)]
        if self.scope:
            fields.append(("scope", self.scope))
        if self.resource:
            fields.append(("resource", self.resource))
        body = urlencode(fields).encode("ascii")
        return Request(
            "POST",
            self.token_url,
            Headers(headers),
            StreamBody(lambda: (body,), len(body)),
            self.timeout,
        )

    def fetch_token(self, transport: Transport) -> Token:
        exchange = self._exchange()
        with self._naming_the_endpoint(), transport.send(exchange.request) as response:
            for chunk in response.iter_bytes():
                exchange.feed(chunk)
        return exchange.result(response.status, response.headers.get("Retry-After"))

    async def afetch_token(self, transport: AsyncTransport) -> Token:
        exchange = self._exchange()
        with self._naming_the_endpoint():
            async with await transport.asend(exchange.request) as response:
                async for chunk in response.aiter_bytes():
                    exchange.feed(chunk)
        return exchange.result(response.status, response.headers.get("Retry-After"))

    @contextmanager
    def _naming_the_endpoint(self) -> Iterator[None]:
        """A transport failure says it was the token endpoint, not the DICOMweb server.

        It stays a TransportError of the same class, so the client retries it with its own
        retry policy, as it would the DICOMweb request.
        """
        try:
            yield
        except TransportError as exc:
            _reraise_naming(exc, self.token_url)

    def _exchange(self) -> _TokenExchange:
        self.token_requests += 1
        return _TokenExchange(self.token_request(), self._parse)

    def _parse(self, status: int, body: bytes, retry_after: str | None = None) -> Token:
        payload = _json_object(body)
        if not 200 <= status < 300:
            detail = self._error_detail(payload)
            raise TokenEndpointError(
                f"the token request to {self.token_url} failed with HTTP {status}{detail}",
                token_url=self.token_url,
                status=status,
                retry_after=retry_after,
            )
        if payload is None:
            raise AuthError(f"the token endpoint {self.token_url} did not answer with JSON")
        access_token = payload.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise AuthError(f"the token endpoint {self.token_url} answered without access_token")
        token_type = payload.get("token_type", "Bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise AuthError(f"unsupported OAuth2 token_type {str(token_type)[:40]!r}")
        lifetime = _seconds(payload.get("expires_in"))
        expires_at = None if lifetime is None else self._clock() + lifetime
        if any(ch in access_token for ch in "\r\n\0"):
            raise AuthError(
                f"the token endpoint {self.token_url} sent an access_token with a line break"
            )
        return Token(_Secret(access_token), expires_at)

    def _error_detail(self, payload: dict[str, Any] | None) -> str:
        """RFC 6749 5.2 ``error``/``error_description``, with our own secret scrubbed out."""
        if payload is None:
            return ""
        parts = [str(payload[key]) for key in ("error", "error_description") if key in payload]
        text = ": ".join(parts)[:_MAX_DETAIL]
        secret = self._client_secret.reveal()
        if len(secret) >= 4:
            text = text.replace(secret, _MASK)
        return f": {text}" if text else ""

    def __repr__(self) -> str:
        return (
            f"OAuth2ClientCredentials(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"client_secret={_MASK}, scope={self.scope!r}, resource={self.resource!r})"
        )


@dataclass(frozen=True)
class _LegacyEnvSecret:
    """The client secret of the legacy variable ``name``, read again where it is needed (a
    pickled provider built by ``from_env`` carries this, not the secret)."""

    name: str

    def __call__(self) -> str:
        raw = _read_env(self.name, None)
        info = None if raw is None else _parse_legacy(raw)
        secret = None if info is None else info.get("client_secret")
        if not isinstance(secret, _Secret):
            raise AuthError(f"the environment variable {self.name} holds no client_secret")
        return secret.reveal()


def _reraise_naming(error: TransportError, token_url: str) -> NoReturn:
    """``error`` again, saying it was the token endpoint; ``token_url`` is set on it, which
    also tells the client that its own request was never sent."""
    message = f"the token endpoint {token_url} could not be reached: {error}"
    try:
        failure = type(error)(message)
    except TypeError:  # a backend's own subclass with another constructor: keep it as is
        failure = error
    failure.token_url = token_url  # type: ignore[attr-defined]
    if failure is error:
        raise error
    raise failure from error


def _basic_value(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


class _TokenExchange:
    """One token request and the reading of its answer, with no I/O of its own.

    The core's exchange shape (``request``, ``feed``, ``result``): the sync and async fetches
    only send the request and feed the body chunks, so the size limit and the parsing of the
    answer are written once, here.
    """

    def __init__(self, request: Request, parse: Callable[[int, bytes, str | None], Token]) -> None:
        self.request = request
        self._parse = parse
        self._chunks: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > _MAX_TOKEN_RESPONSE:
            raise AuthError("the token endpoint's answer is larger than 1 MiB")
        self._chunks.append(chunk)

    def result(self, status: int, retry_after: str | None = None) -> Token:
        return self._parse(status, b"".join(self._chunks), retry_after)


def _json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None (errors are swallowed: they quote the token)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # a deeply nested array exhausts the decoder's stack
        return None
    return value if isinstance(value, dict) else None


def _seconds(value: object) -> float | None:
    """``expires_in`` as seconds; some endpoints send it as a string."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, (int, float, str)) else None
    except (ValueError, OverflowError):  # an int too large for a float: no usable lifetime
        return None
    return number if number is not None and number >= 0 else None


def _read_env(name: str, environ: Mapping[str, str] | None) -> _Secret | None:
    """The variable's value, wrapped at once so no frame of ours holds it in plain text."""
    value = (os.environ if environ is None else environ).get(name)
    return _Secret(value) if value and value.strip() else None


def _parse_legacy(raw: _Secret) -> dict[str, object] | None:
    """The legacy dict with trimmed strings and the client secret wrapped, or None.

    JSON or a Python literal; never executed. Parse errors are not re-raised: a SyntaxError
    carries the offending source line, which holds the secret.
    """
    text = raw.reveal().strip()
    value: object = None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
    if not isinstance(value, dict):
        return None
    info: dict[str, object] = {}
    for key, item in value.items():
        if isinstance(item, str):
            if not item.strip():
                item = ""
            elif key == "client_secret":
                item = _Secret(item)  # kept exactly: a secret's spaces are its own
            else:
                item = item.strip()
        info[str(key)] = item
    return info
