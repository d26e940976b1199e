"""UPS-RS workitems (PS3.18 11) with the state machine of PS3.4 Annex CC.

A workitem is created SCHEDULED; a performer takes it IN PROGRESS with a Transaction UID of
its own and must show that UID for every later update and state change; COMPLETED and CANCELED
are final. Illegal requests are refused as PS3.18 says (409 Conflict, or 400 for a malformed
one) with the PS3.4 status code and reason in a ``Warning`` header; the two PS3.4 warnings
(already CANCELED, already COMPLETED) are a 200 with that ``Warning``. The Transaction UID is
never returned (PS3.4 CC.2.5.1.3). Subscriptions (websockets) are not offered.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from dicomkit_server._qido import QueryError, _matches, _vr_of, parse_query, split_query
from dicomkit_server._respond import error, send, send_json, warning_header

if TYPE_CHECKING:
    from dicomkit_server._context import RequestContext

__all__ = [
    "Workitem",
    "Worklist",
    "cancel",
    "change_state",
    "create",
    "retrieve",
    "search",
    "update",
]

SCHEDULED, IN_PROGRESS, COMPLETED, CANCELED = "SCHEDULED", "IN PROGRESS", "COMPLETED", "CANCELED"
_STATE, _TRANSACTION, _SOP_UID, _SOP_CLASS = "00741000", "00081195", "00080018", "00080016"
_UPS_PUSH = "1.2.840.10008.5.1.4.34.6.1"

_REASONS = {
    "B304": "The UPS is already in the requested state of CANCELED",
    "B306": "The UPS is already in the requested state of COMPLETED",
    "C300": "The UPS may no longer be updated",
    "C301": "The correct Transaction UID was not provided",
    "C302": "The UPS is already IN PROGRESS",
    "C303": "The UPS may only become SCHEDULED via N-CREATE, not N-SET or N-ACTION",
    "C310": "The UPS is not yet in the IN PROGRESS state",
    "C311": "The UPS is already CANCELED",
    "C312": "The UPS is already COMPLETED",
}
"""PS3.4 CC.2 status codes of the refusals and warnings used here, with their PS3.4 texts."""


@dataclass
class Workitem:
    dataset: dict[str, Any]
    transaction_uid: str | None = None
    cancel_requested: bool = False

    @property
    def state(self) -> str:
        values = self.dataset.get(_STATE, {}).get("Value") or [SCHEDULED]
        return str(values[0])

    def set_state(self, state: str) -> None:
        self.dataset[_STATE] = {"vr": "CS", "Value": [state]}

    def shown(self) -> dict[str, Any]:
        return {tag: value for tag, value in self.dataset.items() if tag != _TRANSACTION}


@dataclass
class Worklist:
    """The workitems of every partition: ``(partition, uid) -> Workitem``."""

    items: dict[tuple[str, str], Workitem] = field(default_factory=dict)


async def _status(request: web.Request, status: int, code: str) -> web.StreamResponse:
    """A refusal (or a success with a warning) carrying the PS3.4 code and reason."""
    reason = f"{code}: {_REASONS[code]}"
    headers = {"Warning": warning_header([reason]), "Content-Type": "text/plain; charset=utf-8"}
    return await send(request, status=status, headers=headers, body=reason.encode())


async def _dataset(request: web.Request) -> dict[str, Any] | None:
    """The one DICOM JSON object of the body (an array of one, or the object); None if not."""
    try:
        value = json.loads(await request.read() or b"{}")
    except ValueError:
        return None
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, dict) else None


def _first(dataset: dict[str, Any], tag: str) -> str | None:
    values = dataset.get(tag, {}).get("Value") if isinstance(dataset.get(tag), dict) else None
    return str(values[0]) if values else None


def _worklist(ctx: RequestContext) -> Worklist:
    return ctx.state.workitems


async def create(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    """PS3.18 11.4: the workitem must be SCHEDULED and carry no Transaction UID."""
    dataset = await _dataset(request)
    if dataset is None:
        return await error(request, 400, "a workitem is one DICOM JSON object")
    raw = request.rel_url.raw_query_string
    uid = (raw.split("=", 1)[-1] if raw else None) or _first(dataset, _SOP_UID)
    uid = uid or f"2.25.{uuid.uuid4().int}"
    if (_first(dataset, _STATE) or SCHEDULED) != SCHEDULED or _TRANSACTION in dataset:
        return await error(request, 400, "a new workitem is SCHEDULED and has no TransactionUID")
    key = (ctx.partition, uid)
    if key in _worklist(ctx).items:
        return await error(request, 409, f"workitem {uid} exists already")
    dataset[_SOP_UID] = {"vr": "UI", "Value": [uid]}
    dataset.setdefault(_SOP_CLASS, {"vr": "UI", "Value": [_UPS_PUSH]})
    _worklist(ctx).items[key] = item = Workitem(dataset)
    item.set_state(SCHEDULED)
    headers = {"Location": f"{ctx.root_url}/workitems/{uid}", "Content-Type": "text/plain"}
    return await send(request, status=201, headers=headers, body=b"")


def _find(ctx: RequestContext, m: dict[str, str]) -> Workitem | None:
    return _worklist(ctx).items.get((ctx.partition, m["workitem"]))


async def retrieve(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    item = _find(ctx, m)
    if item is None:
        return await error(request, 404, "no such workitem")
    return await send_json(request, [item.shown()])


async def update(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    """PS3.18 11.6: attributes replaced; not once final; IN PROGRESS needs its transaction."""
    item = _find(ctx, m)
    if item is None:
        return await error(request, 404, "no such workitem")
    changes = await _dataset(request)
    if changes is None or _STATE in changes or _TRANSACTION in changes:
        return await error(request, 400, "an update is a DICOM JSON object without the state")
    if item.state in (COMPLETED, CANCELED):
        return await _status(request, 409, "C300")
    given = request.query.get("transaction-uid")
    if item.state == IN_PROGRESS and given != item.transaction_uid:
        return await _status(request, 409, "C301")
    item.dataset.update(changes)
    return await send(request, status=200, headers={"Content-Type": "text/plain"}, body=b"")


def _transition(item: Workitem, wanted: str, transaction: str) -> tuple[int, str | None]:
    """(HTTP status, PS3.4 code or None) of moving ``item`` to ``wanted`` (Table CC.1.1-2)."""
    state = item.state
    if wanted == SCHEDULED:
        return 409, "C303"
    if state == SCHEDULED:
        if wanted != IN_PROGRESS:
            return 409, "C310"
        item.transaction_uid = transaction
        item.set_state(IN_PROGRESS)
        return 200, None
    if state == IN_PROGRESS:
        if wanted == IN_PROGRESS:
            return 409, "C302"
        if transaction != item.transaction_uid:
            return 409, "C301"
        item.set_state(wanted)
        return 200, None
    if state == wanted:
        return 200, "B304" if state == CANCELED else "B306"
    return 409, "C311" if state == CANCELED else "C312"


async def change_state(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    """PS3.18 11.7: the new state and the Transaction UID, both required."""
    item = _find(ctx, m)
    if item is None:
        return await error(request, 404, "no such workitem")
    body = await _dataset(request)
    wanted = body and _first(body, _STATE)
    transaction = body and _first(body, _TRANSACTION)
    if not body or wanted not in (SCHEDULED, IN_PROGRESS, COMPLETED, CANCELED) or not transaction:
        return await error(request, 400, "a state change names the state and the TransactionUID")
    status, code = _transition(item, str(wanted), str(transaction))
    if code is not None:
        return await _status(request, status, code)
    return await send(request, status=status, headers={"Content-Type": "text/plain"}, body=b"")


async def cancel(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    """PS3.18 11.8: a SCHEDULED workitem is canceled at once; one IN PROGRESS is marked for
    its performer (202 either way); a final one is a 409."""
    item = _find(ctx, m)
    if item is None:
        return await error(request, 404, "no such workitem")
    if item.state in (COMPLETED, CANCELED):
        return await _status(request, 409, "C312" if item.state == COMPLETED else "C311")
    if item.state == SCHEDULED:
        item.set_state(CANCELED)
    item.cancel_requested = True
    return await send(request, status=202, headers={"Content-Type": "text/plain"}, body=b"")


async def search(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    """PS3.18 11.9: the same matching as QIDO-RS, on the workitems' attributes."""
    try:
        query = parse_query(split_query(request.rel_url.raw_query_string))
    except QueryError as exc:
        return await error(request, 400, str(exc))
    found = [
        item.shown()
        for (partition, _), item in sorted(_worklist(ctx).items.items())
        if partition == ctx.partition
        and all(
            _matches(patterns, item.dataset.get(tag), _vr_of(tag), query)
            for tag, patterns in query.filters.items()
        )
    ]
    found = found[query.offset :]
    if query.limit is not None:
        found = found[: query.limit]
    if not found and ctx.state.empty_result_status == 204:
        return await send(request, status=204)
    return await send_json(request, found)
