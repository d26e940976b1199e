"""Content negotiation for WADO-RS: read an ``Accept`` header into media ranges, best first."""

from __future__ import annotations

from dicomkit.core.errors import ProtocolError
from dicomkit.core.media import MediaType, parse_media_type

__all__ = ["accepted", "inner_type", "split_accept"]


def split_accept(value: str) -> list[str]:
    """Split on commas that are not inside a quoted string."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def _quality(media: MediaType) -> float:
    try:
        return float(media.params.get("q", "1"))
    except ValueError:
        return 0.0


def accepted(header: str | None, default: str) -> list[MediaType]:
    """The media ranges of ``header`` ordered by quality (``default`` when absent or empty).

    Unparseable ranges are skipped; ranges with ``q=0`` are dropped.
    """
    ranges: list[MediaType] = []
    for item in split_accept(header or "") or [default]:
        try:
            media = parse_media_type(item)
        except ProtocolError:
            continue
        if _quality(media) > 0:
            ranges.append(media)
    return sorted(ranges, key=_quality, reverse=True)


def inner_type(media: MediaType) -> tuple[str | None, str | None]:
    """For ``multipart/related; type=...`` the part type and transfer syntax it asks for.

    Reads a ``transfer-syntax`` given either beside ``type`` or inside it (Orthanc's spelling).
    """
    syntax = media.params.get("transfer-syntax")
    kind = media.params.get("type")
    if kind is None:
        return None, syntax
    try:
        parsed = parse_media_type(kind)
    except ProtocolError:
        return kind.strip().lower(), syntax
    return parsed.type, syntax or parsed.params.get("transfer-syntax")
