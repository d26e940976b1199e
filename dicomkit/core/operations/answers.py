"""Read an answer's status and body: error statuses as HTTPError, JSON bodies, byte ranges."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from dicomkit.core.dicomjson import first_value, loads_json_array
from dicomkit.core.errors import (
    DicomJSONError,
    HTTPError,
    MethodNotAllowedError,
    ProtocolError,
    error_for_status,
)
from dicomkit.core.errors import dicomweb_root_hint as root_hint
from dicomkit.core.interface import Headers, HeadersInput, Request
from dicomkit.core.operations.httpwarnings import warning_texts

__all__ = [
    "ERROR_BODY_LIMIT",
    "apply_byte_range",
    "check_content_range",
    "distinct_values",
    "error_from_response",
    "parse_json_array",
    "parse_json_object",
    "raise_for_status",
    "reasons_from_body",
]

ERROR_BODY_LIMIT = 64 * 1024
"""At most this many bytes of an error body are kept on the raised error."""


def reasons_from_body(body: bytes, headers: HeadersInput = None) -> list[str]:
    """Human-readable failure reasons from an error body and ``Warning`` headers.

    Understands JSON objects (Orthanc's ``Message``/``Details``, common ``error``/``message``
    fields) whatever the Content-Type says, and PS3.18 ``Warning: 299 ...`` texts.
    """
    reasons = warning_texts(headers)
    stripped = body.strip()
    if stripped[:1] in (b"{", b"["):
        try:
            document = json.loads(stripped.decode("utf-8"))
        except (ValueError, RecursionError):  # RecursionError: nested past the decoder's stack
            document = None
        if isinstance(document, dict):
            for key in ("Message", "Details", "message", "detail", "error", "error_description"):
                value = document.get(key)
                if isinstance(value, str) and value and value not in reasons:
                    reasons.append(value)
    return reasons


def error_from_response(
    request: Request, status: int, headers: HeadersInput, body: bytes
) -> HTTPError:
    """The :class:`HTTPError` subclass instance describing an error answer."""
    kept = body[:ERROR_BODY_LIMIT]
    reasons = reasons_from_body(kept, headers)
    cls = error_for_status(status)
    message = ""
    if 300 <= status < 400:
        location = Headers(headers).get("Location")
        message = (
            f"HTTP {status} for {request.method} {request.url}: redirected"
            + (f" to {location}" if location else "")
            + f", which is not followed for {request.method}, so nothing was done there;"
            " use the final URL as the base URL"
        )
    elif cls is MethodNotAllowedError and request.method == "DELETE":
        message = (
            f"HTTP 405 for DELETE {request.url}: the server does not support DICOMweb DELETE"
            + (f" ({'; '.join(reasons)})" if reasons else "")
        )
    elif cls is MethodNotAllowedError and request.method == "POST":
        because = f" ({'; '.join(reasons)})" if reasons else ""
        hint = root_hint(request.url)
        message = f"HTTP 405 for POST {request.url}: no STOW-RS here{because}. {hint}"
    return cls(
        status,
        message,
        method=request.method,
        url=request.url,
        headers=dict(Headers(headers).items()),
        body=kept,
        reasons=reasons,
    )


def raise_for_status(request: Request, status: int, headers: HeadersInput, body: bytes) -> None:
    """Raise the matching :class:`HTTPError` when ``status`` is an error (>= 400)."""
    if status >= 400:
        raise error_from_response(request, status, headers, body)


def apply_byte_range(
    bodies: list[bytes], status: int, byte_range: tuple[int, int | None] | None
) -> list[bytes]:
    """Bulk data trimmed to ``byte_range`` when the server ignored the Range header (200, not 206).

    Servers may answer a ranged request with the whole resource; the caller still gets only
    the bytes it asked for.
    """
    if byte_range is None or status == 206:
        return bodies
    first, last = byte_range
    stop = None if last is None else last + 1
    return [body[first:stop] for body in bodies]


_CONTENT_RANGE = re.compile(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)


def check_content_range(
    header: str | None, asked: tuple[int, int | None], length: int
) -> tuple[int, int]:
    """The ``(first, last)`` a 206's ``Content-Range`` announces, checked against what was asked
    and the bytes received; ProtocolError when it is missing or does not match."""
    match = _CONTENT_RANGE.match(header or "")
    if match is None:
        raise ProtocolError(
            f"a 206 Partial Content answer needs a Content-Range of bytes, not {header!r}"
        )
    first, last = int(match.group(1)), int(match.group(2))
    want_first, want_last = asked
    if (
        first != want_first
        or last < first
        or (want_last is not None and last > want_last)
        or last - first + 1 != length
    ):
        raise ProtocolError(
            f"asked for bytes {want_first}-{'' if want_last is None else want_last} and the "
            f"server answered {header!r} with {length} bytes"
        )
    return first, last


def parse_json_array(status: int, body: bytes) -> list[dict[str, Any]]:
    """A QIDO-RS or metadata answer as DICOM JSON objects; 204 and empty bodies are []."""
    if status == 204 or not body.strip():
        return []
    return loads_json_array(body)


def parse_json_object(status: int, body: bytes) -> dict[str, Any]:
    """The single DICOM JSON object of an instance's metadata."""
    items = parse_json_array(status, body)
    if not items:
        raise DicomJSONError("the server answered with no metadata for the instance")
    return items[0]


def distinct_values(objects: Iterable[dict[str, Any]], keyword: str) -> list[str]:
    """The distinct non-empty first values of ``keyword`` in DICOM JSON objects, in order."""
    values = (first_value(item, keyword) for item in objects)
    return list(dict.fromkeys(str(value) for value in values if value))
