"""Writing responses: every handler answers through :func:`send`, which is also where the
body-level faults (cut connection, truncated body, malformed multipart) take effect."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping
from contextvars import ContextVar
from typing import Any

from aiohttp import web

from dicomkit_server._faults import Fault

__all__ = ["ACTIVE_FAULT", "error", "send", "send_json", "warning_header"]

ACTIVE_FAULT: ContextVar[Fault | None] = ContextVar("dicomkit_active_fault", default=None)
"""The fault the middleware picked for the request being handled (each request is a task)."""

_BOUNDARY_PARAM = re.compile(r'(boundary=)("?)([^";]+)("?)', re.IGNORECASE)


def _break_boundary(content_type: str) -> str:
    """Announce a boundary that the body does not use."""
    wrong = "not-the-boundary-" + secrets.token_hex(8)
    return _BOUNDARY_PARAM.sub(
        lambda m: f"{m.group(1)}{m.group(2)}{wrong}{m.group(4)}", content_type
    )


async def _iterate(chunks: Iterable[bytes] | AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if isinstance(chunks, AsyncIterator):
        async for chunk in chunks:
            yield chunk
    else:
        for chunk in chunks:
            yield chunk


async def send(
    request: web.Request,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    chunks: Iterable[bytes] | AsyncIterator[bytes] | None = None,
    length: int | None = None,
) -> web.StreamResponse:
    """Stream ``body`` or ``chunks`` (with ``length`` when known, else chunked encoding)."""
    fault = ACTIVE_FAULT.get()
    out_headers = dict(headers or {})
    if body is not None:
        chunks, length = [body], len(body)
    if fault is not None and fault.malformed_multipart:
        content_type = out_headers.get("Content-Type", "")
        if content_type.lower().startswith("multipart/"):
            out_headers["Content-Type"] = _break_boundary(content_type)
    limit: int | None = None
    if fault is not None and fault.truncate_after is not None:
        limit, length = fault.truncate_after, None
    cut = fault.cut_after if fault is not None else None
    response = web.StreamResponse(status=status, headers=out_headers)
    if length is not None:
        response.content_length = length
    elif request.method != "HEAD" and status not in (204, 304):
        response.enable_chunked_encoding()
    await response.prepare(request)
    sent = 0
    budget = cut if cut is not None else limit
    async for chunk in _iterate(chunks or []):
        if budget is not None and sent + len(chunk) >= budget:
            await response.write(chunk[: budget - sent])
            sent = budget
            break
        await response.write(chunk)
        sent += len(chunk)
    if cut is not None:
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response


def warning_header(messages: list[str]) -> str:
    """One ``Warning`` value (RFC 7234 code 299) carrying every message, ASCII-safe."""
    quoted = []
    for message in messages:
        text = message.replace("\\", "/").replace('"', "'").replace("\r", " ").replace("\n", " ")
        quoted.append(f'299 dicomkit "{text.encode("ascii", "replace").decode("ascii")}"')
    return ", ".join(quoted)


async def send_json(
    request: web.Request,
    value: Any,
    *,
    status: int = 200,
    content_type: str = "application/dicom+json",
    warnings: list[str] | None = None,
) -> web.StreamResponse:
    body = json.dumps(value, separators=(",", ":")).encode()
    headers = {"Content-Type": content_type}
    if warnings:
        headers["Warning"] = warning_header(warnings)
    return await send(request, status=status, headers=headers, body=body)


async def error(request: web.Request, status: int, message: str) -> web.StreamResponse:
    """A short plain-text error body, so people reading a trace see why."""
    return await send(
        request,
        status=status,
        headers={"Content-Type": "text/plain; charset=utf-8"},
        body=message.encode("utf-8"),
    )
