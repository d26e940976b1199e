# Generated from dicomkit/client/aio.py by scripts/unasync.py.
# Do not edit: change the async source and run `python scripts/unasync.py`.
"""The DICOMweb client: each public method runs the core exchange of its operation.

The asyncio client is the source and scripts/unasync.py generates the blocking one from it
(docs/twins.md). A method names its exchange (:mod:`dicomkit.core.operations`) and lets the
driver run it: ``_run`` for answers read whole, ``_stream`` for answers read part by part.
Files go through ``offload`` and large parts' parsing through ``_heavy``: a worker thread under
asyncio, a plain call in blocking code, so the event loop never waits on a disk or a big parse.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dicomkit.client._base import (
    DEFAULT_CHUNK_SIZE,
    PROXY_FROM_ENVIRONMENT,
    TimeoutInput,
    joined_transport_options,
    uploadable,
)
from dicomkit.client._io_sync import concurrently, offload
from dicomkit.client._sync_driver import SyncDriver
from dicomkit.config import ClientSettings
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import Headers, TransportSpec
from dicomkit.core.operations import MAX_JSON_BYTES, Dialect
from dicomkit.core.operations.options import DEFAULT_FRAME_CONCURRENCY
from dicomkit.core.retry import RetryPolicy
from dicomkit.files import Progress

if TYPE_CHECKING:
    from pydicom.dataset import Dataset
    from typing_extensions import Unpack

    from dicomkit.auth import AuthInput
    from dicomkit.client._azure_sync import Azure
    from dicomkit.client._sync_workitems import Workitems
    from dicomkit.core.dicomjson import StoreResult
    from dicomkit.core.operations import (
        Capabilities,
        RenderOptions,
        RetrieveOptions,
        SearchAllOptions,
        SearchOptions,
        SearchResult,
        Sink,
        VendorOptions,
        WrittenPart,
    )
    from dicomkit.core.operations.framebatch import Frame
    from dicomkit.core.query import ExtraParams
    from dicomkit.files.folder import FolderUploadReport
    from dicomkit.files.part10 import InstanceInput

__all__ = ["DicomClient"]

DEFAULT_TRANSPORT = "requests"
_FIXED_PREFIXES = frozenset(
    f"{service}_{kind}"
    for service in ("qido", "wado", "stow", "delete")
    for kind in ("prefix", "url_prefix")
) | {"url_prefix"}


class DicomClient(SyncDriver):
    """A DICOMweb client (QIDO-RS, WADO-RS, STOW-RS, DELETE) over a pluggable transport.

    ``transport`` is a registered name ("requests", "urllib3" or "httpx" in blocking code,
    "aiohttp" or "httpx" under asyncio), a transport class, or an instance you built (which
    the client then never closes), or None for the first installed default (``aiohttp``, else
    ``httpx``, under asyncio; ``requests`` in blocking code). ``retry`` is a RetryPolicy or
    a number of attempts; ``auth`` a (user, password) tuple, a token, a callable or an Auth;
    ``dialect`` a server :class:`~dicomkit.core.operations.Dialect` or its name ("orthanc").
    ``transport_options`` go to the transport dicomkit builds from a name or class
    (``pool_maxsize`` ...); so do ``verify`` (False, or a CA bundle path), ``cert`` (a client
    certificate file or ``(cert, key)`` pair) and ``proxy`` (``http://host:port``, None for
    none; by default ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY``), the network settings every
    backend takes alike (docs/transports.md). ``max_json_bytes`` bounds a JSON answer after
    decompression (ProtocolError beyond it; docs/reliability.md). ``client.config`` is the
    picklable :class:`~dicomkit.ClientConfig` that builds this client again; pickling the
    client pickles it (docs/embedding.md).
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: TransportSpec = DEFAULT_TRANSPORT,
        transport_options: Mapping[str, Any] | None = None,
        verify: bool | str | None = None,
        cert: str | tuple[str, str] | None = None,
        proxy: str | None = PROXY_FROM_ENVIRONMENT,
        auth: AuthInput = None,
        timeout: TimeoutInput = None,
        retry: RetryPolicy | int | bool | None = None,
        headers: Mapping[str, str] | None = None,
        api_version: str | int | None = None,
        partition: str | None = None,
        qido_prefix: str | None = None,
        wado_prefix: str | None = None,
        stow_prefix: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        dialect: str | Dialect | None = None,
        max_json_bytes: int = MAX_JSON_BYTES,
    ) -> None:
        network = {"verify": verify, "cert": cert, "proxy": proxy}
        settings = ClientSettings(
            base_url,
            transport=transport,
            transport_options=joined_transport_options(transport, transport_options, network),
            auth=auth,
            retry=retry,
            timeout=timeout,
            headers=headers,
            dialect=dialect,
            api_version=api_version,
            partition=partition,
            qido_prefix=qido_prefix,
            wado_prefix=wado_prefix,
            stow_prefix=stow_prefix,
            chunk_size=chunk_size,
            max_json_bytes=max_json_bytes,
        )
        super().__init__(settings)

    @cached_property
    def workitems(self) -> Workitems:
        """UPS-RS workitems (PS3.18 11): ``client.workitems.create(...)`` (docs/ups.md)."""
        from dicomkit.client._sync_workitems import Workitems

        return Workitems(self)

    @cached_property
    def azure(self) -> Azure:
        """The Azure DICOM service's own APIs: change feed, extended query tags ...
        (docs/azure.md)."""
        from dicomkit.client._azure_sync import Azure

        return Azure(self)

    def __setattr__(self, name: str, value: Any) -> None:
        # dicomweb-client lets prefixes be reassigned; here the URLs are built once, so such an
        # assignment would be silently ignored: refuse it and say what to do instead
        if name in _FIXED_PREFIXES:
            raise InvalidArgumentError(
                f"{name} cannot be changed after construction: build a new client with "
                "qido_prefix=/wado_prefix=/stow_prefix= (or use "
                "dicomkit.compat.dicomweb_client.DICOMwebClient, whose prefixes can change)"
            )
        super().__setattr__(name, value)

    # -- QIDO-RS -------------------------------------------------------------------------------

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

    # -- WADO-RS -------------------------------------------------------------------------------

    def iter_parts(
        self,
        study_instance_uid: str,
        series_instance_uid: str | None = None,
        sop_instance_uid: str | None = None,
        **options: Unpack[RetrieveOptions],
    ) -> Iterator[tuple[Headers, bytes]]:
        """Each part of a WADO-RS answer with its own headers, one part in memory at a time."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        yield from self._stream(self.exchanges.parts, *target, **options)

    def iter_study(
        self, study_instance_uid: str, **options: Unpack[RetrieveOptions]
    ) -> Iterator[Dataset]:
        """The study's instances one Dataset at a time, never the whole body in memory."""
        from dicomkit.files.part10 import dataset_from_bytes

        for _, body in self.iter_parts(study_instance_uid, **options):
            yield self._heavy(len(body), dataset_from_bytes, body)

    def iter_series(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> Iterator[Dataset]:
        """The series' instances one Dataset at a time."""
        from dicomkit.files.part10 import dataset_from_bytes

        for _, body in self.iter_parts(study_instance_uid, series_instance_uid, **options):
            yield self._heavy(len(body), dataset_from_bytes, body)

    def retrieve_study(
        self, study_instance_uid: str, **options: Unpack[RetrieveOptions]
    ) -> list[Dataset]:
        """Every instance of the study as pydicom Datasets."""
        return list(self.iter_study(study_instance_uid, **options))

    def retrieve_series(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> list[Dataset]:
        """Every instance of the series as pydicom Datasets."""
        datasets = self.iter_series(study_instance_uid, series_instance_uid, **options)
        return list(datasets)

    def retrieve_instance(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> Dataset:
        """One instance as a pydicom Dataset."""
        from dicomkit.files.part10 import single_dataset

        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        parts = list(self.iter_parts(*target, **options))
        return self._heavy(sum(len(body) for _, body in parts), single_dataset, parts)

    def retrieve_study_metadata(
        self, study_instance_uid: str, **options: Unpack[VendorOptions]
    ) -> list[dict[str, Any]]:
        """DICOM JSON metadata of every instance of the study (``extra_params``: a vendor's
        own query parameters, as on every WADO-RS, STOW-RS and DELETE method)."""
        return self._run(self.exchanges.metadata, study_instance_uid, **options)

    def retrieve_series_metadata(
        self, study_instance_uid: str, series_instance_uid: str, **options: Unpack[VendorOptions]
    ) -> list[dict[str, Any]]:
        """DICOM JSON metadata of every instance of the series."""
        series = (study_instance_uid, series_instance_uid)
        return self._run(self.exchanges.metadata, *series, **options)

    def retrieve_instance_metadata(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        **options: Unpack[VendorOptions],
    ) -> dict[str, Any]:
        """DICOM JSON metadata of one instance."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        return self._run(self.exchanges.instance_metadata, *target, **options)

    def iter_instance_frames(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        **options: Unpack[RetrieveOptions],
    ) -> Iterator[bytes]:
        """Frames' bytes one at a time, in the order asked (1-based numbers)."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        yield from self._stream(self.exchanges.frames, *target, frame_numbers, **options)

    def retrieve_instance_frames(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        **options: Unpack[RetrieveOptions],
    ) -> list[bytes]:
        """Frames' bytes as a list, in the order asked."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        frames = self.iter_instance_frames(*target, frame_numbers, **options)
        return list(frames)

    def retrieve_instance_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        **options: Unpack[RenderOptions],
    ) -> bytes:
        """An instance rendered as an image (JPEG unless ``media_types`` says otherwise)."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        return self._run(self.exchanges.rendered_image, *target, **options)

    def retrieve_instance_frames_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        **options: Unpack[RenderOptions],
    ) -> bytes:
        """Frames of an instance rendered as an image."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        return self._run(self.exchanges.rendered_image, *target, frame_numbers, **options)

    def retrieve_series_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        **options: Unpack[RenderOptions],
    ) -> list[bytes]:
        """A series rendered as images, one per part (PS3.18: one per frame); servers that
        answer a single representative image (Orthanc) give a list of one."""
        series = (study_instance_uid, series_instance_uid)
        return self._run(self.exchanges.rendered, *series, **options)

    def retrieve_study_rendered(
        self, study_instance_uid: str, **options: Unpack[RenderOptions]
    ) -> list[bytes]:
        """A study rendered as images, one per part (PS3.18: one per frame); servers that
        answer a single representative image (Orthanc) give a list of one."""
        return self._run(self.exchanges.rendered, study_instance_uid, **options)

    def retrieve_thumbnail(
        self,
        study_instance_uid: str,
        series_instance_uid: str | None = None,
        sop_instance_uid: str | None = None,
        frame_numbers: Sequence[int] | None = None,
        **options: Unpack[RenderOptions],
    ) -> bytes:
        """The thumbnail of a study, series, instance or frames: one image (PS3.18 10.4.1)."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        return self._run(self.exchanges.thumbnail, *target, frame_numbers, **options)

    def retrieve_bulkdata(
        self,
        uri: str,
        byte_range: tuple[int, int | None] | Sequence[Any] | None = None,
        *,
        media_types: Sequence[Any] | None = None,
        single_part: bool = False,
        other_origin: str | None = None,
        extra_params: ExtraParams = None,
    ) -> list[bytes]:
        """The parts found at a BulkDataURI (usually one), optionally a byte range of it.

        ``single_part`` asks for a plain body instead of multipart (what servers honour ranges
        in); ``other_origin`` ("refuse", "allow", "rewrite") overrides the dialect's choice for
        a URI on another origin than the base URL. Media types given second, in
        dicomweb-client's order, are taken as ``media_types``.
        """
        return self._run(
            self.exchanges.bulkdata,
            uri,
            byte_range,
            media_types,
            single_part=single_part,
            other_origin=other_origin,
            extra_params=extra_params,
        )

    def iter_bulkdata(
        self,
        uri: str,
        byte_range: tuple[int, int | None] | Sequence[Any] | None = None,
        *,
        media_types: Sequence[Any] | None = None,
        single_part: bool = False,
        other_origin: str | None = None,
        extra_params: ExtraParams = None,
    ) -> Iterator[bytes]:
        """The parts of :meth:`retrieve_bulkdata`, one at a time as the answer streams."""
        yield from self._stream(
            self.exchanges.bulkdata_parts,
            uri,
            byte_range,
            media_types,
            single_part=single_part,
            other_origin=other_origin,
            extra_params=extra_params,
        )

    # -- frames in bulk (issue 19) -------------------------------------------------------------

    def iter_frames(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frames: int | Iterable[int] | None = None,
        *,
        batch: int | None = None,
        concurrency: int = DEFAULT_FRAME_CONCURRENCY,
        progress: Progress | None = None,
        **options: Unpack[RetrieveOptions],
    ) -> Iterator[Frame]:
        """Frames of one instance (``frames``: numbers in any order, repeats allowed; None:
        all), each a :class:`~dicomkit.core.operations.framebatch.Frame`, in that order.

        Fetched in frame-list requests of at most ``batch`` frames (None: spread over the
        requests, about 16 MiB each at most, within the dialect's list budget),
        ``concurrency`` at a time, each frame yielded as soon as the ones before it are; at
        most ``concurrency`` batches wait in memory. A list the server refuses is asked again
        in halves, down to single frames. One metadata request comes first: a frame number
        out of range raises InvalidArgumentError before any frame is asked.
        ``progress(done, total)`` follows each frame (docs/usage.md, "Frames in bulk").
        """
        from dicomkit.client._sync_frames import instance_frames

        # leaving early closes the generator, which stops the requests still running at once
        with closing(
            instance_frames(
                self,
                (study_instance_uid, series_instance_uid, sop_instance_uid),
                frames,
                (batch, concurrency, progress),
                **options,
            )
        ) as parts:
            yield from parts

    def iter_series_frames(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        *,
        batch: int | None = None,
        concurrency: int = DEFAULT_FRAME_CONCURRENCY,
        progress: Progress | None = None,
        **options: Unpack[RetrieveOptions],
    ) -> Iterator[Frame]:
        """Every frame of every instance of a series, as :meth:`iter_frames` fetches them:
        instances by InstanceNumber, frames ascending, instances without pixel data left out
        (the series' metadata, one request, says which)."""
        from dicomkit.client._sync_frames import series_frames

        with closing(
            series_frames(
                self,
                study_instance_uid,
                series_instance_uid,
                (batch, concurrency, progress),
                **options,
            )
        ) as parts:
            yield from parts

    # -- WADO-RS streamed to sinks (issue 19) ----------------------------------------------------

    def retrieve_instance_to(
        self,
        sink: Sink,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> WrittenPart:
        """Stream one instance into ``sink`` as it arrives, never holding it whole: an object
        with ``write`` (a file opened ``"wb"``, a socket's ``makefile("wb")``) or a callable
        taking bytes (``hasher.update``). Returns its headers and size; a failure raises and
        leaves the sink as it is (docs/usage.md, "Streaming huge parts")."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        exchange = self.exchanges.part_stream(*target, one_part=True, **options)
        return (self._write_parts(exchange, sink))[0]

    def retrieve_series_to(
        self,
        sinks: Callable[[Headers], Sink],
        study_instance_uid: str,
        series_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> list[WrittenPart]:
        """Stream each instance of the series into its own sink, ``sinks(headers)``, called as
        its part starts; the parts written, in order (as :meth:`retrieve_instance_to`)."""
        series = (study_instance_uid, series_instance_uid)
        return self._write_parts(self.exchanges.part_stream(*series, **options), None, sinks)

    def retrieve_study_to(
        self,
        sinks: Callable[[Headers], Sink],
        study_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> list[WrittenPart]:
        """Stream each instance of the study into its own sink, ``sinks(headers)``."""
        exchange = self.exchanges.part_stream(study_instance_uid, **options)
        return self._write_parts(exchange, None, sinks)

    def retrieve_bulkdata_to(
        self,
        sink: Sink,
        uri: str,
        byte_range: tuple[int, int | None] | Sequence[Any] | None = None,
        *,
        media_types: Sequence[Any] | None = None,
        single_part: bool = False,
        other_origin: str | None = None,
        extra_params: ExtraParams = None,
    ) -> WrittenPart:
        """Stream the bulk data value at ``uri`` (or ``byte_range`` of it) into ``sink``, checked
        and trimmed as :meth:`retrieve_bulkdata` does; an answer of several parts is refused."""
        exchange = self.exchanges.bulkdata_stream(
            uri,
            byte_range,
            media_types,
            single_part=single_part,
            other_origin=other_origin,
            extra_params=extra_params,
        )
        return (self._write_parts(exchange, sink))[0]

    # -- STOW-RS -------------------------------------------------------------------------------

    def store_instances(
        self,
        instances: Iterable[InstanceInput] | InstanceInput,
        study_instance_uid: str | None = None,
        *,
        max_batch_instances: int | None = None,
        max_batch_bytes: int | None = None,
        progress: Progress | None = None,
        duplicates: str = "error",
        raise_on_warnings: bool = False,
        confirm: bool = True,
        extra_params: ExtraParams = None,
    ) -> StoreResult:
        """STOW-RS: store Datasets, paths, bytes or binary files, in as many requests as needed.

        Raises StoreError (carrying the whole StoreResult) when any instance failed. Warnings
        (coerced attributes, a ``Warning`` header) leave the data stored: they are in the
        result's ``warnings``, or raise with ``raise_on_warnings``. ``duplicates="present"``
        lists instances the server holds already in ``already_present`` instead of failing.
        A request that breaks without an answer is, with ``confirm``, settled by asking the
        server which of its instances it holds (``held_instances``): those are stored, the
        others failed "not on the server"; if that lookup fails too, the request's own error
        is raised, since the outcome is unknown (docs/reliability.md). ``extra_params`` go on
        every STOW-RS request (a vendor's own query parameters).
        """
        batches = offload(self._stow_batches, instances, max_batch_instances, max_batch_bytes)
        tally = self._store_tally(batches, progress, duplicates, raise_on_warnings)
        concurrently(
            partial(self._store_batch, confirm=confirm, extra_params=extra_params),
            tally.jobs(study_instance_uid),
            1,
            tally.settle,
        )
        return tally.outcome()

    # -- capabilities ----------------------------------------------------------------------------

    def capabilities(self, path: str = "") -> Capabilities:
        """What the server says it supports (``OPTIONS``, PS3.18 8.9): the allowed methods and
        its description document; a server without it raises the matching HTTPError (405)."""
        return self._run(self.exchanges.capabilities, path)

    # -- DELETE --------------------------------------------------------------------------------

    def delete_study(self, study_instance_uid: str, **options: Unpack[VendorOptions]) -> None:
        """Delete a study (405 from servers without DICOMweb DELETE, such as Orthanc)."""
        self._run(self.exchanges.delete, study_instance_uid, **options)

    def delete_series(
        self, study_instance_uid: str, series_instance_uid: str, **options: Unpack[VendorOptions]
    ) -> None:
        """Delete a series."""
        self._run(self.exchanges.delete, study_instance_uid, series_instance_uid, **options)

    def delete_instance(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        **options: Unpack[VendorOptions],
    ) -> None:
        """Delete an instance."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        self._run(self.exchanges.delete, *target, **options)

    # -- the classic methods ---------------------------------------------------------------------

    def delete_dicom(
        self,
        study_id: str,
        series_id: str | None = None,
        instance_id: str | None = None,
        **options: Unpack[VendorOptions],
    ) -> None:
        """Delete a study, a series or an instance, by whichever UIDs are given."""
        self._run(self.exchanges.delete, study_id, series_id, instance_id, **options)

    def upload_dicom_file(
        self, path: str | os.PathLike[str], *, force: bool = False, duplicates: str = "present"
    ) -> StoreResult:
        """Store one DICOM file, streamed from disk.

        The file is checked first, as ``upload_dicom_folder`` checks its files: a missing,
        unreadable or non-DICOM file raises InvalidArgumentError before any request.
        ``force=True`` accepts a data set without the Part 10 header (docs/files.md). An
        instance the server holds already is ``already_present`` in the result, as in the
        folder report; ``duplicates="error"`` raises StoreError for it instead.
        """
        from dicomkit.files.folder import sniff_file

        scanned = offload(sniff_file, Path(path), force=force)
        item = offload(uploadable, path, scanned)
        return self.store_instances([item], duplicates=duplicates)

    def upload_dicom_folder(
        self,
        folder: str | os.PathLike[str],
        *,
        recursive: bool = True,
        study_instance_uid: str | None = None,
        max_batch_instances: int | None = None,
        max_batch_bytes: int | None = None,
        workers: int | None = None,
        progress: Progress | None = None,
        force: bool = False,
        duplicates: str = "present",
    ) -> FolderUploadReport:
        """Store every DICOM file under ``folder`` (recognised by content) and report per file.

        A batch the server refuses, or whose file vanished since the scan, is reported per
        file and the upload goes on; bad credentials stop it (every batch would fail alike).
        ``workers`` > 1 sends that many STOW-RS requests at once (threads in blocking code,
        tasks under asyncio; None: ``stow.DEFAULT_WORKERS``, measured) and, unless
        ``max_batch_instances`` is given, splits the files into two batches per worker;
        outcomes are still recorded and reported in folder order.
        ``force=True`` also uploads data sets stored without the Part 10 header (re-encoded);
        without it they are reported failed with that reason (docs/files.md). An instance the
        server holds already is listed in ``already_present``, or with ``duplicates="error"``
        among the failures.
        """
        plan, at_once, policy = offload(
            self._folder_upload,
            folder,
            recursive,
            study_instance_uid,
            max_batch_instances,
            max_batch_bytes,
            workers,
            force,
            duplicates,
        )
        send = partial(self._store_outcome, duplicates=policy)
        concurrently(send, plan.jobs(study_instance_uid), at_once, plan.settler(progress))
        return plan.report

    def download_dicom(
        self,
        output_folder: str | os.PathLike[str],
        study_id: str,
        series_id: str | None = None,
        instance_id: str | None = None,
        *,
        progress: Progress | None = None,
    ) -> list[Path]:
        """Stream a study, series or instance to ``{study}/{series}/{instance}.dcm`` files.

        The folder is created only once the server has answered with success, so a missing
        study leaves no empty folder behind.
        """
        events = self._stream(self.exchanges.part_events, study_id, series_id, instance_id)
        return self._download(events, output_folder, progress)
