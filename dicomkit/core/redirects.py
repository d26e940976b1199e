"""The redirect decision every backend shares, so all of them follow redirects the same way.

Backends turn their HTTP library's own redirect handling off and ask :func:`redirect_request`
after each 3xx answer. Only GET and HEAD are followed: a DICOMweb upload (POST) that is
redirected must not silently become a GET or be re-sent somewhere else. Credentials never cross
to another origin. URL references are resolved here (RFC 3986 section 5) because the core may
not import :mod:`urllib`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from dicomkit.core.errors import TooManyRedirectsError
from dicomkit.core.interface import Headers, Request

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

_DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 3986, appendix B.
_URI = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.S)


class _Parts(NamedTuple):
    scheme: str | None
    authority: str | None
    path: str
    query: str | None
    fragment: str | None


class Origin(NamedTuple):
    """Scheme, lower-cased host and effective port: what decides if credentials may follow."""

    scheme: str
    host: str
    port: int | None


def _split(uri: str) -> _Parts:
    match = _URI.match(uri)
    if match is None:  # pragma: no cover - the pattern matches every string
        return _Parts(None, None, uri, None, None)
    scheme, authority, path, query, fragment = match.groups()
    return _Parts(scheme, authority, path, query, fragment)


def _join(parts: _Parts) -> str:
    text = ""
    if parts.scheme is not None:
        text += parts.scheme + ":"
    if parts.authority is not None:
        text += "//" + parts.authority
    text += parts.path
    if parts.query is not None:
        text += "?" + parts.query
    if parts.fragment is not None:
        text += "#" + parts.fragment
    return text


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, written as a segment stack."""
    if not path:
        return path
    absolute = path.startswith("/")
    segments = path.split("/")
    if absolute:
        segments = segments[1:]
    output: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return "/" + result if absolute else result


def _merge(base: _Parts, reference_path: str) -> str:
    if base.authority is not None and base.path == "":
        return "/" + reference_path
    head, slash, _ = base.path.rpartition("/")
    return head + slash + reference_path if slash else reference_path


def resolve_reference(base: str, reference: str) -> str:
    """Resolve a (possibly relative) URI reference against an absolute base, RFC 3986 5.2.2."""
    b = _split(base)
    r = _split(reference.strip())
    if r.scheme is not None:
        target = _Parts(r.scheme, r.authority, _remove_dot_segments(r.path), r.query, r.fragment)
    elif r.authority is not None:
        target = _Parts(b.scheme, r.authority, _remove_dot_segments(r.path), r.query, r.fragment)
    elif r.path == "":
        query = r.query if r.query is not None else b.query
        target = _Parts(b.scheme, b.authority, b.path, query, r.fragment)
    elif r.path.startswith("/"):
        target = _Parts(b.scheme, b.authority, _remove_dot_segments(r.path), r.query, r.fragment)
    else:
        path = _remove_dot_segments(_merge(b, r.path))
        target = _Parts(b.scheme, b.authority, path, r.query, r.fragment)
    return _join(target)


def origin_of(url: str) -> Origin:
    """The origin of an absolute URL; userinfo is ignored and default ports are made explicit."""
    parts = _split(url)
    scheme = (parts.scheme or "").lower()
    hostport = (parts.authority or "").rpartition("@")[2]
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    # isascii: "²" passes isdigit but not int(); the length keeps int() from refusing a
    # thousands-digit port (the backend then refuses the URL itself)
    readable = port_text.isascii() and port_text.isdigit() and len(port_text) <= 5
    port = int(port_text) if readable else _DEFAULT_PORTS.get(scheme)
    return Origin(scheme, host.lower().rstrip("."), port)


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
    if origin_of(target).scheme not in _DEFAULT_PORTS:
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
    fragment = _split(target).fragment
    if fragment is not None:
        target = target[: -len(fragment) - 1]
    return Request(request.method, target, new_headers, None, request.timeout)


def _get(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "location":
            return value
    return None
