# Generated from dicomkit/client/_aio_search.py by scripts/unasync.py.
# Do not edit: change the async source and run `python scripts/unasync.py`.
"""The QIDO-RS family of the client: searches for studies, series and instances, read whole or
page by page, and the lookups built on them.

A mixin of :class:`~dicomkit.DicomClient`, kept apart so that each client module holds one
service: each method names its exchange (:mod:`dicomkit.core.operations`) and lets the driver
run it, ``_run`` for a search read whole (every page followed), ``_stream`` for one read page by
page. The asyncio side is the source; scripts/unasync.py generates the blocking twin.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from dicomkit.client._sync_driver import SyncDriver

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from dicomkit.core.operations import SearchAllOptions, SearchOptions, SearchResult

__all__ = ["SearchMethods"]


class SearchMethods(SyncDriver):
    """QIDO-RS searches (PS3.18 10.6), the public methods the client inherits from here."""

    def search_for_studies(
        self,
        search_filters: Mapping[str, Any] | None = None,
        **options: Unpack[SearchAllOptions],
    ) -> SearchResult:
        """QIDO-RS studies as DICOM JSON; ``get_remaining`` follows every page.

        A search the server cut short (``Warning: 299 ... additional results``) is followed to
        its end unless ``on_truncated`` says otherwise ("raise", "warn", "return"); the list's
        ``warnings``, ``truncated`` and ``remaining`` say what the server said.
        """
        return self._run(self.exchanges.search, "studies", None, None, search_filters, **options)

    def search_for_series(
        self,
        study_instance_uid: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        **options: Unpack[SearchAllOptions],
    ) -> SearchResult:
        """QIDO-RS series, of one study or of all (truncation as in ``search_for_studies``)."""
        return self._run(
            self.exchanges.search, "series", study_instance_uid, None, search_filters, **options
        )

    def search_for_instances(
        self,
        study_instance_uid: str | None = None,
        series_instance_uid: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        **options: Unpack[SearchAllOptions],
    ) -> SearchResult:
        """QIDO-RS instances, of one series, one study, or all (truncation as for studies)."""
        return self._run(
            self.exchanges.search,
            "instances",
            study_instance_uid,
            series_instance_uid,
            search_filters,
            **options,
        )

    def iter_search_for_studies(
        self,
        search_filters: Mapping[str, Any] | None = None,
        **options: Unpack[SearchOptions],
    ) -> Iterator[dict[str, Any]]:
        """Every matching study, fetched page by page (``limit`` is the page size)."""
        pages = self._stream(
            self.exchanges.search, "studies", None, None, search_filters, paged=True, **options
        )
        yield from pages

    def iter_search_for_series(
        self,
        study_instance_uid: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        **options: Unpack[SearchOptions],
    ) -> Iterator[dict[str, Any]]:
        """Every matching series, page by page."""
        pages = self._stream(
            self.exchanges.search,
            "series",
            study_instance_uid,
            None,
            search_filters,
            paged=True,
            **options,
        )
        yield from pages

    def iter_search_for_instances(
        self,
        study_instance_uid: str | None = None,
        series_instance_uid: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        **options: Unpack[SearchOptions],
    ) -> Iterator[dict[str, Any]]:
        """Every matching instance, page by page."""
        pages = self._stream(
            self.exchanges.search,
            "instances",
            study_instance_uid,
            series_instance_uid,
            search_filters,
            paged=True,
            **options,
        )
        yield from pages

    def held_instances(
        self, sop_instance_uids: Iterable[str], study_instance_uid: str | None = None
    ) -> set[str]:
        """Which of these SOP Instance UIDs the server holds (of one study, or of any).

        QIDO-RS by a UID list, 50 UIDs per request, every page followed: how a STOW-RS
        request that broke without an answer is settled (dicomkit.core.held).
        """
        from dicomkit.core.held import HeldExchange

        return self._run(HeldExchange, self.exchanges, sop_instance_uids, study_instance_uid)

    def get_patient_study_ids(self, patient_id: str) -> list[str]:
        """StudyInstanceUIDs of every study of the patient, all pages followed.

        The ID is matched exactly; an empty one or one with a QIDO wildcard is refused.
        """
        from dicomkit.core.operations import distinct_values, patient_filter

        studies = self.iter_search_for_studies(
            patient_filter(patient_id), fields=["StudyInstanceUID"]
        )
        return distinct_values(list(studies), "StudyInstanceUID")
