"""Adapters for credentials users already hold in azure-identity or google-auth.

Neither library is imported here unless needed: the adapters rely only on the credential
protocols (Azure ``get_token(*scopes) -> AccessToken(token, expires_on)``, sync or async;
google-auth ``token``/``valid``/``refresh(request)``), and each library refreshes its own
tokens. Blocking credential calls made from the async client run in a worker thread.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from dicomkit.auth._base import _Secret
from dicomkit.auth._tokens import Clock, Token, TokenAuth
from dicomkit.core.errors import AuthError, DicomkitError, InvalidArgumentError
from dicomkit.core.interface import AsyncTransport, Transport

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.core.credentials_async import AsyncTokenCredential

__all__ = ["AZURE_DICOM_SCOPE", "GOOGLE_HEALTHCARE_SCOPE", "AzureCredential", "GoogleCredentials"]

AZURE_DICOM_SCOPE = "https://dicom.healthcareapis.azure.com/.default"
GOOGLE_HEALTHCARE_SCOPE = "https://www.googleapis.com/auth/cloud-healthcare"


@contextmanager
def _credential_errors(library: str) -> Iterator[None]:
    """Turn what a credential library raises into an AuthError (ours pass through unchanged)."""
    try:
        yield
    except DicomkitError:
        raise
    except Exception as exc:
        message = f"the {library} credential could not get a token: {type(exc).__name__}: {exc}"
        raise AuthError(message) from exc


def _checked_token(value: object, library: str) -> _Secret:
    if not isinstance(value, str) or not value or any(ch in value for ch in "\r\n\0"):
        raise AuthError(f"the {library} credential returned no usable token")
    return _Secret(value)


class AzureCredential(TokenAuth):
    """Bearer tokens from an azure-identity ``TokenCredential`` or ``AsyncTokenCredential``.

    ``scope`` is e.g. ``https://dicom.healthcareapis.azure.com/.default`` for Azure Health Data
    Services. An async credential works only with the async client; a sync one works with both.
    The credential is the caller's: we never close it.
    """

    def __init__(
        self,
        credential: TokenCredential | AsyncTokenCredential,
        scope: str | Sequence[str] = AZURE_DICOM_SCOPE,
        *,
        refresh_margin: float = 300.0,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(refresh_margin=refresh_margin, clock=clock)
        if not callable(getattr(credential, "get_token", None)):
            raise InvalidArgumentError(
                "AzureCredential needs an azure-identity credential (an object with get_token)"
            )
        self._credential: Any = credential
        self.scopes = (scope,) if isinstance(scope, str) else tuple(scope)
        if not self.scopes or not all(isinstance(s, str) and s for s in self.scopes):
            raise InvalidArgumentError("AzureCredential needs at least one scope string")

    def _is_async(self) -> bool:
        return inspect.iscoroutinefunction(self._credential.get_token)

    def _token(self, access: object) -> Token:
        expires_on = getattr(access, "expires_on", None)
        secret = _checked_token(getattr(access, "token", None), "Azure")
        if isinstance(expires_on, bool) or not isinstance(expires_on, (int, float)):
            return Token(secret, None)
        try:
            return Token(secret, float(expires_on))
        except OverflowError:  # an int too large for a float: no usable expiry
            return Token(secret, None)

    def fetch_token(self, transport: Transport) -> Token:
        if self._is_async():
            raise InvalidArgumentError(
                "an async Azure credential needs AsyncDicomClient; use the credential's sync "
                "twin (azure.identity instead of azure.identity.aio) with DicomClient"
            )
        with _credential_errors("Azure"):
            access = self._credential.get_token(*self.scopes)
        return self._token(access)

    async def afetch_token(self, transport: AsyncTransport) -> Token:
        with _credential_errors("Azure"):
            if self._is_async():
                access = await self._credential.get_token(*self.scopes)
            else:
                import asyncio  # only under asyncio: the blocking client never loads it

                access = await asyncio.to_thread(self._credential.get_token, *self.scopes)
        return self._token(access)

    def __repr__(self) -> str:
        return f"AzureCredential({type(self._credential).__name__}, scopes={list(self.scopes)!r})"


class GoogleCredentials(TokenAuth):
    """Bearer tokens from google-auth credentials (e.g. ``google.auth.default(scopes=[...])``).

    The credentials decide when they are stale (``valid``) and refresh themselves with
    ``refresh(request)``; ``request_factory`` makes that request object and defaults to
    ``google.auth.transport.requests.Request``. A ``quota_project_id`` becomes the
    ``x-goog-user-project`` header, as google-auth's own ``apply`` does.
    """

    def __init__(
        self,
        credentials: Any,
        *,
        request_factory: Callable[[], Any] | None = None,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(refresh_margin=0.0, clock=clock)
        if not callable(getattr(credentials, "refresh", None)):
            raise InvalidArgumentError(
                "GoogleCredentials needs google-auth credentials (an object with refresh(request))"
            )
        self._credentials = credentials
        self._request_factory = request_factory
        self._request: Any = None

    def _cached(self) -> Token | None:
        creds = self._credentials
        if not getattr(creds, "token", None):
            return None
        valid = getattr(creds, "valid", None)
        if valid is None:
            valid = not getattr(creds, "expired", True)
        return self._current() if valid else None

    def _current(self) -> Token:
        extra = {}
        quota_project = getattr(self._credentials, "quota_project_id", None)
        if isinstance(quota_project, str) and quota_project:
            extra["x-goog-user-project"] = quota_project
        return Token(_checked_token(self._credentials.token, "Google"), None, extra=extra)

    def _google_request(self) -> Any:
        if self._request is None:
            if self._request_factory is not None:
                self._request = self._request_factory()
            else:
                try:
                    from google.auth.transport.requests import Request
                except ImportError as exc:
                    raise AuthError(
                        "GoogleCredentials needs google-auth: pip install 'dicomkit[google]'"
                    ) from exc
                self._request = Request()
        return self._request

    def _refresh_credentials(self) -> Token:
        with _credential_errors("Google"):
            self._credentials.refresh(self._google_request())
        return self._current()

    def fetch_token(self, transport: Transport) -> Token:
        return self._refresh_credentials()

    async def afetch_token(self, transport: AsyncTransport) -> Token:
        import asyncio

        return await asyncio.to_thread(self._refresh_credentials)

    def __repr__(self) -> str:
        return f"GoogleCredentials({type(self._credentials).__name__})"
