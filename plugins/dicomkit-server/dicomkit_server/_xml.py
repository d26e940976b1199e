"""DICOM XML answers (PS3.19 Native DICOM Model) for searches and metadata.

PS3.18 answers QIDO-RS and metadata in DICOM JSON by default and, when asked, as
``multipart/related; type="application/dicom+xml"`` with one ``NativeDicomModel`` document per
part. The documents are written by :func:`dicomkit.core.dicomxml.json_to_native_model`, the same
model the client reads, so the server serves what it would serve in JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from aiohttp import web

from dicomkit.core.dicomxml import APPLICATION_DICOM_XML, json_to_native_model
from dicomkit.core.multipart import Part, encode_multipart, new_boundary
from dicomkit_server._negotiate import accepted, inner_type
from dicomkit_server._respond import send, warning_header

__all__ = ["XML_TYPES", "answer_format", "send_xml_parts"]

XML_TYPES = frozenset({APPLICATION_DICOM_XML, "application/xml", "text/xml"})
_JSON_TYPES = frozenset({"application/dicom+json", "application/json", "*/*", "application/*"})


def answer_format(accept: str | None) -> str | None:
    """``"json"``, ``"xml"``, or None (406) for the best acceptable range of ``accept``.

    XML is ``application/dicom+xml`` itself or ``multipart/related`` with that part type;
    ``*/*`` gets the default (JSON).
    """
    for media in accepted(accept, "application/dicom+json"):
        if media.type in XML_TYPES:
            return "xml"
        if media.type == "multipart/related":
            kind, _ = inner_type(media)
            if kind in XML_TYPES:
                return "xml"
            continue
        if media.type in _JSON_TYPES:
            return "json"
    return None


def _parts(datasets: Iterable[dict[str, Any]]) -> Iterator[Part]:
    for dataset in datasets:
        yield Part(json_to_native_model(dataset), {"Content-Type": APPLICATION_DICOM_XML})


async def send_xml_parts(
    request: web.Request,
    datasets: list[dict[str, Any]],
    *,
    warnings: list[str] | None = None,
) -> web.StreamResponse:
    """``datasets`` as ``multipart/related`` of Native DICOM Model parts (none: an empty body
    with the same type, as an empty JSON array is still an answer)."""
    boundary = new_boundary()
    headers = {
        "Content-Type": f'multipart/related; type="{APPLICATION_DICOM_XML}"; boundary={boundary}'
    }
    if warnings:
        headers["Warning"] = warning_header(warnings)
    if not datasets:
        return await send(request, headers=headers, body=f"--{boundary}--\r\n".encode())
    return await send(request, headers=headers, chunks=encode_multipart(_parts(datasets), boundary))
