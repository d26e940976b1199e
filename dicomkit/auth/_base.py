"""The :class:`Auth` interface the clients call, and the static credentials built on it.

A client asks its ``Auth`` for headers before every request and, after a 401, asks it once
whether a retry could succeed (``refresh``). Static credentials never can; token providers
override both. Secrets live in :class:`_Secret` so that no ``repr``, log line or exception
message we produce can show them, and no pickle either: a secret given as a source (an
:class:`EnvSecret`, or any picklable callable) pickles as that source and is read again in the
process that unpickles it; a secret given as text refuses to be pickled unless the caller
passed ``pickle_secret=True`` (docs/embedding.md, "Pickling").
"""

from __future__ import annotations

import base64
import hmac
import inspect
import ipaddress
import os
import pickle
import warnings
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Union
from urllib.parse import urlsplit

from dicomkit.core.errors import AuthError, DicomkitError, InvalidArgumentError
from dicomkit.core.interface import AsyncTransport, Transport

__all__ = [
    "Auth",
    "AuthInput",
    "BasicAuth",
    "BearerToken",
    "CallableAuth",
    "EnvSecret",
    "HeaderCallable",
    "InsecureCredentialsWarning",
    "SecretInput",
    "SecretNotPicklableError",
    "check_transport_security",
    "resolve_auth",
]

HeaderCallable = Callable[[], Mapping[str, str] | Awaitable[Mapping[str, str]]]
"""A zero-argument callable returning headers (or an awaitable of them, for the async client)."""

AuthInput = Union["Auth", tuple[str, str], str, HeaderCallable, None]
"""What ``auth=`` accepts on both clients."""

_MASK = "********"
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


class InsecureCredentialsWarning(UserWarning):
    """Credentials are about to travel unencrypted (plain http:// to a non-loopback host)."""


class SecretNotPicklableError(DicomkitError, pickle.PicklingError):
    """A secret given as text was about to be pickled in clear; see :class:`EnvSecret`."""


@dataclass(frozen=True)
class EnvSecret:
    """A secret read from the environment variable ``name`` when it is needed.

    Pass it wherever a password, token or client secret goes
    (``BasicAuth("ann", EnvSecret("ORTHANC_PASSWORD"))``): the value is read when the auth is
    built, and a pickled auth carries only the variable's name, so a worker process (spawn,
    Dask, Ray) reads its own environment. Any picklable zero-argument callable returning the
    secret (a credential provider) works the same way.
    """

    name: str

    def __call__(self) -> str:
        value = os.environ.get(self.name)
        if not value:
            raise AuthError(f"the environment variable {self.name} is not set")
        return value


SecretInput = str | EnvSecret | Callable[[], str]
"""A secret: its text, an :class:`EnvSecret`, or a callable that returns it."""


class _Secret:
    """A string that never shows itself in ``repr``/``str``; call :meth:`reveal` to use it.

    ``source`` (a callable) is where the value came from; pickling keeps only the source, and
    a secret without one pickles only when ``picklable`` (the caller asked for it in clear).
    """

    __slots__ = ("_picklable", "_source", "_value", "_what")

    def __init__(
        self,
        value: str | None,
        *,
        source: Callable[[], str] | None = None,
        picklable: bool = False,
        what: str = "a secret",
    ) -> None:
        self._value = value
        self._source = source
        self._picklable = picklable
        self._what = what

    def reveal(self) -> str:
        if self._value is None:
            if self._source is None:
                raise AuthError(f"{self._what} has no value")
            self._value = _checked_secret(self._source(), self._what).reveal()
        return self._value

    def __reduce__(self) -> tuple[Any, ...]:
        if self._source is not None:
            return (_from_source, (self._source, self._what))
        if not self._picklable:
            _refuse_to_pickle(self._what)
        return (_in_clear, (self._value, self._what))

    def __repr__(self) -> str:
        return _MASK

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Secret):
            return NotImplemented
        return hmac.compare_digest(self.reveal().encode(), other.reveal().encode())

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return bool(self.reveal())


def _from_source(source: Callable[[], str], what: str) -> _Secret:
    """Unpickling: the value is read from its source when first needed, in this process."""
    return _Secret(None, source=source, what=what)


def _in_clear(value: str, what: str) -> _Secret:
    """Unpickling a secret whose owner asked for it to be pickled in clear."""
    return _Secret(value, picklable=True, what=what)


def _refuse_to_pickle(what: str) -> NoReturn:
    raise SecretNotPicklableError(
        f"{what} was given as text and is not pickled in clear: give it as "
        "dicomkit.auth.EnvSecret('VARIABLE') (or another picklable callable returning it) so "
        "the other process reads it itself, or pass pickle_secret=True to send it in clear"
    )


def _checked_secret(value: object, what: str, *, picklable: bool = False) -> _Secret:
    """Wrap ``value`` once checked for header use; errors name ``what``, never the value.

    A callable (an :class:`EnvSecret`, a credential provider) is called now, so a missing
    secret fails when the auth is built, and kept as the secret's source.
    """
    source = None
    if isinstance(value, _Secret):
        source = value._source
        value = value.reveal()
    elif callable(value):
        source = value
        value = value()
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be a str, not {type(value).__name__}")
    if not value:
        raise InvalidArgumentError(f"{what} is empty")
    if any(ch in value for ch in "\r\n\0"):
        raise InvalidArgumentError(f"{what} contains a line break or NUL character")
    return _Secret(value, source=source, picklable=picklable, what=what)


def authorization_of(headers: Mapping[str, str] | None) -> str | None:
    """The ``Authorization`` value in ``headers`` (any case), or None."""
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == "authorization":
            return value
    return None


class Auth(ABC):
    """How a client authenticates: headers for each request, and a refresh after a 401.

    ``transport`` is the client's own transport, so a token provider fetches its tokens over
    the same HTTP stack, TLS settings and proxies as the DICOMweb requests.
    """

    @abstractmethod
    def headers(self, transport: Transport) -> dict[str, str]:
        """Headers to add to the next request."""

    async def aheaders(self, transport: AsyncTransport) -> dict[str, str]:
        """Async twin of :meth:`headers`; static credentials need no I/O so share it."""
        return self.headers(transport)  # type: ignore[arg-type]

    def refresh(self, transport: Transport, failed_headers: Mapping[str, str]) -> bool:
        """Called after a 401 to a request sent with ``failed_headers``.

        Return True when new credentials are ready and the request is worth retrying once.
        """
        return False

    async def arefresh(self, transport: AsyncTransport, failed_headers: Mapping[str, str]) -> bool:
        """Async twin of :meth:`refresh`."""
        return False


class BasicAuth(Auth):
    """HTTP basic authentication (RFC 7617), e.g. Orthanc's ``RegisteredUsers``.

    ``password`` may be an :class:`EnvSecret`; pickling needs one, or ``pickle_secret=True``.
    """

    def __init__(
        self, username: str, password: SecretInput, *, pickle_secret: bool = False
    ) -> None:
        if not isinstance(username, str):
            raise InvalidArgumentError(
                f"BasicAuth username must be a str, not {type(username).__name__}"
            )
        if ":" in username or any(ch in username for ch in "\r\n\0"):
            raise InvalidArgumentError("a basic-auth username may not contain ':' or line breaks")
        self.username = username
        self._password = _checked_secret(
            password, "the BasicAuth password", picklable=pickle_secret
        )

    def headers(self, transport: Transport) -> dict[str, str]:
        pair = f"{self.username}:{self._password.reveal()}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password={_MASK})"


class BearerToken(Auth):
    """A fixed bearer token (RFC 6750) that the caller obtained and renews.

    ``token`` may be an :class:`EnvSecret`; pickling needs one, or ``pickle_secret=True``.
    """

    def __init__(self, token: SecretInput, *, pickle_secret: bool = False) -> None:
        self._token = _checked_secret(token, "the bearer token", picklable=pickle_secret)

    def headers(self, transport: Transport) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token.reveal()}"}

    def __repr__(self) -> str:
        return f"BearerToken({_MASK})"


class CallableAuth(Auth):
    """Headers from a zero-argument callable, sync or async, called before every request.

    After a 401 the callable is called again; the request is retried only when it returned
    different headers (for example because it fetched a new token).
    """

    def __init__(self, func: HeaderCallable) -> None:
        if not callable(func):
            raise InvalidArgumentError("CallableAuth needs a callable that returns headers")
        self._func = func

    def headers(self, transport: Transport) -> dict[str, str]:
        result = self._func()
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            raise InvalidArgumentError(
                "the auth callable is async: use it with AsyncDicomClient, or pass a plain function"
            )
        return _checked_headers(result)

    async def aheaders(self, transport: AsyncTransport) -> dict[str, str]:
        result = self._func()
        if inspect.isawaitable(result):
            result = await result
        return _checked_headers(result)

    def refresh(self, transport: Transport, failed_headers: Mapping[str, str]) -> bool:
        return _differs(self.headers(transport), failed_headers)

    async def arefresh(self, transport: AsyncTransport, failed_headers: Mapping[str, str]) -> bool:
        return _differs(await self.aheaders(transport), failed_headers)

    def __repr__(self) -> str:
        name = getattr(self._func, "__qualname__", type(self._func).__name__)
        return f"CallableAuth({name})"


def _checked_headers(result: object) -> dict[str, str]:
    if not isinstance(result, Mapping):
        raise InvalidArgumentError(
            f"the auth callable must return a mapping of headers, not {type(result).__name__}"
        )
    headers: dict[str, str] = {}
    for name, value in result.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidArgumentError("the auth callable must return str header names and values")
        if any(ch in name + value for ch in "\r\n\0"):
            raise InvalidArgumentError(f"auth header {name!r} contains a line break or NUL")
        headers[name] = value
    return headers


def _differs(new: Mapping[str, str], old: Mapping[str, str]) -> bool:
    lowered = {k.lower(): v for k, v in old.items()}
    return any(
        not hmac.compare_digest(value.encode(), lowered.get(name.lower(), "").encode())
        for name, value in new.items()
    )


def resolve_auth(value: Any, *, asynchronous: bool | None = None) -> Auth | None:
    """Turn what a user passed as ``auth=`` into an :class:`Auth` (or None for no auth).

    ``(user, password)`` -> :class:`BasicAuth`; ``str`` -> :class:`BearerToken`; a callable
    returning headers -> :class:`CallableAuth`; an ``Auth`` is returned as is. With
    ``asynchronous=False`` an ``async def`` callable is refused now rather than at the first
    request. Error messages name the type, never the value, since it may hold a secret.
    """
    if value is None or isinstance(value, Auth):
        return value
    if isinstance(value, str):
        return BearerToken(value)
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise InvalidArgumentError(
                f"auth as a tuple must be (username, password), got {len(value)} items"
            )
        return BasicAuth(value[0], value[1])
    if callable(value):
        if asynchronous is False and inspect.iscoroutinefunction(value):
            raise InvalidArgumentError(
                "an async auth callable needs AsyncDicomClient; DicomClient calls it synchronously"
            )
        return CallableAuth(value)
    raise InvalidArgumentError(
        "auth must be (username, password), a bearer token str, a callable returning headers, "
        f"or a dicomkit.auth.Auth; got {type(value).__name__}"
    )


def _is_loopback(host: str) -> bool:
    host = host.lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_insecure_url(url: str) -> bool:
    """True when ``url`` is plain http:// to a host other than a loopback one."""
    parts = urlsplit(url)
    return parts.scheme.lower() == "http" and not _is_loopback(parts.hostname or "")


def check_transport_security(url: str, auth: Auth | None, *, stacklevel: int = 2) -> bool:
    """Warn (:class:`InsecureCredentialsWarning`) if ``auth`` would go unencrypted to ``url``.

    Clients call this when they are built. Loopback hosts are exempt because local test
    servers rarely have TLS. ``stacklevel`` counts from the caller: the default 2 blames the
    code that called the caller (the one building the client). Returns True when it warned.
    """
    if auth is None or not is_insecure_url(url):
        return False
    host = urlsplit(url).hostname or ""
    warnings.warn(
        f"credentials will be sent over plain HTTP to {host!r}; use https:// so they are "
        "encrypted in transit",
        InsecureCredentialsWarning,
        stacklevel=stacklevel + 1,
    )
    return True
