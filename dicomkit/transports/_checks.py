"""The checks every backend shares: header fields, URLs, where a redirect leads.

Private to :mod:`dicomkit.transports`; plugin authors import the same names from
:mod:`dicomkit.transports.support`. Kept apart so that the generated flow twins
(``_flows_async`` / ``_flows_sync``) can use them without importing ``support``.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager

from dicomkit.core import errors
from dicomkit.core.interface import Headers, Request, Response
from dicomkit.core.redirects import redirect_request

__all__ = [
    "AsyncDiscard",
    "AsyncSend",
    "Discard",
    "RedirectChain",
    "Send",
    "Translated",
    "checked_headers",
    "checked_url",
    "raise_if_closed",
]

Send = Callable[[Request], Response]
"""How a backend sends one request (its own send, without redirects)."""
AsyncSend = Callable[[Request], Awaitable[Response]]
Discard = Callable[[Response], None]
"""What to do with an answer a redirect leaves behind (close it, or drain then close it)."""
AsyncDiscard = Callable[[Response], Awaitable[None]]
Translated = Callable[[], AbstractContextManager[object]]
"""A backend's ``translated()`` context manager: library exceptions become dicomkit's inside."""

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")


def checked_headers(headers: Headers) -> Headers:
    """A copy of ``headers`` once every name is a token and every value visible ASCII.

    Libraries disagree on bad fields (one sends a name with a space, another raises a bare
    ``ValueError`` for a line break, a third re-encodes non-ASCII text); checking first gives
    callers the same :class:`~dicomkit.core.errors.InvalidArgumentError` with every backend.
    Repeated fields whose names differ only in case are all spelled like the first one, since
    some libraries (aiohttp) keep only the last of ``X-A`` and ``x-a``.
    """
    spelling: dict[str, str] = {}
    checked = Headers()
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name):
            raise errors.InvalidArgumentError(f"invalid HTTP header name {name!r}")
        if not _FIELD_VALUE.fullmatch(value):
            raise errors.InvalidArgumentError(
                f"the value of HTTP header {name!r} must be ASCII without control characters"
            )
        checked.add(spelling.setdefault(name.lower(), name), value)
    return checked


def checked_url(url: str) -> str:
    """``url`` once it is an absolute ``http``/``https`` URL with a host.

    A relative or other-scheme URL would otherwise reach each library and fail differently
    (a warning and a guess, a bare ``ValueError``, or a request to the wrong place).
    """
    try:
        parts = urllib.parse.urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in range
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid:
        raise errors.InvalidArgumentError(f"not an absolute http(s) URL: {url[:200]!r}")
    return url


class RedirectChain:
    """Where one request's redirects lead: the pure decision plus the count of hops so far.

    The drivers below send and close; a backend with a different way of sending (a callback
    API, trio) drives the chain itself: after each answer, ``next_request(response)`` gives the
    request to send next, or None when the answer is the final one.
    """

    def __init__(self, request: Request, max_redirects: int) -> None:
        if max_redirects < 0:
            raise errors.InvalidArgumentError("max_redirects must be >= 0")
        self.request = request
        self.max_redirects = max_redirects
        self.followed = 0

    def next_request(self, response: Response) -> Request | None:
        """The request to send after ``response`` (raises ``TooManyRedirectsError`` past the
        limit, ``ProtocolError`` for a ``Location`` no request can be sent to); None when
        ``response`` is not a redirect that is followed."""
        following = redirect_request(
            self.request,
            response.status,
            response.headers,
            redirects_followed=self.followed,
            max_redirects=self.max_redirects,
        )
        if following is not None:
            _check_redirect_target(self.request, following.url)
            self.request = following
            self.followed += 1
        return following


def _check_redirect_target(request: Request, target: str) -> None:
    """Refuse a server's redirect target that each library would fail on in its own way.

    The URL comes from the server, so a bad one is the server's fault (``ProtocolError``),
    never a bare ``ValueError``, ``UnicodeError`` or ``OverflowError`` from deep inside a
    library: a malformed IPv6 host, a port out of range, raw non-ASCII bytes, a host name
    that has no IDNA form.
    """
    try:
        checked_url(target)
        host = urllib.parse.urlsplit(target).hostname or ""
        usable = target.isascii() and (":" in host or bool(host.encode("idna")))
    except (errors.InvalidArgumentError, UnicodeError):
        usable = False
    if not usable:
        raise errors.ProtocolError(
            f"{request.method} {request.url}: the server redirected to a URL that cannot be "
            f"requested: {target[:200]!r}"
        )


def raise_if_closed(closed: Callable[[], bool], exc: Exception) -> None:
    """Raise ``TransportClosedError`` from ``exc`` when the body failed because it was closed."""
    if closed():
        raise errors.TransportClosedError(
            "the transport was closed while this response was being read"
        ) from exc
