"""A client's configuration as a value: picklable, comparable, and able to build clients anywhere.

Threads share one client; processes cannot share sockets, so a worker (multiprocessing with
'spawn', Dask, Ray) needs what *builds* a client instead. :class:`ClientConfig` is that: every
constructor option of :class:`~dicomkit.DicomClient` and :class:`~dicomkit.AsyncDicomClient`
except a transport instance (which holds sockets), plus ``client()`` and ``async_client()``.
``client.config`` gives the configuration of an existing client, and pickling a client pickles
its configuration: the unpickled client is a fresh one, with its own connections.

Secrets follow the auth objects' rule (docs/embedding.md): a password or token given as text
is not pickled in clear; give it as :class:`~dicomkit.auth.EnvSecret` (or any picklable
callable) and the worker reads it from its own environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import AsyncTransport, Transport
from dicomkit.core.retry import RetryPolicy, coerce_retry

if TYPE_CHECKING:
    from dicomkit.auth import Auth, AuthInput
    from dicomkit.client import AsyncDicomClient, DicomClient
    from dicomkit.core.operations import Dialect, TimeoutInput

__all__ = ["ClientConfig"]

DEFAULT_CHUNK_SIZE = 1 << 20
"""The clients' default (``dicomkit.files.part10.DEFAULT_CHUNK_SIZE``), kept here so that
importing this module stays as cheap as ``import dicomkit``."""
DEFAULT_MAX_JSON_BYTES = 256 * 1024 * 1024
"""The clients' default (``dicomkit.core.operations.MAX_JSON_BYTES``), kept here likewise."""


@dataclass(frozen=True)
class ClientSettings:
    """A client's options as its constructor was given them, in one value (internal).

    The public constructors keep their explicit keywords and build this once; the driver and
    the shared base read it instead of relaying each option, and ``client.config`` is derived
    from it. Unlike :class:`ClientConfig` it may hold a transport instance and the ``auth``
    and ``retry`` arguments as given: each client resolves them for its own I/O style.
    ``transport_options`` already include the constructor's ``verify``/``cert``/``proxy``.
    """

    url: str
    transport: object = None
    transport_options: Mapping[str, Any] = field(default_factory=dict)
    auth: Any = None
    retry: RetryPolicy | int | bool | None = None
    timeout: TimeoutInput = None
    headers: Mapping[str, str] | None = field(default=None, repr=False)
    """Not in the ``repr`` (an API key header is a secret); pickled as given."""
    dialect: str | Dialect | None = None
    api_version: str | int | None = None
    partition: str | None = None
    qido_prefix: str | None = None
    wado_prefix: str | None = None
    stow_prefix: str | None = None
    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES


@dataclass(frozen=True)
class ClientConfig(ClientSettings):
    """Everything needed to build a DICOMweb client, as a frozen, picklable value.

    ``transport`` is a registered name ("requests", "urllib3", "aiohttp", "httpx"), a transport
    class, or None for the default of each flavour (so one config builds both clients);
    ``transport_options`` go to its constructor (``pool_maxsize``, ``verify`` ...). ``auth``
    is resolved at once (``("user", "password")`` becomes a ``BasicAuth``), so a tuple never
    travels in a pickle. The other fields are the clients' constructor options. Equality
    compares the auth object by identity; the mappings make a config unhashable.
    """

    transport: str | type[Transport] | type[AsyncTransport] | None = None
    auth: Auth | None = None
    retry: RetryPolicy | None = None

    def __init__(
        self,
        url: str,
        *,
        transport: str | type[Transport] | type[AsyncTransport] | None = None,
        transport_options: Mapping[str, Any] | None = None,
        auth: AuthInput = None,
        retry: RetryPolicy | int | bool | None = None,
        timeout: TimeoutInput = None,
        headers: Mapping[str, str] | None = None,
        dialect: str | Dialect | None = None,
        api_version: str | int | None = None,
        partition: str | None = None,
        qido_prefix: str | None = None,
        wado_prefix: str | None = None,
        stow_prefix: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_json_bytes: int = DEFAULT_MAX_JSON_BYTES,
    ) -> None:
        from dicomkit.auth import resolve_auth

        if not isinstance(url, str):
            raise InvalidArgumentError(f"url must be a str, not {type(url).__name__}")
        if transport is not None and not isinstance(transport, (str, type)):
            raise InvalidArgumentError(
                "ClientConfig holds a transport name or class, not an instance (it holds "
                "sockets, which cannot travel to another process); pass transport_options"
            )
        values = {
            "url": url,
            "transport": transport,
            "transport_options": dict(transport_options or {}),
            "auth": resolve_auth(auth),
            "retry": None if retry is None else coerce_retry(retry),
            "timeout": timeout,
            "headers": None if headers is None else dict(headers),
            "dialect": dialect,
            "api_version": api_version,
            "partition": partition,
            "qido_prefix": qido_prefix,
            "wado_prefix": wado_prefix,
            "stow_prefix": stow_prefix,
            "chunk_size": chunk_size,
            "max_json_bytes": max_json_bytes,
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _options(self) -> dict[str, Any]:
        """The constructor keywords of a client, beside its url and transport."""
        return {
            option.name: getattr(self, option.name)
            for option in fields(self)
            if option.name not in ("url", "transport")
        }

    def client(self) -> DicomClient:
        """A new blocking client with this configuration (its own transport and connections)."""
        from dicomkit.client import DicomClient

        transport: Any = self.transport if self.transport is not None else None
        return DicomClient(self.url, transport=transport, **self._options())

    def async_client(self) -> AsyncDicomClient:
        """A new asyncio client with this configuration."""
        from dicomkit.client.aio import AsyncDicomClient

        transport: Any = self.transport if self.transport is not None else None
        return AsyncDicomClient(self.url, transport=transport, **self._options())


def config_of(settings: ClientSettings, *, auth: Auth | None, retry: RetryPolicy) -> ClientConfig:
    """A client's :attr:`config`: its settings with its resolved ``auth`` and ``retry`` (the
    client refuses a transport instance first, in its own words)."""
    values = {option.name: getattr(settings, option.name) for option in fields(settings)}
    return ClientConfig(**{**values, "auth": auth, "retry": retry})


def rebuild(config: ClientConfig, cls: type[Any]) -> object:
    """What an unpickled client is: a fresh client of the same class, built from its config."""
    return cls(config.url, transport=config.transport, **config._options())
