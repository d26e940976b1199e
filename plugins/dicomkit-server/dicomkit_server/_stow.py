"""STOW-RS (PS3.18 section 10.5): spool each part of a multipart/related upload to its own
temporary file while it streams in, then index and store them one by one."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from aiohttp import web

from dicomkit.core.dicomxml import json_to_native_model
from dicomkit.core.errors import MultipartError, ProtocolError
from dicomkit.core.media import parse_media_type
from dicomkit.core.multipart import MultipartDecoder, PartData, PartEnd, PartStart
from dicomkit_server._context import RequestContext
from dicomkit_server._dicomfile import index_file
from dicomkit_server._negotiate import accepted
from dicomkit_server._respond import error, send, send_json, warning_header

__all__ = [
    "CANNOT_UNDERSTAND",
    "DUPLICATE_INSTANCE",
    "PROCESSING_FAILURE",
    "STUDY_MISMATCH",
    "handle_store",
]

PROCESSING_FAILURE = 0x0110
STUDY_MISMATCH = 0x0110
"""272: the instance's StudyInstanceUID differs from the one in the request URL."""
DUPLICATE_INSTANCE = 45070
"""The SOP instance already exists (Microsoft's code), under the "reject" duplicate policy."""
CANNOT_UNDERSTAND = 0xC000
_READ_CHUNK = 1 << 16


@dataclass
class _SpooledPart:
    path: Path
    content_type: str | None
    handle: IO[bytes] | None = None


@dataclass
class _Outcome:
    stored: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _ui(value: str | None) -> dict[str, Any]:
    return {"vr": "UI", "Value": [value]} if value else {"vr": "UI"}


def _failure(sop_class: str | None, sop: str | None, reason: int) -> dict[str, Any]:
    return {
        "00081150": _ui(sop_class),
        "00081155": _ui(sop),
        "00081197": {"vr": "US", "Value": [reason]},
    }


async def _spool(request: web.Request, boundary: str, folder: Path) -> list[_SpooledPart]:
    """Decode the body into one temporary file per part; raises MultipartError when malformed."""
    decoder = MultipartDecoder(boundary)
    parts: list[_SpooledPart] = []

    def handle(events: list[Any]) -> None:
        for event in events:
            if isinstance(event, PartStart):
                fd, name = tempfile.mkstemp(dir=folder, suffix=".part")
                part = _SpooledPart(Path(name), event.headers.get("Content-Type"))
                part.handle = os.fdopen(fd, "wb")
                parts.append(part)
            elif isinstance(event, PartData) and parts and parts[-1].handle is not None:
                parts[-1].handle.write(event.data)
            elif isinstance(event, PartEnd) and parts and parts[-1].handle is not None:
                parts[-1].handle.close()
                parts[-1].handle = None

    try:
        async for chunk in request.content.iter_chunked(_READ_CHUNK):
            handle(decoder.feed(chunk))
        handle(decoder.close())
    except BaseException:
        _discard(parts)
        raise
    return parts


def _discard(parts: list[_SpooledPart]) -> None:
    for part in parts:
        if part.handle is not None:
            part.handle.close()
        part.path.unlink(missing_ok=True)


def _store_part(
    ctx: RequestContext, part: _SpooledPart, index: int, study: str | None, outcome: _Outcome
) -> None:
    state = ctx.state
    declared = part.content_type
    if declared is not None:
        try:
            declared_type = parse_media_type(declared).type
        except ProtocolError:
            declared_type = declared
        if declared_type != "application/dicom":
            outcome.failed.append(_failure(None, None, CANNOT_UNDERSTAND))
            outcome.warnings.append(f"part {index}: media type {declared_type} is not DICOM")
            return
    try:
        indexed = index_file(part.path)
    except ValueError as exc:
        outcome.failed.append(_failure(None, None, CANNOT_UNDERSTAND))
        outcome.warnings.append(f"part {index}: {exc}")
        return
    if study is not None and indexed.study != study:
        outcome.failed.append(_failure(indexed.sop_class, indexed.sop, STUDY_MISMATCH))
        outcome.warnings.append(f"part {index}: StudyInstanceUID differs from the URL's")
        return
    existing = state.store.get(ctx.partition, indexed.sop)
    if existing is not None and state.duplicate_policy == "reject":
        outcome.failed.append(_failure(indexed.sop_class, indexed.sop, DUPLICATE_INSTANCE))
        outcome.warnings.append(f"part {index}: instance {indexed.sop} already exists")
        return
    if existing is not None:
        outcome.warnings.append(f"part {index}: instance {indexed.sop} replaced the stored one")
    record = state.store.put(
        partition=ctx.partition,
        study=indexed.study,
        series=indexed.series,
        sop=indexed.sop,
        sop_class=indexed.sop_class,
        transfer_syntax=indexed.transfer_syntax,
        metadata=indexed.metadata,
        source=part.path,
    )
    outcome.stored.append(
        {
            "00081150": _ui(record.sop_class),
            "00081155": _ui(record.sop),
            "00081190": {
                "vr": "UR",
                "Value": [ctx.instance_url(record.study, record.series, record.sop)],
            },
        }
    )


def _study_url(ctx: RequestContext, study: str | None, outcome: _Outcome) -> str | None:
    if study is None:
        studies = {
            str(item["00081190"]["Value"][0]).split("/series/")[0] for item in outcome.stored
        }
        if len(studies) != 1:
            return None
        return studies.pop()
    return f"{ctx.root_url}/studies/{study}"


async def handle_store(
    request: web.Request, ctx: RequestContext, study: str | None
) -> web.StreamResponse:
    """POST /studies[/{study}]: 200 all stored, 202 some, 409 none; 400 and 415 for bad bodies."""
    try:
        content_type = parse_media_type(request.headers.get("Content-Type", ""))
    except ProtocolError:
        return await error(request, 415, "Content-Type must be multipart/related")
    if content_type.type != "multipart/related":
        return await error(request, 415, "Content-Type must be multipart/related")
    kind = content_type.params.get("type")
    if kind is not None and parse_media_type(kind).type != "application/dicom":
        return await error(request, 415, f"this server stores application/dicom parts, not {kind}")
    boundary = content_type.params.get("boundary")
    if not boundary:
        return await error(request, 400, "the multipart Content-Type has no boundary")
    try:
        parts = await _spool(request, boundary, ctx.state.store.incoming_dir())
    except MultipartError as exc:
        return await error(request, 400, f"malformed multipart body: {exc}")
    if not parts:
        return await error(request, 400, "the multipart body has no parts")
    outcome = _Outcome()
    try:
        for index, part in enumerate(parts, start=1):
            _store_part(ctx, part, index, study, outcome)
    finally:
        _discard(parts)
    body: dict[str, Any] = {}
    retrieve = _study_url(ctx, study, outcome)
    if retrieve is not None:
        body["00081190"] = {"vr": "UR", "Value": [retrieve]}
    if outcome.failed:
        body["00081198"] = {"vr": "SQ", "Value": outcome.failed}
    if outcome.stored:
        body["00081199"] = {"vr": "SQ", "Value": outcome.stored}
    status = 200 if not outcome.failed else (202 if outcome.stored else 409)
    if _wants_xml(request.headers.get("Accept")):
        headers = {"Content-Type": "application/dicom+xml"}
        if outcome.warnings:
            headers["Warning"] = warning_header(outcome.warnings)
        return await send(request, status=status, headers=headers, body=json_to_native_model(body))
    return await send_json(request, body, status=status, warnings=outcome.warnings)


def _wants_xml(accept: str | None) -> bool:
    """Whether the best media range of ``accept`` is XML (PS3.18 10.5.3: JSON by default)."""
    for media in accepted(accept, "application/dicom+json"):
        if media.type in ("application/dicom+xml", "application/xml", "text/xml"):
            return True
        if media.type in ("application/dicom+json", "application/json", "*/*"):
            return False
    return False
