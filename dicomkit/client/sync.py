# Generated from dicomkit/client/aio.py by scripts/unasync.py.
# Do not edit: change the async source and run `python scripts/unasync.py`.
"""The DICOMweb client: each public method runs the core exchange of its operation.

The asyncio client is the source and scripts/unasync.py generates the blocking one from it
(docs/twins.md). A method names its exchange (:mod:`dicomkit.core.operations`) and lets the
driver run it: ``_run`` for answers read whole, ``_stream`` for answers read part by part.
Files go through ``offload`` and large parts' parsing through ``_heavy``: a worker thread under
asyncio, a plain call in blocking code, so the event loop never waits on a disk or a big parse.
This module holds the constructor, ``workitems``/``azure`` and the STOW-RS, capabilities,
DELETE and classic (Azure-named) methods; the client inherits QIDO-RS from
``_sync_search.SearchMethods`` and the WADO-RS retrieve family from
``_sync_retrieve.RetrieveMethods``, so that each module keeps to one job
(docs/architecture.md, "The client's modules").
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
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
from dicomkit.client._sync_retrieve import RetrieveMethods
from dicomkit.client._sync_search import SearchMethods
from dicomkit.config import ClientSettings
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import TransportSpec
from dicomkit.core.operations import MAX_JSON_BYTES, Dialect
from dicomkit.core.retry import RetryPolicy
from dicomkit.files import Progress

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from dicomkit.auth import AuthInput
    from dicomkit.client._azure_sync import Azure
    from dicomkit.client._sync_workitems import Workitems
    from dicomkit.core.operations import Capabilities, VendorOptions
    from dicomkit.core.query import ExtraParams
    from dicomkit.core.stow_response import StoreResult
    from dicomkit.files.folder import FolderUploadReport
    from dicomkit.files.part10 import InstanceInput

__all__ = ["DicomClient"]

DEFAULT_TRANSPORT = "requests"
_FIXED_PREFIXES = frozenset(
    f"{service}_{kind}"
    for service in ("qido", "wado", "stow", "delete")
    for kind in ("prefix", "url_prefix")
) | {"url_prefix"}


# the search mixin comes last so the API pages (which list inherited methods base-most first)
# keep the order QIDO-RS, WADO-RS, then this class's own methods
class DicomClient(RetrieveMethods, SearchMethods):
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
