"""DICOM JSON (PS3.18 Annex F) to and from pydicom.

pydicom does the element conversion. Before handing a document to it this module checks the shape
and repairs what real servers send that pydicom would reject or warn about: lower-case tag keys,
a missing ``vr`` (taken from the data dictionary) and PN values given as bare strings. Any
malformed document raises :class:`~dicomkit.core.errors.DicomJSONError`; an exception raised by
the caller's bulk data handler passes through unchanged.

The STOW-RS response (:class:`StoreResult` and its parser) lives in
:mod:`dicomkit.core.stow_response`, loaded by what stores; its names are still importable from
here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dicomkit.core._attributes import lookup
from dicomkit.core._json_text import HEX_DIGITS, loads, preview
from dicomkit.core.errors import DicomJSONError, InvalidArgumentError

if TYPE_CHECKING:  # pydicom is imported by the two functions that build or read a Dataset
    from pydicom import Dataset
    from pydicom.dataelem import DataElement

__all__ = [
    "BulkDataURIHandler",
    "BulkDataURIMaker",
    "dataset_from_json",
    "dataset_to_json",
    "first_value",
    "loads_json_array",
    "loads_json_object",
    "normalise_charset",
]

BulkDataURIHandler = Callable[[str, str, str], Any]
"""Called with ``(tag, vr, uri)`` for each BulkDataURI; returns the element's value."""

BulkDataURIMaker = Callable[["DataElement"], str]
"""Called for each binary element above the threshold; returns the BulkDataURI to write."""


def _tag_key(key: object) -> str:
    if not isinstance(key, str) or len(key) != 8 or not HEX_DIGITS.issuperset(key.upper()):
        raise DicomJSONError(f"DICOM JSON keys are 8 hex digits, not {preview(str(key))}")
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


def loads_json_array(body: bytes | str) -> list[dict[str, Any]]:
    """The list of DICOM JSON objects in a QIDO or metadata response; an empty body gives ``[]``.

    Servers answer a search without matches with 204 and no body, or 200 and ``[]``; both give
    the same result here.
    """
    if not body.strip():
        return []
    value = loads(body)
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise DicomJSONError(f"expected a JSON array of objects, got {preview(body)}")
    return value


def loads_json_object(body: bytes | str) -> dict[str, Any]:
    """One DICOM JSON object; an array holding exactly one object is accepted too."""
    value = loads(body)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        raise DicomJSONError(f"expected a JSON object, got {preview(body)}")
    return value


def _tag_of(keyword_or_tag: str) -> str:
    text = keyword_or_tag.replace(",", "").strip("()").upper()
    if len(text) == 8 and HEX_DIGITS.issuperset(text):
        return text
    found = lookup(keyword_or_tag)
    if found is None:
        raise InvalidArgumentError(f"{keyword_or_tag!r} is neither a DICOM keyword nor a tag")
    return f"{found[0]:08X}"


def _pn_text(value: dict[str, Any]) -> str:
    groups = [value.get(name) or "" for name in ("Alphabetic", "Ideographic", "Phonetic")]
    if not all(isinstance(group, str) for group in groups):
        raise DicomJSONError(f"person name components must be strings: {preview(repr(value))}")
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


_MOVED = frozenset(
    {
        "ERROR_COMMENT",
        "FAILED_ATTRIBUTES_SEQUENCE",
        "FAILED_SOP_SEQUENCE",
        "FAILURE_REASON",
        "FailedInstance",
        "OTHER_FAILURES_SEQUENCE",
        "REFERENCED_SOP_CLASS_UID",
        "REFERENCED_SOP_INSTANCE_UID",
        "REFERENCED_SOP_SEQUENCE",
        "RETRIEVE_URL",
        "StoreResult",
        "StoredInstance",
        "WARNING_REASON",
        "failure_reason_name",
        "parse_store_response",
    }
)
"""Names that moved to :mod:`dicomkit.core.stow_response`: a search or a download, which
never stores, does not build the STOW-RS result classes (2 ms of a command's start)."""


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        from dicomkit.core import stow_response

        return getattr(stow_response, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
