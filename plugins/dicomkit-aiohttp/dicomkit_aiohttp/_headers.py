"""The request header check every dicomkit plugin applies before handing headers to its library.

HTTP libraries disagree on bad header fields (one sends a name with a space, another raises a
bare ``ValueError`` for a line break, a third re-encodes non-ASCII text); checking here gives
the caller the same :class:`~dicomkit.core.errors.InvalidArgumentError` whichever backend runs.
"""

from __future__ import annotations

import re

from dicomkit.core import Headers
from dicomkit.core.errors import InvalidArgumentError

__all__ = ["checked_headers"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")


def checked_headers(headers: Headers) -> Headers:
    """A copy of ``headers`` once every name is a token and every value visible ASCII.

    Repeated fields whose names differ only in case are all spelled like the first one: names
    are case-insensitive, and aiohttp keeps only the last of ``X-A`` and ``x-a``.
    """
    spelling: dict[str, str] = {}
    checked = Headers()
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name):
            raise InvalidArgumentError(f"invalid HTTP header name {name!r}")
        if not _FIELD_VALUE.fullmatch(value):
            raise InvalidArgumentError(
                f"the value of HTTP header {name!r} must be ASCII without control characters"
            )
        checked.add(spelling.setdefault(name.lower(), name), value)
    return checked
