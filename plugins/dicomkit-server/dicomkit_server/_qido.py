"""QIDO-RS: turn a query string into filters, match them against indexed instances, and shape
the study, series or instance results (PS3.18 section 10.6)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from pydicom.datadict import dictionary_VR, tag_for_keyword

from dicomkit.core.numbers import parse_decimal
from dicomkit_server._store import InstanceRecord, linked

__all__ = ["Level", "Query", "QueryError", "parse_query", "search", "split_query"]

Level = str  # "studies" | "series" | "instances"

_STUDY_DEFAULTS = [
    "00080005",
    "00080020",
    "00080030",
    "00080050",
    "00080056",
    "00080061",
    "00080090",
    "00080201",
    "00081190",
    "00100010",
    "00100020",
    "00100030",
    "00100040",
    "0020000D",
    "00200010",
    "00201206",
    "00201208",
]
_SERIES_DEFAULTS = [
    "00080005",
    "00080056",
    "00080060",
    "00080201",
    "0008103E",
    "00081190",
    "0020000E",
    "00200011",
    "00201209",
    "00400244",
    "00400245",
    "00400275",
]
_INSTANCE_DEFAULTS = [
    "00080005",
    "00080016",
    "00080018",
    "00080056",
    "00080201",
    "00081190",
    "00200013",
    "00280008",
    "00280010",
    "00280011",
    "00280100",
]
_SERIES_ONLY = {"0020000E", "00200011", "00080060", "0008103E", "00201209"}
_INSTANCE_ONLY = {"00080016", "00080018", "00200013"}
_MODALITIES_IN_STUDY = "00080061"
_RANGE_VRS = {"DA", "TM", "DT"}
_NUMERIC_VRS = {"IS", "DS", "US", "SS", "UL", "SL", "UV", "SV", "FL", "FD"}
_FLAGS = ("fuzzymatching", "emptyvaluematching", "multiplevaluematching")


class QueryError(ValueError):
    """The query string cannot be understood (HTTP 400)."""


@dataclass
class Query:
    """A parsed QIDO query: attribute filters plus the result controls."""

    filters: dict[str, list[str]] = field(default_factory=dict)
    """Tag -> the values asked for (several: any of them matches, PS3.18 8.3.4.1)."""
    include: set[str] = field(default_factory=set)
    include_all: bool = False
    fuzzy: bool = False
    empty: bool = False
    """``emptyvaluematching=true``: an instance whose attribute is empty or absent matches too."""
    limit: int | None = None
    offset: int = 0
    ignored: list[str] = field(default_factory=list)
    """Parameters this server does not know (a vendor's own), ignored with a Warning."""


def _tag_of(key: str) -> str:
    """Normalise a keyword or 8-hex-digit tag to upper-case hex; QueryError if unknown."""
    if re.fullmatch(r"[0-9A-Fa-f]{8}", key):
        return key.upper()
    tag = tag_for_keyword(key)
    if tag is None:
        raise QueryError(f"unknown attribute {key!r}")
    return f"{tag:08X}"


def _vr_of(tag: str) -> str:
    try:
        return str(dictionary_VR(int(tag, 16)))
    except KeyError:
        return "UN"


def _non_negative(name: str, value: str) -> int:
    number = parse_decimal(value)
    if number is None:
        raise QueryError(f"{name} must be a non-negative integer, got {value!r}")
    return number


def parse_query(pairs: Iterable[tuple[str, str | list[str]]]) -> Query:
    """Parse ``(name, values)`` pairs; repeated includefield values accumulate.

    A value is a list when the caller split it on the raw commas of the query string (the list
    separator, PS3.18 8.3.4.1), or one string. The same attribute twice (as keyword and tag) is
    a 400, as on Microsoft's service; a lower-case name that is no attribute is a vendor's
    parameter: ignored, and named in a Warning.
    """
    query = Query()
    for name, raw in pairs:
        values = raw if isinstance(raw, list) else [raw]
        lowered = name.lower()
        if lowered == "includefield":
            for item in ",".join(values).split(","):
                item = item.strip()
                if item == "all":
                    query.include_all = True
                elif item:
                    query.include.add(_tag_of(item))
        elif lowered in _FLAGS:
            value = ",".join(values).lower()
            if value not in ("true", "false"):
                raise QueryError(f"{lowered} must be true or false")
            if lowered == "fuzzymatching":
                query.fuzzy = value == "true"
            elif lowered == "emptyvaluematching":
                query.empty = value == "true"
        elif lowered == "limit":
            query.limit = _non_negative("limit", ",".join(values))
        elif lowered == "offset":
            query.offset = _non_negative("offset", ",".join(values))
        elif name.islower() and not re.fullmatch(r"[0-9a-f]{8}", name) and "." not in name:
            query.ignored.append(name)
        else:
            if "." in name:
                raise QueryError(f"sequence matching is not supported: {name!r}")
            tag = _tag_of(name)
            if tag in query.filters:
                raise QueryError(f"attribute {name!r} is given twice")
            query.filters[tag] = values
    return query


def split_query(query_string: str) -> list[tuple[str, list[str]]]:
    """The raw query string as ``(name, values)``: each value split on raw commas *before*
    percent-decoding, so a ``%2C`` stays inside its value (PS3.18 8.3.4.1)."""
    pairs: list[tuple[str, list[str]]] = []
    for piece in query_string.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((unquote_plus(name), [unquote_plus(v) for v in value.split(",")]))
    return pairs


def _values(element: Mapping[str, Any] | None) -> list[Any]:
    if not element:
        return []
    values = element.get("Value") or []
    return list(values)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("Alphabetic", ""))
    return str(value)


def _wildcard(pattern: str, value: str, *, ignore_case: bool) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if "*" in pattern or "?" in pattern:
        regex = fnmatch.translate(pattern.replace("[", "[[]"))
        return re.match(regex, value, re.DOTALL) is not None
    return pattern == value


def _normalise_time(value: str, vr: str) -> str:
    digits = value.replace(":", "").replace("-", "") if vr == "DA" else value.replace(":", "")
    if vr == "TM":
        whole, _, fraction = digits.partition(".")
        return whole.ljust(6, "0") + "." + fraction.ljust(6, "0")
    return digits


def _in_range(pattern: str, value: str, vr: str) -> bool:
    low, _, high = pattern.partition("-")
    normal = _normalise_time(value, vr)
    if low and normal < _normalise_time(low, vr):
        return False
    if vr == "TM" and high:
        return normal <= _normalise_time(high, vr)
    return not high or normal[: len(_normalise_time(high, vr))] <= _normalise_time(high, vr)


def _fuzzy_name(pattern: str, value: str) -> bool:
    """Each query word must start some word of the name, ignoring case (Microsoft's behaviour)."""
    words = [w for w in re.split(r"[\^\s=]+", value.lower()) if w]
    wanted = [w.strip("*") for w in re.split(r"[\^\s]+", pattern.lower()) if w.strip("*")]
    return all(any(word.startswith(want) for word in words) for want in wanted)


def _matches(patterns: list[str], element: Mapping[str, Any] | None, vr: str, query: Query) -> bool:
    """Whether any of ``patterns`` matches the element (universal matching for ``""``)."""
    if patterns == [""]:
        return True
    values = _values(element)
    if not values:
        return query.empty
    vr = str(element.get("vr", vr)) if element else vr
    if vr == "UI":
        wanted = {uid for pattern in patterns for uid in re.split(r"[,\\]", pattern)}
        return any(str(v) in wanted for v in values)
    return any(_matches_one(pattern, values, vr, query.fuzzy) for pattern in patterns)


def _matches_one(pattern: str, values: list[Any], vr: str, fuzzy: bool) -> bool:
    if vr in _RANGE_VRS and "-" in pattern and not (vr == "DT" and pattern.count("-") > 1):
        return any(_in_range(pattern, str(v), vr) for v in values)
    if vr in _NUMERIC_VRS:
        try:
            target = float(pattern)
        except ValueError:
            return False
        return any(float(v) == target for v in values)
    if vr == "PN":
        if fuzzy:
            return any(_fuzzy_name(pattern, _text(v)) for v in values)
        return any(_wildcard(pattern, _text(v), ignore_case=True) for v in values)
    return any(_wildcard(pattern, _text(v), ignore_case=False) for v in values)


@dataclass
class _Group:
    records: list[InstanceRecord]

    @property
    def first(self) -> InstanceRecord:
        return self.records[0]


def _group(records: list[InstanceRecord], level: Level) -> list[_Group]:
    groups: dict[tuple[str, ...], _Group] = {}
    for record in records:
        if level == "studies":
            key: tuple[str, ...] = (record.study,)
        elif level == "series":
            key = (record.study, record.series)
        else:
            key = (record.sop,)
        groups.setdefault(key, _Group([])).records.append(record)
    return list(groups.values())


def _modalities(records: Iterable[InstanceRecord]) -> list[str]:
    found: list[str] = []
    for record in records:
        for value in _values(record.metadata.get("00080060")):
            if str(value) not in found:
                found.append(str(value))
    return found


def _group_matches(group: _Group, level: Level, query: Query, study_modalities: list[str]) -> bool:
    filters = dict(query.filters)
    modality_filter = filters.pop(_MODALITIES_IN_STUDY, None) if level == "studies" else None
    if modality_filter is not None:
        wanted = {m for v in modality_filter for m in re.split(r"[,\\]", v) if m}
        if wanted and not wanted.intersection(study_modalities):
            return False
    return any(
        all(
            _matches(patterns, record.metadata.get(tag), _vr_of(tag), query)
            for tag, patterns in filters.items()
        )
        for record in group.records
    )


def _result_tags(level: Level, query: Query, scoped: set[str]) -> list[str]:
    tags = list(_STUDY_DEFAULTS) if level == "studies" else []
    if level == "series":
        tags = _SERIES_DEFAULTS + ([] if "study" in scoped else _STUDY_DEFAULTS)
    if level == "instances":
        tags = list(_INSTANCE_DEFAULTS)
        if "series" not in scoped:
            tags += _SERIES_DEFAULTS
        if "study" not in scoped:
            tags += _STUDY_DEFAULTS
    return [*tags, *query.filters, *query.include]


def _level_excludes(level: Level) -> set[str]:
    if level == "studies":
        return _SERIES_ONLY | _INSTANCE_ONLY
    if level == "series":
        return set(_INSTANCE_ONLY)
    return set()


def _shape(
    group: _Group,
    level: Level,
    query: Query,
    scoped: set[str],
    base_url: str,
    study_modalities: list[str],
) -> dict[str, Any]:
    record = group.first
    source = record.metadata
    excludes = _level_excludes(level)
    wanted = set(_result_tags(level, query, scoped))
    if query.include_all:
        wanted |= {
            tag
            for tag, element in source.items()
            if "BulkDataURI" not in element
            and "InlineBinary" not in element
            and (level == "instances" or not tag.startswith("0028"))
        }
        wanted -= excludes
    instance = f"{base_url}/studies/{record.study}/series/{record.series}/instances/{record.sop}"
    result: dict[str, Any] = {
        tag: linked(source[tag], instance)
        for tag in wanted
        if tag in source and tag not in excludes
    }
    if level == "studies":
        retrieve = f"{base_url}/studies/{record.study}"
        result["00080061"] = {"vr": "CS", "Value": study_modalities}
        result["00201206"] = {"vr": "IS", "Value": [len({r.series for r in group.records})]}
        result["00201208"] = {"vr": "IS", "Value": [len(group.records)]}
    elif level == "series":
        retrieve = f"{base_url}/studies/{record.study}/series/{record.series}"
        result["00201209"] = {"vr": "IS", "Value": [len(group.records)]}
    else:
        retrieve = instance
        for tag in ("00280010", "00280011", "00280100", "00280008"):
            if tag in source and tag in wanted:
                result[tag] = source[tag]
    if level != "studies" and _MODALITIES_IN_STUDY in wanted:
        result[_MODALITIES_IN_STUDY] = {"vr": "CS", "Value": study_modalities}
    result["00080056"] = {"vr": "CS", "Value": ["ONLINE"]}
    result["00081190"] = {"vr": "UR", "Value": [retrieve]}
    return dict(sorted(result.items()))


def search(
    records: list[InstanceRecord],
    level: Level,
    query: Query,
    *,
    base_url: str,
    scoped: set[str],
) -> list[dict[str, Any]]:
    """Results for ``level`` over ``records`` (already narrowed by the UIDs in the path).

    ``scoped`` names the levels fixed by the path ("study", "series"): their attributes are
    not repeated in each result.
    """
    by_study: dict[str, list[InstanceRecord]] = {}
    for record in records:
        by_study.setdefault(record.study, []).append(record)
    modalities = {study: _modalities(members) for study, members in by_study.items()}
    enough = None if query.limit is None else query.offset + query.limit
    matched: list[_Group] = []
    for group in _group(records, level):
        if _group_matches(group, level, query, modalities[group.first.study]):
            matched.append(group)
            if enough is not None and len(matched) >= enough:
                break
    window = matched[query.offset :]
    if query.limit is not None:
        window = window[: query.limit]
    return [
        _shape(group, level, query, scoped, base_url, modalities[group.first.study])
        for group in window
    ]
