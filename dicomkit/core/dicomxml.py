"""The DICOM PS3.19 Native DICOM Model (XML) as DICOM JSON objects, for STOW-RS answers.

PS3.18 10.5.3 lets a server answer a store in XML (``application/dicom+xml``): older dcm4chee
releases do so by default and some proxies ask for it. What the server stored and refused must
not be lost because of the format, so the XML is turned into the DICOM JSON model (``{tag:
{"vr": ..., "Value": [...]}}``) and read by the one STOW response reader of
:mod:`dicomkit.core.dicomjson`. Only the standard library's parser is used; a document type
declaration is refused, so no entity can expand.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from dicomkit.core.errors import DicomJSONError

__all__ = ["looks_like_xml", "native_model_to_json"]

_TAG = re.compile(r"[0-9A-Fa-f]{8}\Z")
_NUMBERS = frozenset({"US", "SS", "UL", "SL", "UV", "SV", "FL", "FD", "IS", "DS"})


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
            alphabetic = next((c for c in child if _local(c.tag) == "Alphabetic"), None)
            parts = [] if alphabetic is None else [(p.text or "") for p in alphabetic]
            values.append({"Alphabetic": "^".join(parts)})
    element: dict[str, Any] = {"vr": vr}
    if values:
        element["Value"] = values
    return tag.upper(), element


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
    if b"<!DOCTYPE" in raw[:4096].upper():
        raise DicomJSONError("an XML answer with a document type declaration is refused")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise DicomJSONError(f"the XML answer is not well-formed: {exc}") from None
    if _local(root.tag) != "NativeDicomModel":
        raise DicomJSONError(f"the XML answer is not a NativeDicomModel but {_local(root.tag)!r}")
    return _dataset(root)
