"""The Azure DICOM service's own APIs as exchanges: change feed, extended query tags,
operations, bulk update and export (Microsoft's API docs, v1 and v2).

:class:`AzureExchanges` builds each request from the client's :class:`Operations` (its default
headers and timeout) and pairs it with the reader of its answer; the clients' ``azure``
objects only run them. Global resources (change feed, extended query tags, operations) live
under the base URL and API version; bulk update and export under the partition too.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from dicomkit.core._attributes import lookup
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import Request
from dicomkit.core.operations.azure import (
    ChangeFeedEntry,
    ExtendedQueryTag,
    ExtendedQueryTagError,
    OperationReference,
    OperationState,
    QueryTagSpec,
    entries,
    format_time,
    json_list,
    load_json,
    query_tag_path,
)
from dicomkit.core.operations.builder import Operations, check_count
from dicomkit.core.operations.exchange import BodyExchange, DeleteExchange
from dicomkit.core.query import encode_query, percent_encode
from dicomkit.core.uids import validate_uid

__all__ = ["AzureExchanges", "AzureJsonExchange", "TimeInput", "api_version_number"]

_T = TypeVar("_T")
_JSON = "application/json"
_UID_LEVELS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
_QUERY_STATUSES = ("Enabled", "Disabled")
TimeInput = datetime.datetime | datetime.date | str | None
"""A ``datetime``, a ``date`` or ISO 8601 text (see :func:`format_time`), or None."""


def api_version_number(api_version: str) -> int | None:
    """``2`` for ``"/v2"`` or ``"v2.0-prerelease"``; None when it names no version."""
    match = re.match(r"/?v(\d+)(?:[.-]|\Z)", api_version or "")
    return int(match.group(1)) if match else None


class AzureJsonExchange(BodyExchange[_T]):
    """A JSON answer read whole and made into ``parse(document)``; an empty body or a 204 is
    ``null`` (the change feed's latest entry of an empty feed)."""

    def __init__(self, request: Request, parse: Callable[[Any], _T], what: str) -> None:
        super().__init__(request)
        self._parse = parse
        self._what = what

    def result(self) -> _T:
        document = None if self.status == 204 else load_json(self.body, self._what)
        return self._parse(document)


def _change_dataset(changes: Mapping[str | int, Any]) -> dict[str, Any]:
    """DICOM JSON of the attributes to set: a value that already is DICOM JSON (has ``vr``)
    is kept, a plain one is given its VR from the dictionary (names as ``{"Alphabetic"}``)."""
    document: dict[str, Any] = {}
    for name, value in changes.items():
        tag = query_tag_path(name)
        if isinstance(value, Mapping) and "vr" in value:
            document[tag] = dict(value)
            continue
        found = lookup(int(tag, 16))
        if found is None:
            raise InvalidArgumentError(f"give {name!r} as DICOM JSON: its VR is not known")
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        element: dict[str, Any] = {"vr": found[1]}
        if values and values != [None] and values != [""]:
            if found[1] == "PN":  # None stays an empty value, not the name "None"
                values = [_person_name(v) for v in values]
            element["Value"] = values
        document[tag] = element
    if not document:
        raise InvalidArgumentError("a bulk update needs at least one attribute to change")
    return document


def _person_name(value: Any) -> Any:
    return value if value is None or isinstance(value, Mapping) else {"Alphabetic": str(value)}


def _identifier(value: str | Sequence[str]) -> str:
    """``study``, ``study/series`` or ``study/series/instance``, each UID checked."""
    parts = value.split("/") if isinstance(value, str) else list(value)
    if not 1 <= len(parts) <= 3:
        raise InvalidArgumentError(f"{value!r} is not a study, series or instance to export")
    return "/".join(validate_uid(uid, name) for uid, name in zip(parts, _UID_LEVELS, strict=False))


class AzureExchanges:
    """Builds the exchange of every Azure-specific operation for one server; sends nothing."""

    def __init__(self, operations: Operations) -> None:
        self.operations = operations
        urls = operations.urls
        self.global_root = urls.base_url + urls.api_version
        self.root = urls.root
        self.version = api_version_number(urls.api_version) or api_version_number(
            urls.base_url.rpartition("/")[2]
        )
        """The API version, from ``api_version`` or else the base URL's last segment."""

    def _json(
        self,
        method: str,
        url: str,
        parse: Callable[[Any], _T],
        what: str,
        body: Any = None,
    ) -> AzureJsonExchange[_T]:
        headers = {} if body is None else {"Content-Type": _JSON}
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        request = self.operations.request(method, url, accept=_JSON, headers=headers, body=data)
        return AzureJsonExchange(request, parse, what)

    # -- change feed ---------------------------------------------------------------------------

    def change_feed(
        self,
        offset: int | None = None,
        limit: int | None = None,
        *,
        start_time: TimeInput = None,
        end_time: TimeInput = None,
        include_metadata: bool | None = None,
    ) -> AzureJsonExchange[list[ChangeFeedEntry]]:
        """A page of the change feed. In v1 ``offset`` is the sequence number to read after;
        from v2 it counts entries skipped in the ``[start_time, end_time)`` window."""
        check_count("offset", offset, minimum=0)
        check_count("limit", limit, minimum=1)
        if (start_time is not None or end_time is not None) and self.version == 1:
            raise InvalidArgumentError(
                "a change feed time window needs API version v2 or later (api_version='v2')"
            )
        pairs = [
            ("startTime", None if start_time is None else format_time(start_time)),
            ("endTime", None if end_time is None else format_time(end_time)),
            ("offset", None if offset is None else str(offset)),
            ("limit", None if limit is None else str(limit)),
            (
                "includeMetadata",
                None if include_metadata is None else str(include_metadata).lower(),
            ),
        ]
        query = encode_query([(name, value) for name, value in pairs if value is not None])
        url = self.global_root + "/changefeed" + (f"?{query}" if query else "")
        return self._json(
            "GET", url, lambda doc: entries(json_list(doc, "change feed")), "change feed"
        )

    def change_feed_latest(
        self, include_metadata: bool | None = None
    ) -> AzureJsonExchange[ChangeFeedEntry | None]:
        """The newest entry of the change feed; None when the feed is empty."""
        query = (
            "" if include_metadata is None else f"?includeMetadata={str(include_metadata).lower()}"
        )
        return self._json(
            "GET",
            self.global_root + "/changefeed/latest" + query,
            lambda doc: None if not doc else ChangeFeedEntry.from_json(doc),
            "latest change feed entry",
        )

    # -- extended query tags -------------------------------------------------------------------

    def _tag_url(self, path: str | int, tail: str = "") -> str:
        return f"{self.global_root}/extendedquerytags/{percent_encode(query_tag_path(path))}{tail}"

    def add_query_tags(
        self, tags: Iterable[QueryTagSpec | Mapping[str, Any] | str | int]
    ) -> AzureJsonExchange[OperationReference]:
        """Add extended query tags; the answer names the reindex operation (202)."""
        body = [QueryTagSpec.coerce(tag).to_json() for tag in tags]
        if not body:
            raise InvalidArgumentError("add at least one extended query tag")
        url = self.global_root + "/extendedquerytags"
        return self._json("POST", url, OperationReference.from_json, "add tags", body)

    def list_query_tags(
        self, limit: int | None = None, offset: int | None = None
    ) -> AzureJsonExchange[list[ExtendedQueryTag]]:
        """The extended query tags, a page of them with ``limit`` and ``offset``."""
        url = self.global_root + "/extendedquerytags" + _paging(limit, offset)
        return self._json(
            "GET",
            url,
            lambda doc: [ExtendedQueryTag.from_json(t) for t in json_list(doc, "tags")],
            "extended query tags",
        )

    def get_query_tag(self, path: str | int) -> AzureJsonExchange[ExtendedQueryTag]:
        """One extended query tag (404 when there is none at ``path``)."""
        return self._json("GET", self._tag_url(path), ExtendedQueryTag.from_json, "tag")

    def update_query_tag(
        self, path: str | int, query_status: str
    ) -> AzureJsonExchange[ExtendedQueryTag]:
        """Enable or disable searching on a tag (``PATCH``); the answer is the tag."""
        status = str(query_status).capitalize()
        if status not in _QUERY_STATUSES:
            raise InvalidArgumentError(f"query_status is one of {_QUERY_STATUSES}, not {status!r}")
        return self._json(
            "PATCH", self._tag_url(path), ExtendedQueryTag.from_json, "tag", {"queryStatus": status}
        )

    def delete_query_tag(self, path: str | int) -> DeleteExchange:
        """Remove an extended query tag and its index."""
        return DeleteExchange(self.operations.request("DELETE", self._tag_url(path)))

    def query_tag_errors(
        self, path: str | int, limit: int | None = None, offset: int | None = None
    ) -> AzureJsonExchange[list[ExtendedQueryTagError]]:
        """The instances whose value did not fit the tag."""
        url = self._tag_url(path, "/errors") + _paging(limit, offset)
        return self._json(
            "GET",
            url,
            lambda doc: [ExtendedQueryTagError.from_json(e) for e in json_list(doc, "errors")],
            "tag errors",
        )

    # -- operations ----------------------------------------------------------------------------

    def operation(self, operation: str | OperationReference) -> AzureJsonExchange[OperationState]:
        """Where an operation stands (200 when done, 202 while it runs)."""
        identifier = operation.id if isinstance(operation, OperationReference) else operation
        if not isinstance(identifier, str) or not re.fullmatch(r"[A-Za-z0-9-]+", identifier):
            raise InvalidArgumentError(f"{identifier!r} is not an operation id")
        url = f"{self.global_root}/operations/{identifier}"
        return self._json("GET", url, OperationState.from_json, "operation status")

    # -- bulk update and export ----------------------------------------------------------------

    def bulk_update(
        self, studies: Iterable[str], changes: Mapping[str | int, Any]
    ) -> AzureJsonExchange[OperationReference]:
        """Change patient or study attributes of whole studies (v2: ``studies/$bulkupdate``)."""
        uids = [validate_uid(uid, "StudyInstanceUID") for uid in _strings(studies, "studies")]
        body = {"studyInstanceUids": uids, "changeDataset": _change_dataset(changes)}
        url = self.root + "/studies/$bulkupdate"
        return self._json("POST", url, OperationReference.from_json, "bulk update", body)

    def export(
        self, identifiers: Iterable[str | Sequence[str]], destination: Mapping[str, Any]
    ) -> AzureJsonExchange[OperationReference]:
        """Copy studies, series or instances to a blob container (v2: ``POST /export``);
        ``destination`` holds the ``azureblob`` settings (``blobContainerUri`` ...)."""
        values = [_identifier(item) for item in identifiers]
        if not values:
            raise InvalidArgumentError("export at least one study, series or instance")
        body = {
            "source": {"type": "identifiers", "settings": {"values": values}},
            "destination": {"type": "azureblob", "settings": dict(destination)},
        }
        return self._json(
            "POST", self.root + "/export", OperationReference.from_json, "export", body
        )


def _paging(limit: int | None, offset: int | None) -> str:
    check_count("limit", limit, minimum=1)
    check_count("offset", offset, minimum=0)
    pairs = [(k, str(v)) for k, v in (("limit", limit), ("offset", offset)) if v is not None]
    return f"?{encode_query(pairs)}" if pairs else ""


def _strings(values: Iterable[str], what: str) -> list[str]:
    items = [values] if isinstance(values, str) else list(values)
    if not items:
        raise InvalidArgumentError(f"{what}: give at least one")
    return items
