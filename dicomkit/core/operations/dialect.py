"""Server dialects: what a server family does differently from PS3.18, as data.

The exchanges read a :class:`Dialect` instead of the client building extra requests "just in
case": a quirk is one field here, chosen by the client's ``dialect=`` option.
"""

from __future__ import annotations

from dataclasses import dataclass

from dicomkit.core.errors import InvalidArgumentError

__all__ = ["DIALECTS", "ORTHANC", "STANDARD", "Dialect", "resolve_dialect"]


@dataclass(frozen=True)
class Dialect:
    """The quirks of one server family; the defaults are PS3.18 plus safe fallbacks."""

    name: str = "standard"
    multipart_renderings: bool = True
    """Ask study and series renderings as ``multipart/related`` (PS3.18 10.4.4). Orthanc 1.10
    refuses any multipart Accept there and answers one representative image instead."""
    rendering_fallback: bool = True
    """When a multipart study/series rendering is refused with 400 or 406, ask again with the
    single-part image types (so the standard dialect also works against Orthanc)."""


STANDARD = Dialect()
"""PS3.18 as written, with the rendering fallback (what dicomkit always did)."""
ORTHANC = Dialect("orthanc", multipart_renderings=False, rendering_fallback=False)
"""Orthanc: study/series renderings are asked single-part at once, saving a refused request."""
DIALECTS = {dialect.name: dialect for dialect in (STANDARD, ORTHANC)}


def resolve_dialect(value: str | Dialect | None) -> Dialect:
    """A client's ``dialect=``: a Dialect, one of the names in :data:`DIALECTS`, or None."""
    if value is None:
        return STANDARD
    if isinstance(value, Dialect):
        return value
    if isinstance(value, str) and value.lower() in DIALECTS:
        return DIALECTS[value.lower()]
    raise InvalidArgumentError(
        f"dialect must be a Dialect or one of {sorted(DIALECTS)}, not {repr(value)[:40]}"
    )
