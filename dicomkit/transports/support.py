"""Public building blocks for transport backends: ours, the plugins, and third parties'.

Every backend has to do the same few things around its HTTP library: refuse impossible options,
check header fields, turn ``verify``/``cert`` into TLS settings, follow redirects with the
shared decision of :mod:`dicomkit.core.redirects`, and translate the library's exceptions into
dicomkit's. Doing them here once keeps the backends observably alike and short. Nothing here
imports an HTTP library, so a backend may import this module at its own import time; nor does
it import ``ssl`` or ``http.client`` before they are needed (a TLS setting, a first error to
translate), which keeps a client's construction cheap.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypedDict

from dicomkit.core import errors
from dicomkit.core.interface import Headers, Request, Response, StreamBody
from dicomkit.core.numbers import parse_decimal
from dicomkit.transports._checks import (
    RedirectChain,
    Translated,
    checked_headers,
    checked_url,
)
from dicomkit.transports._flows_async import afollow_redirects, astream_chunks
from dicomkit.transports._flows_sync import follow_redirects, stream_chunks
from dicomkit.transports._lifecycle import ClosedFlag, ReadWatchdog, TransportLifecycle
from dicomkit.transports._pieces import (
    MAX_PIECE,
    ChunkReader,
    HeadParser,
    ParsedHead,
    join_pieces,
)
from dicomkit.transports._proxies import ENVIRONMENT, Proxies, proxies_option
from dicomkit.transports._sessions import (
    SESSION_OPTIONS,
    ProcessLocal,
    refuse_session_options,
    session_fields,
)

if TYPE_CHECKING:
    import ssl

__all__ = [
    "DRAIN_LIMIT",
    "ENVIRONMENT",
    "MAX_PIECE",
    "PLAIN_HTTP_HINT",
    "ProcessLocal",
    "Proxies",
    "STDLIB_ERRORS",
    "BodySourceError",
    "ChunkReader",
    "HeadParser",
    "ParsedHead",
    "ReadWatchdog",
    "TransportLifecycle",
    "join_pieces",
    "ClientCert",
    "ClosedFlag",
    "CommonOptions",
    "Content",
    "ErrorTable",
    "ExceptionTranslator",
    "SESSION_OPTIONS",
    "RedirectChain",
    "SizedBody",
    "TransportOptions",
    "Translated",
    "AsyncBody",
    "abody_chunks",
    "aclose_body",
    "afollow_redirects",
    "astream_chunks",
    "body_chunks",
    "check_options",
    "close_body",
    "closing_body",
    "checked_headers",
    "checked_url",
    "common_options",
    "describe_exception",
    "drain_and_close",
    "exception_chain",
    "follow_redirects",
    "import_library",
    "plain_http_answer",
    "tls_alert",
    "proxies_option",
    "refuse_session_options",
    "request_content",
    "session_fields",
    "ssl_context",
    "ssl_option",
    "stream_chunks",
]

ClientCert = str | tuple[str, str] | None
"""A client certificate: one PEM file holding certificate and key, or ``(cert, key)``."""

ErrorTable = Mapping[type[BaseException], type[errors.DicomkitError]]
"""Library exception class -> dicomkit error class; a subclass is found by its nearest ancestor."""

DRAIN_LIMIT = 64 * 1024
"""A redirect's body up to this size is read by :func:`drain_and_close` so its connection is
reused instead of dropped."""


def drain_and_close(response: Response) -> None:
    """Close a redirect answer, reading a small body first so its connection can be reused."""
    length = parse_decimal(response.headers.get("Content-Length"), max_digits=len(str(DRAIN_LIMIT)))
    if length is not None and length <= DRAIN_LIMIT:
        for _ in response.iter_bytes():
            pass
    response.close()


# -- options and the library itself ----------------------------------------------------------


def import_library(name: str, install_hint: str | None = None) -> ModuleType:
    """Import a backend's HTTP library when the backend is built; a missing one says what to
    install (at construction, not on the first request)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        hint = (
            install_hint or f"the {name!r} transport needs the {name} package: pip install {name}"
        )
        raise errors.TransportNotFoundError(hint) from exc


def check_options(
    verify: bool | str, max_redirects: int, pool_maxsize: int, *, min_pool_maxsize: int = 1
) -> None:
    """Refuse the impossible values of the options every backend takes, before anything opens."""
    if not isinstance(verify, bool | str):
        raise errors.InvalidArgumentError("verify is True, False or the path of a CA bundle")
    if max_redirects < 0:
        raise errors.InvalidArgumentError("max_redirects must be >= 0")
    if pool_maxsize < min_pool_maxsize:
        raise errors.InvalidArgumentError(f"pool_maxsize must be >= {min_pool_maxsize}")


class TransportOptions(TypedDict, total=False):
    """The keyword options every backend takes (the clients pass them through).

    A backend declares them once as ``**options: Unpack[TransportOptions]`` beside its own
    (its session, ``trust_env`` ...) and reads them with :func:`common_options`: ``verify``
    (True, False or a CA bundle path), ``cert`` (:data:`ClientCert`), ``max_redirects``,
    ``pool_maxsize``, ``proxy`` (an ``http://`` URL, None for none, or left out: the
    environment's ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``, see :class:`Proxies`).
    """

    verify: bool | str
    cert: ClientCert
    max_redirects: int
    pool_maxsize: int
    proxy: str | None


@dataclass(frozen=True)
class CommonOptions:
    """:class:`TransportOptions` with every default filled in and every value checked."""

    verify: bool | str
    cert: ClientCert
    max_redirects: int
    pool_maxsize: int
    proxies: Proxies = field(default_factory=Proxies)


def common_options(
    options: TransportOptions, *, pool_maxsize: int = 10, min_pool_maxsize: int = 1
) -> CommonOptions:
    """``options`` with the defaults filled in (``pool_maxsize`` is the backend's own default),
    refused like a bad keyword argument (``TypeError``) or by :func:`check_options`."""
    unknown = sorted(set(options) - TransportOptions.__optional_keys__)
    if unknown:
        raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
    checked = CommonOptions(
        verify=options.get("verify", True),
        cert=options.get("cert"),
        max_redirects=options.get("max_redirects", 10),
        pool_maxsize=options.get("pool_maxsize", pool_maxsize),
        proxies=proxies_option(options.get("proxy", ENVIRONMENT)),
    )
    check_options(
        checked.verify,
        checked.max_redirects,
        checked.pool_maxsize,
        min_pool_maxsize=min_pool_maxsize,
    )
    return checked


def ssl_context(
    verify: bool | str = True, cert: ClientCert = None, *, default_cafile: str | None = None
) -> ssl.SSLContext:
    """An :class:`ssl.SSLContext` for the ``verify`` and ``cert`` options.

    ``verify`` is True (the default CA store, or ``default_cafile`` when the library verifies
    against a bundle of its own, such as certifi), False (no verification) or the path of a CA
    bundle file or directory. An unreadable file is an ``InvalidArgumentError``, a file that is
    not a certificate or key a ``TLSError``.
    """
    import ssl

    try:
        if verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif isinstance(verify, str) and os.path.isdir(verify):
            context = ssl.create_default_context(capath=verify)
        elif isinstance(verify, str):
            context = ssl.create_default_context(cafile=verify)
        else:
            context = ssl.create_default_context(cafile=default_cafile)
        if isinstance(cert, str):
            context.load_cert_chain(cert)
        elif cert is not None:
            context.load_cert_chain(cert[0], cert[1])
    except ssl.SSLError as exc:
        raise errors.TLSError(f"cannot load the TLS settings: {exc}") from exc
    except OSError as exc:
        raise errors.InvalidArgumentError(f"cannot read a TLS file: {exc}") from exc
    except (ValueError, TypeError, IndexError) as exc:  # a NUL in a path, a cert of no shape
        raise errors.InvalidArgumentError(
            "verify is True, False or a CA path; cert is a PEM path or (cert, key) paths: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return context


def ssl_option(
    verify: bool | str, cert: ClientCert, *, default_cafile: str | None = None
) -> bool | ssl.SSLContext:
    """``verify`` itself when a library's own True/False handling suffices, else a context
    (a CA bundle path or a client certificate needs one), built once per transport."""
    if not isinstance(verify, bool | str):
        raise errors.InvalidArgumentError("verify is True, False or the path of a CA bundle")
    if cert is None and isinstance(verify, bool):
        return verify
    return ssl_context(verify, cert, default_cafile=default_cafile)


# -- exceptions ------------------------------------------------------------------------------


def _stdlib_table() -> ErrorTable:
    """What the socket, TLS and ``http.client`` layers raise past an HTTP library, in dicomkit's
    tree (``http.client`` speaks for libraries built on it, such as urllib3). Built on first use
    (the modules are then loaded by the library anyway); read as :data:`STDLIB_ERRORS`."""
    global _stdlib_errors
    if _stdlib_errors is None:
        import http.client
        import socket
        import ssl

        _stdlib_errors = {
            ssl.SSLError: errors.TLSError,
            ssl.CertificateError: errors.TLSError,
            ConnectionRefusedError: errors.ConnectError,
            socket.gaierror: errors.ConnectError,
            ConnectionError: errors.ConnectionLostError,
            TimeoutError: errors.TimeoutError,
            OSError: errors.TransportError,
            http.client.InvalidURL: errors.InvalidArgumentError,
            http.client.IncompleteRead: errors.ConnectionLostError,
            http.client.HTTPException: errors.ConnectionLostError,
        }
    return _stdlib_errors


_stdlib_errors: ErrorTable | None = None

if TYPE_CHECKING:
    STDLIB_ERRORS: ErrorTable
    """What the socket, TLS and ``http.client`` layers raise past an HTTP library, in dicomkit's
    tree; built on first use."""


def __getattr__(name: str) -> Any:
    if name == "STDLIB_ERRORS":
        return _stdlib_table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _ssl_error(link: BaseException) -> bool:
    """Whether ``link`` is an ``ssl.SSLError`` (never true while ``ssl`` is not yet loaded)."""
    ssl = sys.modules.get("ssl")
    return ssl is not None and isinstance(link, ssl.SSLError)


class BodySourceError(Exception):
    """Carries an exception raised by the caller's request body source through the library.

    The caller's own error is re-raised unchanged by :meth:`ExceptionTranslator.translated`,
    however the library wrapped it on the way: it is not a transport failure.
    """

    def __init__(self, original: Exception) -> None:
        super().__init__(repr(original))
        self.original = original


def body_chunks(request: Request) -> Iterator[bytes]:
    """``request``'s body chunks; an error of the caller's source comes out marked as such.

    Closing the iterator closes the caller's source at once (and so the file it reads).
    """
    chunks = request.iter_body()
    try:
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except Exception as exc:
                raise BodySourceError(exc) from exc
            yield chunk
    finally:
        if isinstance(chunks, Generator):
            chunks.close()


def close_body(content: object) -> None:
    """Close a streamed request body (:func:`body_chunks`, :class:`SizedBody`) the library is
    done with; bytes, None and closed bodies are left alone.

    Call it once the library call returned or raised: a library that stops reading a body
    (a reset mid-upload) leaves the generator suspended, and with it the caller's file open,
    until the garbage collector breaks the cycle its exception made.
    """
    close = getattr(content, "close", None)
    if callable(close):
        close()


async def aclose_body(content: object) -> None:
    """:func:`close_body` for a body of either kind (:func:`abody_chunks` is closed on a worker
    thread); a body the library is still sending from another task is left to that task."""
    aclose = getattr(content, "aclose", None)
    if not callable(aclose):
        close_body(content)
        return
    with suppress(RuntimeError):  # "asynchronous generator is already running"
        await aclose()


@contextmanager
def closing_body(content: object) -> Iterator[None]:
    """Run the library call that sends ``content``; close the body when it returns or raises."""
    try:
        yield
    finally:
        close_body(content)


class SizedBody:
    """A streamed request body for libraries that ask an iterable body its ``len()``.

    Iterates :func:`body_chunks`. ``len()`` is the declared length (0 when unknown: requests
    then sends the body chunked) and the body is always true, since some libraries replace a
    false body by an empty form.
    """

    __slots__ = ("_chunks", "length")

    def __init__(self, request: Request) -> None:
        self._chunks = body_chunks(request)
        self.length = request.content_length

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        """Close the caller's source now (see :func:`close_body`)."""
        close_body(self._chunks)

    def __len__(self) -> int:
        return self.length or 0

    def __bool__(self) -> bool:
        return True


def abody_chunks(request: Request) -> AsyncBody:
    """:func:`body_chunks` as an async iterator (an :class:`AsyncBody`), for libraries that take
    only those."""
    return AsyncBody(request)


class AsyncBody:
    """A request body as an async iterator, read without ever blocking the event loop.

    A streamed body (files opened and read as it is sent) is read chunk by chunk on a worker
    thread, so that the event loop never waits on a disk; a bytes body is handed over as is.
    :meth:`aclose` closes the source (and so its files) on a worker thread, after a read still
    running there: the lock keeps the two from overlapping, so a transport may close the body
    while the library's own task is still reading it (aiohttp sends from a task of its own).
    A read that fails or is cancelled closes the source the same way.
    """

    __slots__ = ("_chunks", "_lock", "_threaded")

    def __init__(self, request: Request) -> None:
        self._chunks = body_chunks(request)
        self._lock = threading.Lock()
        self._threaded = isinstance(request.body, StreamBody)

    def __aiter__(self) -> AsyncBody:
        return self

    async def __anext__(self) -> bytes:
        if not self._threaded:
            piece = next(self._chunks, None)
        else:
            import asyncio  # here, not at the top: a blocking client never loads asyncio

            try:
                piece = await asyncio.to_thread(_next_chunk, self._chunks, self._lock)
            except BaseException:
                await self.aclose()
                raise
        if piece is None:
            raise StopAsyncIteration
        return piece

    async def aclose(self) -> None:
        """Close the source now, or once a read running on a worker thread is over."""
        if self._threaded:
            import asyncio

            await asyncio.to_thread(_close_chunks, self._chunks, self._lock)
        else:
            close_body(self._chunks)


def _next_chunk(chunks: Iterator[bytes], lock: threading.Lock) -> bytes | None:
    with lock:
        return next(chunks, None)


def _close_chunks(chunks: Iterator[bytes], lock: threading.Lock) -> None:
    with lock:
        if isinstance(chunks, Generator):
            chunks.close()


Content = bytes | Iterator[bytes] | AsyncIterator[bytes] | None
"""A request body as :func:`request_content` hands it to a library."""


def request_content(request: Request, *, asynchronous: bool = False) -> tuple[Headers, Content]:
    """``request``'s checked header fields, and its body as most libraries take it.

    Bytes (or no body) stay as they are; a stream becomes :func:`body_chunks` (or
    :func:`abody_chunks` when ``asynchronous``), with ``Content-Length`` set when its length is
    known so the library neither buffers the body to measure it nor falls back to chunking.
    """
    headers = checked_headers(request.headers)
    if request.body is None or isinstance(request.body, bytes):
        return headers, request.body
    length = request.content_length
    if length is not None:
        headers.set("Content-Length", str(length))
    return headers, abody_chunks(request) if asynchronous else body_chunks(request)


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and its causes (or contexts) in turn, each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe_exception(exc: BaseException, library: str) -> str:
    """``str(exc)`` with its class and library named; half-built exceptions cannot always str()."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    return f"{text or type(exc).__name__} ({library} {type(exc).__name__})"


def _status_of(exc: BaseException) -> int:
    for holder in (exc, getattr(exc, "response", None)):
        for name in ("status_code", "status"):
            try:
                value = getattr(holder, name, None)
            except Exception:
                value = None
            if isinstance(value, int):
                return value
    return 0


_GENERIC = (errors.ConnectError, errors.TransportError)

PLAIN_HTTP_HINT = (
    "the server answered the TLS handshake in plain HTTP: should the URL start with http:// "
    "instead of https://?"
)
"""How a TLS error begins when an ``https://`` URL reached a plain-HTTP server."""

_PLAIN_HTTP_REASONS = frozenset({"WRONG_VERSION_NUMBER"})
"""OpenSSL's reason when the first bytes back (``HTTP/1.1 400``) are no TLS record."""


def tls_alert(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a TLS alert the server sent (OpenSSL reasons
    ``..._ALERT_...``: certificate required, bad or unknown certificate, unknown CA ...)."""
    return any(
        _ssl_error(link) and "_ALERT_" in str(getattr(link, "reason", "") or "")
        for link in exception_chain(exc)
    )


def plain_http_answer(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a TLS handshake that met a plain-HTTP server."""
    for link in exception_chain(exc):
        if not _ssl_error(link):
            continue
        if getattr(link, "reason", None) in _PLAIN_HTTP_REASONS:
            return True
        try:
            text = str(link)
        except Exception:  # a half-built exception (a library's subclass) cannot always str()
            continue
        if "wrong version number" in text.lower():
            return True
    return False


class ExceptionTranslator:
    """A backend's exception table made into ``translate`` and the ``translated`` context.

    ``table`` is called once, on the first translation, so building the translator never
    imports the library; :data:`STDLIB_ERRORS` fills in what the table leaves out unless
    ``stdlib=False``. Only ``Exception`` subclasses found in the table are translated:
    cancellation, programming errors and dicomkit's own errors pass through unchanged.

    ``unwrap`` names the exception a library error carries inside it, for libraries that
    wrap one error in another (urllib3's ``MaxRetryError.reason``, the first argument of
    requests' ``ConnectionError``): the inner one decides when it translates to something
    more precise, or when the wrapper's own class is only the generic ``ConnectError`` or
    ``TransportError``.

    ``codes`` and ``code_of`` are for libraries that raise one class with an error code
    (``pycurl.error(7, "...")``): ``code_of(exc)`` reads the code (None: none), ``codes()``
    (called once, like ``table``) maps codes to dicomkit classes, and a mapped code wins over
    the class. The hook for anything else: :meth:`translated` calls :meth:`translate` for
    every exception, so a subclass may override ``translate`` (calling ``super()`` for the
    rest); that is promised, part of the contract's version.
    """

    def __init__(
        self,
        library: str,
        table: Callable[[], ErrorTable],
        *,
        stdlib: bool = True,
        unwrap: Callable[[BaseException], BaseException | None] | None = None,
        codes: Callable[[], Mapping[object, type[errors.DicomkitError]]] | None = None,
        code_of: Callable[[BaseException], object] | None = None,
    ):
        if (codes is None) != (code_of is None):
            raise errors.InvalidArgumentError("codes= and code_of= go together")
        self.library = library
        self._make_table = table
        self._stdlib = stdlib
        self._unwrap = unwrap
        self._table: dict[type[BaseException], type[errors.DicomkitError]] | None = None
        self._make_codes = codes
        self._code_of = code_of
        self._codes: dict[object, type[errors.DicomkitError]] | None = None

    def table(self) -> dict[type[BaseException], type[errors.DicomkitError]]:
        """The complete table: the backend's entries, then the standard library's."""
        if self._table is None:
            table = dict(self._make_table())
            if self._stdlib:
                for cls, target in _stdlib_table().items():
                    table.setdefault(cls, target)
            self._table = table
        return self._table

    def error_class_for(self, exc_type: type[BaseException]) -> type[errors.DicomkitError] | None:
        """The dicomkit class for ``exc_type``, by its nearest mapped ancestor; None = pass."""
        if issubclass(exc_type, errors.DicomkitError) or not issubclass(exc_type, Exception):
            return None
        table = self.table()
        for klass in exc_type.__mro__:
            if klass in table:
                return table[klass]
        return None

    def error_class_for_code(self, exc: BaseException) -> type[errors.DicomkitError] | None:
        """The dicomkit class for the error code ``exc`` carries (``codes``), or None."""
        if self._code_of is None or self._make_codes is None:
            return None
        if isinstance(exc, errors.DicomkitError) or not isinstance(exc, Exception):
            return None
        if self._codes is None:
            self._codes = dict(self._make_codes())
        try:
            code = self._code_of(exc)
            return None if code is None else self._codes.get(code)
        except Exception:  # a half-built exception, an unhashable code: the class decides
            return None

    def translate(self, exc: BaseException) -> errors.DicomkitError | None:
        """The dicomkit error to raise for ``exc`` (not yet chained), or None to let it pass.

        An ``HTTPError`` target takes the status of ``exc`` (or of its ``response``); a connect
        error caused by a TLS failure becomes a ``TLSError``, and one where the server answered
        in plain HTTP asks whether the URL should be ``http://``; a wrapper may give way to the
        error it wraps (see ``unwrap``).
        """
        error = self._translate(exc, 0)
        if error is not None and plain_http_answer(exc):
            return errors.TLSError(f"{PLAIN_HTTP_HINT}: {error}")
        if error is not None and not isinstance(error, errors.TLSError) and tls_alert(exc):
            # TLS 1.3: a refused client certificate arrives as an alert on the first read,
            # after the handshake looked complete; libraries call it a read or connect error
            return errors.TLSError(f"the server refused the TLS session: {error}")
        return error

    def _translate(self, exc: BaseException, depth: int) -> errors.DicomkitError | None:
        target = self.error_class_for_code(exc) or self.error_class_for(type(exc))
        if target is None:
            return None
        inner = self._unwrap(exc) if self._unwrap is not None and depth < 8 else None
        if inner is not None and inner is not exc:
            precise = self._translate(inner, depth + 1)
            if precise is not None and (target in _GENERIC or isinstance(precise, target)):
                return precise
        message = describe_exception(exc, self.library)
        if issubclass(target, errors.HTTPError):
            status = _status_of(exc)
            return errors.error_for_status(status)(status, message)
        if target is errors.ConnectError and any(_ssl_error(link) for link in exception_chain(exc)):
            target = errors.TLSError
        return target(message)

    @contextmanager
    def translated(self) -> Iterator[None]:
        """Run a block that calls the library; its exceptions leave as dicomkit's (cause kept)."""
        try:
            yield
        except errors.DicomkitError:
            raise
        except Exception as exc:
            for link in exception_chain(exc):
                if isinstance(link, BodySourceError):
                    # The caller's own exception, as they raised it (the library's wrapping hidden).
                    raise link.original from link.original.__cause__
            error = self.translate(exc)
            if error is None:
                raise
            raise error from exc
