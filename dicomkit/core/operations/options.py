"""The keyword options that several operations share, typed once.

Clients and the exchange factory take them as ``**options: Unpack[...]`` so that editors and
type checkers still show and check every name, while the names are written in one place;
:class:`~dicomkit.core.operations.builder.Operations` finally reads them as explicit keywords,
so a misspelt option still raises ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

__all__ = [
    "DEFAULT_FRAME_CONCURRENCY",
    "DEFAULT_WORKERS",
    "MAX_JSON_BYTES",
    "RenderOptions",
    "RetrieveOptions",
    "SearchAllOptions",
    "SearchOptions",
    "VendorOptions",
]


MAX_JSON_BYTES = 256 * 1024 * 1024
"""Bytes of a body read whole (DICOM JSON, a STOW-RS answer), counted after decompression,
beyond which reading stops with ProtocolError: a gzip bomb or an endless answer ends there, not
in a MemoryError. Clients take ``max_json_bytes=`` to raise it (docs/reliability.md)."""
DEFAULT_WORKERS = 4
"""Requests in flight at once for bulk uploads and downloads (``workers=None``): the fastest
of 1, 2, 4 and 8 on Orthanc and the reference server (docs/transfers.md). Here, not in the
STOW-RS module, so that a download job need not load STOW-RS."""
DEFAULT_FRAME_CONCURRENCY = 4
"""Frame-list requests in flight at once unless the caller says otherwise (``iter_frames``);
here, not in framebatch, so that the clients' signatures need not load the planner."""


class SearchOptions(TypedDict, total=False):
    """QIDO-RS options: ``fuzzymatching``, ``limit`` (the page size when paging), ``offset``,
    ``fields`` (``includefield`` attributes, or ``["all"]``), the PS3.18 2024 parameters
    ``emptyvaluematching`` and ``multiplevaluematching``, and ``extra_params``: parameters the
    standard does not name (a vendor's ``includedefaults``, ``orderby`` ...), sent as given."""

    fuzzymatching: bool | None
    limit: int | None
    offset: int | None
    fields: Sequence[str] | None
    emptyvaluematching: bool | None
    multiplevaluematching: bool | None
    extra_params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None


class SearchAllOptions(SearchOptions, total=False):
    """:class:`SearchOptions` plus ``get_remaining`` (follow every page, default False) and
    ``on_truncated``: what to do when the server says it cut the results short (``"follow"``,
    the default, ``"raise"``, ``"warn"`` or ``"return"``; see
    :data:`~dicomkit.core.operations.paging.TRUNCATION_POLICIES`)."""

    get_remaining: bool
    on_truncated: str


class VendorOptions(TypedDict, total=False):
    """``extra_params``: a vendor's own query parameters (a mapping or ``(name, value)``
    pairs), added to every request of a WADO-RS, STOW-RS or DELETE call, as dicomweb-client's
    ``additional_params``; ``accept`` is refused, since the answer is read as the Accept header
    asks (``media_types=``)."""

    extra_params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None


class RetrieveOptions(VendorOptions, total=False):
    """WADO-RS options: acceptable ``media_types``, a ``transfer_syntax`` UID to ask for, and
    the :class:`VendorOptions`."""

    media_types: Sequence[Any] | None
    transfer_syntax: str | None


class RenderOptions(VendorOptions, total=False):
    """Rendering options: acceptable image ``media_types``, query ``params`` (quality,
    viewport, window ...) and the :class:`VendorOptions` (not a rendering parameter, which
    ``params`` checks)."""

    media_types: Sequence[Any] | None
    params: Mapping[str, Any] | None
