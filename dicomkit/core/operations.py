"""Each DICOMweb operation as two pure steps: build its Request, interpret its Response.

The clients connect the two through a transport and nothing else: QIDO-RS searches, WADO-RS
retrievals (instances, metadata, frames, rendered, bulk data), DELETE, and the checks that turn
an error status into the right :class:`~dicomkit.core.errors.HTTPError`. STOW-RS bodies and
their batching live in :mod:`dicomkit.core.stow`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dicomkit.core import media, multipart
from dicomkit.core.dicomjson import loads_json_array
from dicomkit.core.errors import (
    DicomJSONError,
    HTTPError,
    InvalidArgumentError,
    MethodNotAllowedError,
    ProtocolError,
    error_for_status,
)
from dicomkit.core.interface import Body, Headers, HeadersInput, Request, Timeout
from dicomkit.core.uids import validate_uid
from dicomkit.core.urls import DicomWebURLs, Level, build_query, encode_query

__all__ = [
    "ERROR_BODY_LIMIT",
    "USER_AGENT",
    "apply_byte_range",
    "Operations",
    "PartAssembler",
    "PartEvents",
    "Pager",
    "error_from_response",
    "frame_list",
    "parse_json_array",
    "parse_json_object",
    "raise_for_status",
    "reasons_from_body",
]

ERROR_BODY_LIMIT = 64 * 1024
"""At most this many bytes of an error body are kept on the raised error."""

USER_AGENT = "dicomkit/0.1.0"
_DICOM_JSON = "application/dicom+json"
_LEVELS = ("studies", "series", "instances")


class Operations:
    """Builds every DICOMweb request for one server: URLs, headers, bodies, timeouts.

    Holds no connection and sends nothing. ``headers`` are added to every request (the
    client adds authentication on top, per attempt).
    """

    def __init__(
        self,
        urls: DicomWebURLs,
        *,
        timeout: Timeout | None = None,
        headers: HeadersInput = None,
    ) -> None:
        self.urls = urls
        self.timeout = timeout or Timeout()
        self.headers = Headers(headers)
        if "user-agent" not in self.headers:
            self.headers.set("User-Agent", USER_AGENT)

    def request(
        self,
        method: str,
        url: str,
        *,
        accept: str | None = None,
        headers: HeadersInput = None,
        body: Body = None,
    ) -> Request:
        """A request carrying the default headers plus ``headers``."""
        merged = self.headers.copy()
        for name, value in Headers(headers).items():
            merged.set(name, value)
        if accept is not None:
            merged.set("Accept", accept)
        return Request(method, url, headers=merged, body=body, timeout=self.timeout)

    # -- QIDO-RS -------------------------------------------------------------------------------

    def search(
        self,
        level: Level,
        *,
        study: str | None = None,
        series: str | None = None,
        search_filters: Mapping[str, Any] | None = None,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
    ) -> Request:
        """A QIDO-RS search at ``level`` ("studies", "series" or "instances")."""
        if level not in _LEVELS:
            raise InvalidArgumentError(f"search level must be one of {_LEVELS}, not {level!r}")
        _check_count("limit", limit, minimum=0)
        _check_count("offset", offset, minimum=0)
        if series is not None and study is None and level != "instances":
            raise InvalidArgumentError("a series UID needs its study UID here")
        query = build_query(
            search_filters,
            fuzzymatching=fuzzymatching,
            limit=limit,
            offset=offset,
            fields=fields,
        )
        url = self.urls.search(
            level,
            study=_uid(study, "StudyInstanceUID"),
            series=_uid(series, "SeriesInstanceUID"),
            query=query,
        )
        return self.request("GET", url, accept=_DICOM_JSON)

    # -- WADO-RS -------------------------------------------------------------------------------

    def retrieve(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> Request:
        """Retrieve whole instances (multipart/related; type="application/dicom")."""
        url = self.urls.retrieve(*_target(study, series, instance))
        accept = media.accept_header(
            "instances", media_types=media_types, transfer_syntax=transfer_syntax
        )
        return self.request("GET", url, accept=accept)

    def metadata(
        self, study: str, series: str | None = None, instance: str | None = None
    ) -> Request:
        """Retrieve DICOM JSON metadata of a study, series or instance."""
        url = self.urls.retrieve(*_target(study, series, instance), resource="metadata")
        return self.request("GET", url, accept=_DICOM_JSON)

    def frames(
        self,
        study: str,
        series: str,
        instance: str,
        frame_numbers: Iterable[int],
        *,
        media_types: Sequence[Any] | None = None,
        transfer_syntax: str | None = None,
    ) -> Request:
        """Retrieve frames (1-based numbers) of one instance as multipart parts."""
        url = self.urls.retrieve(
            *_target(study, series, instance, need_instance=True),
            resource="frames",
            frames=frame_list(frame_numbers),
        )
        accept = media.accept_header(
            "frames", media_types=media_types, transfer_syntax=transfer_syntax
        )
        return self.request("GET", url, accept=accept)

    def rendered(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        *,
        frame_numbers: Iterable[int] | None = None,
        media_types: Sequence[Any] | None = None,
        params: Mapping[str, Any] | None = None,
        multipart: bool | None = None,
    ) -> Request:
        """Retrieve a consumer format rendering (JPEG, PNG ...) of a study, series or instance.

        A study or series holds many images, so PS3.18 10.4.4 has them asked for as
        ``multipart/related; type="image/jpeg"`` (a server ignores single-part types there);
        that is the default (``multipart=None``) for them. ``multipart=False`` asks with the
        plain image types instead, the dialect of servers that answer one representative
        image (Orthanc 1.10 refuses any multipart ``Accept`` there with a 400).
        """
        frames = None
        if frame_numbers is not None:
            frames = frame_list(frame_numbers)
            _target(study, series, instance, need_instance=True)
        url = self.urls.retrieve(
            *_target(study, series, instance), resource="rendered", frames=frames
        )
        if params:
            url += ("&" if "?" in url else "?") + encode_query(
                [(str(k), _param_text(v)) for k, v in params.items()]
            )
        accept = media.accept_header("rendered", media_types)
        if multipart is None:
            multipart = instance is None
        if multipart:
            accept = _multipart_ranges(accept)
        return self.request("GET", url, accept=accept)

    def bulkdata(
        self,
        uri: str,
        *,
        byte_range: tuple[int, int | None] | None = None,
        media_types: Sequence[Any] | None = None,
    ) -> Request:
        """Retrieve bulk data from a BulkDataURI, optionally only ``(first, last)`` bytes."""
        headers: list[tuple[str, str]] = []
        if byte_range is not None:
            first, last = byte_range
            if first < 0 or (last is not None and last < first):
                raise InvalidArgumentError(f"invalid byte range {byte_range!r}")
            headers.append(("Range", f"bytes={first}-{'' if last is None else last}"))
        accept = media.accept_header("bulkdata", media_types)
        return self.request("GET", self.urls.resolve(uri), accept=accept, headers=headers)

    # -- DELETE --------------------------------------------------------------------------------

    def delete(self, study: str, series: str | None = None, instance: str | None = None) -> Request:
        """Delete a study, series or instance (a non-standard but common DICOMweb extension)."""
        return self.request("DELETE", self.urls.delete(*_target(study, series, instance)))

    # -- STOW-RS -------------------------------------------------------------------------------

    def store(self, body: Body, boundary: str, study: str | None = None) -> Request:
        """A STOW-RS request carrying an already encoded multipart body."""
        url = self.urls.store(_uid(study, "StudyInstanceUID"))
        headers = [("Content-Type", media.stow_content_type(boundary))]
        return self.request("POST", url, accept=_DICOM_JSON, headers=headers, body=body)


def _multipart_ranges(accept: str) -> str:
    """Each plain media range of ``accept`` as ``multipart/related; type=...``, q kept."""
    ranges = []
    for item in accept.split(","):
        parsed = media.parse_media_type(item)
        params = {"type": parsed.type, **parsed.params}
        ranges.append(media.format_media_type(media.MULTIPART_RELATED, params))
    return ", ".join(ranges)


def _uid(value: str | None, what: str) -> str | None:
    return None if value is None else validate_uid(value, what)


def _target(
    study: str,
    series: str | None,
    instance: str | None,
    *,
    need_instance: bool = False,
) -> tuple[str, str | None, str | None]:
    """Validated (study, series, instance); an instance needs its series, frames an instance."""
    if instance is not None and series is None:
        raise InvalidArgumentError("an instance UID needs its series UID")
    if need_instance and instance is None:
        raise InvalidArgumentError("this resource needs study, series and instance UIDs")
    if study is None:
        raise InvalidArgumentError("a study UID is required")
    return (
        validate_uid(study, "StudyInstanceUID"),
        _uid(series, "SeriesInstanceUID"),
        _uid(instance, "SOPInstanceUID"),
    )


def frame_list(frame_numbers: Iterable[int]) -> list[int]:
    """Frame numbers as a non-empty list of ints >= 1 (DICOM frames count from 1)."""
    frames: list[int] = [frame_numbers] if isinstance(frame_numbers, int) else list(frame_numbers)
    if not frames:
        raise InvalidArgumentError("at least one frame number is needed")
    for number in frames:
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise InvalidArgumentError(f"frame numbers are integers >= 1, not {number!r}")
    return frames


def _param_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


# -- interpreting responses --------------------------------------------------------------------


def reasons_from_body(body: bytes, headers: HeadersInput = None) -> list[str]:
    """Human-readable failure reasons from an error body and ``Warning`` headers.

    Understands JSON objects (Orthanc's ``Message``/``Details``, common ``error``/``message``
    fields) whatever the Content-Type says, and PS3.18 ``Warning: 299 ...`` texts.
    """
    reasons: list[str] = []
    for warning in Headers(headers).get_all("Warning"):
        text = warning.strip()
        parts = text.split(" ", 2)
        if len(parts) == 3 and parts[0].isdigit():
            text = parts[2].strip().strip('"')
        if text:
            reasons.append(text)
    stripped = body.strip()
    if stripped[:1] in (b"{", b"["):
        try:
            document = json.loads(stripped.decode("utf-8"))
        except (ValueError, RecursionError):  # RecursionError: nested past the decoder's stack
            document = None
        if isinstance(document, dict):
            for key in ("Message", "Details", "message", "detail", "error", "error_description"):
                value = document.get(key)
                if isinstance(value, str) and value and value not in reasons:
                    reasons.append(value)
    return reasons


def error_from_response(
    request: Request, status: int, headers: HeadersInput, body: bytes
) -> HTTPError:
    """The :class:`HTTPError` subclass instance describing an error answer."""
    kept = body[:ERROR_BODY_LIMIT]
    reasons = reasons_from_body(kept, headers)
    cls = error_for_status(status)
    message = ""
    if 300 <= status < 400:
        location = Headers(headers).get("Location")
        message = (
            f"HTTP {status} for {request.method} {request.url}: redirected"
            + (f" to {location}" if location else "")
            + f", which is not followed for {request.method}, so nothing was done there;"
            " use the final URL as the base URL"
        )
    elif cls is MethodNotAllowedError and request.method == "DELETE":
        message = (
            f"HTTP 405 for DELETE {request.url}: the server does not support DICOMweb DELETE"
            + (f" ({'; '.join(reasons)})" if reasons else "")
        )
    return cls(
        status,
        message,
        method=request.method,
        url=request.url,
        headers=dict(Headers(headers).items()),
        body=kept,
        reasons=reasons,
    )


def raise_for_status(request: Request, status: int, headers: HeadersInput, body: bytes) -> None:
    """Raise the matching :class:`HTTPError` when ``status`` is an error (>= 400)."""
    if status >= 400:
        raise error_from_response(request, status, headers, body)


def apply_byte_range(
    bodies: list[bytes], status: int, byte_range: tuple[int, int | None] | None
) -> list[bytes]:
    """Bulk data trimmed to ``byte_range`` when the server ignored the Range header (200, not 206).

    Servers may answer a ranged request with the whole resource; the caller still gets only
    the bytes it asked for.
    """
    if byte_range is None or status == 206:
        return bodies
    first, last = byte_range
    stop = None if last is None else last + 1
    return [body[first:stop] for body in bodies]


def parse_json_array(status: int, body: bytes) -> list[dict[str, Any]]:
    """A QIDO-RS or metadata answer as DICOM JSON objects; 204 and empty bodies are []."""
    if status == 204 or not body.strip():
        return []
    return loads_json_array(body)


def parse_json_object(status: int, body: bytes) -> dict[str, Any]:
    """The single DICOM JSON object of an instance's metadata."""
    items = parse_json_array(status, body)
    if not items:
        raise DicomJSONError("the server answered with no metadata for the instance")
    return items[0]


class PartEvents:
    """Turn a WADO-RS response body into part events, multipart or not.

    A multipart/related body goes through the streaming decoder; any other body (a server
    answering one part directly, a rendered image) becomes one part with the response's
    headers. Feed chunks; each call returns the events they complete. A multipart body that
    stops early lacks its closing delimiter; a single part that stops short of its
    ``Content-Length`` is refused too, so a cut answer never passes for a whole one.
    """

    def __init__(self, headers: HeadersInput, *, views: bool = False) -> None:
        """``views``: multipart body bytes may come as memoryviews of the received chunks,
        for a caller that joins them anyway (one copy instead of two)."""
        response_headers = Headers(headers)
        content_type = response_headers.get("Content-Type") or "application/octet-stream"
        self._single: Headers | None = None
        self._decoder: multipart.MultipartDecoder | None = None
        if media.parse_media_type(content_type).type.lower().startswith("multipart/"):
            boundary = multipart.boundary_from_content_type(content_type)
            decoder = multipart._ViewingDecoder if views else multipart.MultipartDecoder
            self._decoder = decoder(boundary)
        else:
            self._single = Headers([("Content-Type", content_type)])
            location = response_headers.get("Content-Location")
            if location is not None:
                self._single.add("Content-Location", location)
        self._expected = _declared_length(response_headers)
        self._received = 0
        self._started = False

    def feed(self, data: bytes) -> list[multipart.Event]:
        if self._decoder is not None:
            return self._decoder.feed(data)
        events: list[multipart.Event] = []
        if not self._started and self._single is not None:
            self._started = True
            events.append(multipart.PartStart(self._single))
        if data:
            self._received += len(data)
            events.append(multipart.PartData(data))
        return events

    def close(self) -> list[multipart.Event]:
        if self._decoder is not None:
            return self._decoder.close()
        events = self.feed(b"")
        if self._expected is not None and self._received < self._expected:
            raise ProtocolError(
                f"the answer ended after {self._received} of its {self._expected} bytes"
            )
        events.append(multipart.PartEnd())
        return events


def _declared_length(headers: Headers) -> int | None:
    """The body length the server declared, when the bytes we get are those it counted."""
    if headers.get("Content-Encoding") not in (None, "", "identity"):
        return None  # the transport decoded the body: its length differs from the header's
    value = (headers.get("Content-Length") or "").strip()
    if not (value.isascii() and value.isdigit()):  # isdigit alone passes "²", which int() refuses
        return None
    try:
        return int(value)
    except ValueError:  # more digits than int() converts
        return None


class PartAssembler:
    """Collect part events into whole parts ``(headers, body)``: one part in memory at a time."""

    def __init__(self, headers: HeadersInput) -> None:
        self._events = PartEvents(headers, views=True)
        self._headers: Headers | None = None
        self._chunks: list[bytes] = []

    def _collect(self, events: list[multipart.Event]) -> list[tuple[Headers, bytes]]:
        done: list[tuple[Headers, bytes]] = []
        for event in events:
            if isinstance(event, multipart.PartStart):
                self._headers = event.headers
                self._chunks = []
            elif isinstance(event, multipart.PartData):
                self._chunks.append(event.data)
            elif isinstance(event, multipart.PartEnd):
                done.append((self._headers or Headers(), b"".join(self._chunks)))
                self._headers = None
                self._chunks = []
        return done

    def feed(self, data: bytes) -> list[tuple[Headers, bytes]]:
        return self._collect(self._events.feed(data))

    def close(self) -> list[tuple[Headers, bytes]]:
        return self._collect(self._events.close())


def _check_count(name: str, value: object, *, minimum: int) -> None:
    """Refuse a non-integer or too small count before it is compared or sent.

    ``bool`` is refused too: ``limit=True`` is a mistake, not the number one.
    """
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be an integer, not {repr(value)[:40]}")
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be >= {minimum}, not {value}")


class Pager:
    """Decide the offsets of a paged QIDO-RS search, and when to stop.

    Stops on an empty page, a short page (unless a ``Warning`` header says the server cut the
    results short), a page seen before, or a page with nothing new: so a server that ignores
    ``offset`` or ``limit`` ends the iteration instead of looping forever.
    """

    def __init__(self, limit: int | None = None, offset: int | None = None) -> None:
        _check_count("limit", limit, minimum=1)
        _check_count("offset", offset, minimum=0)
        self.limit = limit
        self.offset = offset or 0
        self.done = False
        self._seen: set[str] = set()
        self._pages: set[tuple[str, ...]] = set()
        self._largest = 0

    def accept(self, items: list[dict[str, Any]], headers: HeadersInput = None) -> list[Any]:
        """Record one page; return the items not yielded before."""
        if not items:
            self.done = True
            return []
        keys = tuple(json.dumps(item, sort_keys=True) for item in items)
        if keys in self._pages:
            self.done = True
            return []
        self._pages.add(keys)
        fresh = [item for key, item in zip(keys, items, strict=True) if key not in self._seen]
        self._seen.update(keys)
        if not fresh:
            self.done = True
            return []
        self.offset += len(items)
        truncated = bool(Headers(headers).get_all("Warning"))
        if self.limit is not None and len(items) < self.limit and not truncated:
            self.done = True
        if len(items) < self._largest and not truncated:
            self.done = True
        self._largest = max(self._largest, len(items))
        return fresh
