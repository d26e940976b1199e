"""The WADO-RS retrieve family of the client: instances, metadata, frames, rendered images,
bulk data, frames in bulk and parts streamed to sinks.

A mixin of :class:`~dicomkit.AsyncDicomClient`, in a module of its own so that each client
module holds one service (docs/architecture.md, "The client's modules"). Each method names its
exchange (:mod:`dicomkit.core.operations`) and lets the driver run it: ``_run`` for answers
read whole, ``_stream`` for answers read part by part, ``_write_parts`` for parts written to
sinks. Datasets are parsed through ``_heavy``, so a large part never stalls the event loop.
The asyncio side is the source; scripts/unasync.py generates the blocking twin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from dicomkit.client._aio_driver import AsyncDriver
from dicomkit.core.interface import Headers
from dicomkit.core.operations.options import DEFAULT_FRAME_CONCURRENCY
from dicomkit.files import Progress

if TYPE_CHECKING:
    from pydicom.dataset import Dataset
    from typing_extensions import Unpack

    from dicomkit.core.operations import (
        RenderOptions,
        RetrieveOptions,
        Sink,
        VendorOptions,
        WrittenPart,
    )
    from dicomkit.core.operations.framebatch import Frame
    from dicomkit.core.query import ExtraParams

__all__ = ["AsyncRetrieveMethods"]


class AsyncRetrieveMethods(AsyncDriver):
    """WADO-RS retrieves (PS3.18 10.4), the public methods the client inherits from here."""

    # -- instances, metadata, frames, rendered images, bulk data -------------------------------

    async def iter_parts(
        self,
        study_instance_uid: str,
        series_instance_uid: str | None = None,
        sop_instance_uid: str | None = None,
        **options: Unpack[RetrieveOptions],
    ) -> AsyncIterator[tuple[Headers, bytes]]:
        """Each part of a WADO-RS answer with its own headers, one part in memory at a time."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        async for part in self._stream(self.exchanges.parts, *target, **options):
            yield part

    async def iter_study(
        self, study_instance_uid: str, **options: Unpack[RetrieveOptions]
    ) -> AsyncIterator[Dataset]:
        """The study's instances one Dataset at a time, never the whole body in memory."""
        from dicomkit.files.part10 import dataset_from_bytes

        async for _, body in self.iter_parts(study_instance_uid, **options):
            yield await self._heavy(len(body), dataset_from_bytes, body)

    async def iter_series(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> AsyncIterator[Dataset]:
        """The series' instances one Dataset at a time."""
        from dicomkit.files.part10 import dataset_from_bytes

        async for _, body in self.iter_parts(study_instance_uid, series_instance_uid, **options):
            yield await self._heavy(len(body), dataset_from_bytes, body)

    async def retrieve_study(
        self, study_instance_uid: str, **options: Unpack[RetrieveOptions]
    ) -> list[Dataset]:
        """Every instance of the study as pydicom Datasets."""
        return [dataset async for dataset in self.iter_study(study_instance_uid, **options)]

    async def retrieve_series(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> list[Dataset]:
        """Every instance of the series as pydicom Datasets."""
        datasets = self.iter_series(study_instance_uid, series_instance_uid, **options)
        return [dataset async for dataset in datasets]

    async def retrieve_instance(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> Dataset:
        """One instance as a pydicom Dataset."""
        from dicomkit.files.part10 import single_dataset

        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        parts = [part async for part in self.iter_parts(*target, **options)]
        return await self._heavy(sum(len(body) for _, body in parts), single_dataset, parts)

    async def retrieve_study_metadata(
        self, study_instance_uid: str, **options: Unpack[VendorOptions]
    ) -> list[dict[str, Any]]:
        """DICOM JSON metadata of every instance of the study (``extra_params``: a vendor's
        own query parameters, as on every WADO-RS, STOW-RS and DELETE method)."""
        return await self._run(self.exchanges.metadata, study_instance_uid, **options)

    async def retrieve_series_metadata(
        self, study_instance_uid: str, series_instance_uid: str, **options: Unpack[VendorOptions]
    ) -> list[dict[str, Any]]:
        """DICOM JSON metadata of every instance of the series."""
        series = (study_instance_uid, series_instance_uid)
        return await self._run(self.exchanges.metadata, *series, **options)

    async def retrieve_instance_metadata(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        **options: Unpack[VendorOptions],
    ) -> dict[str, Any]:
        """DICOM JSON metadata of one instance."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        return await self._run(self.exchanges.instance_metadata, *target, **options)

    async def iter_instance_frames(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        **options: Unpack[RetrieveOptions],
    ) -> AsyncIterator[bytes]:
        """Frames' bytes one at a time, in the order asked (1-based numbers)."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        async for frame in self._stream(self.exchanges.frames, *target, frame_numbers, **options):
            yield frame

    async def retrieve_instance_frames(
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
        return [frame async for frame in frames]

    async def retrieve_instance_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        **options: Unpack[RenderOptions],
    ) -> bytes:
        """An instance rendered as an image (JPEG unless ``media_types`` says otherwise)."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        return await self._run(self.exchanges.rendered_image, *target, **options)

    async def retrieve_instance_frames_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        **options: Unpack[RenderOptions],
    ) -> bytes:
        """Frames of an instance rendered as an image."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        return await self._run(self.exchanges.rendered_image, *target, frame_numbers, **options)

    async def retrieve_series_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        **options: Unpack[RenderOptions],
    ) -> list[bytes]:
        """A series rendered as images, one per part (PS3.18: one per frame); servers that
        answer a single representative image (Orthanc) give a list of one."""
        series = (study_instance_uid, series_instance_uid)
        return await self._run(self.exchanges.rendered, *series, **options)

    async def retrieve_study_rendered(
        self, study_instance_uid: str, **options: Unpack[RenderOptions]
    ) -> list[bytes]:
        """A study rendered as images, one per part (PS3.18: one per frame); servers that
        answer a single representative image (Orthanc) give a list of one."""
        return await self._run(self.exchanges.rendered, study_instance_uid, **options)

    async def retrieve_thumbnail(
        self,
        study_instance_uid: str,
        series_instance_uid: str | None = None,
        sop_instance_uid: str | None = None,
        frame_numbers: Sequence[int] | None = None,
        **options: Unpack[RenderOptions],
    ) -> bytes:
        """The thumbnail of a study, series, instance or frames: one image (PS3.18 10.4.1)."""
        target = (study_instance_uid, series_instance_uid, sop_instance_uid)
        return await self._run(self.exchanges.thumbnail, *target, frame_numbers, **options)

    async def retrieve_bulkdata(
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
        return await self._run(
            self.exchanges.bulkdata,
            uri,
            byte_range,
            media_types,
            single_part=single_part,
            other_origin=other_origin,
            extra_params=extra_params,
        )

    async def iter_bulkdata(
        self,
        uri: str,
        byte_range: tuple[int, int | None] | Sequence[Any] | None = None,
        *,
        media_types: Sequence[Any] | None = None,
        single_part: bool = False,
        other_origin: str | None = None,
        extra_params: ExtraParams = None,
    ) -> AsyncIterator[bytes]:
        """The parts of :meth:`retrieve_bulkdata`, one at a time as the answer streams."""
        async for part in self._stream(
            self.exchanges.bulkdata_parts,
            uri,
            byte_range,
            media_types,
            single_part=single_part,
            other_origin=other_origin,
            extra_params=extra_params,
        ):
            yield part

    # -- frames in bulk (issue 19) -------------------------------------------------------------

    async def iter_frames(
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
    ) -> AsyncIterator[Frame]:
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
        from dicomkit.client._aio_frames import instance_frames

        # leaving early closes the generator, which stops the requests still running at once
        async with aclosing(
            await instance_frames(
                self,
                (study_instance_uid, series_instance_uid, sop_instance_uid),
                frames,
                (batch, concurrency, progress),
                **options,
            )
        ) as parts:
            async for frame in parts:
                yield frame

    async def iter_series_frames(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        *,
        batch: int | None = None,
        concurrency: int = DEFAULT_FRAME_CONCURRENCY,
        progress: Progress | None = None,
        **options: Unpack[RetrieveOptions],
    ) -> AsyncIterator[Frame]:
        """Every frame of every instance of a series, as :meth:`iter_frames` fetches them:
        instances by InstanceNumber, frames ascending, instances without pixel data left out
        (the series' metadata, one request, says which)."""
        from dicomkit.client._aio_frames import series_frames

        async with aclosing(
            await series_frames(
                self,
                study_instance_uid,
                series_instance_uid,
                (batch, concurrency, progress),
                **options,
            )
        ) as parts:
            async for frame in parts:
                yield frame

    # -- WADO-RS streamed to sinks (issue 19) ----------------------------------------------------

    async def retrieve_instance_to(
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
        return (await self._write_parts(exchange, sink))[0]

    async def retrieve_series_to(
        self,
        sinks: Callable[[Headers], Sink],
        study_instance_uid: str,
        series_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> list[WrittenPart]:
        """Stream each instance of the series into its own sink, ``sinks(headers)``, called as
        its part starts; the parts written, in order (as :meth:`retrieve_instance_to`)."""
        series = (study_instance_uid, series_instance_uid)
        return await self._write_parts(self.exchanges.part_stream(*series, **options), None, sinks)

    async def retrieve_study_to(
        self,
        sinks: Callable[[Headers], Sink],
        study_instance_uid: str,
        **options: Unpack[RetrieveOptions],
    ) -> list[WrittenPart]:
        """Stream each instance of the study into its own sink, ``sinks(headers)``."""
        exchange = self.exchanges.part_stream(study_instance_uid, **options)
        return await self._write_parts(exchange, None, sinks)

    async def retrieve_bulkdata_to(
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
        return (await self._write_parts(exchange, sink))[0]
