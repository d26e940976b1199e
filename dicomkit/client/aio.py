"""AsyncDicomClient: the asyncio DICOMweb client, method for method the twin of DicomClient.

Every method of :class:`~dicomkit.client.sync.DicomClient` exists here with the same
arguments; coroutines are awaited and the ``iter_*`` methods are async generators. This file is
generated from sync.py by tests/client/twin.py; edit sync.py and regenerate.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydicom.dataset import Dataset

from dicomkit.client._aio_driver import AsyncDriver
from dicomkit.client._base import patient_filter, store_outcome, unique_uids
from dicomkit.core.dicomjson import StoreResult, first_value
from dicomkit.core.errors import (
    BadRequestError,
    DicomkitError,
    HTTPError,
    InvalidArgumentError,
    NotAcceptableError,
    ProtocolError,
    StoreError,
    TransportError,
    UnauthorizedError,
)
from dicomkit.core.interface import Headers, Request
from dicomkit.core.operations import (
    Pager,
    PartEvents,
    parse_json_object,
)
from dicomkit.core.stow import StowItem, interpret_store
from dicomkit.core.uids import validate_uid
from dicomkit.core.urls import Level
from dicomkit.files import Progress
from dicomkit.files.download import PartFileWriter
from dicomkit.files.folder import FolderUpload, FolderUploadReport, sniff_file
from dicomkit.files.part10 import InstanceInput, dataset_from_bytes, single_dataset

__all__ = ["AsyncDicomClient"]


class AsyncDicomClient(AsyncDriver):
    """The asyncio DICOMweb client; same methods and arguments as DicomClient, awaited.

    ``transport`` is a registered name ("aiohttp", "httpx"), an AsyncTransport class, or
    an instance you built (which the client then never closes). ``retry`` is a RetryPolicy or
    a number of attempts; ``auth`` a (user, password) tuple, a token, a callable or an Auth.
    """

    # -- QIDO-RS -------------------------------------------------------------------------------

    async def _search(
        self, level: Level, study: str | None, series: str | None, **kw: Any
    ) -> list[dict[str, Any]]:
        get_remaining = kw.pop("get_remaining", False)
        if get_remaining:
            return [item async for item in self._iter_search(level, study, series, **kw)]
        request = self._search_request(level, study, series, **kw)
        return await self._items(request)

    async def _iter_search(
        self, level: Level, study: str | None, series: str | None, **kw: Any
    ) -> AsyncIterator[dict[str, Any]]:
        pager = Pager(kw.pop("limit"), kw.pop("offset"))
        while not pager.done:
            request = self._search_request(
                level, study, series, limit=pager.limit, offset=pager.offset or None, **kw
            )
            items, headers = await self._json(request)
            for item in pager.accept(items, headers):
                yield item

    async def search_for_studies(
        self,
        search_filters: Mapping[str, Any] | None = None,
        *,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
        get_remaining: bool = False,
    ) -> list[dict[str, Any]]:
        """QIDO-RS studies as DICOM JSON; ``get_remaining`` follows every page."""
        return await self._search(
            "studies",
            None,
            None,
            search_filters=search_filters,
            fuzzymatching=fuzzymatching,
            limit=limit,
            offset=offset,
            fields=fields,
            get_remaining=get_remaining,
        )

    async def search_for_series(
        self,
        study_instance_uid: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        *,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
        get_remaining: bool = False,
    ) -> list[dict[str, Any]]:
        """QIDO-RS series, of one study or of all."""
        return await self._search(
            "series",
            study_instance_uid,
            None,
            search_filters=search_filters,
            fuzzymatching=fuzzymatching,
            limit=limit,
            offset=offset,
            fields=fields,
            get_remaining=get_remaining,
        )

    async def search_for_instances(
        self,
        study_instance_uid: str | None = None,
        series_instance_uid: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        *,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
        get_remaining: bool = False,
    ) -> list[dict[str, Any]]:
        """QIDO-RS instances, of one series, one study, or all."""
        return await self._search(
            "instances",
            study_instance_uid,
            series_instance_uid,
            search_filters=search_filters,
            fuzzymatching=fuzzymatching,
            limit=limit,
            offset=offset,
            fields=fields,
            get_remaining=get_remaining,
        )

    async def iter_search_for_studies(
        self,
        search_filters: Mapping[str, Any] | None = None,
        *,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching study, fetched page by page (``limit`` is the page size)."""
        async for item in self._iter_search(
            "studies",
            None,
            None,
            search_filters=search_filters,
            fuzzymatching=fuzzymatching,
            limit=limit,
            offset=offset,
            fields=fields,
        ):
            yield item

    async def iter_search_for_series(
        self,
        study_instance_uid: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        *,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching series, page by page."""
        async for item in self._iter_search(
            "series",
            study_instance_uid,
            None,
            search_filters=search_filters,
            fuzzymatching=fuzzymatching,
            limit=limit,
            offset=offset,
            fields=fields,
        ):
            yield item

    async def iter_search_for_instances(
        self,
        study_instance_uid: str | None = None,
        series_instance_uid: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        *,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching instance, page by page."""
        async for item in self._iter_search(
            "instances",
            study_instance_uid,
            series_instance_uid,
            search_filters=search_filters,
            fuzzymatching=fuzzymatching,
            limit=limit,
            offset=offset,
            fields=fields,
        ):
            yield item

    async def get_patient_study_ids(self, patient_id: str) -> list[str]:
        """StudyInstanceUIDs of every study of the patient, all pages followed.

        The ID is matched exactly; an empty one or one with a QIDO wildcard is refused.
        """
        studies = self.iter_search_for_studies(
            patient_filter(patient_id), fields=["StudyInstanceUID"]
        )
        return unique_uids([first_value(s, "StudyInstanceUID") async for s in studies])

    # -- WADO-RS -------------------------------------------------------------------------------

    async def iter_parts(
        self,
        study_instance_uid: str,
        series_instance_uid: str | None = None,
        sop_instance_uid: str | None = None,
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> AsyncIterator[tuple[Headers, bytes]]:
        """Each part of a WADO-RS answer with its own headers, one part in memory at a time."""
        request = self.operations.retrieve(
            study_instance_uid,
            series_instance_uid,
            sop_instance_uid,
            media_types=media_types,
            transfer_syntax=transfer_syntax,
        )
        async for part in self._parts(request):
            yield part

    async def iter_study(
        self,
        study_instance_uid: str,
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> AsyncIterator[Dataset]:
        """The study's instances one Dataset at a time, never the whole body in memory."""
        parts = self.iter_parts(
            study_instance_uid, media_types=media_types, transfer_syntax=transfer_syntax
        )
        async for _, body in parts:
            yield dataset_from_bytes(body)

    async def iter_series(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> AsyncIterator[Dataset]:
        """The series' instances one Dataset at a time."""
        parts = self.iter_parts(
            study_instance_uid,
            series_instance_uid,
            media_types=media_types,
            transfer_syntax=transfer_syntax,
        )
        async for _, body in parts:
            yield dataset_from_bytes(body)

    async def retrieve_study(
        self,
        study_instance_uid: str,
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> list[Dataset]:
        """Every instance of the study as pydicom Datasets."""
        return [
            item
            async for item in self.iter_study(
                study_instance_uid, media_types=media_types, transfer_syntax=transfer_syntax
            )
        ]

    async def retrieve_series(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> list[Dataset]:
        """Every instance of the series as pydicom Datasets."""
        return [
            item
            async for item in self.iter_series(
                study_instance_uid,
                series_instance_uid,
                media_types=media_types,
                transfer_syntax=transfer_syntax,
            )
        ]

    async def retrieve_instance(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> Dataset:
        """One instance as a pydicom Dataset."""
        parts = self.iter_parts(
            study_instance_uid,
            series_instance_uid,
            sop_instance_uid,
            media_types=media_types,
            transfer_syntax=transfer_syntax,
        )
        return single_dataset([part async for part in parts])

    async def retrieve_study_metadata(self, study_instance_uid: str) -> list[dict[str, Any]]:
        """DICOM JSON metadata of every instance of the study."""
        return await self._items(self.operations.metadata(study_instance_uid))

    async def retrieve_series_metadata(
        self, study_instance_uid: str, series_instance_uid: str
    ) -> list[dict[str, Any]]:
        """DICOM JSON metadata of every instance of the series."""
        request = self.operations.metadata(study_instance_uid, series_instance_uid)
        return await self._items(request)

    async def retrieve_instance_metadata(
        self, study_instance_uid: str, series_instance_uid: str, sop_instance_uid: str
    ) -> dict[str, Any]:
        """DICOM JSON metadata of one instance."""
        request = self.operations.metadata(
            study_instance_uid, series_instance_uid, sop_instance_uid
        )
        response = await self._ok(request)
        return parse_json_object(response.status, await response.aread())

    async def iter_instance_frames(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> AsyncIterator[bytes]:
        """Frames' bytes one at a time, in the order asked (1-based numbers)."""
        request = self.operations.frames(
            study_instance_uid,
            series_instance_uid,
            sop_instance_uid,
            frame_numbers,
            media_types=media_types,
            transfer_syntax=transfer_syntax,
        )
        async for _, body in self._parts(request):
            yield body

    async def retrieve_instance_frames(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> list[bytes]:
        """Frames' bytes as a list, in the order asked."""
        return [
            item
            async for item in self.iter_instance_frames(
                study_instance_uid,
                series_instance_uid,
                sop_instance_uid,
                frame_numbers,
                media_types=media_types,
                transfer_syntax=transfer_syntax,
            )
        ]

    async def _rendered(self, request: Request, fallback: Request | None = None) -> list[bytes]:
        """The rendered images of every part; ``fallback`` is sent when the server refuses
        ``request`` with 400 or 406 (Orthanc 1.10 refuses multipart study/series renderings)."""
        try:
            parts = [part async for part in self._parts(request)]
        except (BadRequestError, NotAcceptableError):
            if fallback is None:
                raise
            request = fallback
            parts = [part async for part in self._parts(request)]
        return [body for _, body in parts]

    async def retrieve_instance_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        *,
        media_types: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> bytes:
        """An instance rendered as an image (JPEG unless ``media_types`` says otherwise)."""
        request = self.operations.rendered(
            study_instance_uid,
            series_instance_uid,
            sop_instance_uid,
            media_types=media_types,
            params=params,
        )
        images = await self._rendered(request)
        return images[0] if images else b""

    async def retrieve_instance_frames_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        *,
        media_types: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> bytes:
        """Frames of an instance rendered as an image."""
        request = self.operations.rendered(
            study_instance_uid,
            series_instance_uid,
            sop_instance_uid,
            frame_numbers=frame_numbers,
            media_types=media_types,
            params=params,
        )
        images = await self._rendered(request)
        return images[0] if images else b""

    async def retrieve_series_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        *,
        media_types: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[bytes]:
        """A series rendered as images, one per part (PS3.18: one per frame); servers that
        answer a single representative image (Orthanc) give a list of one."""
        options: dict[str, Any] = {"media_types": media_types, "params": params}
        request = self.operations.rendered(study_instance_uid, series_instance_uid, **options)
        fallback = self.operations.rendered(
            study_instance_uid, series_instance_uid, multipart=False, **options
        )
        return await self._rendered(request, fallback)

    async def retrieve_study_rendered(
        self,
        study_instance_uid: str,
        *,
        media_types: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[bytes]:
        """A study rendered as images, one per part (PS3.18: one per frame); servers that
        answer a single representative image (Orthanc) give a list of one."""
        options: dict[str, Any] = {"media_types": media_types, "params": params}
        request = self.operations.rendered(study_instance_uid, **options)
        fallback = self.operations.rendered(study_instance_uid, multipart=False, **options)
        return await self._rendered(request, fallback)

    async def retrieve_bulkdata(
        self,
        uri: str,
        byte_range: tuple[int, int | None] | None = None,
        *,
        media_types: Sequence[Any] | None = None,
    ) -> list[bytes]:
        """The parts found at a BulkDataURI (usually one), optionally a byte range of it."""
        request = self.operations.bulkdata(uri, byte_range=byte_range, media_types=media_types)
        return await self._bulk(request, byte_range)

    # -- STOW-RS -------------------------------------------------------------------------------

    async def _store_batch(self, items: Sequence[StowItem], study: str | None) -> StoreResult:
        request = self._stow_request(items, study)
        response = await self._send(request)
        async with response:
            body = await response.aread()
        try:
            return interpret_store(request, response.status, response.headers, body)
        except UnauthorizedError as error:
            raise self._explained(error) from None

    async def _store_outcome(
        self, items: Sequence[StowItem], study: str | None
    ) -> StoreResult | DicomkitError:
        """One folder batch's result; a refused, unreadable or lost batch is returned, not raised.

        A connection lost (after retries) mid-batch fails only that batch's files in the report;
        the other batches are still sent, so the report says exactly what reached the server.
        """
        try:
            return await self._store_batch(items, study)
        except StoreError as exc:
            return exc.result
        except (HTTPError, InvalidArgumentError, TransportError, ProtocolError) as exc:
            return exc

    async def store_instances(
        self,
        instances: Iterable[InstanceInput] | InstanceInput,
        study_instance_uid: str | None = None,
        *,
        max_batch_instances: int | None = None,
        max_batch_bytes: int | None = None,
        progress: Progress | None = None,
    ) -> StoreResult:
        """STOW-RS: store Datasets, paths, bytes or binary files, in as many requests as needed.

        Raises StoreError (carrying the whole StoreResult) when any instance failed or warned.
        """
        batches = self._stow_batches(instances, max_batch_instances, max_batch_bytes)
        results: list[StoreResult] = []
        errors: list[StoreError] = []
        total, done = sum(len(b) for b in batches), 0
        for batch in batches:
            try:
                results.append(await self._store_batch(batch, study_instance_uid))
            except StoreError as exc:
                results.append(exc.result)
                errors.append(exc)
            done += len(batch)
            if progress is not None:
                progress(done, total)
        return store_outcome(results, errors)

    # -- DELETE --------------------------------------------------------------------------------

    async def delete_study(self, study_instance_uid: str) -> None:
        """Delete a study (405 from servers without DICOMweb DELETE, such as Orthanc)."""
        await self._done(self.operations.delete(study_instance_uid))

    async def delete_series(self, study_instance_uid: str, series_instance_uid: str) -> None:
        """Delete a series."""
        await self._done(self.operations.delete(study_instance_uid, series_instance_uid))

    async def delete_instance(
        self, study_instance_uid: str, series_instance_uid: str, sop_instance_uid: str
    ) -> None:
        """Delete an instance."""
        request = self.operations.delete(study_instance_uid, series_instance_uid, sop_instance_uid)
        await self._done(request)

    # -- the classic methods ---------------------------------------------------------------------

    async def delete_dicom(
        self, study_id: str, series_id: str | None = None, instance_id: str | None = None
    ) -> None:
        """Delete a study, a series or an instance, by whichever UIDs are given."""
        await self._done(self.operations.delete(study_id, series_id, instance_id))

    async def upload_dicom_file(self, path: str | os.PathLike[str]) -> StoreResult:
        """Store one DICOM file, streamed from disk.

        The file is checked first, as ``upload_dicom_folder`` checks its files: a missing,
        unreadable or non-DICOM file raises InvalidArgumentError before any request.
        """
        scanned = await asyncio.to_thread(sniff_file, Path(path))
        if not scanned.is_dicom:
            raise InvalidArgumentError(
                f"cannot upload {path}: not a DICOM file (no Part 10 'DICM' header)"
            )
        if scanned.problem:
            raise InvalidArgumentError(f"cannot upload {path}: {scanned.problem}")
        return await self.store_instances([Path(path)])

    async def upload_dicom_folder(
        self,
        folder: str | os.PathLike[str],
        *,
        recursive: bool = True,
        study_instance_uid: str | None = None,
        max_batch_instances: int | None = None,
        max_batch_bytes: int | None = None,
        workers: int = 1,
        progress: Progress | None = None,
    ) -> FolderUploadReport:
        """Store every DICOM file under ``folder`` (recognised by content) and report per file.

        A batch the server refuses, or whose file vanished since the scan, is reported per
        file and the upload goes on; bad credentials stop it (every batch would fail alike).
        ``workers`` > 1 sends that many STOW-RS requests at once (threads here, tasks in the
        async client) and, unless ``max_batch_instances`` is given, splits the files into two
        batches per worker; outcomes are still recorded and reported in folder order.
        """
        if study_instance_uid is not None:
            validate_uid(study_instance_uid, "StudyInstanceUID")
        plan = await asyncio.to_thread(
            FolderUpload, folder, recursive, max_batch_instances, max_batch_bytes, workers
        )
        settle = plan.settler(progress)
        await self._concurrently(
            self._store_outcome, plan.jobs(study_instance_uid), workers, settle
        )
        return plan.report

    async def download_dicom(
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
        request = self.operations.retrieve(study_id, series_id, instance_id)
        response = await self._ok(request)
        async with response:
            writer = PartFileWriter.create(output_folder)
            try:
                events = PartEvents(response.headers)
                async for chunk in response.aiter_bytes():
                    writer.feed(events.feed(chunk), progress)
                writer.feed(events.close(), progress)
            except BaseException:
                writer.abort()
                raise
        return list(dict.fromkeys(writer.written))
