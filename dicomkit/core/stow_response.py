"""The STOW-RS response (PS3.18 10.5.3) as a :class:`StoreResult`.

Responses are read without pydicom so that a partly odd body (Orthanc's, Azure's) still yields
every stored and failed instance the server reported. Apart from the DICOM JSON module, so
that a command that only searches or downloads never builds these classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dicomkit.core._json_text import HEX_DIGITS, loads, preview
from dicomkit.core.dicomxml import looks_like_xml, native_model_to_json
from dicomkit.core.errors import DicomJSONError

__all__ = [
    "FailedInstance",
    "StoreResult",
    "StoredInstance",
    "failure_reason_name",
    "parse_store_response",
]

RETRIEVE_URL = "00081190"
FAILED_SOP_SEQUENCE = "00081198"
REFERENCED_SOP_SEQUENCE = "00081199"
OTHER_FAILURES_SEQUENCE = "0008119A"
REFERENCED_SOP_CLASS_UID = "00081150"
REFERENCED_SOP_INSTANCE_UID = "00081155"
FAILURE_REASON = "00081197"
WARNING_REASON = "00081196"
ERROR_COMMENT = "00000902"
FAILED_ATTRIBUTES_SEQUENCE = "00741048"


_REASONS: dict[int, str] = {
    0x0110: "Processing failure",
    0x0111: "Duplicate SOP Instance",
    0x0112: "No such SOP Instance",
    0x0117: "Invalid SOP Instance",
    0x0119: "SOP Class and SOP Instance do not agree",
    0x0120: "Missing attribute",
    0x0121: "Missing attribute value",
    0x0122: "SOP Class not supported",
    0x0124: "Not authorized",
    0x0131: "Duplicate transaction UID",
    0x0210: "Duplicate invocation",
    0x0211: "Unrecognized operation",
    0x0212: "Mistyped argument",
    0x0213: "Resource limitation",
    0xA901: "Study Instance UID does not match the request",
    0xB000: "Coercion of data elements",
    0xB006: "Elements discarded",
    0xB007: "Data set does not match SOP Class",
    0xB00E: "SOP Instance already exists",
    0xB00F: "SOP Instance is being stored by another request",
    0xC122: "Transfer syntax not supported",
}
_RANGES: list[tuple[int, int, str]] = [
    (0xA700, 0xA7FF, "Out of resources"),
    (0xA900, 0xA9FF, "Data set does not match SOP Class"),
    (0xC000, 0xCFFF, "Cannot understand"),
]


def failure_reason_name(code: int) -> str:
    """A readable name for a FailureReason or WarningReason code (PS3.4 Annex B, PS3.18).

    Codes servers add beyond the standard are named too: Azure's 43265 (0xA901, study UID does
    not match), 45070 (0xB00E, already exists) and 45071 (0xB00F, being stored concurrently).
    """
    if code in _REASONS:
        return _REASONS[code]
    for low, high, name in _RANGES:
        if low <= code <= high:
            return name
    return f"Unknown reason 0x{code:04X}"


@dataclass(frozen=True)
class StoredInstance:
    """An instance the server stored; ``warning_reason`` is its WarningReason code, if any."""

    sop_class_uid: str
    sop_instance_uid: str
    retrieve_url: str | None = None
    warning_reason: int | None = None

    @property
    def warning(self) -> str | None:
        """The name of ``warning_reason``."""
        return None if self.warning_reason is None else failure_reason_name(self.warning_reason)


@dataclass(frozen=True)
class FailedInstance:
    """An instance the server did not store.

    UIDs are ``""`` when the server did not say which instance failed (Other Failures Sequence).
    ``detail`` holds the server's ErrorComment text when it sent one.
    """

    sop_class_uid: str
    sop_instance_uid: str
    reason_code: int | None
    reason: str
    detail: str = ""


@dataclass
class StoreResult:
    """What a STOW-RS response says was stored, what failed and why."""

    stored: list[StoredInstance] = field(default_factory=list)
    failed: list[FailedInstance] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    retrieve_url: str | None = None
    status: int = 200
    already_present: list[FailedInstance] = field(default_factory=list)
    """Instances the server refused because it holds them already (Duplicate SOP Instance),
    moved here from ``failed`` when the caller treats them as present (the upload default)."""

    @property
    def ok(self) -> bool:
        """Nothing failed, and the HTTP status is not an error or refused only instances the
        server holds already (``already_present``)."""
        return not self.failed and (self.status < 400 or bool(self.already_present))

    @property
    def partial(self) -> bool:
        """Some instances were stored and some failed."""
        return bool(self.stored) and bool(self.failed)

    def summary(self) -> str:
        """One line for logs and error messages."""
        text = f"HTTP {self.status}: {len(self.stored)} stored, {len(self.failed)} failed"
        reasons = sorted({f.reason for f in self.failed})
        if reasons:
            text += " (" + "; ".join(reasons) + ")"
        return text


def _elements(item: dict[str, Any], tag: str) -> list[Any]:
    element = item.get(tag, item.get(tag.lower()))
    if not isinstance(element, dict):
        return []
    values = element.get("Value")
    return [v for v in values if v is not None] if isinstance(values, list) else []


def _text(item: dict[str, Any], tag: str) -> str | None:
    values = _elements(item, tag)
    return str(values[0]) if values else None


def _codes(item: dict[str, Any], tag: str) -> list[int]:
    codes: list[int] = []
    for value in _elements(item, tag):
        try:
            codes.append(int(value))
        except (TypeError, ValueError, OverflowError):  # OverflowError: 1e999 or Infinity
            continue
    return codes


def _items(obj: dict[str, Any], tag: str) -> list[dict[str, Any]]:
    return [item for item in _elements(obj, tag) if isinstance(item, dict)]


def _comments(item: dict[str, Any]) -> str:
    texts = [str(v) for v in _elements(item, ERROR_COMMENT)]
    for sub in _items(item, FAILED_ATTRIBUTES_SEQUENCE):
        texts.extend(str(v) for v in _elements(sub, ERROR_COMMENT))
    return "; ".join(texts)


def _failed(item: dict[str, Any]) -> FailedInstance:
    codes = _codes(item, FAILURE_REASON)
    code = codes[0] if codes else None
    return FailedInstance(
        sop_class_uid=_text(item, REFERENCED_SOP_CLASS_UID) or "",
        sop_instance_uid=_text(item, REFERENCED_SOP_INSTANCE_UID) or "",
        reason_code=code,
        reason="Unspecified failure" if code is None else failure_reason_name(code),
        detail=_comments(item),
    )


def _collect(obj: dict[str, Any], result: StoreResult) -> None:
    result.retrieve_url = result.retrieve_url or _text(obj, RETRIEVE_URL)
    result.warnings.extend(failure_reason_name(c) for c in _codes(obj, WARNING_REASON))
    for item in _items(obj, REFERENCED_SOP_SEQUENCE):
        codes = _codes(item, WARNING_REASON)
        stored = StoredInstance(
            sop_class_uid=_text(item, REFERENCED_SOP_CLASS_UID) or "",
            sop_instance_uid=_text(item, REFERENCED_SOP_INSTANCE_UID) or "",
            retrieve_url=_text(item, RETRIEVE_URL),
            warning_reason=codes[0] if codes else None,
        )
        result.stored.append(stored)
        comment = _comments(item)
        suffix = f" ({comment})" if comment else ""
        result.warnings.extend(
            f"{stored.sop_instance_uid}: {failure_reason_name(code)}{suffix}" for code in codes
        )
    result.failed.extend(_failed(item) for item in _items(obj, FAILED_SOP_SEQUENCE))
    result.failed.extend(_failed(item) for item in _items(obj, OTHER_FAILURES_SEQUENCE))


def parse_store_response(status: int, body: bytes | str) -> StoreResult:
    """A :class:`StoreResult` from a STOW-RS status and body.

    An empty body gives a result with only the status. The body may be one DICOM JSON object,
    an array of them, or a PS3.19 ``NativeDicomModel`` XML document (PS3.18 10.5.3 allows
    both). An error status with a body that is neither (an HTML page from a proxy, Orthanc's
    error JSON) also gives a result with only the status, so that the caller can raise its HTTP
    error with the body; a success status with such a body raises :class:`DicomJSONError`,
    because what was stored cannot be known.
    """
    result = StoreResult(status=status)
    if not body.strip():
        return result
    try:
        if looks_like_xml(body):
            objects: list[Any] = [native_model_to_json(body)]
        else:
            value = loads(body)
            objects = value if isinstance(value, list) else [value]
        if not objects or not all(isinstance(o, dict) for o in objects):
            raise DicomJSONError(f"expected a DICOM JSON object, got {preview(body)}")
        if not all(_looks_like_dicom_json(o) for o in objects):
            raise DicomJSONError(f"body is JSON but not DICOM JSON: {preview(body)}")
    except DicomJSONError:
        if status >= 400:
            return result
        raise
    for obj in objects:
        _collect(obj, result)
    return result


def _looks_like_dicom_json(obj: dict[str, Any]) -> bool:
    return all(isinstance(k, str) and len(k) == 8 and HEX_DIGITS.issuperset(k.upper()) for k in obj)
