"""QIDO-RS query strings: search filters to ``(name, value)`` pairs, and their encoding.

:func:`build_query` checks and formats what a caller searches for (keywords or tags, values by
the attribute's VR, ranges, several values, universal matching, the standard's options and a
vendor's own parameters); :func:`encode_query` percent-encodes the pairs as PS3.18 8.3.4.1 and
RFC 3986 ask, with a server dialect's exceptions. :mod:`dicomkit.core.urls` puts the result on a
search URL and re-exports these names. Keywords and VRs come from
:mod:`dicomkit.core._attributes`: pydicom loads only for an attribute outside its common table.
"""

from __future__ import annotations

import datetime
import functools
import re
import sys
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from dicomkit.core._attributes import lookup
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.uids import validate_uid

__all__ = [
    "QUERY_SAFE",
    "SEARCH_RESERVED",
    "ExtraParams",
    "ValueList",
    "build_query",
    "check_count",
    "encode_query",
    "extra_pairs",
    "normalize_attribute",
    "percent_encode",
]

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ENCODED = tuple(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256))
_PLAIN_RE = re.compile(r"[A-Za-z0-9._~-]*\Z")
QUERY_SAFE = "*?:@/!$'()"
"""Characters :func:`encode_query` sends unencoded besides the unreserved ones."""
_QUERY_OPTIONS = (
    "includefield",
    "fuzzymatching",
    "limit",
    "offset",
    "emptyvaluematching",
    "multiplevaluematching",
)
_HEX_TAG_RE = re.compile(r"^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$")
_PREVIEW = 80


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "..."


def percent_encode(text: str, safe: str = "") -> str:
    """Percent-encode ``text`` as UTF-8, keeping RFC 3986 unreserved characters and ``safe``."""
    if not safe and _PLAIN_RE.match(text):
        return text
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError(f"{_preview(text)} is not valid Unicode text") from None
    table = _table(safe) if safe else _ENCODED
    return "".join(map(table.__getitem__, data))


@functools.lru_cache(maxsize=16)
def _table(safe: str) -> tuple[str, ...]:
    keep = frozenset(safe.encode("ascii"))
    return tuple(chr(b) if b in keep else code for b, code in enumerate(_ENCODED))


def normalize_attribute(name: str | int) -> str:
    """The QIDO attribute ID for a keyword, a tag or a dotted sequence path.

    Keywords must be DICOM dictionary keywords and are kept as keywords (DICOMweb accepts them);
    tags may be given as ``0x00100020``, ``"00100020"``, ``"0010,0020"`` or ``"(0010,0020)"`` and
    become eight upper-case hex digits. Sequence paths join components with dots.
    """
    if isinstance(name, int) and not isinstance(name, bool):
        if not 0 <= name <= 0xFFFFFFFF:
            raise InvalidArgumentError(f"tag {name!r} is out of range")
        return f"{name:08X}"
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError(f"attribute {_preview(name)} is not a keyword or a tag")
    parts = name.split(".")
    if not all(part.strip() for part in parts):
        raise InvalidArgumentError(
            f"attribute {_preview(name)} has an empty part: a sequence path is keywords or "
            "tags joined by single dots"
        )
    return ".".join(_attribute_component(part) for part in parts)


def _attribute_component(part: str) -> str:
    match = _HEX_TAG_RE.match(part.strip())
    if match:
        return (match.group(1) + match.group(2)).upper()
    if part.lower() in _QUERY_OPTIONS:
        raise InvalidArgumentError(
            f"{part!r} is a query option, not an attribute: pass it as the "
            f"{'fields' if part.lower() == 'includefield' else part.lower()}= argument"
        )
    if lookup(part) is None:  # pydicom loads only for a keyword outside the common table
        raise InvalidArgumentError(
            f"{_preview(part)} is neither a DICOM keyword nor a tag (pass a vendor's own query "
            "parameter as extra_params=)"
        )
    return part


def _tag_path(attribute: str) -> str:
    """``attribute`` with every keyword replaced by its tag: one spelling per attribute."""
    parts = []
    for part in attribute.split("."):
        found = None if _HEX_TAG_RE.match(part) else lookup(part)
        parts.append(part if found is None else f"{found[0]:08X}")
    return ".".join(parts)


def _vr_of(attribute: str) -> str | None:
    last = attribute.rsplit(".", 1)[-1]
    found = lookup(last if not _HEX_TAG_RE.match(last) else int(last, 16))
    return None if found is None else found[1]


class ValueList(str):
    """Several values of one query parameter: equal to their comma-joined text, and encoded by
    :func:`encode_query` with each value percent-encoded (a comma inside one included) and raw
    commas between them, as PS3.18 8.3.4.1 asks."""

    values: tuple[str, ...]

    def __new__(cls, values: Iterable[str]) -> ValueList:
        items = tuple(values)
        made = super().__new__(cls, ",".join(items))
        made.values = items
        return made


def _format_time(value: datetime.time) -> str:
    text = value.strftime("%H%M%S")
    return text + f".{value.microsecond:06d}" if value.microsecond else text


def _format_datetime(value: datetime.datetime) -> str:
    text = value.strftime("%Y%m%d%H%M%S") + (
        f".{value.microsecond:06d}" if value.microsecond else ""
    )
    return text + value.strftime("%z")


def _format_temporal(value: datetime.date | datetime.time, vr: str | None) -> str:
    if isinstance(value, datetime.datetime):
        if vr == "DA":
            return value.strftime("%Y%m%d")
        if vr == "TM":
            return _format_time(value.time())
        return _format_datetime(value)
    if isinstance(value, datetime.date):
        return value.strftime("%Y%m%d")
    return _format_time(value)


_DICOM_FORMS = {
    "DA": re.compile(r"\d{8}\Z"),
    "TM": re.compile(r"\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?\Z"),
    "DT": re.compile(r"\d{4}(?:\d{2}){0,5}(?:\.\d{1,6})?(?:[+-]\d{4})?\Z"),
}
_ISO_TIME = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?\Z")


def _temporal_text(text: str, vr: str, attribute: str) -> str:
    """A DA, TM or DT value in DICOM form, from DICOM or ISO 8601 text (no range here)."""
    text = text.strip()
    if _DICOM_FORMS[vr].match(text):
        return text
    try:
        if vr == "DA":
            return datetime.date.fromisoformat(text).strftime("%Y%m%d")
        if vr == "TM" and _ISO_TIME.match(text):
            return _format_time(datetime.time.fromisoformat(text))
        if vr == "DT" and ("T" in text or "-" in text[:8]):
            return _format_datetime(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    raise InvalidArgumentError(
        f"{_preview(text)} is not a {vr} value for {attribute}: give a "
        f"{'date' if vr == 'DA' else 'time' if vr == 'TM' else 'datetime'} object, ISO 8601 "
        "text or DICOM text (ranges as 'start-end' in DICOM form, 'start/end' in ISO form, or a "
        "(start, end) tuple)"
    )


_ISO_DATE_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})?-(\d{4}-\d{2}-\d{2})?\Z")


def _range_split(text: str, vr: str) -> tuple[str, str] | None:
    """``(low, high)`` of a range written ``low/high`` (ISO 8601) or ``low-high`` (DICOM)."""
    if "/" in text:
        low, _, high = text.partition("/")
        return low, high
    iso = _ISO_DATE_RANGE.match(text) if vr == "DA" else None
    if iso is not None:
        return iso.group(1) or "", iso.group(2) or ""
    if vr == "TM":  # a time holds no "-": any is the range's
        low, dash, high = text.partition("-")
        return (low, high) if dash else None
    for index, char in enumerate(text):
        if char != "-":
            continue
        low, high = text[:index], text[index + 1 :]
        if all(not end or _DICOM_FORMS[vr].match(end) for end in (low, high)):
            if vr == "DT" and re.fullmatch(r"\d{4}", high) and len(low) > 4:
                continue  # a UTC offset such as -0500, not the end of a range
            return low, high
    return None


def _temporal_range(text: str, vr: str, attribute: str) -> str:
    """A DA, TM or DT search value, a range included, in DICOM form."""
    text = text.strip()
    ends = _range_split(text, vr)
    if ends is None:
        return _temporal_text(text, vr, attribute)
    low, high = (end.strip() for end in ends)
    if not low and not high:
        raise InvalidArgumentError(f"a range for {attribute} needs at least one end")
    return "-".join(_temporal_text(end, vr, attribute) if end else "" for end in (low, high))


def _format_scalar(value: Any, vr: str | None, attribute: str) -> str:
    if isinstance(value, bool) or value is None:
        raise InvalidArgumentError(f"{_preview(value)} is not a searchable value")
    if vr in _TEMPORAL_VRS:
        if isinstance(value, datetime.date | datetime.time):
            return _format_temporal(value, vr)
        if isinstance(value, str):
            return _temporal_range(str(value), vr, attribute)
        raise InvalidArgumentError(
            f"{attribute} is searched with a date, time or datetime, ISO 8601 or DICOM text, "
            f"not {type(value).__name__}"
        )
    if isinstance(value, str):
        return str(value)
    valuerep = sys.modules.get("pydicom.valuerep")  # a PersonName means pydicom is loaded
    if valuerep is not None and isinstance(value, valuerep.PersonName):
        return str(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return _format_temporal(value, vr)
    raise InvalidArgumentError(f"cannot search for a value of type {type(value).__name__}")


_TEMPORAL_VRS = ("DA", "TM", "DT")
_LIST_VRS = frozenset({"UI", "CS", "DA", "TM", "DT", "AS", "IS", "DS", "AE"})
"""VRs whose values cannot hold a comma: a comma in a string given for them separates values."""


def _format_value(attribute: str, value: Any) -> str:
    vr = _vr_of(attribute)
    if isinstance(value, tuple):
        if len(value) != 2 or (value[0] is None and value[1] is None):
            raise InvalidArgumentError(
                f"a range for {attribute} is a (start, end) pair with at least one end, "
                f"not {_preview(value)}"
            )
        low, high = (None if v is None else _format_scalar(v, vr, attribute) for v in value)
        ends = (low or "", high or "")
        if vr in ("DA", "TM") and any("-" in end for end in ends):
            raise InvalidArgumentError(f"a range end for {attribute} cannot be a range")
        return f"{low or ''}-{high or ''}"
    if isinstance(value, list | set | frozenset):
        items = sorted(value) if isinstance(value, set | frozenset) else value
        texts = [_format_scalar(v, vr, attribute) for v in items]
        if not texts:
            raise InvalidArgumentError(f"an empty list cannot be matched for {attribute}")
    elif isinstance(value, str) and vr in _LIST_VRS and "," in value:
        texts = [_format_scalar(v, vr, attribute) for v in value.split(",")]
    else:
        texts = [_format_scalar(value, vr, attribute)]
    if vr == "UI":
        for text in texts:
            validate_uid(text, attribute)
    return texts[0] if len(texts) == 1 else ValueList(texts)


def _flag(name: str, value: bool | None) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be a bool, not {_preview(value)}")
    return [(name, "true" if value else "false")]


ExtraParams = Mapping[str, Any] | Iterable[tuple[str, Any]] | None
"""A caller's ``extra_params=``: a vendor's own query parameters, a mapping or pairs."""

SEARCH_RESERVED: Mapping[str, str] = MappingProxyType(
    dict.fromkeys(_QUERY_OPTIONS, "is a standard query option: pass it as its own argument")
)
"""Names ``extra_params`` may not use on a search, and why (lower case)."""


def extra_pairs(
    params: ExtraParams, *, reserved: Mapping[str, str] = SEARCH_RESERVED
) -> list[tuple[str, str]]:
    """A vendor's own query parameters as ``(name, value)`` pairs, checked only for shape: a
    name, a text, number, bool or list value (a :class:`ValueList`), and not one of the
    ``reserved`` names (lower case, mapped to what to do instead): a parameter the request sets
    itself, or whose meaning dicomkit's reading of the answer depends on, is never overridden
    by accident. Encoding is :func:`encode_query`'s job, so no value can add a parameter."""
    pairs: list[tuple[str, str]] = []
    items = params.items() if isinstance(params, Mapping) else (params or ())
    for name, value in items:
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgumentError(f"query parameter name {_preview(name)} is not a name")
        if name.lower() in reserved:
            raise InvalidArgumentError(f"{name!r} {reserved[name.lower()]}")
        if isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif isinstance(value, str | int | float):
            pairs.append((name, str(value)))
        elif isinstance(value, list | tuple) and value:
            pairs.append((name, ValueList(str(v) for v in value)))
        else:
            raise InvalidArgumentError(f"query parameter {name!r} cannot be {_preview(value)}")
    return pairs


def build_query(
    search_filters: Mapping[str | int, Any] | Mapping[str, Any] | None = None,
    *,
    fuzzymatching: bool | None = None,
    limit: int | None = None,
    offset: int | None = None,
    fields: str | Iterable[str | int] | None = None,
    emptyvaluematching: bool | None = None,
    multiplevaluematching: bool | None = None,
    extra_params: ExtraParams = None,
) -> list[tuple[str, str]]:
    """QIDO-RS query parameters as ordered ``(name, value)`` pairs (not yet percent-encoded).

    ``search_filters`` maps keywords or tags to values: strings (wildcards ``*`` and ``?`` pass
    through), numbers, ``date``/``time``/``datetime`` objects or ISO 8601 or DICOM text for DA,
    TM and DT attributes (anything else is refused), lists or sets (several values: a
    :class:`ValueList`; a comma in a string does the same for VRs that cannot hold one, such as
    UI and CS), or ``(start, end)`` tuples for ranges where ``None`` leaves an end open.
    ``""`` asks for universal matching, which PS3.18 8.3.4.3 spells ``includefield=``: it is
    sent so. A ``None`` value is skipped. One attribute given twice (as keyword and as tag) is
    sent once when both values agree, and refused otherwise. ``fields`` adds one
    ``includefield`` per attribute, or ``includefield=all``; ``extra_params`` are a vendor's own
    parameters (``includedefaults``, ``orderby`` ...), appended as given.
    """
    pairs: list[tuple[str, str]] = []
    seen: dict[str, tuple[str, str]] = {}
    universal: list[str] = []
    for key, value in (search_filters or {}).items():
        if value is None:
            continue
        attribute = normalize_attribute(key)
        text = "" if value == "" else _format_value(attribute, value)
        same = _tag_path(attribute)
        if same in seen:
            if seen[same][1] != text:
                raise InvalidArgumentError(
                    f"{seen[same][0]} and {attribute} are the same attribute with different "
                    "values; give it once"
                )
            continue
        seen[same] = (attribute, text)
        if text == "":
            universal.append(attribute)
        else:
            pairs.append((attribute, text))
    included: list[str] = []
    names = [fields] if isinstance(fields, str | int) else list(fields or ())
    if any(isinstance(n, str) and n.lower() == "all" for n in names):
        included = ["all"]
    else:
        for attribute in [*universal, *(normalize_attribute(n) for n in names)]:
            if _tag_path(attribute) not in {_tag_path(a) for a in included}:
                included.append(attribute)
    pairs.extend(("includefield", name) for name in included)
    pairs += _flag("fuzzymatching", fuzzymatching)
    pairs += _flag("emptyvaluematching", emptyvaluematching)
    pairs += _flag("multiplevaluematching", multiplevaluematching)
    for name, number, minimum in (("limit", limit, 1), ("offset", offset, 0)):
        check_count(name, number, minimum=minimum)
        if number is not None:
            pairs.append((name, str(number)))
    pairs += extra_pairs(extra_params)
    return pairs


def check_count(name: str, value: object, *, minimum: int, required: bool = False) -> None:
    """Refuse a count (``limit``, ``offset``, a byte position, a batch size, a concurrency)
    that is not an integer >= ``minimum``, before it is compared or sent; None (not given)
    passes unless ``required``.

    Every path that takes one (a search, a paged search, Azure's change feed and tag listings,
    a bulk data range, STOW batching, frame batching, a dialect's sizes) asks this function,
    so the same mistake gets the same InvalidArgumentError with the same words wherever it is
    made. ``bool`` is refused too: ``limit=True`` is a mistake, not the number one.
    ``required`` is for a count that has a default rather than "no limit": there None is a
    mistake like any other wrong value, and is worded the same way.
    """
    if value is None and not required:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgumentError(f"{name} must be an integer >= {minimum}, not {_preview(value)}")


def encode_query(pairs: Iterable[tuple[str, str]], *, raw: str = "") -> str:
    """``name=value&...`` with names and values percent-encoded; no leading ``?``.

    Each value keeps unreserved characters and :data:`QUERY_SAFE`; a :class:`ValueList`'s
    values are encoded one by one and joined with raw commas. ``raw`` adds characters to keep
    as they are (a server dialect's ``query_raw``, such as Orthanc's ``^,``).
    """
    safe = QUERY_SAFE + raw

    def value_text(value: str) -> str:
        if isinstance(value, ValueList):
            return ",".join(percent_encode(v, safe) for v in value.values)
        return percent_encode(str(value), safe)

    return "&".join(f"{percent_encode(str(k), safe)}={value_text(v)}" for k, v in pairs)
