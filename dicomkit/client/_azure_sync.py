# Generated from dicomkit/client/_azure_aio.py by scripts/unasync.py.
# Do not edit: change the async source and run `python scripts/unasync.py`.
"""The Azure DICOM service's own APIs on a client: ``client.azure`` and its sub-objects.

The asyncio side is the source; scripts/unasync.py generates the blocking twin. Each method
runs one exchange of :mod:`dicomkit.core.operations.azure_exchanges` through the client's
driver, so authentication, retries and error mapping are the client's own. Only following the
change feed and waiting for an operation loop here: both poll, and polling is I/O.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from dicomkit.client._io_sync import sleep
from dicomkit.client._sync_driver import SyncDriver
from dicomkit.core.operations.azure import (
    ChangeFeedEntry,
    ExtendedQueryTag,
    ExtendedQueryTagError,
    OperationFailedError,
    OperationReference,
    OperationState,
    OperationTimeoutError,
    QueryTagSpec,
)
from dicomkit.core.operations.azure_exchanges import AzureExchanges, TimeInput

__all__ = ["Azure", "AzureOperations", "ExtendedQueryTags"]

OperationProgress = Callable[[OperationState], None]
"""Called with each status read while waiting for an operation."""


class ExtendedQueryTags:
    """``client.azure.extended_query_tags``: index more attributes (private ones included) so
    the ordinary ``search_for_*`` methods can match on them."""

    def __init__(self, client: SyncDriver, exchanges: AzureExchanges) -> None:
        self._client = client
        self._exchanges = exchanges

    def add(self, *tags: QueryTagSpec | Mapping[str, Any] | str | int) -> OperationReference:
        """Add tags (a keyword or tag is study level; a QueryTagSpec or mapping says more).

        The service indexes the instances it holds in a reindex operation: wait for it with
        ``client.azure.operations.wait(reference)`` before searching on the tags.
        """
        return self._client._run(self._exchanges.add_query_tags, tags)

    def list(self, limit: int | None = None, offset: int | None = None) -> list[ExtendedQueryTag]:
        """The extended query tags (one page with ``limit``/``offset``)."""
        return self._client._run(self._exchanges.list_query_tags, limit, offset)

    def get(self, path: str | int) -> ExtendedQueryTag:
        """One tag by path or keyword; NotFoundError when the service has none."""
        return self._client._run(self._exchanges.get_query_tag, path)

    def update(self, path: str | int, *, query_status: str) -> ExtendedQueryTag:
        """Enable (``"Enabled"``) or disable (``"Disabled"``) searching on a tag."""
        return self._client._run(self._exchanges.update_query_tag, path, query_status)

    def delete(self, path: str | int) -> None:
        """Remove a tag and its index."""
        self._client._run(self._exchanges.delete_query_tag, path)

    def errors(
        self, path: str | int, limit: int | None = None, offset: int | None = None
    ) -> builtins.list[ExtendedQueryTagError]:
        """The instances whose value did not fit the tag (they are not found by it)."""
        return self._client._run(self._exchanges.query_tag_errors, path, limit, offset)


class AzureOperations:
    """``client.azure.operations``: the service's long-running operations."""

    def __init__(self, client: SyncDriver, exchanges: AzureExchanges) -> None:
        self._client = client
        self._exchanges = exchanges

    def get(self, operation: str | OperationReference) -> OperationState:
        """Where an operation stands now."""
        return self._client._run(self._exchanges.operation, operation)

    def wait(
        self,
        operation: str | OperationReference,
        *,
        timeout: float | None = None,
        poll_interval: float = 1.0,
        progress: OperationProgress | None = None,
        raise_on_failure: bool = True,
    ) -> OperationState:
        """Poll until the operation is done and return its final state.

        ``progress`` gets every state read. A failed or canceled operation raises
        OperationFailedError (unless ``raise_on_failure=False``); one still running after
        ``timeout`` seconds raises OperationTimeoutError, carrying the last state read.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.get(operation)
            if progress is not None:
                progress(state)
            if state.done:
                break
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise OperationTimeoutError(
                    f"operation {state.operation_id} is still {state.status} after {timeout} s",
                    state,
                )
            sleep(poll_interval if left is None else min(poll_interval, left))
        if raise_on_failure and not state.succeeded:
            reasons = "; ".join(state.errors) or "no reason given"
            raise OperationFailedError(
                f"operation {state.operation_id} ({state.type}) {state.status}: {reasons}", state
            )
        return state


class Azure:
    """``client.azure``: the Azure DICOM service's APIs beyond DICOMweb (Microsoft's docs).

    ``extended_query_tags`` and ``operations`` are sub-objects; the change feed, bulk update
    and export are methods here. Every call goes through the client (its URL, API version,
    partition, authentication and retries).
    """

    def __init__(self, client: SyncDriver) -> None:
        self._client = client
        self.exchanges = AzureExchanges(client.operations)
        self.extended_query_tags = ExtendedQueryTags(client, self.exchanges)
        self.operations = AzureOperations(client, self.exchanges)

    def change_feed(
        self,
        offset: int | None = None,
        limit: int | None = None,
        *,
        start_time: TimeInput = None,
        end_time: TimeInput = None,
        include_metadata: bool | None = None,
    ) -> list[ChangeFeedEntry]:
        """One page of the change feed, oldest first.

        v1: ``offset`` is the sequence number to read after. v2 (``api_version="v2"``): the
        entries in ``[start_time, end_time)``, ``offset`` of them skipped.
        """
        return self._client._run(
            self.exchanges.change_feed,
            offset,
            limit,
            start_time=start_time,
            end_time=end_time,
            include_metadata=include_metadata,
        )

    def change_feed_latest(self, include_metadata: bool | None = None) -> ChangeFeedEntry | None:
        """The newest change, or None when nothing has changed yet."""
        return self._client._run(self.exchanges.change_feed_latest, include_metadata)

    def iter_change_feed(
        self,
        after: int = 0,
        *,
        limit: int = 100,
        include_metadata: bool | None = None,
        start_time: TimeInput = None,
        end_time: TimeInput = None,
        poll_interval: float | None = None,
    ) -> Iterator[ChangeFeedEntry]:
        """Every change after sequence number ``after``, page by page, each once.

        Resume by passing the last sequence you processed. It ends when the feed has nothing
        newer, or with ``poll_interval`` keeps watching for new changes (sleeping that many
        seconds between empty pages). v1 pages by sequence number (skipping a gap in the
        numbers when the latest entry is newer); a time window, or v2, pages by count inside
        the window, skipping the entries up to ``after``.
        """
        windowed = (
            start_time is not None or end_time is not None or (self.exchanges.version or 1) >= 2
        )
        offset, last = (0 if windowed else after), after
        while True:
            page = self.change_feed(
                offset,
                limit,
                start_time=start_time,
                end_time=end_time,
                include_metadata=include_metadata,
            )
            for entry in page:
                if entry.sequence > last:
                    last = entry.sequence
                    yield entry
            if page:
                offset = offset + len(page) if windowed else max(last, offset + 1)
                continue
            if not windowed:
                latest = self.change_feed_latest(include_metadata=False)
                if latest is not None and latest.sequence > offset:
                    offset += limit
                    continue
            if poll_interval is None:
                return
            sleep(poll_interval)

    def bulk_update(
        self, studies: Iterable[str] | str, changes: Mapping[str | int, Any]
    ) -> OperationReference:
        """Change patient and study attributes of whole studies (v2); returns the operation.

        ``changes`` maps keywords or tags to plain values (``{"PatientName": "Doe^Jane"}``)
        or to DICOM JSON elements. Wait with ``client.azure.operations.wait(reference)``.
        """
        return self._client._run(self.exchanges.bulk_update, studies, changes)

    def export(
        self,
        identifiers: Iterable[str | Sequence[str]],
        *,
        blob_container_uri: str | None = None,
        blob_container_name: str | None = None,
        connection_string: str | None = None,
        use_managed_identity: bool | None = None,
    ) -> OperationReference:
        """Copy studies, series or instances (``"study"``, ``"study/series"``, a UID tuple ...)
        to an Azure blob container (v2); returns the operation."""
        settings = {
            "blobContainerUri": blob_container_uri,
            "blobContainerName": blob_container_name,
            "connectionString": connection_string,
            "useManagedIdentity": use_managed_identity,
        }
        chosen = {key: value for key, value in settings.items() if value is not None}
        return self._client._run(self.exchanges.export, identifiers, chosen)
