"""Which proxy a request goes through: one decision for every backend.

Libraries disagree on proxies: requests and httpx read ``HTTP_PROXY``/``HTTPS_PROXY``/
``NO_PROXY`` each their own way, urllib3 and aiohttp (without ``trust_env``) ignore them, so the
same hospital network worked with two backends and failed with the other two. Here the option
``proxy=`` and the environment are read once, with the standard library's rules
(those of :func:`urllib.request.getproxies_environment`, and
:func:`urllib.request.proxy_bypass_environment` for ``no_proxy``),
and each backend only asks :meth:`Proxies.for_url` and hands the answer to its library. Part of
the public toolkit :mod:`dicomkit.transports.support`, which re-exports it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from dicomkit.core import errors

__all__ = ["ENVIRONMENT", "Proxies", "proxies_option"]

ENVIRONMENT = "environment"
"""``proxy=`` left out (or given as this string): the standard variables decide, per request."""


def _checked_proxy(url: str, where: str) -> str:
    """``url`` as an ``http://host:port`` proxy URL; a scheme-less ``host:port`` gets http://."""
    if "://" not in url:
        url = f"http://{url}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise errors.InvalidArgumentError(f"{where}: invalid proxy URL {url!r}: {exc}") from exc
    if parts.scheme.lower() != "http" or not parts.hostname:
        raise errors.InvalidArgumentError(
            f"{where}: {url!r} is not an http:// proxy (http://host:port); HTTPS is still "
            "tunnelled through it with CONNECT, and other proxy kinds are not supported"
        )
    del port  # read only to check it
    return url


def _bypassed(netloc: str, bypass: str) -> bool:
    """Whether ``no_proxy`` (``bypass``) exempts ``netloc``, by the standard library's rules;
    ``urllib.request`` is imported only when a proxy variable is set at all."""
    import urllib.request

    check = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    return bool(check(netloc, {"no": bypass}))


def _variable(name: str) -> str | None:
    """``name`` (lower case) from the environment as the standard library reads it: the lower
    case spelling first (an empty one means none), then the upper case one, except
    ``HTTP_PROXY`` in a CGI process (httpoxy: a request's ``Proxy:`` header lands there).
    Only these names are read: ``getproxies_environment`` walks the whole environment, which
    cost 80 microseconds a request."""
    environ = os.environ
    value = environ.get(name)
    if value is None:
        if name == "http_proxy" and "REQUEST_METHOD" in environ:
            return None
        value = environ.get(name.upper())
    return value or None


@dataclass(frozen=True)
class Proxies:
    """The proxy setting of one transport: ``url`` for every request, or (``environment``) the
    standard variables, or neither (no proxy at all). Picklable, comparable."""

    url: str | None = None
    environment: bool = True

    def for_url(self, url: str) -> str | None:
        """The proxy URL for a request to ``url``, or None to connect directly.

        From the environment: ``http_proxy``/``https_proxy`` by the URL's scheme (lower case
        first, as curl and the standard library read them; ``HTTP_PROXY`` is ignored in a CGI
        process), ``all_proxy`` otherwise, and ``no_proxy`` (host names, domain suffixes, ``*``,
        with or without port) lets a host bypass the proxy.
        """
        if self.url is not None or not self.environment:
            return self.url
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise errors.InvalidArgumentError(f"invalid URL {url!r}: {exc}") from exc
        scheme = parts.scheme.lower()
        name = f"{scheme}_proxy"
        chosen = _variable(name)
        if chosen is None:
            name = "all_proxy"
            chosen = _variable(name)
        if chosen is None:
            return None
        bypass = _variable("no_proxy")
        if bypass is not None and _bypassed(parts.netloc, bypass):
            return None
        return _checked_proxy(chosen, f"{name} in the environment")

    @property
    def given(self) -> bool:
        """Whether ``proxy=`` was given explicitly (a URL, or None for no proxy)."""
        return self.url is not None or not self.environment


def proxies_option(proxy: str | None) -> Proxies:
    """The ``proxy=`` option read: a URL (``http://host:port``, credentials allowed), None for
    no proxy even where the environment names one, or :data:`ENVIRONMENT` (the default)."""
    if proxy == ENVIRONMENT:
        return Proxies()
    if proxy is None:
        return Proxies(None, environment=False)
    if not isinstance(proxy, str):
        raise errors.InvalidArgumentError("proxy is a URL (http://host:port), None, or left out")
    return Proxies(_checked_proxy(proxy, "proxy="), environment=False)
