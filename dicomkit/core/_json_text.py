"""What reading DICOM JSON and reading a STOW-RS response share: the JSON parse with dicomkit's
error, a short preview of a body for messages, and the test of a tag key."""

from __future__ import annotations

import json
from typing import Any

from dicomkit.core.errors import DicomJSONError

__all__ = ["HEX_DIGITS", "loads", "preview"]

HEX_DIGITS = frozenset("0123456789ABCDEF")
PREVIEW_CHARS = 200


def preview(body: bytes | str) -> str:
    """The start of ``body`` for an error message (at most PREVIEW_CHARS characters)."""
    text = body if isinstance(body, str) else body[:PREVIEW_CHARS].decode("utf-8", "replace")
    return repr(text[:PREVIEW_CHARS]) + ("..." if len(body) > PREVIEW_CHARS else "")


def loads(body: bytes | str) -> Any:
    """``body`` parsed as JSON; DicomJSONError when it is not JSON or nests too deeply."""
    if isinstance(body, bytes | bytearray | memoryview):
        body = bytes(body)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DicomJSONError(f"body is not JSON ({exc}): {preview(body)}") from None
    except RecursionError:
        raise DicomJSONError("JSON body is nested too deeply") from None
