"""The DICOM PS3.19 Native DICOM Model (XML) as DICOM JSON objects, and back.

PS3.18 lets a server answer a store, a search and a metadata request in XML
(``application/dicom+xml``; searches and metadata as ``multipart/related`` of such parts):
older dcm4chee releases do so by default and some proxies ask for it. Nothing must be lost
because of the format, so the XML is turned into the DICOM JSON model (``{tag: {"vr": ...,
"Value": [...]}}``) and read by the same readers as JSON answers (:func:`native_models` for
searches and metadata, :func:`native_model_to_json` for STOW). :func:`json_to_native_model`
writes the other way, for servers (the reference server answers XML with it). Only the
standard library's parser is used; a document type declaration is refused, so no entity can
expand.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from dicomkit.core import multipart
from dicomkit.core.errors import DicomJSONError, DicomkitError, ProtocolError
from dicomkit.core.media import parse_media_type

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

__all__ = [
    "APPLICATION_DICOM_XML",
    "NAMESPACE",
    "json_to_native_model",
    "looks_like_xml",
    "native_model_to_json",
    "native_models",
]

APPLICATION_DICOM_XML = "application/dicom+xml"
NAMESPACE = "http://dicom.nema.org/PS3.19/models/NativeDICOM"
_NAME_PARTS = ("FamilyName", "GivenName", "MiddleName", "NamePrefix", "NameSuffix")
_GROUPS = ("Alphabetic", "Ideographic", "Phonetic")

_TAG = re.compile(r"[0-9A-Fa-f]{8}\Z")
_NUMBERS = frozenset({"US", "SS", "UL", "SL", "UV", "SV", "FL", "FD", "IS", "DS"})
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)  # anywhere: a prolog may be padded


def _etree() -> Any:
    """ElementTree, imported when XML is first read or written: JSON answers never need it."""
    import xml.etree.ElementTree

    return xml.etree.ElementTree


def looks_like_xml(body: bytes | str) -> bool:
    """Whether ``body`` starts like an XML document (after white space and a byte order mark)."""
    head = body[:64].encode("utf-8", "replace") if isinstance(body, str) else body[:64]
    return head.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _value(text: str, vr: str) -> Any:
    if vr in _NUMBERS:
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    return text


def _element(node: ET.Element) -> tuple[str, dict[str, Any]] | None:
    tag = node.get("tag", "")
    if not _TAG.match(tag):
        return None
    vr = node.get("vr", "UN")
    values: list[Any] = []
    for child in node:
        kind = _local(child.tag)
        if kind == "Item":
            values.append(_dataset(child))
        elif kind == "Value":
            values.append(_value(child.text or "", vr))
        elif kind == "PersonName":
            values.append(_person_name(child))
        elif kind == "BulkData" and (child.get("uri") or child.get("URI")):
            # PS3.19 spells the attribute "uri"; Orthanc 1.10 writes "URI"
            return tag.upper(), {"vr": vr, "BulkDataURI": child.get("uri") or child.get("URI")}
        elif kind == "InlineBinary":
            return tag.upper(), {"vr": vr, "InlineBinary": (child.text or "").strip()}
    element: dict[str, Any] = {"vr": vr}
    if values:
        element["Value"] = values
    return tag.upper(), element


def _person_name(node: ET.Element) -> dict[str, str]:
    """``{"Alphabetic": "Family^Given^Middle^Prefix^Suffix", ...}``: each component in its
    place whatever order the XML lists them in, trailing empty components dropped."""
    name: dict[str, str] = {}
    for group in node:
        if _local(group.tag) not in _GROUPS:
            continue
        components = dict.fromkeys(_NAME_PARTS, "")
        for part in group:
            if _local(part.tag) in components:
                components[_local(part.tag)] = part.text or ""
        name[_local(group.tag)] = "^".join(components.values()).rstrip("^")
    return name


def _dataset(node: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in node:
        if _local(child.tag) == "DicomAttribute":
            found = _element(child)
            if found is not None:
                out[found[0]] = found[1]
    return out


def native_model_to_json(body: bytes | str) -> dict[str, Any]:
    """The ``NativeDicomModel`` document ``body`` as one DICOM JSON object.

    Raises :class:`DicomJSONError` for a body that is not well-formed XML, declares a document
    type, or whose root is not ``NativeDicomModel``.
    """
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if _DOCTYPE.search(raw):
        raise DicomJSONError("an XML answer with a document type declaration is refused")
    try:
        root = _etree().fromstring(raw)
    except _etree().ParseError as exc:
        raise DicomJSONError(f"the XML answer is not well-formed: {exc}") from None
    if _local(root.tag) != "NativeDicomModel":
        raise DicomJSONError(f"the XML answer is not a NativeDicomModel but {_local(root.tag)!r}")
    return _dataset(root)


def native_models(content_type: str | None, body: bytes) -> list[dict[str, Any]]:
    """The DICOM JSON objects of a search or metadata answer in XML: one ``NativeDicomModel``
    (``application/dicom+xml``) or a ``multipart/related`` answer of them, one per part.

    Raises :class:`DicomJSONError` for a malformed document or multipart body.
    """
    try:
        media = parse_media_type(content_type or APPLICATION_DICOM_XML)
    except ProtocolError as exc:
        raise DicomJSONError(f"unreadable Content-Type of an XML answer: {exc}") from None
    if not media.is_multipart:
        return [native_model_to_json(body)] if body.strip() else []
    boundary = media.params.get("boundary")
    if not boundary:
        raise DicomJSONError("a multipart XML answer without a boundary")
    try:
        parts = list(multipart.iter_parts([body], boundary))
    except DicomkitError as exc:
        raise DicomJSONError(f"malformed multipart XML answer: {exc}") from None
    return [native_model_to_json(part) for _, part in parts]


def json_to_native_model(dataset: dict[str, Any]) -> bytes:
    """A DICOM JSON object as a PS3.19 ``NativeDicomModel`` document (UTF-8, declared)."""
    etree = _etree()
    root = etree.Element("NativeDicomModel", xmlns=NAMESPACE)
    _write_attributes(root, dataset)
    return bytes(etree.tostring(root, encoding="utf-8", xml_declaration=True))


def _write_attributes(parent: ET.Element, dataset: dict[str, Any]) -> None:
    child = _etree().SubElement
    for tag in sorted(dataset):
        element = dataset[tag]
        vr = str(element.get("vr", "UN"))
        node = child(parent, "DicomAttribute", {"tag": tag.upper(), "vr": vr})
        if "BulkDataURI" in element:
            child(node, "BulkData", uri=str(element["BulkDataURI"]))
        elif "InlineBinary" in element:
            child(node, "InlineBinary").text = str(element["InlineBinary"])
        for number, value in enumerate(element.get("Value", []), start=1):
            if vr == "SQ":
                _write_attributes(child(node, "Item", number=str(number)), value or {})
            elif vr == "PN" and isinstance(value, dict):
                _write_name(child(node, "PersonName", number=str(number)), value)
            else:
                text = "" if value is None else str(value)
                child(node, "Value", number=str(number)).text = text


def _write_name(node: ET.Element, name: dict[str, Any]) -> None:
    child = _etree().SubElement
    for group in _GROUPS:
        text = name.get(group)
        if not isinstance(text, str):
            continue
        written = child(node, group)
        for part, value in zip(_NAME_PARTS, text.split("^"), strict=False):
            if value:
                child(written, part).text = value
