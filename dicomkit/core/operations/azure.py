"""What the Azure DICOM service's own APIs answer, as plain objects: change feed entries,
extended query tags and their errors, long-running operations.

Microsoft documents these answers in PascalCase and sends camelCase; both are read (keys are
matched without regard to case), and a field the service adds later is ignored rather than
refused. Times become aware :class:`datetime.datetime` objects in UTC. The requests and the
exchanges that read these answers are in :mod:`dicomkit.core.operations.azure_exchanges`.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dicomkit.core._attributes import lookup
from dicomkit.core.errors import DicomJSONError, DicomkitError, InvalidArgumentError

__all__ = [
    "OPERATION_DONE",
    "ChangeFeedEntry",
    "ExtendedQueryTag",
    "ExtendedQueryTagError",
    "OperationFailedError",
    "OperationReference",
    "OperationState",
    "OperationTimeoutError",
    "QueryTagSpec",
    "entries",
    "format_time",
    "json_list",
    "load_json",
    "parse_time",
    "query_tag_path",
]

OPERATION_DONE = frozenset({"completed", "succeeded", "failed", "canceled", "cancelled"})
"""Operation statuses that will not change again (lower case)."""
_QUERY_TAG_LEVELS = ("Study", "Series", "Instance")
_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?\Z",
    re.IGNORECASE,
)
_HEX_TAG = re.compile(r"\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?\Z")


class OperationFailedError(DicomkitError):
    """A long-running operation ended as failed or canceled; ``state`` says how far it got."""

    def __init__(self, message: str, state: OperationState) -> None:
        super().__init__(message)
        self.state = state


class OperationTimeoutError(DicomkitError):
    """Waiting for an operation took longer than asked; it may still finish on the server."""

    def __init__(self, message: str, state: OperationState) -> None:
        super().__init__(message)
        self.state = state


def parse_time(value: Any) -> datetime.datetime | None:
    """An ISO 8601 time as the service writes it (``2023-05-01T10:00:00.1234567Z``), in UTC.

    A date alone is its midnight. The fraction may have any number of digits (.NET writes
    seven, Python reads six), a time without an offset is taken as UTC, and anything else is
    None rather than an error: a timestamp is information, never a reason to lose the entry.
    """
    if not isinstance(value, str):
        return None
    match = _TIME.match(value.strip())
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    fraction = ((fraction or "") + "000000")[:6]
    zone = "+00:00" if zone is None or zone.upper() == "Z" else zone
    if ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    clock = clock or "00:00:00"
    clock = clock if clock.count(":") == 2 else clock + ":00"
    try:
        parsed = datetime.datetime.fromisoformat(f"{day}T{clock}.{fraction}{zone}")
    except ValueError:
        return None
    return parsed.astimezone(datetime.timezone.utc)


def format_time(value: datetime.datetime | datetime.date | str) -> str:
    """A time for a query string (``startTime``, ``endTime``): ISO 8601 in UTC; a naive
    datetime is taken as UTC, a date as its midnight UTC, text is passed on as given."""
    if isinstance(value, str):
        if parse_time(value) is None:
            raise InvalidArgumentError(f"{value!r} is not an ISO 8601 time")
        return value
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
        return aware.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%dT00:00:00Z")
    raise InvalidArgumentError(f"a time is a datetime, a date or ISO 8601 text, not {value!r}")


def query_tag_path(path: str | int) -> str:
    """The path of an extended query tag as the service names it: eight upper-case hex digits
    (a keyword of the standard dictionary becomes its tag; ``(0009,1001)`` and ``0x00091001``
    work too)."""
    if isinstance(path, int) and not isinstance(path, bool):
        if not 0 <= path <= 0xFFFFFFFF:
            raise InvalidArgumentError(f"tag {path!r} is out of range")
        return f"{path:08X}"
    if not isinstance(path, str) or not path.strip():
        raise InvalidArgumentError(f"{path!r} is not a tag path or a keyword")
    text = path.strip()
    match = _HEX_TAG.match(text[2:] if text.lower().startswith("0x") else text)
    if match:
        return (match.group(1) + match.group(2)).upper()
    found = lookup(text)
    if found is None:
        raise InvalidArgumentError(f"{path!r} is neither a tag nor a DICOM keyword")
    return f"{found[0]:08X}"


def _fields(obj: Any, what: str) -> dict[str, Any]:
    """``obj``'s keys in lower case, so PascalCase and camelCase answers read alike."""
    if not isinstance(obj, Mapping):
        raise DicomJSONError(f"{what} must be a JSON object, not {type(obj).__name__}")
    return {str(key).lower(): value for key, value in obj.items()}


def _text(fields: Mapping[str, Any], key: str) -> str | None:
    value = fields.get(key)
    return None if value is None else str(value)


def _integer(fields: Mapping[str, Any], key: str, what: str) -> int:
    value = fields.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise DicomJSONError(f"{what} has no whole-number {key}: {value!r}")
    try:
        return int(value)
    except ValueError:
        raise DicomJSONError(f"{what} has no whole-number {key}: {value!r}") from None


def load_json(body: bytes, what: str) -> Any:
    """The JSON document of an answer; DicomJSONError naming ``what`` when it is not JSON."""
    try:
        return json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise DicomJSONError(f"the {what} answer is not JSON: {body[:80]!r}") from None


def json_list(document: Any, what: str) -> list[Any]:
    """A JSON array answer; ``null`` or an empty body is an empty list."""
    if document is None:
        return []
    if not isinstance(document, list):
        raise DicomJSONError(f"the {what} answer is not a JSON array")
    return document


@dataclass(frozen=True)
class ChangeFeedEntry:
    """One change: an instance created, updated or deleted, with the feed's sequence number."""

    sequence: int
    action: str
    """``"create"``, ``"update"`` or ``"delete"`` (lower case)."""
    state: str
    """The instance now: ``"current"``, ``"replaced"`` or ``"deleted"`` (lower case)."""
    timestamp: datetime.datetime | None
    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    partition_name: str | None = None
    metadata: dict[str, Any] | None = None
    """The instance's DICOM JSON when asked for and the instance still exists."""
    file_path: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> ChangeFeedEntry:
        fields = _fields(obj, "a change feed entry")
        metadata = fields.get("metadata")
        return cls(
            sequence=_integer(fields, "sequence", "a change feed entry"),
            action=(_text(fields, "action") or "").lower(),
            state=(_text(fields, "state") or "").lower(),
            timestamp=parse_time(fields.get("timestamp")),
            study_instance_uid=_text(fields, "studyinstanceuid") or "",
            series_instance_uid=_text(fields, "seriesinstanceuid") or "",
            sop_instance_uid=_text(fields, "sopinstanceuid") or "",
            partition_name=_text(fields, "partitionname"),
            metadata=metadata if isinstance(metadata, dict) else None,
            file_path=_text(fields, "filepath"),
        )


@dataclass(frozen=True)
class OperationReference:
    """Where a long-running operation the service started can be watched."""

    id: str
    href: str | None = None

    @classmethod
    def from_json(cls, obj: Any) -> OperationReference:
        fields = _fields(obj, "an operation reference")
        identifier = _text(fields, "id") or _text(fields, "operationid")
        if not identifier:
            raise DicomJSONError("an operation reference has no id")
        return cls(identifier, _text(fields, "href"))


@dataclass(frozen=True)
class OperationState:
    """Where a long-running operation stands (``GET /operations/{id}``)."""

    operation_id: str
    type: str
    """``"reindex"``, ``"update"``, ``"export"`` ... (lower case)."""
    status: str
    """``"notstarted"``, ``"running"``, ``"completed"``, ``"failed"`` or ``"canceled"``."""
    percent_complete: int | None = None
    created_time: datetime.datetime | None = None
    last_updated_time: datetime.datetime | None = None
    resources: tuple[str, ...] = ()
    results: dict[str, Any] = field(default_factory=dict)
    """What the operation reports (update: studyUpdated ...; export: exported, skipped)."""
    errors: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        """Whether the status is final."""
        return self.status in OPERATION_DONE

    @property
    def succeeded(self) -> bool:
        return self.status in ("completed", "succeeded")

    @classmethod
    def from_json(cls, obj: Any) -> OperationState:
        fields = _fields(obj, "an operation status")
        results = fields.get("results")
        errors = fields.get("errors")
        if isinstance(results, Mapping) and isinstance(results.get("errors"), list):
            errors = list(errors or []) + list(results["errors"])
        percent = fields.get("percentcomplete")
        return cls(
            operation_id=_text(fields, "operationid") or _text(fields, "id") or "",
            type=(_text(fields, "type") or "").lower(),
            status=(_text(fields, "status") or "").lower(),
            percent_complete=percent if isinstance(percent, int) else None,
            created_time=parse_time(fields.get("createdtime")),
            last_updated_time=parse_time(fields.get("lastupdatedtime")),
            resources=tuple(str(r) for r in fields.get("resources") or () if r),
            results=dict(results) if isinstance(results, Mapping) else {},
            errors=tuple(str(e) for e in (errors if isinstance(errors, list) else ())),
        )


@dataclass(frozen=True)
class QueryTagSpec:
    """An extended query tag to add: its path (tag or keyword), level and, for a private tag,
    its VR and private creator (a standard tag's VR comes from the dictionary if not given)."""

    path: str | int
    level: str = "Study"
    vr: str | None = None
    private_creator: str | None = None

    def to_json(self) -> dict[str, Any]:
        level = self.level.capitalize() if isinstance(self.level, str) else self.level
        if level not in _QUERY_TAG_LEVELS:
            raise InvalidArgumentError(f"level must be one of {_QUERY_TAG_LEVELS}, not {level!r}")
        document: dict[str, Any] = {"path": query_tag_path(self.path), "level": level}
        if self.vr is not None:
            document["vr"] = self.vr.upper()
        if self.private_creator is not None:
            document["privateCreator"] = self.private_creator
        return document

    @classmethod
    def coerce(cls, value: QueryTagSpec | Mapping[str, Any] | str | int) -> QueryTagSpec:
        """A spec from itself, a tag or keyword (study level), or a mapping of its fields."""
        if isinstance(value, QueryTagSpec):
            return value
        if isinstance(value, (str, int)):
            return cls(value)
        if isinstance(value, Mapping):
            fields = _fields(value, "an extended query tag")
            return cls(
                fields.get("path", ""),
                fields.get("level", "Study"),
                fields.get("vr"),
                fields.get("privatecreator", fields.get("private_creator")),
            )
        raise InvalidArgumentError(f"{value!r} is not an extended query tag to add")


@dataclass(frozen=True)
class ExtendedQueryTag:
    """An extended query tag as the service describes it."""

    path: str
    vr: str | None
    level: str
    status: str
    """``"Adding"``, ``"Ready"`` or ``"Deleting"``."""
    query_status: str
    """``"Enabled"`` or ``"Disabled"``: whether searches may use it."""
    private_creator: str | None = None
    error_count: int = 0
    errors_href: str | None = None
    operation: OperationReference | None = None
    """The reindex operation while the tag is being added."""

    @classmethod
    def from_json(cls, obj: Any) -> ExtendedQueryTag:
        fields = _fields(obj, "an extended query tag")
        errors = fields.get("errors")
        errors = _fields(errors, "its errors") if isinstance(errors, Mapping) else {}
        operation = fields.get("operation")
        count = errors.get("count")
        return cls(
            path=_text(fields, "path") or "",
            vr=_text(fields, "vr"),
            level=_text(fields, "level") or "",
            status=_text(fields, "status") or "",
            query_status=_text(fields, "querystatus") or "",
            private_creator=_text(fields, "privatecreator"),
            error_count=count if isinstance(count, int) else 0,
            errors_href=_text(errors, "href"),
            operation=None if operation is None else OperationReference.from_json(operation),
        )


@dataclass(frozen=True)
class ExtendedQueryTagError:
    """An instance whose value did not fit an extended query tag, so it is not indexed."""

    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    created_time: datetime.datetime | None
    error_message: str

    @classmethod
    def from_json(cls, obj: Any) -> ExtendedQueryTagError:
        fields = _fields(obj, "an extended query tag error")
        return cls(
            study_instance_uid=_text(fields, "studyinstanceuid") or "",
            series_instance_uid=_text(fields, "seriesinstanceuid") or "",
            sop_instance_uid=_text(fields, "sopinstanceuid") or "",
            created_time=parse_time(fields.get("createdtime")),
            error_message=_text(fields, "errormessage") or "",
        )


def entries(items: Iterable[Any]) -> list[ChangeFeedEntry]:
    """Change feed entries in sequence order, each once."""
    seen: dict[int, ChangeFeedEntry] = {}
    for item in items:
        entry = ChangeFeedEntry.from_json(item)
        seen.setdefault(entry.sequence, entry)
    return [seen[key] for key in sorted(seen)]
