"""HTTP byte ranges (RFC 9110 section 14) for bulk data: which bytes a ``Range`` header asks
for, so the server can answer 206 Partial Content or 416 Range Not Satisfiable."""

from __future__ import annotations

import re

__all__ = ["Unsatisfiable", "byte_range", "content_range"]

_SPEC = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class Unsatisfiable(Exception):
    """The range lies wholly past the end of the value (HTTP 416)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` inclusive for a single ``bytes=`` range of a ``size``-byte value.

    None means "send everything with 200": no header, another unit, several ranges or a
    malformed one (RFC 9110 lets a server ignore those). Raises :class:`Unsatisfiable` when
    the range starts past the end, or is an empty suffix.
    """
    if header is None:
        return None
    match = _SPEC.match(header)
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text:
        if not last_text:
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise Unsatisfiable(f"bytes=-{suffix} of a {size}-byte value")
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    last = int(last_text) if last_text else size - 1
    if first >= size:
        raise Unsatisfiable(f"bytes={first}- of a {size}-byte value")
    return first, min(last, size - 1)


def content_range(span: tuple[int, int] | None, size: int) -> str:
    """The ``Content-Range`` value of a 206 (``span``) or a 416 (None)."""
    if span is None:
        return f"bytes */{size}"
    return f"bytes {span[0]}-{span[1]}/{size}"
