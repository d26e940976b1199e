# Generated from dicomkit/client/_aio_workitems.py by scripts/unasync.py.
# Do not edit: change the async source and run `python scripts/unasync.py`.
"""UPS-RS workitems (PS3.18 11) of one client's server: ``client.workitems``.

A namespaced object rather than more methods on the client, since a worklist is a service of
its own (its own resource, ``/workitems``, and its own states: PS3.4 Annex CC). The exchanges
are built in :mod:`dicomkit.core.operations.ups`; this object runs them with its client's
transport, credentials and retries. Written once: scripts/unasync.py makes the other twin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.operations.ups import IN_PROGRESS, WorkitemExchanges, new_transaction_uid

if TYPE_CHECKING:
    from dicomkit.client._sync_driver import SyncDriver

__all__ = ["Workitems"]


def _json(workitem: Any) -> Mapping[str, Any]:
    """A DICOM JSON object from a dict or a pydicom Dataset."""
    if isinstance(workitem, Mapping):
        return workitem
    to_json = getattr(workitem, "to_json_dict", None)
    if callable(to_json):
        converted: dict[str, Any] = to_json()
        return converted
    raise InvalidArgumentError("a workitem is a DICOM JSON dict or a pydicom Dataset")


class Workitems:
    """Create, retrieve, update, change the state of, cancel and search UPS-RS workitems.

    Errors are the client's: a refused state change is a
    :class:`~dicomkit.core.errors.ConflictError` (409) whose message carries the server's
    PS3.4 reason ("The UPS is already IN PROGRESS"); an unknown workitem a NotFoundError.
    """

    def __init__(self, client: SyncDriver) -> None:
        self._client = client
        self._exchanges = WorkitemExchanges(
            client.operations, max_json_bytes=client.exchanges.max_json_bytes
        )

    def create(self, workitem: Any, *, workitem_uid: str | None = None) -> str:
        """Create a SCHEDULED workitem; return its UID (``workitem_uid``, or the server's)."""
        return self._client._run(self._exchanges.create, _json(workitem), workitem_uid)

    def retrieve(self, workitem_uid: str) -> dict[str, Any]:
        """The workitem as a DICOM JSON object (without its Transaction UID: PS3.4 CC.2.5)."""
        return self._client._run(self._exchanges.retrieve, workitem_uid)

    def update(
        self, workitem_uid: str, changes: Any, *, transaction_uid: str | None = None
    ) -> list[str]:
        """Set attributes of a workitem (``transaction_uid`` once it is IN PROGRESS); return
        the server's warnings."""
        build = self._exchanges.update
        return self._client._run(build, workitem_uid, _json(changes), transaction_uid)

    def change_state(self, workitem_uid: str, state: str, transaction_uid: str) -> list[str]:
        """Move a workitem to ``state`` ("IN PROGRESS", "COMPLETED", "CANCELED"); return the
        server's warnings ("already CANCELED" is a warning, not an error)."""
        build = self._exchanges.change_state
        return self._client._run(build, workitem_uid, state, transaction_uid)

    def claim(self, workitem_uid: str) -> str:
        """Take a SCHEDULED workitem IN PROGRESS with a new Transaction UID, and return that
        UID (needed for every later update and state change)."""
        transaction_uid = new_transaction_uid()
        self.change_state(workitem_uid, IN_PROGRESS, transaction_uid)
        return transaction_uid

    def request_cancellation(self, workitem_uid: str, reason: Any | None = None) -> list[str]:
        """Ask for a workitem to be canceled (``reason``: a DICOM JSON object, e.g. with
        ReasonForCancellation); return the server's warnings."""
        details = None if reason is None else _json(reason)
        return self._client._run(self._exchanges.request_cancellation, workitem_uid, details)

    def search(
        self,
        search_filters: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        offset: int | None = None,
        fields: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Workitems matching ``search_filters`` (keywords or tags, as the QIDO-RS searches)."""
        build = self._exchanges.search
        return self._client._run(build, search_filters, limit=limit, offset=offset, fields=fields)
