"""Optional authentication for the reference server: HTTP basic, or bearer tokens that the
server issues itself from an OAuth2 client-credentials endpoint (``POST /oauth2/token``).

Both keep counters so tests can assert how often a client authenticated or refreshed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ServerAuth", "ServerBasicAuth", "ServerOAuth2", "TokenReply", "resolve_server_auth"]


def _decode_basic(header: str) -> tuple[str, str] | None:
    scheme, _, payload = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(payload.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class ServerAuth(ABC):
    """What the server asks of an authentication scheme."""

    accepted = 0
    rejected = 0

    @abstractmethod
    def check(self, authorization: str | None) -> bool:
        """True when the request's Authorization header value grants access."""

    @abstractmethod
    def challenge(self) -> str:
        """The WWW-Authenticate value sent with a 401."""

    def reset(self) -> None:
        """Forget counters (and issued tokens) between tests."""
        self.accepted = 0
        self.rejected = 0

    def _counted(self, ok: bool) -> bool:
        """``ok``, after counting it as one accepted or rejected request."""
        if ok:
            self.accepted += 1
        else:
            self.rejected += 1
        return ok


class ServerBasicAuth(ServerAuth):
    """HTTP basic with a fixed user table."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self.users = dict(users)
        self.accepted = 0
        self.rejected = 0

    def check(self, authorization: str | None) -> bool:
        credentials = _decode_basic(authorization or "")
        ok = credentials is not None and _same(self.users.get(credentials[0], "\0"), credentials[1])
        return self._counted(ok)

    def challenge(self) -> str:
        return 'Basic realm="dicomkit reference server"'


@dataclass
class TokenReply:
    """What the token endpoint answers: an HTTP status and a JSON object."""

    status: int
    body: dict[str, Any]


class ServerOAuth2(ServerAuth):
    """Bearer tokens issued by the server's own client-credentials endpoint.

    ``token_lifetime`` seconds after issue a token stops working, so a client's refresh logic
    can be exercised; ``expire_tokens()`` does the same on demand.
    """

    def __init__(
        self,
        clients: Mapping[str, str] | None = None,
        *,
        token_lifetime: float = 3600.0,
        scopes: set[str] | None = None,
    ) -> None:
        self.clients = dict(clients if clients is not None else {"dicomkit": "secret"})
        self.token_lifetime = token_lifetime
        self.scopes = scopes
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self.token_requests = 0
        self.accepted = 0
        self.rejected = 0

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()
            self.token_requests = 0
            super().reset()

    def issue_token(self, lifetime: float | None = None) -> str:
        """A fresh valid token, for tests that do not go through the endpoint."""
        token = secrets.token_urlsafe(24)
        expires = time.monotonic() + (self.token_lifetime if lifetime is None else lifetime)
        with self._lock:
            self._tokens[token] = expires
        return token

    def expire_tokens(self) -> None:
        """Make every issued token invalid now (the next request gets 401)."""
        with self._lock:
            self._tokens.clear()

    def token_endpoint(self, form: Mapping[str, str], authorization: str | None) -> TokenReply:
        """Answer one client-credentials request (RFC 6749 section 4.4)."""
        with self._lock:
            self.token_requests += 1
        if form.get("grant_type") != "client_credentials":
            return TokenReply(400, {"error": "unsupported_grant_type"})
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = _decode_basic(authorization or "")
        if basic is not None:
            client_id, client_secret = basic
        expected = self.clients.get(client_id)
        if expected is None or not _same(expected, client_secret):
            return TokenReply(401, {"error": "invalid_client"})
        scope = form.get("scope", "")
        if self.scopes is not None and not set(scope.split()) <= self.scopes:
            return TokenReply(400, {"error": "invalid_scope"})
        token = self.issue_token()
        body: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": max(1, round(self.token_lifetime)),
        }
        if scope:
            body["scope"] = scope
        return TokenReply(200, body)

    def check(self, authorization: str | None) -> bool:
        scheme, _, token = (authorization or "").partition(" ")
        now = time.monotonic()
        with self._lock:
            expires = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            return self._counted(expires is not None and expires > now)

    def challenge(self) -> str:
        return 'Bearer realm="dicomkit reference server", error="invalid_token"'


def resolve_server_auth(value: object) -> ServerAuth | None:
    """None, a ServerAuth, a ``(user, password)`` pair or a ``{user: password}`` mapping."""
    if value is None or isinstance(value, ServerAuth):
        return value
    if isinstance(value, tuple) and len(value) == 2:
        return ServerBasicAuth({str(value[0]): str(value[1])})
    if isinstance(value, Mapping):
        return ServerBasicAuth({str(k): str(v) for k, v in value.items()})
    if value == "oauth2":
        return ServerOAuth2()
    raise TypeError(f"unsupported auth setting for the reference server: {value!r}")
