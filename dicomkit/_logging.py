"""Every log record dicomkit emits, in one module: what it says, at which level, never a secret.

dicomkit configures no logging. The top logger ``dicomkit`` gets a ``NullHandler`` (the library
convention), so nothing is printed until the application configures logging; then the records
come from three child loggers:

- ``dicomkit.http`` at DEBUG: one record per HTTP attempt (method, URL, status, bytes received,
  seconds, attempt number), written when the answer is closed, or when the attempt failed;
- ``dicomkit.retry`` at INFO before each retry, at WARNING when a retryable failure is given up;
- ``dicomkit.auth`` at INFO when a token provider obtained a new token;
- ``dicomkit.jobs`` at INFO when a transfer job had to find out what a broken request did.

Headers and bodies are never logged (they carry credentials and patient data); URLs lose any
``user:password@`` and the values of query parameters that look like credentials. The drivers
and the token cache call this module in one line each, so the wording lives here only.

While nothing in the process has imported :mod:`logging`, no handler can exist, so no record
could be shown: this module then imports nothing and writes nothing (importing :mod:`logging`
costs about 15 ms of a command's start). The loggers are set up, NullHandler included, the
first time a record could be shown, whenever the application imports logging.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from dicomkit.core.interface import Request, Response
from dicomkit.core.retry import RetryPolicy
from dicomkit.core.urls import without_userinfo

if TYPE_CHECKING:
    import logging

__all__ = [
    "import_logging_from",
    "job_looked_up",
    "job_series_broken",
    "log_attempt",
    "shown_url",
    "token_obtained",
    "watch",
]

_DEBUG, _INFO, _WARNING = 10, 20, 30
"""``logging``'s levels, fixed values: comparing with them needs no import."""
_NEVER = 100
"""Above every level: by default no record imports :mod:`logging` itself."""


class _Loggers(NamedTuple):
    ROOT: logging.Logger
    HTTP: logging.Logger
    RETRY: logging.Logger
    AUTH: logging.Logger
    JOBS: logging.Logger


_lock = threading.Lock()
_made: list[_Loggers] = []


def _setup() -> _Loggers:
    """dicomkit's loggers, made once: ``dicomkit`` gets its NullHandler here."""
    import logging

    with _lock:
        if not _made:
            root = logging.getLogger("dicomkit")
            root.addHandler(logging.NullHandler())
            children = (
                logging.getLogger(f"dicomkit.{n}") for n in ("http", "retry", "auth", "jobs")
            )
            _made.append(_Loggers(root, *children))
    return _made[0]


_import_from = _NEVER


def import_logging_from(level: int) -> None:
    """Let a record at ``level`` or above import :mod:`logging` itself, for an application
    that configures logging as it is imported (the console script,
    dicomkit.cli._deferred_logging): until then such a record would be dropped."""
    global _import_from
    _import_from = level


def _loggers(level: int) -> _Loggers | None:
    """The loggers for a record at ``level``, or None while nothing has imported
    :mod:`logging` (nothing to show then) and the application does not ask for that level."""
    if _made:
        return _made[0]
    return _setup() if "logging" in sys.modules or level >= _import_from else None


if "logging" in sys.modules:
    _setup()


def __getattr__(name: str) -> logging.Logger:
    """``ROOT``, ``HTTP``, ``RETRY``, ``AUTH``, ``JOBS``: asking for one sets logging up."""
    if name in _Loggers._fields:
        logger: logging.Logger = getattr(_setup(), name)
        return logger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_SECRET_QUERY = re.compile(
    r"([?&](?:[^=&#]*(?:token|secret|password|passwd|signature|sig|key|code|auth)[^=&#]*)=)"
    r"[^&#]*",
    re.IGNORECASE,
)


def shown_url(url: str) -> str:
    """``url`` as a log record may show it: no userinfo, credential-like query values masked
    (a signed bulk-data URI carries its signature in the query)."""
    return _SECRET_QUERY.sub(r"\1***", without_userinfo(url))


def _fields(request: Request, attempt: int, sent: float) -> dict[str, Any]:
    """The structured ``extra`` of an HTTP record, for handlers that format them (JSON logs)."""
    return {
        "http_method": request.method,
        "url": shown_url(request.url),
        "attempt": attempt,
        "elapsed": round(time.monotonic() - sent, 6),
    }


class _Counted:
    """The answer's body, counted as it is read (sync or async, whichever the driver uses)."""

    def __init__(self, inner: Response) -> None:
        self.inner = inner
        self.received = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner.iter_bytes():
            self.received += len(chunk)
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner.aiter_bytes():
            self.received += len(chunk)
            yield chunk


class _Watched(Response):
    """``inner`` with one DEBUG record written when it is closed."""

    def __init__(self, inner: Response, request: Request, attempt: int, sent: float) -> None:
        self._body = _Counted(inner)
        super().__init__(
            inner.status,
            inner.headers,
            stream=self._body,
            on_close=self._close_inner,
            astream=self._body,
            on_aclose=self._aclose_inner,
            url=inner.url,
            request=inner.request,
        )
        self._record = (request, attempt, sent)

    def _close_inner(self) -> None:
        try:
            self._body.inner.close()
        finally:
            self._log()

    async def _aclose_inner(self) -> None:
        try:
            await self._body.inner.aclose()
        finally:
            self._log()

    def _log(self) -> None:
        loggers = _loggers(_DEBUG)
        if loggers is None:
            return
        request, attempt, sent = self._record
        fields = _fields(request, attempt, sent)
        fields.update(status_code=self.status, bytes_received=self._body.received)
        loggers.HTTP.debug(
            "%s %s -> %d, %d bytes in %.3f s (attempt %d)",
            request.method,
            fields["url"],
            self.status,
            self._body.received,
            fields["elapsed"],
            attempt,
            extra=fields,
        )


def watch(response: Response, request: Request, attempt: int, sent: float) -> Response:
    """``response``, logged at DEBUG on ``dicomkit.http`` when closed; itself when that logger
    is not enabled for DEBUG, so an unlogged client pays nothing per chunk.

    ``sent`` is the :func:`time.monotonic` reading taken before the attempt was sent.
    """
    loggers = _loggers(_DEBUG)
    if loggers is None or not loggers.HTTP.isEnabledFor(_DEBUG):
        return response
    return _Watched(response, request, attempt, sent)


def log_attempt(
    policy: RetryPolicy,
    request: Request,
    attempt: int,
    delay: float | None,
    *,
    sent: float,
    status: int | None = None,
    error: BaseException | None = None,
) -> None:
    """What the driver decided after attempt ``attempt``: a failed send (DEBUG), a retry after
    ``delay`` seconds (INFO), or a retryable failure given up (WARNING). A success says nothing
    here (its record comes from :func:`watch`); neither does a failure the policy never
    retries, or a client built with ``retry=False``."""
    gave_up = (
        delay is None
        and policy.max_attempts > 1
        and policy.should_retry(request.method, status=status, error=error)
    )
    if error is None and delay is None and not gave_up:
        return  # an answer the driver returns: its record comes from watch()
    loggers = _loggers(_WARNING if gave_up else _INFO if delay is not None else _DEBUG)
    if loggers is None:
        return
    url = shown_url(request.url)
    fields = _fields(request, attempt, sent)
    if error is not None:
        outcome = f"{type(error).__name__}: {error}"
        loggers.HTTP.debug(
            "%s %s failed after %.3f s: %s (attempt %d)",
            request.method,
            url,
            fields["elapsed"],
            outcome,
            attempt,
            extra=fields,
        )
    else:
        outcome = f"HTTP {status}"
        fields["status_code"] = status
    if delay is not None:
        fields["delay"] = delay
        loggers.RETRY.info(
            "retrying %s %s in %.2f s after %s (attempt %d of %d failed)",
            request.method,
            url,
            delay,
            outcome,
            attempt,
            policy.max_attempts,
            extra=fields,
        )
    elif gave_up:
        loggers.RETRY.warning(
            "giving up on %s %s after %d attempt%s: %s",
            request.method,
            url,
            attempt,
            "" if attempt == 1 else "s",
            outcome,
            extra=fields,
        )


def token_obtained(provider: object, expires_in: float | None) -> None:
    """An INFO record on ``dicomkit.auth``: ``provider`` holds a new token (never shown)."""
    loggers = _loggers(_INFO)
    if loggers is None:
        return
    source = getattr(provider, "token_url", None)
    where = f" from {shown_url(source)}" if isinstance(source, str) else ""
    lifetime = "" if expires_in is None else f", valid for {expires_in:.0f} s"
    loggers.AUTH.info(
        "%s obtained a new access token%s%s",
        type(provider).__name__,
        where,
        lifetime,
        extra={"expires_in": expires_in},
    )


def job_looked_up(job: str, asked: int, found: int, why: str) -> None:
    """An INFO record on ``dicomkit.jobs``: a STOW-RS request of ``asked`` instances got no
    answer (``why``), and QIDO-RS found ``found`` of them on the server."""
    loggers = _loggers(_INFO)
    if loggers is None:
        return
    loggers.JOBS.info(
        "%s: %d instance(s) without an answer (%s); %d found on the server, %d to send again",
        job,
        asked,
        why,
        found,
        asked - found,
        extra={"job": job, "asked": asked, "found": found},
    )


def job_series_broken(job: str, series: str, remaining: int, why: str) -> None:
    """An INFO record on ``dicomkit.jobs``: a series' answer broke midway (``why``); its
    ``remaining`` instances are asked for one by one."""
    loggers = _loggers(_INFO)
    if loggers is None:
        return
    loggers.JOBS.info(
        "%s: series %s broke midway (%s); asking for its %d remaining instance(s) one by one",
        job,
        series,
        why,
        remaining,
        extra={"job": job, "series": series, "remaining": remaining},
    )
