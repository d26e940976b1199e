"""Every DICOMweb operation as one :class:`~dicomkit.core.operations.exchange.Exchange`.

:class:`Exchanges` pairs each request that :class:`Operations` builds with the reader of its
answer, in the server's :class:`Dialect`. A client only has to run what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from dicomkit.core.interface import Request
from dicomkit.core.operations.builder import Operations
from dicomkit.core.operations.dialect import STANDARD, Dialect
from dicomkit.core.operations.exchange import (
    BulkDataExchange,
    DeleteExchange,
    Exchange,
    FramesExchange,
    JsonArrayExchange,
    JsonObjectExchange,
    PartEventsExchange,
    PartsExchange,
    RenderedExchange,
    RenderedImageExchange,
    SearchPagesExchange,
)
from dicomkit.core.operations.paging import Pager
from dicomkit.core.urls import Level

__all__ = ["Exchanges"]


class Exchanges:
    """Builds the exchange of every operation for one server; sends nothing.

    The arguments are those of :class:`Operations`' builders, which check them when the
    exchange is made, before anything is sent.
    """

    def __init__(self, operations: Operations, dialect: Dialect = STANDARD) -> None:
        self.operations = operations
        self.dialect = dialect

    # -- QIDO-RS -------------------------------------------------------------------------------

    def search(
        self,
        level: Level,
        *,
        study: str | None = None,
        series: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
        get_remaining: bool = False,
    ) -> Exchange[Any, list[dict[str, Any]]]:
        """A QIDO-RS search: one page, or with ``get_remaining`` every page (``limit`` is then
        the page size); its result is the DICOM JSON objects found."""
        options: dict[str, Any] = {
            "study": study,
            "series": series,
            "search_filters": search_filters,
            "fuzzymatching": fuzzymatching,
            "fields": fields,
        }
        if get_remaining:
            return self.search_pages(level, limit=limit, offset=offset, collect=True, **options)
        return JsonArrayExchange(
            self.operations.search(level, limit=limit, offset=offset, **options)
        )

    def search_pages(
        self,
        level: Level,
        *,
        study: str | None = None,
        series: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
        collect: bool = False,
    ) -> SearchPagesExchange:
        """Every result of a QIDO-RS search, page by page (``limit`` is the page size), as
        items, or with ``collect`` as the result."""
        page = partial(
            self._page,
            level,
            study=study,
            series=series,
            search_filters=search_filters,
            fuzzymatching=fuzzymatching,
            fields=fields,
        )
        return SearchPagesExchange(page, Pager(limit, offset), collect=collect)

    def _page(self, level: Level, limit: int | None, offset: int | None, **kw: Any) -> Request:
        return self.operations.search(level, limit=limit, offset=offset, **kw)

    # -- WADO-RS -------------------------------------------------------------------------------

    def metadata(
        self, study: str, series: str | None = None, instance: str | None = None
    ) -> JsonArrayExchange:
        """DICOM JSON metadata of every instance of a study, series (or one instance)."""
        return JsonArrayExchange(self.operations.metadata(study, series, instance))

    def instance_metadata(self, study: str, series: str, instance: str) -> JsonObjectExchange:
        """The DICOM JSON object of one instance."""
        return JsonObjectExchange(self.operations.metadata(study, series, instance))

    def parts(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> PartsExchange:
        """Each part of a WADO-RS retrieve with its own headers."""
        request = self.operations.retrieve(
            study, series, instance, media_types=media_types, transfer_syntax=transfer_syntax
        )
        return PartsExchange(request)

    def part_events(
        self, study: str, series: str | None = None, instance: str | None = None
    ) -> PartEventsExchange:
        """A WADO-RS retrieve as part events, for streaming the parts to files."""
        return PartEventsExchange(self.operations.retrieve(study, series, instance))

    def frames(
        self,
        study: str,
        series: str,
        instance: str,
        frame_numbers: Iterable[int],
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> FramesExchange:
        """The bytes of frames (1-based numbers) of one instance, in the order asked."""
        request = self.operations.frames(
            study,
            series,
            instance,
            frame_numbers,
            media_types=media_types,
            transfer_syntax=transfer_syntax,
        )
        return FramesExchange(request)

    def rendered(
        self,
        study: str,
        series: str | None = None,
        *,
        media_types: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> RenderedExchange:
        """A study or series rendered as images, one per part, in the server's dialect."""
        options: dict[str, Any] = {"media_types": media_types, "params": params}
        multipart = self.dialect.multipart_renderings
        request = self.operations.rendered(study, series, multipart=multipart, **options)
        fallback = None
        if multipart and self.dialect.rendering_fallback:
            fallback = self.operations.rendered(study, series, multipart=False, **options)
        return RenderedExchange(request, fallback)

    def rendered_image(
        self,
        study: str,
        series: str,
        instance: str,
        *,
        frame_numbers: Iterable[int] | None = None,
        media_types: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> RenderedImageExchange:
        """An instance, or frames of it, rendered as one image."""
        request = self.operations.rendered(
            study,
            series,
            instance,
            frame_numbers=frame_numbers,
            media_types=media_types,
            params=params,
        )
        return RenderedImageExchange(request)

    def bulkdata(
        self,
        uri: str,
        *,
        byte_range: tuple[int, int | None] | None = None,
        media_types: Sequence[Any] | None = None,
    ) -> BulkDataExchange:
        """The parts at a BulkDataURI, optionally only ``(first, last)`` bytes of it."""
        request = self.operations.bulkdata(uri, byte_range=byte_range, media_types=media_types)
        return BulkDataExchange(request, byte_range)

    # -- DELETE --------------------------------------------------------------------------------

    def delete(
        self, study: str, series: str | None = None, instance: str | None = None
    ) -> DeleteExchange:
        """Delete a study, series or instance (405 from servers without DICOMweb DELETE)."""
        return DeleteExchange(self.operations.delete(study, series, instance))
