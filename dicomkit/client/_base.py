"""What DicomClient and AsyncDicomClient share: options, and everything that never waits.

The drivers differ only in how they send, read, sleep and offload; protocol knowledge stays in
:mod:`dicomkit.core` (one exchange per operation), files in :mod:`dicomkit.files`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from dicomkit.config import DEFAULT_CHUNK_SIZE
from dicomkit.core.errors import (
    DicomkitError,
    HTTPError,
    InvalidArgumentError,
    TokenEndpointError,
    TransportError,
)
from dicomkit.core.interface import AsyncTransport, Request, Response, Transport
from dicomkit.core.operations import Operations, TimeoutInput, resolve_dialect
from dicomkit.core.retry import coerce_retry
from dicomkit.core.uids import validate_uid
from dicomkit.core.urls import DicomWebURLs, without_userinfo

if TYPE_CHECKING:
    from dicomkit.auth import Auth
    from dicomkit.config import ClientConfig, ClientSettings
    from dicomkit.core import stow
    from dicomkit.core.operations import Exchanges
    from dicomkit.core.query import ExtraParams
    from dicomkit.files import Progress
    from dicomkit.files.folder import FolderUpload, ScannedFile
    from dicomkit.files.part10 import InstanceInput

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "PROXY_FROM_ENVIRONMENT",
    "ClientBase",
    "TimeoutInput",
    "joined_transport_options",
    "raise_transport_failure",
    "uploadable",
]


PROXY_FROM_ENVIRONMENT = "environment"
"""The clients' ``proxy=`` default: the standard variables decide (the transports' own
``support.ENVIRONMENT``, spelt here so that importing a client loads no transport code)."""


class ClientBase:
    """Options, exchanges and the bookkeeping common to both clients."""

    def __init__(self, settings: ClientSettings, *, asynchronous: bool) -> None:
        if not isinstance(settings.chunk_size, int) or settings.chunk_size < 1:
            raise InvalidArgumentError("chunk_size must be a positive number of bytes")
        server = resolve_dialect(settings.dialect)
        self.urls = DicomWebURLs(
            settings.url,
            api_version=settings.api_version,
            partition=settings.partition,
            qido_prefix=settings.qido_prefix,
            wado_prefix=settings.wado_prefix,
            stow_prefix=settings.stow_prefix,
            permissive_uids=server.permissive_uids,
        )
        self.base_url = self.urls.base_url
        self.operations = Operations(self.urls, timeout=settings.timeout, headers=settings.headers)
        if not isinstance(settings.max_json_bytes, int) or settings.max_json_bytes < 1:
            raise InvalidArgumentError("max_json_bytes must be a positive number of bytes")
        self._dialect = server
        self._max_json_bytes = settings.max_json_bytes
        self.retry = coerce_retry(settings.retry)
        self._asynchronous = asynchronous
        self._client_name = "AsyncDicomClient" if asynchronous else "DicomClient"
        self.auth: Auth | None = None
        if settings.auth is not None:  # else dicomkit.auth stays unloaded: nothing to resolve
            from dicomkit.auth import check_transport_security, resolve_auth

            self.auth = resolve_auth(settings.auth, asynchronous=asynchronous)
            check_transport_security(self.urls.base_url, self.auth, stacklevel=5)
        self.chunk_size = settings.chunk_size
        self._settings = settings

    @cached_property
    def exchanges(self) -> Exchanges:
        """The exchange of each operation in the server's dialect, made on first use: their
        modules (answer readers, the multipart codec, DICOM JSON) load with the first request,
        not with the client."""
        from dicomkit.core.operations import Exchanges

        return Exchanges(self.operations, self._dialect, max_json_bytes=self._max_json_bytes)

    @property
    def config(self) -> ClientConfig:
        """The :class:`~dicomkit.ClientConfig` that builds this client again, in any process:
        derived from the settings the constructor built, with the resolved auth and retry.

        InvalidArgumentError for a client given a transport instance (sockets do not travel):
        build it from a name or class and ``transport_options`` instead.
        """
        from dicomkit.config import config_of

        spec = self._settings.transport
        if spec is not None and not isinstance(spec, (str, type)):
            raise InvalidArgumentError(
                f"this {self._client_name} uses a transport instance you built, which cannot "
                "become a ClientConfig (its sockets do not travel to another process): build "
                "the client with transport=<name or class> and transport_options=... instead"
            )
        return config_of(self._settings, auth=self.auth, retry=self.retry)

    def __reduce__(self) -> tuple[Any, ...]:
        """A client pickles as its :attr:`config`; the unpickled client is a fresh one."""
        from dicomkit.config import rebuild

        return (rebuild, (self.config, type(self)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.urls.root!r})"

    def _resolve_transport(self, transport: Any) -> tuple[Any, bool]:
        """A transport by name or class (owned, closed with the client) for this I/O style."""
        from dicomkit.transports.registry import resolve_transport

        options = self._settings.transport_options
        return resolve_transport(transport, asynchronous=self._asynchronous, **options)

    def _retry_delay(
        self,
        attempt: int,
        request: Request,
        started: float,
        *,
        response: Response | None = None,
        error: TransportError | TokenEndpointError | None = None,
    ) -> float | None:
        """Seconds to wait before sending ``request`` again after this outcome, or None.

        One place for both drivers, which then only sleep their own way and send again.
        """
        elapsed = time.monotonic() - started
        if isinstance(error, TokenEndpointError):
            # The token endpoint answered an error status and this request was never sent: the
            # policy judges that status as it would the server's, whatever this request's method.
            return self.retry.next_delay(
                attempt, "GET", status=error.status, retry_after=error.retry_after, elapsed=elapsed
            )
        if response is None:
            method = request.method
            if getattr(error, "token_url", None):
                # The token request failed, so this request was never sent; asking a token
                # endpoint again is safe, whatever this request's method (a STOW POST too).
                method = "GET"
            return self.retry.next_delay(attempt, method, error=error, elapsed=elapsed)
        if response.status not in self.retry.retry_statuses:
            return None
        return self.retry.next_delay(
            attempt,
            request.method,
            status=response.status,
            retry_after=response.headers.get("Retry-After"),
            elapsed=elapsed,
        )

    def _explained(self, error: DicomkitError) -> DicomkitError:
        """``error``, plus what a 401 means: no credentials were sent, or they were rejected.

        The one place the advice on a 401 is worded, for every operation of both clients.
        """
        if not isinstance(error, HTTPError) or error.status != 401:
            return error
        if self.auth is None:
            advice = f"the server requires credentials: pass auth=... to {self._client_name}"
        else:
            advice = (
                f"the server rejected the credentials that were sent ({self.auth!r}): check "
                "them, and that they are meant for this server (token audience or scope)"
            )
        return type(error)(
            error.status,
            f"{error}; {advice}",
            method=error.method,
            url=error.url,
            headers=error.headers,
            body=error.body,
            reasons=error.reasons,
        )

    def _stow_exchange(
        self,
        items: Sequence[stow.StowItem],
        study: str | None,
        extra_params: ExtraParams = None,
    ) -> stow.StoreExchange:
        """The STOW-RS exchange of one batch; its body is read from disk again on every send."""
        from dicomkit.core import stow

        exchange = stow.store_exchange(
            self.operations, items, study, chunk_size=self.chunk_size, extra_params=extra_params
        )
        exchange.max_bytes = self.exchanges.max_json_bytes
        return exchange

    def _stow_batches(
        self,
        instances: Iterable[InstanceInput] | InstanceInput,
        max_count: int | None,
        max_bytes: int | None,
    ) -> list[list[stow.StowItem]]:
        """Instances as STOW items in batches (blocking: it encodes datasets, stats files)."""
        from dicomkit.core import stow
        from dicomkit.files.part10 import stow_items

        return stow.plan_batches(
            stow_items(instances, self.chunk_size),
            max_count=stow.DEFAULT_BATCH_COUNT if max_count is None else max_count,
            max_bytes=stow.DEFAULT_BATCH_BYTES if max_bytes is None else max_bytes,
        )

    @staticmethod
    def _store_tally(
        batches: list[list[stow.StowItem]],
        progress: Progress | None,
        duplicates: str,
        raise_on_warnings: bool,
    ) -> stow.StoreTally:
        """What ``store_instances`` counts its batches' outcomes in (core/stow.py)."""
        from dicomkit.core.stow import StoreTally

        return StoreTally(
            batches, progress, duplicates=duplicates, raise_on_warnings=raise_on_warnings
        )

    @staticmethod
    def _folder_upload(
        folder: str | os.PathLike[str],
        recursive: bool,
        study: str | None,
        max_count: int | None,
        max_bytes: int | None,
        workers: int | None,
        force: bool = False,
        duplicates: str = "present",
    ) -> tuple[FolderUpload, int, str]:
        """The plan of a folder upload (blocking: it scans and sniffs every file), with the
        number of requests to send at once and the checked ``duplicates`` policy."""
        from dicomkit.core.stow import DEFAULT_WORKERS, check_duplicate_policy
        from dicomkit.files.folder import FolderUpload

        policy = check_duplicate_policy(duplicates)
        if study is not None:
            validate_uid(study, "StudyInstanceUID")
        planned = DEFAULT_WORKERS if workers is None else workers
        plan = FolderUpload(folder, recursive, max_count, max_bytes, planned, force)
        return plan, workers or DEFAULT_WORKERS, policy


def joined_transport_options(
    transport: object, options: Mapping[str, Any] | None, network: Mapping[str, Any]
) -> dict[str, Any]:
    """``transport_options`` with the constructor's ``verify``/``cert``/``proxy`` joined, once.

    ``network`` holds those three (unset ones None, or ``"environment"`` for ``proxy``).
    Options apply only to a transport dicomkit builds: with an instance they would be silently
    ignored, so they are refused.
    """
    joined = dict(options or {})
    for name, value in network.items():
        if value is None if name != "proxy" else value == PROXY_FROM_ENVIRONMENT:
            continue
        if name in joined:
            raise InvalidArgumentError(f"{name} given twice: as {name}= and in transport_options")
        joined[name] = value
    if joined and isinstance(transport, (Transport, AsyncTransport)):
        raise InvalidArgumentError(
            f"transport_options {sorted(joined)} only apply when dicomkit builds the "
            "transport from a name or class; configure the instance you pass instead"
        )
    return joined


def raise_transport_failure(
    request: Request, error: TransportError | TokenEndpointError, attempts: int
) -> NoReturn:
    """Re-raise ``error`` (same class, original as cause) naming the request that failed.

    Backends word their errors after the socket ("HTTPConnection(host=...)"); the user
    needs to know which DICOMweb call failed and whether retrying already happened.
    """
    if isinstance(error, TokenEndpointError):
        raise error  # its message names the token endpoint; the request was never sent
    message = f"{request.method} {without_userinfo(request.url)}: {error}"
    if attempts > 1:
        message += f" (gave up after {attempts} attempts)"
    try:
        failure = type(error)(message)
    except TypeError:  # a backend's own subclass with another constructor: keep it as is
        raise error from error.__cause__
    failure.__dict__.update(error.__dict__)  # what was set on it, e.g. token_url
    raise failure from error


def uploadable(path: str | os.PathLike[str], scanned: ScannedFile) -> Path | bytes:
    """``path``, checked as ``upload_dicom_folder`` checks its files: InvalidArgumentError for
    a missing, unreadable or non-DICOM file, before any request. A headerless file accepted
    with ``force=True`` comes back re-encoded as Part 10 bytes."""
    if not scanned.is_dicom:
        raise InvalidArgumentError(
            f"cannot upload {path}: not a DICOM file (no Part 10 'DICM' header)"
        )
    if scanned.problem:
        raise InvalidArgumentError(f"cannot upload {path}: {scanned.problem}")
    if scanned.headerless:
        from dicomkit.files.part10 import headerless_part10

        return headerless_part10(scanned.path)
    return scanned.path
