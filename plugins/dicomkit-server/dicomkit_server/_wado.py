"""WADO-RS (PS3.18 section 10.4): instances, metadata, frames and bulk data, streamed from the
stored files part by part (rendered images are in :mod:`._rendered`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO, cast

from aiohttp import web
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.media import MediaType
from dicomkit.core.multipart import Part, encode_multipart, multipart_length, new_boundary
from dicomkit.core.numbers import parse_decimal
from dicomkit.core.urls import frame_list
from dicomkit_server._context import RequestContext
from dicomkit_server._dicomfile import (
    NotAcceptable,
    bulk_location,
    bulk_value,
    decoded_frames,
    explicit_little_endian_bytes,
    frame_media_type,
    read_frames,
)
from dicomkit_server._negotiate import accepted, inner_type
from dicomkit_server._ranges import Unsatisfiable, byte_range, content_range
from dicomkit_server._respond import error, send
from dicomkit_server._store import InstanceRecord, linked_text
from dicomkit_server._xml import answer_format, send_xml_parts

__all__ = [
    "handle_bulkdata",
    "handle_frames",
    "handle_metadata",
    "handle_retrieve",
]

_ANY = {None, "*/*", "application/*"}
_MULTIPART_ANY = {"*/*", "multipart/*"}
_OCTET = "application/octet-stream"


class _LazyFile:
    """A file opened on first read and closed at its end, so a study needs one descriptor."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[bytes] | None = None
        self._done = False

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
        self._done = True

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        if self._handle is None:
            self._handle = self._path.open("rb")
        data = self._handle.read(size)
        if not data or size < 0:
            self._handle.close()
            self._done = True
        return data


def _multipart_type(part_type: str, boundary: str, syntax: str | None = None) -> str:
    value = f'multipart/related; type="{part_type}"; boundary={boundary}'
    return value + (f"; transfer-syntax={syntax}" if syntax else "")


def _is_native_le(syntax: str) -> bool:
    uid = UID(syntax)
    return not uid.is_encapsulated and uid.is_little_endian


def _instance_choice(record: InstanceRecord, wanted: str | None) -> str | None:
    """Transfer syntax to serve ``record`` in, or None when it cannot be produced."""
    stored = record.transfer_syntax
    if wanted in ("*", stored):
        return stored
    if wanted is None:
        return ExplicitVRLittleEndian if _is_native_le(stored) else stored
    if wanted == ExplicitVRLittleEndian and _is_native_le(stored):
        return ExplicitVRLittleEndian
    return None


def _plan_instances(
    records: list[InstanceRecord], ranges: list[MediaType], single_allowed: bool
) -> tuple[bool, list[str]] | None:
    """(single part?, syntax per record) for the first acceptable media range, else None."""
    for media in ranges:
        if media.type == "multipart/related":
            kind, wanted = inner_type(media)
            if kind not in (*_ANY, "application/dicom"):
                continue
        elif media.type in _MULTIPART_ANY:
            wanted = None
        elif media.type == "application/dicom" and single_allowed:
            wanted = media.transfer_syntax
        else:
            continue
        choices = [_instance_choice(record, wanted) for record in records]
        if all(choice is not None for choice in choices):
            return media.type == "application/dicom", [cast(str, c) for c in choices]
    return None


def _instance_part(
    ctx: RequestContext, record: InstanceRecord, syntax: str, opened: list[_LazyFile]
) -> Part:
    headers = {
        "Content-Type": f"application/dicom; transfer-syntax={syntax}",
        "Content-Location": ctx.instance_url(record.study, record.series, record.sop),
    }
    if syntax == record.transfer_syntax:
        lazy = _LazyFile(record.path)
        opened.append(lazy)
        return Part(cast(BinaryIO, lazy), headers, length=record.size)
    return Part(explicit_little_endian_bytes(record.path, record.transfer_syntax), headers)


async def handle_retrieve(
    request: web.Request,
    ctx: RequestContext,
    records: list[InstanceRecord],
    *,
    instance_level: bool,
) -> web.StreamResponse:
    """GET a study, series or instance as ``multipart/related; type="application/dicom"``."""
    ranges = accepted(request.headers.get("Accept"), 'multipart/related; type="application/dicom"')
    plan = _plan_instances(records, ranges, instance_level)
    if plan is None:
        return await error(request, 406, "no acceptable representation of the instances")
    single, syntaxes = plan
    opened: list[_LazyFile] = []
    try:
        if single:
            return await _send_single(request, _instance_part(ctx, records[0], syntaxes[0], opened))
        boundary = new_boundary()
        outer = syntaxes[0] if len(set(syntaxes)) == 1 else None
        headers = {"Content-Type": _multipart_type("application/dicom", boundary, outer)}
        pairs = list(zip(records, syntaxes, strict=True))
        if all(syntax == record.transfer_syntax for record, syntax in pairs):
            parts = [_instance_part(ctx, record, syntax, opened) for record, syntax in pairs]
            length = multipart_length(parts, boundary)
            chunks = encode_multipart(parts, boundary)
            return await send(request, headers=headers, chunks=chunks, length=length)
        lazy = (_instance_part(ctx, record, syntax, opened) for record, syntax in pairs)
        return await send(request, headers=headers, chunks=encode_multipart(lazy, boundary))
    finally:
        for handle in opened:
            handle.close()


async def _send_single(request: web.Request, part: Part) -> web.StreamResponse:
    headers = {"Content-Type": str(part.headers.get("Content-Type"))}
    if isinstance(part.body, bytes):
        return await send(request, headers=headers, body=part.body)
    return await send(request, headers=headers, chunks=_read_all(part.body), length=part.length)


def _read_all(body: IO[bytes], chunk_size: int = 1 << 18) -> Iterator[bytes]:
    while chunk := body.read(chunk_size):
        yield chunk


def _metadata_chunks(ctx: RequestContext, records: list[InstanceRecord]) -> Iterator[bytes]:
    yield b"["
    for index, record in enumerate(records):
        url = ctx.instance_url(record.study, record.series, record.sop)
        text = linked_text(record.metadata_text, url)
        yield (b"," if index else b"") + text.encode("utf-8")
    yield b"]"


async def handle_metadata(
    request: web.Request, ctx: RequestContext, records: list[InstanceRecord]
) -> web.StreamResponse:
    """GET .../metadata: a DICOM JSON array (or DICOM XML parts when asked), bulk values
    replaced by BulkDataURI links."""
    answers = answer_format(request.headers.get("Accept"))
    if answers == "xml":
        text = b"".join(_metadata_chunks(ctx, records))
        return await send_xml_parts(request, json.loads(text))
    if answers == "json":
        return await send(
            request,
            headers={"Content-Type": "application/dicom+json"},
            chunks=_metadata_chunks(ctx, records),
        )
    return await error(request, 406, "metadata is DICOM JSON or DICOM XML")


def _frame_choice(record: InstanceRecord, media: MediaType) -> tuple[str, str, str] | None:
    """(how, part media type, part transfer syntax); how is "stored" or "decoded"."""
    if media.type == "multipart/related":
        kind, wanted = inner_type(media)
    elif media.type in _MULTIPART_ANY:
        kind, wanted = None, None
    else:
        return None
    stored = record.transfer_syntax
    stored_type = frame_media_type(stored)
    if UID(stored).is_encapsulated:
        if kind in (*_ANY, stored_type, "image/*") and wanted in (None, "*", stored):
            return "stored", stored_type, stored
        if kind == _OCTET and wanted == "*":
            return "stored", stored_type, stored
        if kind in (*_ANY, _OCTET) and wanted in (None, ExplicitVRLittleEndian):
            return "decoded", _OCTET, ExplicitVRLittleEndian
        return None
    native_ok = (None, "*", ExplicitVRLittleEndian, ImplicitVRLittleEndian, stored)
    if kind in (*_ANY, _OCTET) and wanted in native_ok and UID(stored).is_little_endian:
        return "stored", _OCTET, ExplicitVRLittleEndian
    if kind in (*_ANY, _OCTET) and wanted in ("*", stored):
        return "stored", _OCTET, stored
    return None


def _frame_numbers(text: str) -> list[int] | None:
    """The frame numbers of a ``frames/{list}`` segment, or None (a 400) unless each is an ASCII
    decimal >= 1: ``str.isdigit`` also passes digits such as "²" that ``int`` refuses."""
    numbers: list[int] = []
    for item in text.split(","):
        number = parse_decimal(item)
        if number is None:
            return None
        numbers.append(number)
    try:
        return frame_list(numbers)
    except InvalidArgumentError:
        return None


async def handle_frames(
    request: web.Request, ctx: RequestContext, record: InstanceRecord, frame_list: str
) -> web.StreamResponse:
    """GET .../frames/{list}: each frame a part, as stored or decoded to native pixels."""
    numbers = _frame_numbers(frame_list)
    if numbers is None:
        return await error(request, 400, f"invalid frame list {frame_list!r}")
    ranges = accepted(request.headers.get("Accept"), 'multipart/related; type="*/*"')
    choice = next((c for c in (_frame_choice(record, m) for m in ranges) if c is not None), None)
    if choice is None:
        return await error(request, 406, "no acceptable representation of the frames")
    how, part_type, syntax = choice
    try:
        if how == "stored":
            frames = read_frames(record.path, numbers)
        else:
            frames = decoded_frames(record.path, numbers)
    except LookupError as exc:
        return await error(request, 404, str(exc))
    except NotAcceptable as exc:
        return await error(request, 406, str(exc))
    url = ctx.instance_url(record.study, record.series, record.sop)
    parts = [
        Part(
            frame,
            {
                "Content-Type": f"{part_type}; transfer-syntax={syntax}",
                "Content-Location": f"{url}/frames/{number}",
            },
        )
        for number, frame in zip(numbers, frames, strict=True)
    ]
    boundary = new_boundary(avoid=frames)
    headers = {"Content-Type": _multipart_type(part_type, boundary, syntax)}
    length = multipart_length(parts, boundary)
    return await send(
        request, headers=headers, chunks=encode_multipart(parts, boundary), length=length
    )


def _bulk_single_part(header: str | None) -> bool | None:
    """Whether to answer bulk data as a single part (True), multipart (False) or 406 (None)."""
    for media in accepted(header, f'multipart/related; type="{_OCTET}"'):
        if media.type == _OCTET:
            return True
        kind, _ = inner_type(media) if media.type == "multipart/related" else (None, None)
        if media.type in (*_MULTIPART_ANY, "multipart/related") and kind in (*_ANY, _OCTET):
            return False
    return None


async def handle_bulkdata(
    request: web.Request, ctx: RequestContext, record: InstanceRecord, tag_text: str
) -> web.StreamResponse:
    """GET .../bulkdata/{tag}: the raw value, single part or multipart as the client accepts.

    A single ``Range: bytes=...`` narrows the value: 206 with those bytes (in the one part of
    a multipart answer, which then carries the ``Content-Range``), or 416 past the end.
    """
    try:
        location = bulk_location(tag_text)
    except ValueError as exc:
        return await error(request, 400, str(exc))
    try:
        value = bulk_value(record.path, location)
    except LookupError as exc:
        return await error(request, 404, str(exc))
    single = _bulk_single_part(request.headers.get("Accept"))
    if single is None:
        return await error(request, 406, "bulk data is available as application/octet-stream only")
    size = len(value)
    try:
        span = byte_range(request.headers.get("Range"), size)
    except Unsatisfiable as exc:
        headers = {"Content-Range": content_range(None, size), "Content-Type": "text/plain"}
        return await send(request, status=416, headers=headers, body=str(exc).encode())
    ranged: dict[str, str] = {}
    if span is not None:
        value = value[span[0] : span[1] + 1]
        ranged = {"Content-Range": content_range(span, size)}
    status = 200 if span is None else 206
    if single:
        headers = {"Content-Type": _OCTET, "Accept-Ranges": "bytes", **ranged}
        return await send(request, status=status, headers=headers, body=value)
    url = ctx.instance_url(record.study, record.series, record.sop) + f"/bulkdata/{tag_text}"
    part = Part(value, {"Content-Type": _OCTET, "Content-Location": url, **ranged})
    boundary = new_boundary(avoid=[value])
    return await send(
        request,
        status=status,
        headers={"Content-Type": _multipart_type(_OCTET, boundary), "Accept-Ranges": "bytes"},
        chunks=encode_multipart([part], boundary),
        length=multipart_length([part], boundary),
    )
