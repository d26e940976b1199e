"""The aiohttp application: middlewares (request log, faults, auth) and a router that maps
DICOMweb paths, below an optional ``/v1``-style prefix and ``/partitions/{name}``, to handlers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from aiohttp import web

from dicomkit.core.numbers import parse_decimal
from dicomkit_server import _ups as ups
from dicomkit_server._auth import ServerOAuth2
from dicomkit_server._azure import AZURE_KEY, AZURE_ROUTES, AzureState
from dicomkit_server._context import (
    DEFAULT_PARTITION,
    RecordedRequest,
    RequestContext,
    ServerState,
)
from dicomkit_server._negotiate import accepted
from dicomkit_server._qido import QueryError, parse_query, search, split_query
from dicomkit_server._rendered import handle_rendered, handle_thumbnail
from dicomkit_server._respond import ACTIVE_FAULT, error, send, send_json
from dicomkit_server._store import InstanceRecord
from dicomkit_server._stow import handle_store
from dicomkit_server._wado import (
    handle_bulkdata,
    handle_frames,
    handle_metadata,
    handle_retrieve,
)
from dicomkit_server._xml import answer_format, send_xml_parts

__all__ = ["STATE_KEY", "TOKEN_PATH", "build_app"]

STATE_KEY = web.AppKey("dicomkit_state", ServerState)
TOKEN_PATH = "/oauth2/token"
_UID = r"[0-9.]+"
_Handler = Callable[[web.Request, RequestContext, dict[str, str]], Awaitable[web.StreamResponse]]
_StoredHandler = Callable[
    [web.Request, RequestContext, dict[str, str], list[InstanceRecord]],
    Awaitable[web.StreamResponse],
]


def _relative(state: ServerState, path: str) -> tuple[str, str | None, str] | None:
    """(partition, name of a named partition or None, path below the DICOMweb root)."""
    prefix = state.prefix
    if prefix:
        if path != prefix and not path.startswith(prefix + "/"):
            return None
        path = path[len(prefix) :]
    match = re.match(r"/partitions/([^/]+)(/.*)?$", path)
    if match:
        return match.group(1), match.group(1), match.group(2) or "/"
    return DEFAULT_PARTITION, None, path or "/"


async def _search(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    level = m["level"]
    answers = answer_format(request.headers.get("Accept"))
    if answers is None:
        return await error(request, 406, "search results are DICOM JSON or DICOM XML")
    try:
        query = parse_query(split_query(request.rel_url.raw_query_string))
    except QueryError as exc:
        return await error(request, 400, str(exc))
    view = request.app[AZURE_KEY].search_view(query, ctx.state.store.find(ctx.partition, m))
    if isinstance(view, str):
        return await error(request, 400, view)
    records, tag_notes = view
    scoped = {name for name in ("study", "series") if m.get(name)}
    cap = ctx.state.max_results
    asked = query.limit
    if cap is not None and (asked is None or asked > cap):
        query.limit = None  # count every match, to say how many are left out
    results = search(records, level, query, base_url=ctx.root_url, scoped=scoped)
    if asked is not None:
        results = results[:asked]
    notes = [
        f"the query parameter {name!r} is not supported and was ignored" for name in query.ignored
    ] + tag_notes
    if cap is not None and len(results) > cap:
        notes.append(f"There are {len(results) - cap} additional results that can be requested")
        results = results[:cap]
    if not results and ctx.state.empty_result_status == 204:
        return await send(request, status=204)
    if answers == "xml":
        return await send_xml_parts(request, results, warnings=notes)
    return await send_json(request, results, warnings=notes)


def _stored(missing: str) -> Callable[[_StoredHandler], _Handler]:
    """A handler of stored resources gets the instances its path names; when there are none,
    the request is answered 404 with ``missing`` instead."""

    def wrap(handler: _StoredHandler) -> _Handler:
        async def with_records(
            request: web.Request, ctx: RequestContext, m: dict[str, str]
        ) -> web.StreamResponse:
            records = ctx.state.store.find(ctx.partition, m)
            if not records:
                return await error(request, 404, missing)
            return await handler(request, ctx, m, records)

        return with_records

    return wrap


@_stored("no such study, series or instance")
async def _retrieve(
    request: web.Request, ctx: RequestContext, m: dict[str, str], records: list[InstanceRecord]
) -> web.StreamResponse:
    return await handle_retrieve(request, ctx, records, instance_level=bool(m.get("sop")))


@_stored("no such study, series or instance")
async def _metadata(
    request: web.Request, ctx: RequestContext, m: dict[str, str], records: list[InstanceRecord]
) -> web.StreamResponse:
    return await handle_metadata(request, ctx, records)


@_stored("no such instance")
async def _instance_resource(
    request: web.Request, ctx: RequestContext, m: dict[str, str], records: list[InstanceRecord]
) -> web.StreamResponse:
    record = records[0]
    resource = m["resource"]
    if resource == "frames":
        return await handle_frames(request, ctx, record, m["frames"])
    if resource == "bulkdata":
        return await handle_bulkdata(request, ctx, record, m["tag"])
    frames = m.get("frames")
    frame = None if frames is None else parse_decimal(frames)
    if frames is not None and frame is None:
        return await error(request, 400, "rendered frames take one frame number")
    if resource == "thumbnail":
        return await handle_thumbnail(request, records, frame=frame)
    return await handle_rendered(request, ctx, records, frame=frame, instance_level=True)


@_stored("no such study or series")
async def _group_resource(
    request: web.Request, ctx: RequestContext, m: dict[str, str], records: list[InstanceRecord]
) -> web.StreamResponse:
    """Rendered or thumbnail of a whole study or series."""
    if m["resource"] == "thumbnail":
        return await handle_thumbnail(request, records, frame=None)
    return await handle_rendered(request, ctx, records, frame=None, instance_level=False)


async def _store(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    response = await handle_store(request, ctx, m.get("study"))
    request.app[AZURE_KEY].sync()  # the change feed records what was stored
    return response


async def _delete(
    request: web.Request, ctx: RequestContext, m: dict[str, str]
) -> web.StreamResponse:
    removed = request.app[AZURE_KEY].delete(ctx.partition, m)  # recorded in the change feed
    if not removed:
        return await error(request, 404, "no such study, series or instance")
    return await send(request, status=204)


_S = rf"/studies/(?P<study>{_UID})"
_SE = rf"{_S}/series/(?P<series>{_UID})"
_I = rf"{_SE}/instances/(?P<sop>{_UID})"
_TARGETS = (_I, _SE, _S)
_ROUTE_TABLE: list[tuple[str, str, _Handler]] = [
    ("GET", r"/(?P<level>studies|series|instances)", _search),
    ("GET", rf"{_S}/(?P<level>series|instances)", _search),
    ("GET", rf"{_SE}/(?P<level>instances)", _search),
    *(("GET", target, _retrieve) for target in _TARGETS),
    *(("GET", target + "/metadata", _metadata) for target in _TARGETS),
    ("GET", rf"{_I}/(?P<resource>frames)/(?P<frames>[^/]+)", _instance_resource),
    (
        "GET",
        rf"{_I}/(?P<resource>bulkdata)/(?P<tag>[0-9A-Fa-f]{{8}}(?:/[^/]+/[^/]+)*)",
        _instance_resource,
    ),
    ("GET", rf"{_I}/(?P<resource>rendered|thumbnail)", _instance_resource),
    ("GET", rf"{_I}/frames/(?P<frames>[^/]+)/(?P<resource>rendered|thumbnail)", _instance_resource),
    *(("GET", rf"{t}/(?P<resource>rendered|thumbnail)", _group_resource) for t in (_SE, _S)),
    ("POST", "/studies", _store),
    ("POST", _S, _store),
    *(("DELETE", target, _delete) for target in _TARGETS),
    ("GET", r"/workitems", ups.search),
    ("POST", r"/workitems", ups.create),
    ("GET", rf"/workitems/(?P<workitem>{_UID})", ups.retrieve),
    ("POST", rf"/workitems/(?P<workitem>{_UID})", ups.update),
    ("PUT", rf"/workitems/(?P<workitem>{_UID})/state", ups.change_state),
    ("POST", rf"/workitems/(?P<workitem>{_UID})/cancelrequest", ups.cancel),
    *AZURE_ROUTES,
]
_ROUTES = [
    (method, re.compile(pattern + "/?$"), handler) for method, pattern, handler in _ROUTE_TABLE
]


def _match(method: str, path: str) -> tuple[_Handler | None, dict[str, str], bool]:
    """(handler, groups, path known): no handler but a known path means another method."""
    known = False
    for route_method, pattern, handler in _ROUTES:
        found = pattern.match(path)
        if found is None:
            continue
        if route_method == method or (route_method == "GET" and method == "HEAD"):
            groups = {k: v for k, v in found.groupdict().items() if v is not None}
            return handler, groups, True
        known = True
    return None, {}, known


_WADL = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<application xmlns="http://wadl.dev.java.net/2009/02"><resources base="{root}">'
    '<resource path="studies"><method name="GET" id="SearchForStudies"/>'
    '<method name="POST" id="StoreInstances"/></resource>'
    '<resource path="series"><method name="GET" id="SearchForSeries"/></resource>'
    '<resource path="instances"><method name="GET" id="SearchForInstances"/></resource>'
    "</resources></application>"
)


async def _options(request: web.Request, relative: str) -> web.StreamResponse:
    """``OPTIONS`` (PS3.18 8.9): the methods a path takes in ``Allow``; at the root, a WADL
    description of the services (the standard's default) or the same as JSON when asked."""
    if relative.rstrip("/"):
        methods = {method for method, pattern, _ in _ROUTES if pattern.match(relative)}
        if not methods:
            return await error(request, 404, f"not a DICOMweb resource: {request.path}")
    else:
        methods = {"GET", "POST"}
    allow = ", ".join(sorted(methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())))
    if relative.rstrip("/"):
        return await send(request, status=200, headers={"Allow": allow}, body=b"")
    state = request.app[STATE_KEY]
    root = f"{state.origin or f'{request.scheme}://{request.host}'}{state.prefix}/"
    wants_json = any(
        m.type == "application/json"
        for m in accepted(request.headers.get("Accept"), "application/vnd.sun.wadl+xml")[:1]
    )
    if wants_json:
        document = {"root": root, "resources": ["studies", "series", "instances"]}
        return await send_json(request, document, content_type="application/json")
    headers = {"Allow": allow, "Content-Type": "application/vnd.sun.wadl+xml"}
    return await send(request, status=200, headers=headers, body=_WADL.format(root=root).encode())


async def _token(request: web.Request, state: ServerState) -> web.StreamResponse:
    if request.method != "POST":
        return await error(request, 405, "the token endpoint takes POST")
    if not isinstance(state.auth, ServerOAuth2):
        return await error(request, 404, "this server does not issue tokens")
    form = await request.post()
    fields = {key: str(value) for key, value in form.items()}
    reply = state.auth.token_endpoint(fields, request.headers.get("Authorization"))
    return await send_json(
        request, reply.body, status=reply.status, content_type="application/json"
    )


async def _dispatch(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    path = unquote(request.path)
    if path in (TOKEN_PATH, state.prefix + TOKEN_PATH):
        return await _token(request, state)
    located = _relative(state, path)
    if located is None:
        return await error(request, 404, f"not a DICOMweb path: {path}")
    partition, named, relative = located
    if request.method == "OPTIONS":
        return await _options(request, relative)
    handler, groups, known = _match(request.method, relative)
    if handler is None and not known:
        return await error(request, 404, f"not a DICOMweb resource: {path}")
    if handler is None:
        return await error(request, 405, f"{request.method} is not supported on {path}")
    root = f"{state.origin or f'{request.scheme}://{request.host}'}{state.prefix}"
    if named is not None:
        root += f"/partitions/{named}"
    return await handler(request, RequestContext(state, partition, root), groups)


@web.middleware
async def _record(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Log the request; its query string as it came on the wire (percent-escapes kept)."""
    state = request.app[STATE_KEY]
    state.requests.append(
        RecordedRequest(
            request.method, request.path, request.rel_url.raw_query_string, dict(request.headers)
        )
    )
    return await handler(request)


@web.middleware
async def _inject_faults(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    path = unquote(request.path)
    located = _relative(state, path)
    fault = state.faults.take(request.method, path, located[2] if located else path)
    if fault is None:
        return await handler(request)
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.status is not None:
        headers = dict(fault.headers)
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        if fault.stream is not None:  # a gzip bomb or an endless body (_faults)
            return await fault.serve(request, send, headers)
        body = fault.body or f"fault injection: status {fault.status}".encode()
        return await send(request, status=fault.status, headers=headers, body=body)
    token = ACTIVE_FAULT.set(fault)
    try:
        return await handler(request)
    finally:
        ACTIVE_FAULT.reset(token)


@web.middleware
async def _authenticate(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    auth = state.auth
    path = unquote(request.path)
    if auth is None or path in (TOKEN_PATH, state.prefix + TOKEN_PATH):
        return await handler(request)
    located = _relative(state, path)
    if located is None or not _match(request.method, located[2])[2]:
        return await handler(request)  # a 404 says more than a 401 where nothing is served
    if auth.check(request.headers.get("Authorization")):
        return await handler(request)
    return await send(
        request,
        status=401,
        headers={"WWW-Authenticate": auth.challenge(), "Content-Type": "text/plain"},
        body=b"authentication required",
    )


def build_app(state: ServerState) -> web.Application:
    """An application serving ``state``; one catch-all route, routing done by :func:`_match`."""
    app = web.Application(
        middlewares=[_record, _inject_faults, _authenticate], client_max_size=1 << 20
    )
    app[STATE_KEY] = state
    app[AZURE_KEY] = AzureState(state)
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    return app
