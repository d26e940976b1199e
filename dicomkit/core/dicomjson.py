"""DICOM JSON (PS3.18 Annex F) to and from pydicom, and the STOW-RS response as a StoreResult.

pydicom does the element conversion. Before handing a document to it this module checks the shape
and repairs what real servers send that pydicom would reject or warn about: lower-case tag keys,
a missing ``vr`` (taken from the data dictionary) and PN values given as bare strings. Any
malformed document raises :class:`~dicomkit.core.errors.DicomJSONError`; an exception raised by
the caller's bulk data handler passes through unchanged.

STOW-RS responses are read without pydicom so that a partly odd body (Orthanc's, Azure's) still
yields every stored and failed instance the server reported.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dicomkit.core._attributes import lookup
from dicomkit.core.dicomxml import looks_like_xml, native_model_to_json
from dicomkit.core.errors import DicomJSONError, InvalidArgumentError

if TYPE_CHECKING:  # pydicom is imported by the two functions that build or read a Dataset
    from pydicom import Dataset
    from pydicom.dataelem import DataElement

__all__ = [
    "BulkDataURIHandler",
    "BulkDataURIMaker",
    "FailedInstance",
    "StoreResult",
    "StoredInstance",
    "dataset_from_json",
    "dataset_to_json",
    "failure_reason_name",
    "first_value",
    "loads_json_array",
    "loads_json_object",
    "normalise_charset",
    "parse_store_response",
]

BulkDataURIHandler = Callable[[str, str, str], Any]
"""Called with ``(tag, vr, uri)`` for each BulkDataURI; returns the element's value."""

BulkDataURIMaker = Callable[["DataElement"], str]
"""Called for each binary element above the threshold; returns the BulkDataURI to write."""

_HEX = frozenset("0123456789ABCDEF")
_PREVIEW = 200

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


def _preview(body: bytes | str) -> str:
    text = body if isinstance(body, str) else body[:_PREVIEW].decode("utf-8", "replace")
    return repr(text[:_PREVIEW]) + ("..." if len(body) > _PREVIEW else "")


def _tag_key(key: object) -> str:
    if not isinstance(key, str) or len(key) != 8 or not _HEX.issuperset(key.upper()):
        raise DicomJSONError(f"DICOM JSON keys are 8 hex digits, not {_preview(str(key))}")
    return key.upper()


def _repair_element(key: str, element: object) -> dict[str, Any]:
    if not isinstance(element, dict):
        raise DicomJSONError(f"element {key} must be a JSON object")
    vr = element.get("vr")
    if vr is None:
        found = lookup(int(key, 16))
        if found is None:
            raise DicomJSONError(f"element {key} has no 'vr' and is not in the dictionary")
        vr = found[1].split(" or ")[0]
    if not isinstance(vr, str) or len(vr) != 2:
        raise DicomJSONError(f"element {key} has an invalid vr {vr!r}")
    repaired = dict(element, vr=vr)
    inline = element.get("InlineBinary")
    if inline is not None:
        try:
            base64.b64decode(inline, validate=True)
        except (TypeError, ValueError):
            raise DicomJSONError(f"InlineBinary of element {key} is not base64") from None
    values = element.get("Value")
    if values is None:
        return repaired
    if not isinstance(values, list):
        raise DicomJSONError(f"'Value' of element {key} must be a list")
    if vr == "SQ":
        repaired["Value"] = [_repair_dataset(item) for item in values]
    elif vr == "PN":
        repaired["Value"] = [{"Alphabetic": v} if isinstance(v, str) else v for v in values]
    return repaired


def _repair_dataset(obj: object) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise DicomJSONError(f"a DICOM JSON dataset must be an object, not {type(obj).__name__}")
    repaired: dict[str, Any] = {}
    for key, element in obj.items():
        tag = _tag_key(key)
        repaired[tag] = _repair_element(tag, element)
    return repaired


def dataset_from_json(
    obj: dict[str, Any], bulk_data_uri_handler: BulkDataURIHandler | None = None
) -> Dataset:
    """A pydicom Dataset from one DICOM JSON object.

    Without ``bulk_data_uri_handler`` an element given by BulkDataURI gets an empty value.
    """
    try:
        repaired = _repair_dataset(obj)
    except RecursionError:
        raise DicomJSONError("DICOM JSON is nested too deeply") from None
    raised: list[BaseException] = []

    def handler(tag: str, vr: str, uri: str) -> Any:
        if bulk_data_uri_handler is None:
            return None
        try:
            return bulk_data_uri_handler(tag, vr, uri)
        except BaseException as exc:
            raised.append(exc)
            raise

    from pydicom import Dataset

    try:
        return Dataset.from_json(normalise_charset(repaired), bulk_data_uri_handler=handler)
    except Exception as exc:
        if raised:
            raise raised[0] from None
        raise DicomJSONError(f"invalid DICOM JSON: {exc}") from exc


def dataset_to_json(
    ds: Dataset,
    *,
    bulk_data_threshold: int | None = None,
    bulk_data_uri: BulkDataURIMaker | None = None,
) -> dict[str, Any]:
    """A DICOM JSON object for ``ds``.

    ``bulk_data_threshold`` (default 1024) bounds the *base64 text* of a binary value, as
    pydicom counts it: values longer than ``threshold // 4 * 3`` bytes (768 for 1024) are
    written as the BulkDataURI ``bulk_data_uri`` returns; without ``bulk_data_uri`` they are
    InlineBinary.
    """
    threshold = 1024 if bulk_data_threshold is None else bulk_data_threshold
    if threshold < 0:
        raise InvalidArgumentError("bulk_data_threshold must not be negative")
    try:
        result: dict[str, Any] = ds.to_json_dict(
            bulk_data_threshold=threshold, bulk_data_element_handler=bulk_data_uri
        )
    except (ValueError, TypeError) as exc:
        raise InvalidArgumentError(f"dataset cannot be written as DICOM JSON: {exc}") from exc
    return normalise_charset(result)


_CHARSET = "00080005"
_UTF8 = "ISO_IR 192"


def _non_ascii(value: Any) -> bool:
    if isinstance(value, str):
        return not value.isascii()
    if isinstance(value, dict):
        return any(_non_ascii(v) for k, v in value.items() if k not in ("InlineBinary", "vr"))
    if isinstance(value, list):
        return any(_non_ascii(v) for v in value)
    return False


def normalise_charset(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with Specific Character Set saying what DICOM JSON text is: Unicode.

    JSON strings are Unicode (PS3.18 F.2), so a Specific Character Set carried over from the
    Part 10 encoding ("ISO_IR 100", "ISO 2022 IR 87") no longer describes them, and a Dataset
    made from such JSON would be written back in a character set that cannot hold the text.
    When the object holds non-ASCII text, or names a character set, it is set to ``ISO_IR 192``
    (UTF-8) at this level; nested items keep theirs only when their text is ASCII.
    """
    element = obj.get(_CHARSET)
    named = isinstance(element, dict) and bool(element.get("Value"))
    if not (named or _non_ascii({k: v for k, v in obj.items() if k != _CHARSET})):
        return obj
    if isinstance(element, dict) and element.get("Value") == [_UTF8]:
        return obj
    fixed = dict(obj)
    fixed[_CHARSET] = {"vr": "CS", "Value": [_UTF8]}
    return dict(sorted(fixed.items()))


def _loads(body: bytes | str) -> Any:
    if isinstance(body, bytes | bytearray | memoryview):
        body = bytes(body)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DicomJSONError(f"body is not JSON ({exc}): {_preview(body)}") from None
    except RecursionError:
        raise DicomJSONError("JSON body is nested too deeply") from None


def loads_json_array(body: bytes | str) -> list[dict[str, Any]]:
    """The list of DICOM JSON objects in a QIDO or metadata response; an empty body gives ``[]``.

    Servers answer a search without matches with 204 and no body, or 200 and ``[]``; both give
    the same result here.
    """
    if not body.strip():
        return []
    value = _loads(body)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise DicomJSONError(f"expected a JSON array of objects, got {_preview(body)}")
    return value


def loads_json_object(body: bytes | str) -> dict[str, Any]:
    """One DICOM JSON object; an array holding exactly one object is accepted too."""
    value = _loads(body)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        raise DicomJSONError(f"expected a JSON object, got {_preview(body)}")
    return value


def _tag_of(keyword_or_tag: str) -> str:
    text = keyword_or_tag.replace(",", "").strip("()").upper()
    if len(text) == 8 and _HEX.issuperset(text):
        return text
    found = lookup(keyword_or_tag)
    if found is None:
        raise InvalidArgumentError(f"{keyword_or_tag!r} is neither a DICOM keyword nor a tag")
    return f"{found[0]:08X}"


def _pn_text(value: dict[str, Any]) -> str:
    groups = [value.get(name) or "" for name in ("Alphabetic", "Ideographic", "Phonetic")]
    if not all(isinstance(group, str) for group in groups):
        raise DicomJSONError(f"person name components must be strings: {_preview(repr(value))}")
    return "=".join(groups).rstrip("=")


def first_value(obj: dict[str, Any], keyword_or_tag: str, default: Any = None) -> Any:
    """The first value of an element of a DICOM JSON object, or ``default`` when it has none.

    PN values come back as text (``"Doe^Jane"``, components joined with ``=``); sequence items
    come back as DICOM JSON objects.
    """
    tag = _tag_of(keyword_or_tag)
    element = obj.get(tag, obj.get(tag.lower()))
    if element is None:
        return default
    if not isinstance(element, dict):
        raise DicomJSONError(f"element {tag} must be a JSON object")
    values = element.get("Value")
    if values is None:
        return default
    if not isinstance(values, list):
        raise DicomJSONError(f"'Value' of element {tag} must be a list")
    if not values or values[0] is None:
        return default
    first = values[0]
    if element.get("vr") == "PN" and isinstance(first, dict):
        return _pn_text(first)
    return first


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
            value = _loads(body)
            objects = value if isinstance(value, list) else [value]
        if not objects or not all(isinstance(o, dict) for o in objects):
            raise DicomJSONError(f"expected a DICOM JSON object, got {_preview(body)}")
        if not all(_looks_like_dicom_json(o) for o in objects):
            raise DicomJSONError(f"body is JSON but not DICOM JSON: {_preview(body)}")
    except DicomJSONError:
        if status >= 400:
            return result
        raise
    for obj in objects:
        _collect(obj, result)
    return result


def _looks_like_dicom_json(obj: dict[str, Any]) -> bool:
    return all(isinstance(k, str) and len(k) == 8 and _HEX.issuperset(k.upper()) for k in obj)
