"""The redirect decision every backend shares, so all of them follow redirects the same way.

Backends turn their HTTP library's own redirect handling off and send through
``dicomkit.transports.support.follow_redirects``, which asks :func:`redirect_request` after
each 3xx answer (a backend never calls it itself). Only GET and HEAD are followed: a DICOMweb
upload (POST) that is redirected must not silently become a GET or be re-sent somewhere else.
Credentials never cross to another origin. URL references are resolved (RFC 3986 section 5)
and origins compared by :mod:`dicomkit.core.urls`, whose ``Origin``, ``origin_of`` and
``resolve_reference`` are also importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping

from dicomkit.core.errors import TooManyRedirectsError
from dicomkit.core.interface import Headers, Request
from dicomkit.core.urls import Origin, origin_of, resolve_reference

__all__ = [
    "FOLLOWED_METHODS",
    "REDIRECT_STATUSES",
    "SENSITIVE_HEADERS",
    "Origin",
    "origin_of",
    "redirect_request",
    "resolve_reference",
]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
FOLLOWED_METHODS = frozenset({"GET", "HEAD"})
SENSITIVE_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")

_SCHEMES = ("http", "https")


def redirect_request(
    request: Request,
    status: int,
    headers: Headers | Mapping[str, str],
    *,
    redirects_followed: int,
    max_redirects: int,
) -> Request | None:
    """The request to send next after a 3xx answer, or None when the answer is final.

    ``redirects_followed`` counts the redirects already followed for this request; following
    one more than ``max_redirects`` raises :class:`TooManyRedirectsError`.
    """
    if status not in REDIRECT_STATUSES or request.method not in FOLLOWED_METHODS:
        return None
    location = headers.get("Location") if isinstance(headers, Headers) else _get(headers)
    if not location:
        return None
    target = resolve_reference(request.url, location)
    if origin_of(target).scheme not in _SCHEMES:
        return None
    if redirects_followed >= max_redirects:
        raise TooManyRedirectsError(
            f"more than {max_redirects} redirects, the last one from {request.url} to {target}"
        )
    new_headers = request.headers.copy()
    new_headers.remove("Host")
    if origin_of(target) != origin_of(request.url):
        for name in SENSITIVE_HEADERS:
            new_headers.remove(name)
    target = target.partition("#")[0]  # the fragment is the client's business, never sent
    return Request(request.method, target, new_headers, None, request.timeout)


def _get(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "location":
            return value
    return None
