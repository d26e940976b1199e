"""Every DICOMweb operation as one :class:`~dicomkit.core.operations.exchange.Exchange`.

:class:`Exchanges` pairs each request that :class:`Operations` builds with the reader of its
answer, in the server's :class:`Dialect`. A client only has to run what it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import Request
from dicomkit.core.operations import exchange as kinds
from dicomkit.core.operations.builder import Operations, with_headers
from dicomkit.core.operations.dialect import STANDARD, Dialect
from dicomkit.core.operations.options import (
    RenderOptions,
    RetrieveOptions,
    SearchOptions,
    VendorOptions,
)
from dicomkit.core.operations.paging import Pager, SearchResult, check_truncation_policy
from dicomkit.core.query import ExtraParams
from dicomkit.core.urls import Level

XML_PARTS = 'multipart/related; type="application/dicom+xml"'
"""The Accept of a search or metadata request when the dialect asks for XML answers."""

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Exchanges"]


class Exchanges:
    """Builds the exchange of every operation for one server; sends nothing.

    The arguments are those of :class:`Operations`' builders, which check them when the
    exchange is made, before anything is sent.
    """

    def __init__(
        self,
        operations: Operations,
        dialect: Dialect = STANDARD,
        *,
        max_json_bytes: int = kinds.MAX_JSON_BYTES,
    ) -> None:
        self.operations = operations
        self.dialect = dialect
        self.max_json_bytes = max_json_bytes

    # -- QIDO-RS -------------------------------------------------------------------------------

    def search(
        self,
        level: Level,
        study: str | None = None,
        series: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        *,
        get_remaining: bool | None = None,
        on_truncated: str | None = None,
        paged: bool = False,
        **options: Unpack[SearchOptions],
    ) -> kinds.Exchange[dict[str, Any], SearchResult]:
        """A QIDO-RS search; its result is a :class:`SearchResult` of one search (pages the
        server cut short followed by ``on_truncated``), or with ``get_remaining`` of every page.
        ``paged`` hands out every page's results as items instead, as they come. Paging follows
        ``limit`` (the page size) and ``offset``.

        A key that is no search option raises ``TypeError`` naming the client method that
        takes it (``get_remaining`` and ``on_truncated`` included when ``paged``: the ``iter_*``
        methods page anyway), as Python would, since the options reach here as ``**options``.
        """
        pairs = (("get_remaining", get_remaining), ("on_truncated", on_truncated))
        given = [name for name, value in pairs if value is not None]
        _refuse_unknown(level, paged, options, given)
        policy = check_truncation_policy("follow" if on_truncated is None else on_truncated)
        page = partial(self._page, level, study, series, search_filters, dict(options))
        if not (get_remaining or paged):
            return kinds.SearchExchange(
                page,
                limit=options.get("limit"),
                offset=options.get("offset"),
                policy=policy,
                silent_page_size=self.dialect.silent_page_size,
                max_bytes=self.max_json_bytes,
            )
        pager = Pager(options.pop("limit", None), options.pop("offset", None))
        return kinds.SearchPagesExchange(
            page, pager, collect=bool(get_remaining), max_bytes=self.max_json_bytes
        )

    def _page(
        self,
        level: Level,
        study: str | None,
        series: str | None,
        search_filters: Mapping[str, Any] | None,
        options: dict[str, Any],
        limit: int | None,
        offset: int | None,
    ) -> Request:
        chosen = {k: v for k, v in options.items() if k not in ("limit", "offset")}
        return self._answer_format(
            self.operations.search(
                level,
                study=study,
                series=series,
                search_filters=search_filters,
                limit=limit,
                offset=offset,
                raw=self.dialect.query_raw,
                **chosen,
            )
        )

    def _answer_format(self, request: Request) -> Request:
        """``request`` asking for DICOM XML parts when the dialect says ``answers="xml"``."""
        if self.dialect.answers != "xml":
            return request
        return with_headers(request, {"Accept": XML_PARTS})

    # -- WADO-RS -------------------------------------------------------------------------------

    def metadata(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        **options: Unpack[VendorOptions],
    ) -> kinds.JsonArrayExchange:
        """DICOM JSON metadata of every instance of a study, series (or one instance)."""
        request = self.operations.metadata(study, series, instance, **options)
        return kinds.JsonArrayExchange(self._answer_format(request), max_bytes=self.max_json_bytes)

    def instance_metadata(
        self, study: str, series: str, instance: str, **options: Unpack[VendorOptions]
    ) -> kinds.JsonObjectExchange:
        """The DICOM JSON object of one instance."""
        request = self.operations.metadata(study, series, instance, **options)
        return kinds.JsonObjectExchange(self._answer_format(request), max_bytes=self.max_json_bytes)

    def parts(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        **options: Unpack[RetrieveOptions],
    ) -> kinds.PartsExchange:
        """Each part of a WADO-RS retrieve with its own headers."""
        return kinds.PartsExchange(self.operations.retrieve(study, series, instance, **options))

    def part_events(
        self, study: str, series: str | None = None, instance: str | None = None
    ) -> kinds.PartEventsExchange:
        """A WADO-RS retrieve as part events, for streaming the parts to files."""
        return kinds.PartEventsExchange(self.operations.retrieve(study, series, instance))

    def part_stream(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        *,
        one_part: bool = False,
        **options: Unpack[RetrieveOptions],
    ) -> kinds.PartStreamExchange:
        """A WADO-RS retrieve as part events, for streaming each part to a sink as it arrives;
        ``one_part`` refuses an answer of more parts, or fewer, than one."""
        request = self.operations.retrieve(study, series, instance, **options)
        return kinds.PartStreamExchange(request, one_part=one_part)

    def frames(
        self,
        study: str,
        series: str,
        instance: str,
        frame_numbers: Iterable[int],
        **options: Unpack[RetrieveOptions],
    ) -> kinds.FramesExchange:
        """The bytes of frames (1-based numbers) of one instance, in the order asked."""
        request = self.operations.frames(study, series, instance, frame_numbers, **options)
        return kinds.FramesExchange(request)

    def rendered(
        self, study: str, series: str | None = None, **options: Unpack[RenderOptions]
    ) -> kinds.RenderedExchange:
        """A study or series rendered as images, one per part, in the server's dialect."""
        multipart = self.dialect.multipart_renderings
        request = self.operations.rendered(study, series, multipart=multipart, **options)
        fallback = None
        if multipart and self.dialect.rendering_fallback:
            fallback = self.operations.rendered(study, series, multipart=False, **options)
        return kinds.RenderedExchange(request, fallback)

    def rendered_image(
        self,
        study: str,
        series: str,
        instance: str,
        frame_numbers: Iterable[int] | None = None,
        **options: Unpack[RenderOptions],
    ) -> kinds.RenderedImageExchange:
        """An instance, or frames of it, rendered as one image."""
        request = self.operations.rendered(
            study, series, instance, frame_numbers=frame_numbers, **options
        )
        return kinds.RenderedImageExchange(request)

    def thumbnail(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        frame_numbers: Iterable[int] | None = None,
        **options: Unpack[RenderOptions],
    ) -> kinds.RenderedImageExchange:
        """The thumbnail of a study, series, instance or frames: one image (PS3.18 10.4.1)."""
        request = self.operations.rendered(
            study, series, instance, frame_numbers=frame_numbers, resource="thumbnail", **options
        )
        return kinds.RenderedImageExchange(request)

    def bulkdata(
        self,
        uri: str,
        byte_range: tuple[int, int | None] | Sequence[Any] | str | None = None,
        media_types: Sequence[Any] | None = None,
        *,
        single_part: bool = False,
        other_origin: str | None = None,
        extra_params: ExtraParams = None,
    ) -> kinds.BulkDataExchange:
        """The parts at a BulkDataURI, optionally only ``(first, last)`` bytes of it; a URI on
        another origin is handled as ``other_origin`` says, else as the dialect says.

        dicomweb-client's order (``uri, media_types, byte_range``) works too: media types
        (strings or tuples) given where the byte range goes are taken as media types.
        """
        request, wanted = self._bulkdata(
            uri, byte_range, media_types, (single_part, other_origin, extra_params)
        )
        return kinds.BulkDataExchange(request, wanted)

    def bulkdata_parts(
        self,
        uri: str,
        byte_range: tuple[int, int | None] | Sequence[Any] | str | None = None,
        media_types: Sequence[Any] | None = None,
        *,
        single_part: bool = False,
        other_origin: str | None = None,
        extra_params: ExtraParams = None,
    ) -> kinds.BulkDataPartsExchange:
        """As :meth:`bulkdata`, the parts read one at a time."""
        request, wanted = self._bulkdata(
            uri, byte_range, media_types, (single_part, other_origin, extra_params)
        )
        return kinds.BulkDataPartsExchange(request, wanted)

    def bulkdata_stream(
        self,
        uri: str,
        byte_range: tuple[int, int | None] | Sequence[Any] | str | None = None,
        media_types: Sequence[Any] | None = None,
        *,
        single_part: bool = False,
        other_origin: str | None = None,
        extra_params: ExtraParams = None,
    ) -> kinds.PartStreamExchange:
        """As :meth:`bulkdata`, the one part at the URI streamed to a sink as it arrives."""
        request, wanted = self._bulkdata(
            uri, byte_range, media_types, (single_part, other_origin, extra_params)
        )
        return kinds.PartStreamExchange(request, one_part=True, byte_range=wanted)

    def _bulkdata(
        self,
        uri: str,
        byte_range: tuple[int, int | None] | Sequence[Any] | str | None,
        media_types: Sequence[Any] | None,
        how: tuple[bool, str | None, ExtraParams],
    ) -> tuple[Request, tuple[int, int | None] | None]:
        """The request of a bulk data retrieve, and the byte range it asks for; ``how`` is
        ``(single_part, other_origin, extra_params)``."""
        single_part, other_origin, extra_params = how
        if _is_media_types(byte_range):
            if media_types is not None:
                raise InvalidArgumentError(
                    "media types given twice (second argument and media_types)"
                )
            byte_range, media_types = (
                None,
                [byte_range] if isinstance(byte_range, str) else byte_range,
            )
        wanted = cast("tuple[int, int | None] | None", byte_range)
        request = self.operations.bulkdata(
            uri,
            byte_range=wanted,
            media_types=media_types,
            single_part=single_part,
            other_origin=other_origin or self.dialect.other_origin,
            extra_params=extra_params,
        )
        return request, wanted

    # -- capabilities ----------------------------------------------------------------------------

    def capabilities(self, path: str = "") -> kinds.CapabilitiesExchange:
        """What the server says it supports at its root (or ``path``), read with ``OPTIONS``."""
        return kinds.CapabilitiesExchange(self.operations.capabilities(path))

    # -- DELETE --------------------------------------------------------------------------------

    def delete(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        **options: Unpack[VendorOptions],
    ) -> kinds.DeleteExchange:
        """Delete a study, series or instance (405 from servers without DICOMweb DELETE)."""
        return kinds.DeleteExchange(self.operations.delete(study, series, instance, **options))


def _refuse_unknown(
    level: Level, paged: bool, options: Mapping[str, Any], given: list[str]
) -> None:
    """Raise the ``TypeError`` Python raises for a keyword the user's search method lacks."""
    unknown = [key for key in options if key not in SearchOptions.__optional_keys__]
    if paged:
        unknown[:0] = given
    if unknown:
        method = f"{'iter_' if paged else ''}search_for_{level}"
        raise TypeError(f"{method}() got an unexpected keyword argument {unknown[0]!r}")


def _is_media_types(value: object) -> bool:
    """Whether a bulk data call's second argument is media types (dicomweb-client's order)
    rather than a byte range: a string, or a sequence of strings or tuples, never of ints."""
    if isinstance(value, str):
        return True
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(isinstance(item, (str, tuple)) for item in value)
    )
