"""The Azure DICOM service's own APIs on the reference server (Microsoft's API docs): the
change feed, fed by the server's own STOW-RS, DELETE and bulk update; extended query tags that
really index; operations that run in the background; bulk update and export.

Routes are in :data:`AZURE_ROUTES`, which :mod:`dicomkit_server._app` serves with the rest.
An unversioned server behaves as v1 for the change feed's ``offset`` (a sequence number)
unless a time window is asked for, and offers bulk update and export as v2 does.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web

from dicomkit.core.numbers import parse_decimal
from dicomkit.core.operations.azure import parse_time
from dicomkit_server._azure_jobs import (
    UPDATABLE,
    Operation,
    Operations,
    export_one,
    reindex_step,
    update_one,
)
from dicomkit_server._azure_tags import TagRegistry, TagRequestError, now_text
from dicomkit_server._context import RequestContext, ServerState
from dicomkit_server._qido import Query
from dicomkit_server._respond import error, send, send_json
from dicomkit_server._store import InstanceRecord

__all__ = ["AZURE_KEY", "AZURE_ROUTES", "AzureState"]

_Handler = Callable[[web.Request, RequestContext, dict[str, str]], Awaitable[web.StreamResponse]]
_JSON = "application/json"


@dataclass
class _Entry:
    sequence: int
    partition: str
    study: str
    series: str
    sop: str
    action: str
    timestamp: datetime.datetime


class AzureState:
    """The change feed, extended query tags and operations of one server."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.tags = TagRegistry()
        self.operations = Operations()
        self.feed: list[_Entry] = []
        self._watermark: int | None = None
        self._updates: set[tuple[str, str]] = set()
        self._lock = threading.RLock()
        self._index: sqlite3.Connection | None = None
        self.sync()  # from here on, what is stored is in the feed

    @property
    def version(self) -> int | None:
        text = (self.state.api_version or "").strip("/").lstrip("v").split(".")[0]
        return parse_decimal(text) if text else None

    def _rows(self, after: int) -> list[tuple[int, str, str]]:
        """(seq, partition, sop) of index rows newer than ``after`` (its own reader)."""
        if self._index is None:
            path = Path(self.state.store.root) / "index.sqlite3"
            self._index = sqlite3.connect(str(path), check_same_thread=False)
        query = "SELECT seq, partition, sop FROM instances WHERE seq > ? ORDER BY seq"
        return [(int(r[0]), str(r[1]), str(r[2])) for r in self._index.execute(query, (after,))]

    def sync(self) -> None:
        """Record every instance stored since the last look as created (or updated)."""
        with self._lock:
            if self._watermark is None:
                rows = self._rows(0)
                self._watermark = rows[-1][0] if rows else 0
                return
            for seq, partition, sop in self._rows(self._watermark):
                self._watermark = seq
                record = self.state.store.get(partition, sop)
                if record is None or record.seq != seq:
                    continue
                key = (partition, sop)
                action = "update" if key in self._updates else "create"
                self._updates.discard(key)
                self._append(record, action)
                self.tags.index(record)

    def _append(self, record: InstanceRecord, action: str) -> None:
        entry = _Entry(
            len(self.feed) + 1,
            record.partition,
            record.study,
            record.series,
            record.sop,
            action,
            datetime.datetime.now(datetime.timezone.utc),
        )
        self.feed.append(entry)

    def delete(self, partition: str, uids: Mapping[str, str]) -> int:
        """DELETE through the store, each removed instance recorded in the feed."""
        with self._lock:
            self.sync()
            records = self.state.store.find(partition, uids)
            removed = self.state.store.delete(partition, uids)
            for record in records:
                self._append(record, "delete")
            return removed

    def entry_json(self, entry: _Entry, metadata: bool) -> dict[str, Any]:
        newest = {(e.partition, e.sop): e for e in self.feed}[(entry.partition, entry.sop)]
        state = (
            "deleted" if newest.action == "delete" else "current" if newest is entry else "replaced"
        )
        document: dict[str, Any] = {
            "sequence": entry.sequence,
            "partitionName": entry.partition,
            "studyInstanceUid": entry.study,
            "seriesInstanceUid": entry.series,
            "sopInstanceUid": entry.sop,
            "action": entry.action,
            "timestamp": entry.timestamp.isoformat().replace("+00:00", "Z"),
            "state": state,
        }
        if metadata and state != "deleted":
            record = self.state.store.get(entry.partition, entry.sop)
            if record is not None:
                document["metadata"] = {
                    tag: element
                    for tag, element in record.metadata.items()
                    if "BulkDataURI" not in element
                }
        return document

    def rewrite(self, record: InstanceRecord, changes: dict[str, Any]) -> None:
        """Bulk update of one instance: written again, and recorded as an update."""
        with self._lock:
            self.sync()
            self._updates.add((record.partition, record.sop))
            update_one(self.state.store, record, changes, self.state.store.incoming_dir())
            self.sync()

    def all_records(self) -> list[InstanceRecord]:
        """Every stored instance, of every partition (what a reindex goes through)."""
        self.sync()
        found = (self.state.store.get(p, sop) for _, p, sop in self._rows(0))
        return [record for record in found if record is not None]

    def search_view(
        self, query: Query, records: list[InstanceRecord]
    ) -> tuple[list[InstanceRecord], list[str]] | str:
        """What a QIDO search matches on, or the reason (400) it may not run."""
        self.sync()
        try:
            return self.tags.view(query, records)
        except TagRequestError as exc:
            return str(exc)


AZURE_KEY = web.AppKey("dicomkit_azure", AzureState)


def _azure(request: web.Request) -> AzureState:
    return request.app[AZURE_KEY]


def _params(request: web.Request) -> dict[str, str]:
    """Query parameters by lower-case name (the service's are case-insensitive)."""
    found: dict[str, str] = {}
    for piece in request.rel_url.raw_query_string.split("&"):
        if piece:
            name, _, value = piece.partition("=")
            found[unquote_plus(name).lower()] = unquote_plus(value)
    return found


def _count(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name)
    value = default if text is None else parse_decimal(text)
    if value is None or not low <= value <= high:
        raise TagRequestError(400, f"{name} must be a whole number from {low} to {high}")
    return value


def _flag(params: Mapping[str, str], name: str) -> bool:
    value = params.get(name, "true").lower()
    if value not in ("true", "false"):
        raise TagRequestError(400, f"{name} must be true or false")
    return value == "true"


def _global_root(request: web.Request, ctx: RequestContext) -> str:
    state = ctx.state
    return f"{state.origin or f'{request.scheme}://{request.host}'}{state.prefix}"


async def _answer(
    request: web.Request, handler: Callable[[], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler()
    except TagRequestError as exc:
        return await error(request, exc.status, str(exc))


async def _change_feed(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    azure = _azure(request)

    async def run() -> web.StreamResponse:
        azure.sync()
        params = _params(request)
        metadata = _flag(params, "includemetadata")
        window = "starttime" in params or "endtime" in params
        if window and azure.version == 1:
            raise TagRequestError(400, "a time window needs API version v2")
        by_count = window or (azure.version or 1) >= 2
        high = 200 if by_count else 100
        limit = _count(params, "limit", 100 if by_count else 10, 1, high)
        offset = _count(params, "offset", 0, 0, 1 << 62)
        if by_count:
            start, end = (_time(params, name) for name in ("starttime", "endtime"))
            chosen = [
                e
                for e in azure.feed
                if (start is None or e.timestamp >= start) and (end is None or e.timestamp < end)
            ][offset : offset + limit]
        else:
            chosen = [e for e in azure.feed if e.sequence > offset][:limit]
        body = [azure.entry_json(entry, metadata) for entry in chosen]
        return await send_json(request, body, content_type=_JSON)

    return await _answer(request, run)


def _time(params: Mapping[str, str], name: str) -> datetime.datetime | None:
    text = params.get(name)
    if text is None:
        return None
    parsed = parse_time(text)
    if parsed is None:
        raise TagRequestError(400, f"{name} {text!r} is not an ISO 8601 time")
    return parsed


async def _change_feed_latest(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    azure = _azure(request)

    async def run() -> web.StreamResponse:
        azure.sync()
        metadata = _flag(_params(request), "includemetadata")
        if not azure.feed:
            return await send(request, status=204)
        return await send_json(
            request, azure.entry_json(azure.feed[-1], metadata), content_type=_JSON
        )

    return await _answer(request, run)


async def _json_body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read() or b"null")
    except ValueError:
        raise TagRequestError(400, "the body is not JSON") from None


def _reference(request: web.Request, ctx: RequestContext, operation: Operation) -> dict[str, str]:
    return {"id": operation.id, "href": f"{_global_root(request, ctx)}/operations/{operation.id}"}


async def _add_tags(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    azure = _azure(request)

    async def run() -> web.StreamResponse:
        added = azure.tags.add(await _json_body(request))
        root = _global_root(request, ctx)

        def ready(operation: Operation) -> None:
            for tag in added:
                tag.status = "Ready"

        operation = azure.operations.start(
            "reindex",
            azure.all_records(),
            reindex_step(added),
            [f"{root}/extendedquerytags/{tag.path}" for tag in added],
            ready,
        )
        for tag in added:
            tag.operation = operation.id
        return await send_json(
            request, _reference(request, ctx, operation), status=202, content_type=_JSON
        )

    return await _answer(request, run)


async def _list_tags(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    azure = _azure(request)

    async def run() -> web.StreamResponse:
        params = _params(request)
        limit = _count(params, "limit", 100, 1, 200)
        offset = _count(params, "offset", 0, 0, 1 << 62)
        tags = list(azure.tags.tags.values())[offset : offset + limit]
        root = _global_root(request, ctx)
        return await send_json(request, [t.to_json(root) for t in tags], content_type=_JSON)

    return await _answer(request, run)


async def _one_tag(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    azure = _azure(request)

    async def run() -> web.StreamResponse:
        tag = azure.tags.find(m["tag"])
        root = _global_root(request, ctx)
        if request.method == "DELETE":
            del azure.tags.tags[tag.path]
            return await send(request, status=204)
        if request.method == "PATCH":
            document = await _json_body(request)
            fields = (
                {str(k).lower(): v for k, v in (document or {}).items()}
                if isinstance(document, dict)
                else {}
            )
            status = str(fields.get("querystatus", "")).capitalize()
            if status not in ("Enabled", "Disabled") or len(fields) != 1:
                raise TagRequestError(400, 'a tag update is {"queryStatus": "Enabled"|"Disabled"}')
            tag.query_status = status
        return await send_json(request, tag.to_json(root), content_type=_JSON)

    return await _answer(request, run)


async def _tag_errors(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    azure = _azure(request)

    async def run() -> web.StreamResponse:
        tag = azure.tags.find(m["tag"])
        params = _params(request)
        limit = _count(params, "limit", 100, 1, 200)
        offset = _count(params, "offset", 0, 0, 1 << 62)
        errors = [e.to_json() for e in tag.errors[offset : offset + limit]]
        return await send_json(request, errors, content_type=_JSON)

    return await _answer(request, run)


async def _operation(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    operation = _azure(request).operations.known.get(m["operation"])
    if operation is None:
        return await error(request, 404, f"no operation {m['operation']}")
    status = 200 if operation.done else 202
    return await send_json(request, operation.to_json(), status=status, content_type=_JSON)


def _needs_v2(azure: AzureState, what: str) -> None:
    if azure.version == 1:
        raise TagRequestError(404, f"{what} needs API version v2")


async def _bulk_update(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    azure = _azure(request)

    async def run() -> web.StreamResponse:
        _needs_v2(azure, "bulk update")
        document = await _json_body(request)
        fields = (
            {str(k).lower(): v for k, v in document.items()} if isinstance(document, dict) else {}
        )
        studies, changes = fields.get("studyinstanceuids"), fields.get("changedataset")
        if (
            not isinstance(studies, list)
            or not studies
            or not isinstance(changes, dict)
            or not changes
        ):
            raise TagRequestError(400, "a bulk update has studyInstanceUids and a changeDataset")
        refused = sorted(tag for tag in changes if str(tag).upper() not in UPDATABLE)
        if refused:
            raise TagRequestError(400, f"attributes {refused} cannot be changed by a bulk update")
        results: dict[str, Any] = {
            "studyProcessed": 0,
            "studyUpdated": 0,
            "studyFailed": 0,
            "instanceUpdated": 0,
            "errors": [],
        }

        async def step(study: Any, operation: Operation) -> None:
            results["studyProcessed"] += 1
            records = azure.state.store.find(ctx.partition, {"study": str(study)})
            if not records:
                results["studyFailed"] += 1
                results["errors"].append(f"study {study} was not found")
                return
            for record in records:
                azure.rewrite(record, changes)
                results["instanceUpdated"] += 1
            results["studyUpdated"] += 1

        def finish(operation: Operation) -> None:
            operation.results = results
            if results["studyFailed"]:
                operation.status = "failed"
                operation.errors = list(results["errors"])

        operation = azure.operations.start("update", list(studies), step, [], finish)
        return await send_json(
            request, _reference(request, ctx, operation), status=202, content_type=_JSON
        )

    return await _answer(request, run)


async def _export(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    azure = _azure(request)

    async def run() -> web.StreamResponse:
        _needs_v2(azure, "export")
        document = await _json_body(request)
        source = document.get("source") if isinstance(document, dict) else None
        target = document.get("destination") if isinstance(document, dict) else None
        if not isinstance(source, dict) or source.get("type") != "identifiers":
            raise TagRequestError(400, "an export's source is of type 'identifiers'")
        if not isinstance(target, dict) or target.get("type") != "azureblob":
            raise TagRequestError(400, "an export's destination is of type 'azureblob'")
        values = (source.get("settings") or {}).get("values")
        settings = target.get("settings") or {}
        container = (
            settings.get("blobContainerName")
            or str(settings.get("blobContainerUri") or "").rstrip("/").rpartition("/")[2]
        )
        if not isinstance(values, list) or not values or not container:
            raise TagRequestError(400, "an export needs identifiers and a blob container")
        results: dict[str, Any] = {"exported": 0, "skipped": 0}
        errors: list[str] = []

        async def step(identifier: Any, operation: Operation) -> None:
            uids = dict(zip(("study", "series", "sop"), str(identifier).split("/"), strict=False))
            records = azure.state.store.find(ctx.partition, uids)
            if not records:
                results["skipped"] += 1
                errors.append(f"{identifier}: not found")
            folder = Path(azure.state.store.root) / "export" / container / operation.id / "results"
            for record in records:
                export_one(record, folder)
                results["exported"] += 1

        def finish(operation: Operation) -> None:
            log = Path(azure.state.store.root) / "export" / container / operation.id / "errors.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text("".join(f"{now_text()} {line}\n" for line in errors))
            results["errorHref"] = log.as_uri()
            operation.results = results

        operation = azure.operations.start("export", list(values), step, [], finish)
        return await send_json(
            request, _reference(request, ctx, operation), status=202, content_type=_JSON
        )

    return await _answer(request, run)


_TAG = r"(?P<tag>[^/]+)"
AZURE_ROUTES: list[tuple[str, str, _Handler]] = [
    ("GET", r"/changefeed", _change_feed),
    ("GET", r"/changefeed/latest", _change_feed_latest),
    ("POST", r"/extendedquerytags", _add_tags),
    ("GET", r"/extendedquerytags", _list_tags),
    *((method, rf"/extendedquerytags/{_TAG}", _one_tag) for method in ("GET", "PATCH", "DELETE")),
    ("GET", rf"/extendedquerytags/{_TAG}/errors", _tag_errors),
    ("GET", r"/operations/(?P<operation>[A-Za-z0-9-]+)", _operation),
    ("POST", r"/studies/\$bulkupdate", _bulk_update),
    ("POST", r"/export", _export),
]
"""(method, path below the DICOMweb root, handler) of every Azure API."""
