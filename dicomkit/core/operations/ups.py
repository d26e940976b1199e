"""UPS-RS workitems (PS3.18 11, the Worklist service; states from PS3.4 Annex CC), as exchanges.

Every operation is a Request built here plus the reader of its answer, like the rest of
:mod:`dicomkit.core.operations`; the clients' ``workitems`` objects only run them. Errors the
standard gives a status for (a 409 for an illegal state change, with the PS3.4 reason in a
``Warning`` header) become the usual :class:`~dicomkit.core.errors.HTTPError` subclasses, whose
message carries that reason; warnings of a success are the result of the operations that have
no other.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from dicomkit.core.errors import InvalidArgumentError, ProtocolError
from dicomkit.core.interface import Request
from dicomkit.core.operations import exchange as kinds
from dicomkit.core.operations.builder import Operations
from dicomkit.core.operations.httpwarnings import warning_texts
from dicomkit.core.query import build_query, encode_query
from dicomkit.core.uids import validate_uid

__all__ = [
    "CANCELED",
    "COMPLETED",
    "IN_PROGRESS",
    "SCHEDULED",
    "STATES",
    "CreatedExchange",
    "StatusExchange",
    "WorkitemExchanges",
    "new_transaction_uid",
    "state_change",
]

SCHEDULED, IN_PROGRESS, COMPLETED, CANCELED = "SCHEDULED", "IN PROGRESS", "COMPLETED", "CANCELED"
STATES = (SCHEDULED, IN_PROGRESS, COMPLETED, CANCELED)
PROCEDURE_STEP_STATE, TRANSACTION_UID, SOP_INSTANCE_UID = "00741000", "00081195", "00080018"
_JSON = "application/dicom+json"


def new_transaction_uid() -> str:
    """A fresh Transaction UID (2.25 root): the performer's proof that it owns a workitem."""
    return f"2.25.{uuid.uuid4().int}"


def state_change(state: str, transaction_uid: str) -> dict[str, Any]:
    """The body of a change-state request (PS3.18 11.7.1): the new state and the transaction."""
    if state not in STATES:
        raise InvalidArgumentError(f"a workitem state is one of {STATES}, not {state!r}")
    return {
        PROCEDURE_STEP_STATE: {"vr": "CS", "Value": [state]},
        TRANSACTION_UID: {"vr": "UI", "Value": [validate_uid(transaction_uid, "TransactionUID")]},
    }


class StatusExchange(kinds.Exchange[Any, list[str]]):
    """An answer whose status says it all (update, change state, cancellation request); the
    result is the texts of its ``Warning`` headers (PS3.4 warnings such as "already CANCELED")."""

    def start(self, status: int, headers: Any) -> kinds.Step:
        step = super().start(status, headers)
        if step is kinds.Step.READ:
            self.done = True
            return kinds.Step.SKIP
        return step

    def result(self) -> list[str]:
        return warning_texts(self.headers)


class CreatedExchange(kinds.BodyExchange[str]):
    """A create: the new workitem's UID, from ``Location`` (or the UID the request named)."""

    def __init__(self, request: Request, workitem_uid: str | None) -> None:
        super().__init__(request)
        self.workitem_uid = workitem_uid

    def result(self) -> str:
        location = self.headers.get("Location") or self.headers.get("Content-Location") or ""
        uid = location.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or self.workitem_uid
        if not uid:
            raise ProtocolError("the server created a workitem but did not say its UID")
        return validate_uid(uid, "workitem UID")


def _body(dataset: Mapping[str, Any]) -> bytes:
    if not isinstance(dataset, Mapping):
        raise InvalidArgumentError("a workitem is a DICOM JSON object (a dict keyed by tags)")
    return json.dumps([dict(dataset)], separators=(",", ":")).encode()


class WorkitemExchanges:
    """Builds the exchange of every UPS-RS operation for one server; sends nothing."""

    def __init__(self, operations: Operations, *, max_json_bytes: int = kinds.MAX_JSON_BYTES):
        self.operations = operations
        self.max_json_bytes = max_json_bytes

    def _url(self, uid: str | None = None, tail: str = "") -> str:
        root = self.operations.urls.root + "/workitems"
        if uid is None:
            return root
        return f"{root}/{validate_uid(uid, 'workitem UID')}{tail}"

    def _post(self, url: str, body: bytes) -> Request:
        headers = {"Content-Type": _JSON}
        return self.operations.request("POST", url, accept=_JSON, headers=headers, body=body)

    def create(
        self, dataset: Mapping[str, Any], workitem_uid: str | None = None
    ) -> CreatedExchange:
        """PS3.18 11.4: ``POST /workitems{?uid}``; the workitem must be SCHEDULED."""
        url = self._url()
        if workitem_uid is not None:
            url += "?" + validate_uid(workitem_uid, "workitem UID")
        return CreatedExchange(self._post(url, _body(dataset)), workitem_uid)

    def retrieve(self, uid: str) -> kinds.JsonObjectExchange:
        """PS3.18 11.5: ``GET /workitems/{uid}``."""
        request = self.operations.request("GET", self._url(uid), accept=_JSON)
        return kinds.JsonObjectExchange(request, max_bytes=self.max_json_bytes)

    def update(
        self, uid: str, dataset: Mapping[str, Any], transaction_uid: str | None = None
    ) -> StatusExchange:
        """PS3.18 11.6: ``POST /workitems/{uid}{?transaction-uid}`` (the transaction is needed
        once the workitem is IN PROGRESS)."""
        url = self._url(uid)
        if transaction_uid is not None:
            tuid = validate_uid(transaction_uid, "TransactionUID")
            url += "?" + encode_query([("transaction-uid", tuid)])
        return StatusExchange(self._post(url, _body(dataset)))

    def change_state(self, uid: str, state: str, transaction_uid: str) -> StatusExchange:
        """PS3.18 11.7: ``PUT /workitems/{uid}/state``."""
        body = json.dumps([state_change(state, transaction_uid)]).encode()
        headers = {"Content-Type": _JSON}
        url = self._url(uid, "/state")
        return StatusExchange(
            self.operations.request("PUT", url, accept=_JSON, headers=headers, body=body)
        )

    def request_cancellation(
        self, uid: str, dataset: Mapping[str, Any] | None = None
    ) -> StatusExchange:
        """PS3.18 11.8: ``POST /workitems/{uid}/cancelrequest`` (optionally with the reason,
        contact name and the like as a DICOM JSON object)."""
        return StatusExchange(self._post(self._url(uid, "/cancelrequest"), _body(dataset or {})))

    def search(
        self,
        search_filters: Mapping[str, Any] | None = None,
        *,
        limit: int | None = None,
        offset: int | None = None,
        fields: list[str] | None = None,
    ) -> kinds.JsonArrayExchange:
        """PS3.18 11.9: ``GET /workitems?{query}`` (204 and an empty body are [])."""
        pairs = build_query(search_filters, limit=limit, offset=offset, fields=fields)
        encoded = encode_query(pairs)
        url = self._url() + (f"?{encoded}" if encoded else "")
        request = self.operations.request("GET", url, accept=_JSON)
        return kinds.JsonArrayExchange(request, max_bytes=self.max_json_bytes)
