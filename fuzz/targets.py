"""The fuzz targets: bytes in, only documented errors out, memory within the stated limits.

- ``multipart``: the push decoder, fed in data-chosen chunks; held bytes never exceed
  ``max_buffer``; feeding whole or split gives the same parts.
- ``dicom_json``: QIDO/metadata bodies through ``loads_json_array``/``loads_json_object`` and
  every object through ``dataset_from_json`` and ``first_value``.
- ``stow_response``: a STOW-RS answer (status, Warning header, body) through
  ``interpret_store``; also ``parse_store_response``.
- ``headers``: Content-Type, Retry-After, Warning and part headers through their parsers.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable

from dicomkit.core import multipart
from dicomkit.core.dicomjson import (
    dataset_from_json,
    first_value,
    loads_json_array,
    loads_json_object,
    parse_store_response,
)
from dicomkit.core.errors import (
    DicomJSONError,
    DicomkitError,
    HTTPError,
    MultipartError,
    ProtocolError,
    StoreError,
)
from dicomkit.core.interface import Headers, Request
from dicomkit.core.media import parse_media_type, part_transfer_syntax
from dicomkit.core.operations import reasons_from_body
from dicomkit.core.operations.parts import PartAssembler
from dicomkit.core.retry import parse_retry_after
from dicomkit.core.stow import interpret_store

__all__ = ["LIMITS", "TARGETS", "dicom_json", "headers", "multipart_decoder", "stow_response"]

LIMITS = {"max_header_line": 1024, "max_headers": 16, "max_buffer": 4096}
"""Small decoder limits, so that the fuzzer reaches them often."""

_BOUNDARY = b"fuzz-boundary"
_STATUSES = (200, 202, 204, 400, 409, 500, 503, 302)
_REQUEST = Request("POST", "http://127.0.0.1/studies")


def _split(data: bytes) -> tuple[int, bytes]:
    """The first byte steers the harness; the rest is the input."""
    return (data[0], data[1:]) if data else (0, b"")


def _decode(body: bytes, cuts: list[int]) -> list[tuple[list[tuple[str, str]], bytes]]:
    decoder = multipart.MultipartDecoder(_BOUNDARY, **LIMITS)
    parts: list[tuple[list[tuple[str, str]], bytes]] = []
    current = bytearray()
    start = 0
    for cut in [*cuts, len(body)]:
        events = decoder.feed(body[start:cut])
        start = cut
        assert decoder.buffered <= LIMITS["max_buffer"], "decoder held more than max_buffer"
        for event in events:
            if isinstance(event, multipart.PartStart):
                parts.append((list(event.headers.items()), b""))
                current = bytearray()
            elif isinstance(event, multipart.PartData):
                current += event.data
            else:
                parts[-1] = (parts[-1][0], bytes(current))
    decoder.close()
    return parts


def multipart_decoder(data: bytes) -> None:
    steer, body = _split(data)
    try:
        whole = _decode(body, [])
    except MultipartError:
        whole = None
    step = steer % 7 + 1
    cuts = sorted({(step * 37 * k) % (len(body) + 1) for k in range(1, 9)})
    try:
        split = _decode(body, cuts)
    except MultipartError:
        split = None
    # a limit may trip in one feeding and not the other (the buffer depends on the chunks)
    if whole is not None and split is not None:
        assert whole == split, "the same body fed in other chunks gave other parts"
    sum_bodies = sum(len(part_body) for _, part_body in whole or [])
    assert sum_bodies <= len(body)
    if not steer & 1:
        return
    content_type = f'multipart/related; type="application/dicom"; boundary={_BOUNDARY.decode()}'
    assembler_headers = Headers({"Content-Type": content_type})
    try:
        assembler = PartAssembler(assembler_headers)
        for index in range(0, len(body), 4099):
            assembler.feed(body[index : index + 4099])
        assembler.close()
    except ProtocolError:
        pass


def dicom_json(data: bytes) -> None:
    steer, body = _split(data)
    objects = []
    with contextlib.suppress(DicomJSONError):
        objects = loads_json_array(body)
    with contextlib.suppress(DicomJSONError):
        objects.append(loads_json_object(body))
    for obj in objects[:8]:
        for keyword in ("PatientName", "00080018", "StudyDate", "ReferencedSOPSequence"):
            with contextlib.suppress(DicomJSONError):
                first_value(obj, keyword)
        if steer & 1:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with contextlib.suppress(DicomJSONError):
                    dataset_from_json(obj)


def stow_response(data: bytes) -> None:
    steer, body = _split(data)
    status = _STATUSES[steer % len(_STATUSES)]
    head, _, rest = body.partition(b"\n")
    headers = {"Content-Type": "application/dicom+json"}
    if steer & 0x80:
        headers["Warning"] = head.decode("latin-1")
        body = rest
    with contextlib.suppress(DicomJSONError):
        parse_store_response(status, body)
    with contextlib.suppress(StoreError, HTTPError, DicomJSONError):
        interpret_store(_REQUEST, status, headers, body)


def headers(data: bytes) -> None:
    _, body = _split(data)
    text = body.decode("latin-1")
    try:
        parsed = parse_media_type(text)
        assert parsed.type == parsed.type.lower()
    except ProtocolError:
        pass
    with contextlib.suppress(ProtocolError):
        part_transfer_syntax(text)
    delay = parse_retry_after(text)
    assert delay is None or delay >= 0 or delay != delay
    reasons_from_body(body, {"Warning": text})
    name, _, value = text.partition(":")
    with contextlib.suppress(DicomkitError):
        Headers([(name, value)]).get_all(name)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "multipart": multipart_decoder,
    "dicom_json": dicom_json,
    "stow_response": stow_response,
    "headers": headers,
}
