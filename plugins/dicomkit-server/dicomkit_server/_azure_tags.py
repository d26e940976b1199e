"""Extended query tags of the reference server: which tags exist, the values they index, the
instances whose value does not fit, and the view of the store a QIDO search matches against.

A tag indexes an instance when the instance is stored after the tag was added, or when the
tag's reindex operation reaches it. Only indexed values are searched: an instance stored
before the tag whose reindex has not run, or whose value did not fit, is not found by it, as
on Microsoft's service. Searching on a private tag needs an extended query tag.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Mapping
from typing import Any

from pydicom.datadict import dictionary_VR, tag_for_keyword

from dicomkit_server._qido import Query
from dicomkit_server._store import InstanceRecord

__all__ = ["QueryTag", "TagError", "TagRegistry", "now_text"]

SUPPORTED_VRS = frozenset(
    [
        "AE",
        "AS",
        "CS",
        "DA",
        "DS",
        "DT",
        "FD",
        "FL",
        "IS",
        "LO",
        "PN",
        "SH",
        "SL",
        "SS",
        "TM",
        "UI",
        "UL",
        "US",
    ]
)
_LEVELS = ("Study", "Series", "Instance")
_MAX_LENGTH = {"AE": 16, "AS": 4, "CS": 16, "DS": 16, "IS": 12, "LO": 64, "PN": 64, "SH": 16}
_FORMS = {"DA": re.compile(r"\d{8}\Z"), "TM": re.compile(r"\d{2,6}(\.\d{1,6})?\Z")}
_ALREADY_SEARCHABLE = frozenset(
    {
        "00080020", "00080030", "00080050", "00080060", "00080061", "00080090", "00080016",
        "00080018", "0008103E", "00100010", "00100020", "0020000D", "0020000E", "00200011",
        "00200013", "00400244", "00400245", "00081030", "00100030", "00080080",
    }
)  # fmt: skip


class TagRequestError(ValueError):
    """A tag that cannot be added or changed: (status, message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def now_text() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


@dataclasses.dataclass
class TagError:
    partition: str
    study: str
    series: str
    sop: str
    created: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "studyInstanceUid": self.study,
            "seriesInstanceUid": self.series,
            "sopInstanceUid": self.sop,
            "createdTime": self.created,
            "errorMessage": self.message,
        }


@dataclasses.dataclass
class QueryTag:
    path: str
    vr: str
    level: str
    private_creator: str | None = None
    status: str = "Adding"
    query_status: str = "Enabled"
    operation: str | None = None
    values: dict[tuple[str, str], dict[str, Any]] = dataclasses.field(default_factory=dict)
    """(partition, sop) -> the indexed DICOM JSON element."""
    errors: list[TagError] = dataclasses.field(default_factory=list)

    def to_json(self, root: str) -> dict[str, Any]:
        document: dict[str, Any] = {
            "path": self.path,
            "vr": self.vr,
            "level": self.level,
            "status": self.status,
            "queryStatus": self.query_status,
            "errors": {
                "count": len(self.errors),
                "href": f"{root}/extendedquerytags/{self.path}/errors",
            },
        }
        if self.private_creator:
            document["privateCreator"] = self.private_creator
        if self.operation and self.status == "Adding":
            document["operation"] = {
                "id": self.operation,
                "href": f"{root}/operations/{self.operation}",
            }
        return document

    def index(self, record: InstanceRecord) -> None:
        """Index one instance's value, or record why it does not fit; no value, no entry."""
        key = (record.partition, record.sop)
        self.values.pop(key, None)
        self.errors = [e for e in self.errors if (e.partition, e.sop) != key]
        element = record.metadata.get(self.path)
        if not element or not element.get("Value"):
            return
        problem = _misfit(element, self.vr)
        if problem is None:
            self.values[key] = element
            return
        self.errors.append(
            TagError(record.partition, record.study, record.series, record.sop, now_text(), problem)
        )


def _misfit(element: Mapping[str, Any], vr: str) -> str | None:
    """Why a DICOM JSON element cannot be indexed under ``vr``; None when it can."""
    values = element.get("Value") or []
    found = str(element.get("vr", vr))
    if found not in (vr, "UN"):
        return f"the value's VR {found} does not match the tag's VR {vr}"
    if len(values) > 1:
        return f"the element has {len(values)} values and an extended query tag takes one"
    value = values[0]
    text = value.get("Alphabetic", "") if isinstance(value, Mapping) else str(value)
    limit = _MAX_LENGTH.get(vr)
    if limit is not None and len(text) > limit:
        return f"the value is {len(text)} characters long, more than {vr} allows ({limit})"
    form = _FORMS.get(vr)
    if form is not None and not form.match(text):
        return f"{text!r} is not a valid {vr} value"
    if vr in ("IS", "SL", "SS", "UL", "US") and not re.fullmatch(r"[+-]?\d+", text.strip()):
        return f"{text!r} is not a valid {vr} value"
    return None


def _path(value: Any) -> str:
    text = str(value or "").strip()
    if re.fullmatch(r"[0-9A-Fa-f]{8}", text):
        return text.upper()
    tag = tag_for_keyword(text) if text else None
    if tag is None:
        raise TagRequestError(400, f"{value!r} is not a tag path or a DICOM keyword")
    return f"{tag:08X}"


def new_tag(entry: Any) -> QueryTag:
    """A tag to add, checked as the service checks it (400 with the reason)."""
    if not isinstance(entry, Mapping):
        raise TagRequestError(400, "each extended query tag is a JSON object")
    fields = {str(k).lower(): v for k, v in entry.items()}
    path = _path(fields.get("path"))
    level = str(fields.get("level") or "").capitalize()
    if level not in _LEVELS:
        raise TagRequestError(400, f"level must be one of {_LEVELS}, not {fields.get('level')!r}")
    private = int(path[:4], 16) % 2 == 1
    creator = fields.get("privatecreator")
    vr = str(fields.get("vr") or "").upper()
    if private:
        if not vr or not creator:
            raise TagRequestError(400, f"private tag {path} needs its VR and private creator")
    else:
        if creator:
            raise TagRequestError(400, f"standard tag {path} takes no private creator")
        try:
            known = str(dictionary_VR(int(path, 16)))
        except KeyError:
            raise TagRequestError(400, f"{path} is not a tag of the DICOM dictionary") from None
        if vr and vr != known:
            raise TagRequestError(400, f"tag {path} has VR {known}, not {vr}")
        vr = known
        if path in _ALREADY_SEARCHABLE:
            raise TagRequestError(400, f"tag {path} is searchable already")
    if vr not in SUPPORTED_VRS:
        raise TagRequestError(400, f"VR {vr} of tag {path} cannot be indexed")
    return QueryTag(path, vr, level, str(creator) if creator else None)


class TagRegistry:
    """Every extended query tag of one server (they are global, not per partition)."""

    def __init__(self) -> None:
        self.tags: dict[str, QueryTag] = {}

    def add(self, document: Any) -> list[QueryTag]:
        if not isinstance(document, list) or not document:
            raise TagRequestError(400, "the body is a non-empty JSON array of tags")
        made = [new_tag(entry) for entry in document]
        paths = [tag.path for tag in made]
        if len(set(paths)) != len(paths):
            raise TagRequestError(400, "a tag is given twice")
        for tag in made:
            if tag.path in self.tags:
                raise TagRequestError(409, f"extended query tag {tag.path} exists already")
        for tag in made:
            self.tags[tag.path] = tag
        return made

    def find(self, path: str) -> QueryTag:
        tag = self.tags.get(_path(path))
        if tag is None:
            raise TagRequestError(404, f"no extended query tag {path}")
        return tag

    def index(self, record: InstanceRecord) -> None:
        for tag in self.tags.values():
            if tag.status != "Deleting":
                tag.index(record)

    def view(
        self, query: Query, records: list[InstanceRecord]
    ) -> tuple[list[InstanceRecord], list[str]]:
        """The records as a search on ``query`` sees them: each extended tag asked for holds
        its indexed value only. TagRequestError (400) for a private tag without an extended
        query tag, or one that is not ready or disabled; notes for tags with errors."""
        used: list[QueryTag] = []
        for path in list(query.filters) + sorted(query.include):
            tag = self.tags.get(path)
            if tag is None:
                if int(path[:4], 16) % 2 == 1 and path in query.filters:
                    raise TagRequestError(400, f"private tag {path} is no extended query tag")
                continue
            if path in query.filters and tag.status != "Ready":
                raise TagRequestError(400, f"extended query tag {path} is {tag.status}")
            if path in query.filters and tag.query_status != "Enabled":
                raise TagRequestError(400, f"extended query tag {path} is disabled for search")
            used.append(tag)
        if not used:
            return records, []
        notes = [
            f"extended query tag {tag.path} has {len(tag.errors)} errors: the results may be "
            "incomplete"
            for tag in used
            if tag.errors and tag.path in query.filters
        ]
        return [_seen_through(record, used) for record in records], notes


def _seen_through(record: InstanceRecord, tags: list[QueryTag]) -> InstanceRecord:
    metadata = dict(record.metadata)
    for tag in tags:
        value = tag.values.get((record.partition, record.sop))
        if value is None:
            metadata.pop(tag.path, None)
        else:
            metadata[tag.path] = value
    return dataclasses.replace(record, _metadata=metadata)
