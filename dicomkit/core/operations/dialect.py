"""Server dialects: what a server family does differently from PS3.18, as data.

The exchanges read a :class:`Dialect` instead of the client building extra requests "just in
case": a quirk is one field here, chosen by the client's ``dialect=`` option.
"""

from __future__ import annotations

from dataclasses import dataclass

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.query import check_count

__all__ = ["AZURE", "DIALECTS", "ORTHANC", "STANDARD", "Dialect", "resolve_dialect"]


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
    query_raw: str = ""
    """Characters sent unencoded inside QIDO-RS query values besides those RFC 3986 allows
    there. The standard dialect percent-encodes ``^`` (not allowed in a URI) and a ``,`` that is
    part of a value (PS3.18 8.3.4.1: only the list separator is a raw comma). Orthanc 1.10
    compares query values without percent-decoding them, so its dialect keeps ``^,``."""
    silent_page_size: int | None = None
    """A server that answers at most this many search results when no ``limit`` is asked and
    says nothing about the rest (Microsoft's DICOM service: 100, no ``Warning``): a page that
    full is taken as cut short and followed with ``offset``."""
    answers: str = "json"
    """How searches and metadata are asked for: ``"json"`` (DICOM JSON, PS3.18's default) or
    ``"xml"`` (``multipart/related`` of PS3.19 Native DICOM Model parts), for archives that
    answer XML only. Either way an XML answer is read into the same DICOM JSON objects."""
    other_origin: str = "refuse"
    """A BulkDataURI or RetrieveURL on another origin than the base URL: ``"refuse"`` it (the
    request would carry the caller's credentials there), ``"allow"`` it, or ``"rewrite"`` it onto
    the base URL's origin (a server behind a reverse proxy advertising its internal host)."""

    permissive_uids: bool = False
    """Accept the non-conformant UIDs real archives hold (leading zeros, more than 64
    characters, letters) in URLs, percent-encoded, while still refusing anything unsafe in a
    path (:func:`dicomkit.core.uids.validate_uid` with ``permissive=True``). Strict by default."""

    frame_list_chars: int = 2000
    """Most characters of the ``frames/{list}`` segment of one request (bulk frame retrieval,
    :mod:`~dicomkit.core.operations.framebatch`): about 400 four-digit frame numbers, a URL
    well under the 4-8 KiB request lines common servers and proxies accept. Orthanc 1.10
    refuses a request whose line and headers pass 16 KiB (400 "Malformed message")."""
    frame_list_refusals: frozenset[int] = frozenset({400, 413, 414, 431, 500, 501})
    """Statuses that, answered to a list of several frames, may mean "not so many at once":
    the list is asked again in halves (one frame refused so is an error). Orthanc 1.10's 500
    means it cannot transcode to the asked transfer syntax, for one frame as for many, so its
    dialect leaves 500 out."""

    def __post_init__(self) -> None:
        if self.other_origin not in ("refuse", "allow", "rewrite"):
            raise InvalidArgumentError(
                f"other_origin must be 'refuse', 'allow' or 'rewrite', not {self.other_origin!r}"
            )
        if self.answers not in ("json", "xml"):
            raise InvalidArgumentError(f"answers must be 'json' or 'xml', not {self.answers!r}")
        check_count("silent_page_size", self.silent_page_size, minimum=1)
        check_count("frame_list_chars", self.frame_list_chars, minimum=1, required=True)
        if not isinstance(self.query_raw, str) or any(c not in "^," for c in self.query_raw):
            raise InvalidArgumentError(f"query_raw may only hold ^ and , not {self.query_raw!r}")


STANDARD = Dialect()
"""PS3.18 as written, with the rendering fallback (what dicomkit always did)."""
ORTHANC = Dialect(
    "orthanc",
    multipart_renderings=False,
    rendering_fallback=False,
    query_raw="^,",
    frame_list_chars=8000,
    frame_list_refusals=frozenset({400, 414, 431}),
)
"""Orthanc 1.10: study/series renderings are asked single-part at once (saving a refused
request), ``^`` and ``,`` stay raw in query values (it does not percent-decode them); frame
lists may be longer (its limit is a 16 KiB request head, half of it left for headers) and its
500 on frames (a transfer syntax it cannot produce) is not taken for a refused list."""
AZURE = Dialect("azure", silent_page_size=100)
"""Microsoft's DICOM service (Azure Health Data Services): a search without ``limit`` answers
at most 100 results with no ``Warning``, so a full page is followed with ``offset``."""
DIALECTS = {dialect.name: dialect for dialect in (STANDARD, ORTHANC, AZURE)}


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
