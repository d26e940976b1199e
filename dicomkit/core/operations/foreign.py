"""Answers no DICOMweb server sends: the sign that the base URL points at another API.

Orthanc's REST root (``http://host:8042``) answers ``GET /studies`` with ``application/json``
holding its own resource IDs; a web front end answers any path with an HTML page. Read as
DICOMweb, the first gave a :class:`DicomJSONError` that never named the URL, the second bytes
of HTML as an "instance". The exchanges ask this module instead, and such an answer becomes a
:class:`NotDicomWebError` naming the URL and the DICOMweb root to use.

The judgement is deliberately narrow, so no real DICOMweb server is refused:

- a search or metadata answer labelled ``application/dicom+json``, or not labelled at all, is
  parsed as before (a malformed one is still a DicomJSONError: a server bug, not a wrong URL);
- one labelled ``application/json`` (PS3.18 before 2016 used that type) is accepted when its
  body is DICOM JSON: an array of objects keyed by 8-digit tags, or an empty array (an empty
  REST answer cannot be told from an empty search; the first upload or match then tells);
- DICOM XML (``application/dicom+xml``, or ``multipart/related`` of it) is read by
  :func:`dicomkit.core.dicomxml.native_models` into the same objects;
- any other type (HTML, other XML, text) with a body is refused;
- a retrieve (instances, frames, bulk data, renderings) labelled HTML or JSON is refused.
"""

from __future__ import annotations

from typing import Any

from dicomkit.core.dicomxml import APPLICATION_DICOM_XML, native_models
from dicomkit.core.errors import DicomJSONError, NotDicomWebError
from dicomkit.core.interface import Headers, Request
from dicomkit.core.media import parse_media_type
from dicomkit.core.operations.answers import parse_json_array

__all__ = ["json_answer", "json_object_answer", "refuse_foreign_retrieve"]

_DICOM_JSON = "application/dicom+json"
_NEVER_RETRIEVED = frozenset({"text/html", "application/xhtml+xml", "application/json"})
_HEX = frozenset("0123456789abcdefABCDEF")


def _media_type(headers: Headers) -> str | None:
    value = headers.get("Content-Type")
    if value is None or not value.strip():
        return None
    try:
        return parse_media_type(value).type.lower()
    except ValueError:  # InvalidArgumentError: unparsable, so certainly not DICOM JSON
        return value.strip().lower()


def looks_like_xml_parts(headers: Headers) -> bool:
    """A ``multipart/related`` answer whose ``type`` parameter is DICOM XML (PS3.18 8.7.3.4)."""
    try:
        kind = parse_media_type(headers.get("Content-Type") or "").params.get("type", "")
    except ValueError:
        return False
    return kind.strip().lower().startswith(APPLICATION_DICOM_XML)


def _is_dicom_json(items: list[dict[str, Any]]) -> bool:
    return all(len(key) == 8 and _HEX.issuperset(key) for item in items for key in item)


def json_answer(
    request: Request, status: int, headers: Headers, body: bytes
) -> list[dict[str, Any]]:
    """The DICOM JSON objects of a search or metadata answer (see the module docstring)."""
    kind = _media_type(headers)
    if kind in (None, _DICOM_JSON) or status == 204 or not body.strip():
        return parse_json_array(status, body)
    if kind == APPLICATION_DICOM_XML or (
        kind == "multipart/related" and looks_like_xml_parts(headers)
    ):
        return native_models(headers.get("Content-Type"), body)
    if kind != "application/json" and not kind.endswith("+json"):
        raise NotDicomWebError(request.method, request.url, kind, expected=_DICOM_JSON)
    try:
        items = parse_json_array(status, body)
    except DicomJSONError as exc:
        raise NotDicomWebError(
            request.method, request.url, kind, expected=_DICOM_JSON, why="not DICOM JSON"
        ) from exc
    if not _is_dicom_json(items):
        why = "objects whose keys are not DICOM tags"
        raise NotDicomWebError(request.method, request.url, kind, expected=_DICOM_JSON, why=why)
    return items


def json_object_answer(
    request: Request, status: int, headers: Headers, body: bytes
) -> dict[str, Any]:
    """The one DICOM JSON object of an instance's metadata, judged as :func:`json_answer`."""
    items = json_answer(request, status, headers, body)
    if not items:
        raise DicomJSONError("the server answered with no metadata for the instance")
    return items[0]


def refuse_foreign_retrieve(request: Request, headers: Headers) -> None:
    """Raise NotDicomWebError for a WADO-RS success labelled as a web page or as JSON."""
    kind = _media_type(headers)
    if kind in _NEVER_RETRIEVED or (kind is not None and kind.endswith("+json")):
        raise NotDicomWebError(
            request.method, request.url, kind, expected="DICOM parts (multipart/related)"
        )
