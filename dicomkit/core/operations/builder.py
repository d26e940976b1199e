"""Build the Request of every DICOMweb operation: URLs, headers, bodies, timeouts.

:class:`Operations` sends nothing and reads nothing: its requests are sent by whoever holds a
transport, and read by the exchanges of :mod:`dicomkit.core.operations.exchange`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

from dicomkit.core import media
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.interface import Body, Headers, HeadersInput, Request, Timeout
from dicomkit.core.query import ExtraParams, check_count, extra_pairs
from dicomkit.core.uids import validate_uid
from dicomkit.core.urls import (
    DicomWebURLs,
    Level,
    ValueList,
    build_query,
    frame_list,
    with_query,
)
from dicomkit.core.version import USER_AGENT

__all__ = [
    "USER_AGENT",
    "Operations",
    "TimeoutInput",
    "check_count",
    "coerce_timeout",
    "frame_list",
    "patient_filter",
    "rendered_params",
    "vendor_query",
    "with_headers",
]

_DICOM_JSON = "application/dicom+json"
_CAPABILITIES = "application/vnd.sun.wadl+xml, application/json; q=0.9, */*; q=0.1"
_LEVELS = ("studies", "series", "instances")

TimeoutInput = Timeout | float | tuple[float | None, float | None] | None
"""A client's ``timeout=``: a Timeout, seconds for both, or ``(connect, read)``."""


def coerce_timeout(value: TimeoutInput) -> Timeout:
    """A client's ``timeout=``: a Timeout, one number for both, or ``(connect, read)``."""
    if value is None:
        return Timeout()
    if isinstance(value, Timeout):
        return value
    if isinstance(value, tuple):
        if len(value) != 2:
            raise InvalidArgumentError("timeout as a tuple is (connect, read)")
        return Timeout(connect=value[0], read=value[1])
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return Timeout(connect=float(value), read=float(value))
    raise InvalidArgumentError("timeout must be a Timeout, seconds > 0, or (connect, read)")


class Operations:
    """Builds every DICOMweb request for one server: URLs, headers, bodies, timeouts.

    Holds no connection and sends nothing. ``headers`` are added to every request (the
    client adds authentication on top, per attempt).
    """

    def __init__(
        self,
        urls: DicomWebURLs,
        *,
        timeout: TimeoutInput = None,
        headers: HeadersInput = None,
    ) -> None:
        self.urls = urls
        self.timeout = coerce_timeout(timeout)
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
        emptyvaluematching: bool | None = None,
        multiplevaluematching: bool | None = None,
        extra_params: ExtraParams = None,
        raw: str = "",
    ) -> Request:
        """A QIDO-RS search at ``level`` ("studies", "series" or "instances").

        Instances of a series whose study is not given are searched as
        ``/instances?SeriesInstanceUID=...``, the only standard URL for them. ``raw`` is the
        server dialect's ``query_raw`` (characters kept unencoded in query values).
        """
        if level not in _LEVELS:
            raise InvalidArgumentError(f"search level must be one of {_LEVELS}, not {level!r}")
        check_count("limit", limit, minimum=1)
        check_count("offset", offset, minimum=0)
        if series is not None and study is None:
            if level != "instances":
                raise InvalidArgumentError("a series UID needs its study UID here")
            # PS3.18 has no /series/{uid}/instances without its study: match on the attribute
            search_filters = {**(search_filters or {}), "SeriesInstanceUID": series}
            series = None
        query = build_query(
            search_filters,
            fuzzymatching=fuzzymatching,
            limit=limit,
            offset=offset,
            fields=fields,
            emptyvaluematching=emptyvaluematching,
            multiplevaluematching=multiplevaluematching,
            extra_params=extra_params,
        )
        url = self.urls.search(
            level,
            study=_uid(study, "StudyInstanceUID", self.urls.permissive_uids),
            series=_uid(series, "SeriesInstanceUID", self.urls.permissive_uids),
            query=query,
            raw=raw,
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
        extra_params: ExtraParams = None,
    ) -> Request:
        """Retrieve whole instances (multipart/related; type="application/dicom").

        ``extra_params``, here and in every builder below, are a vendor's own query parameters
        (:func:`vendor_query` checks them), added to the URL as given.
        """
        url = self.urls.retrieve(
            *_target(study, series, instance, lenient=self.urls.permissive_uids),
            query=vendor_query(extra_params),
        )
        accept = media.accept_header(
            "instances", media_types=media_types, transfer_syntax=transfer_syntax
        )
        return self.request("GET", url, accept=accept)

    def metadata(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        *,
        extra_params: ExtraParams = None,
    ) -> Request:
        """Retrieve DICOM JSON metadata of a study, series or instance."""
        url = self.urls.retrieve(
            *_target(study, series, instance, lenient=self.urls.permissive_uids),
            resource="metadata",
            query=vendor_query(extra_params),
        )
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
        extra_params: ExtraParams = None,
    ) -> Request:
        """Retrieve frames (1-based numbers) of one instance as multipart parts."""
        url = self.urls.retrieve(
            *_target(
                study, series, instance, need_instance=True, lenient=self.urls.permissive_uids
            ),
            resource="frames",
            frames=frame_list(frame_numbers),
            query=vendor_query(extra_params),
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
        resource: Literal["rendered", "thumbnail"] = "rendered",
        extra_params: ExtraParams = None,
    ) -> Request:
        """Retrieve a consumer format rendering (JPEG, PNG ...) of a study, series or instance.

        A study or series holds many images, so PS3.18 10.4.4 has them asked for as
        ``multipart/related; type="image/jpeg"`` (a server ignores single-part types there);
        that is the default (``multipart=None``) for them. ``multipart=False`` asks with the
        plain image types instead, the dialect of servers that answer one representative
        image (Orthanc 1.10 refuses any multipart ``Accept`` there with a 400).
        ``resource="thumbnail"`` asks for the thumbnail instead: always one image, single part.
        ``params`` are checked against PS3.18 8.3.5.1 and the media types asked for.
        """
        if resource not in ("rendered", "thumbnail"):
            raise InvalidArgumentError(
                f"resource must be 'rendered' or 'thumbnail', not {resource!r}"
            )
        frames = None
        if frame_numbers is not None:
            frames = frame_list(frame_numbers)
            _target(study, series, instance, need_instance=True, lenient=self.urls.permissive_uids)
        accept = media.accept_header(resource, media_types)
        thumbnail = resource == "thumbnail"
        pairs = rendered_params(params, accept, thumbnail=thumbnail)
        pairs += vendor_query(
            extra_params, rendering=_THUMBNAIL_PARAMS if thumbnail else _RENDER_PARAMS
        )
        url = self.urls.retrieve(
            *_target(study, series, instance, lenient=self.urls.permissive_uids),
            resource=resource,
            frames=frames,
            query=pairs,
        )
        if multipart is None:
            multipart = instance is None and resource == "rendered"
        if multipart:
            accept = _multipart_ranges(accept)
        return self.request("GET", url, accept=accept)

    def bulkdata(
        self,
        uri: str,
        *,
        byte_range: tuple[int, int | None] | None = None,
        media_types: Sequence[Any] | None = None,
        single_part: bool = False,
        other_origin: str | None = None,
        extra_params: ExtraParams = None,
    ) -> Request:
        """Retrieve bulk data from a BulkDataURI, optionally only ``(first, last)`` bytes.

        ``single_part`` asks for the value as a plain body (``Accept: application/octet-stream``)
        instead of ``multipart/related``: PS3.18 allows it for a range, and servers that ignore a
        range inside multipart honour it there. ``other_origin`` goes to
        :meth:`DicomWebURLs.resolve`.
        """
        headers: list[tuple[str, str]] = []
        if byte_range is not None:
            if not isinstance(byte_range, tuple) or len(byte_range) != 2:
                raise InvalidArgumentError(f"a byte range is (first, last), not {byte_range!r}")
            first, last = byte_range
            check_count("first byte", first, minimum=0)
            if last is not None:
                check_count("last byte", last, minimum=first)
            headers.append(("Range", f"bytes={first}-{'' if last is None else last}"))
        accept = media.accept_header("bulkdata", media_types)
        if single_part:
            accept = _single_part_ranges(accept)
        url = self.urls.resolve(uri, other_origin=other_origin)
        url = with_query(url, vendor_query(extra_params))
        return self.request("GET", url, accept=accept, headers=headers)

    # -- capabilities ----------------------------------------------------------------------------

    def capabilities(self, path: str = "") -> Request:
        """``OPTIONS`` on the service root, or on ``path`` below it (PS3.18 8.9): a WADL
        document is the standard's default answer, JSON the alternative."""
        if not isinstance(path, str) or any(c in path for c in "?#\\ \t\r\n"):
            raise InvalidArgumentError(f"capabilities path {path!r} is not a path below the root")
        segments = [s for s in path.split("/") if s]
        if any(s in (".", "..") for s in segments):
            raise InvalidArgumentError(f"capabilities path {path!r} has '.' or '..' segments")
        url = self.urls.root + "".join("/" + s for s in segments)
        return self.request("OPTIONS", url, accept=_CAPABILITIES)

    # -- DELETE --------------------------------------------------------------------------------

    def delete(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        *,
        extra_params: ExtraParams = None,
    ) -> Request:
        """Delete a study, series or instance (a non-standard but common DICOMweb extension)."""
        target = _target(study, series, instance, lenient=self.urls.permissive_uids)
        url = self.urls.delete(*target, query=vendor_query(extra_params))
        return self.request("DELETE", url)

    # -- STOW-RS -------------------------------------------------------------------------------

    def store(
        self,
        body: Body,
        boundary: str,
        study: str | None = None,
        *,
        extra_params: ExtraParams = None,
    ) -> Request:
        """A STOW-RS request carrying an already encoded multipart body."""
        url = self.urls.store(
            _uid(study, "StudyInstanceUID", self.urls.permissive_uids),
            query=vendor_query(extra_params),
        )
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


def _single_part_ranges(accept: str) -> str:
    """Each ``multipart/related; type=...`` range of ``accept`` as its plain part type."""
    ranges = []
    for item in accept.split(", "):
        parsed = media.parse_media_type(item)
        params = {k: v for k, v in parsed.params.items() if k != "type"}
        ranges.append(media.format_media_type(parsed.params.get("type", parsed.type), params))
    return ", ".join(ranges)


def _uid(value: str | None, what: str, lenient: bool = False) -> str | None:
    return None if value is None else validate_uid(value, what, permissive=lenient)


def _target(
    study: str,
    series: str | None,
    instance: str | None,
    *,
    need_instance: bool = False,
    lenient: bool = False,
) -> tuple[str, str | None, str | None]:
    """Validated (study, series, instance); an instance needs its series, frames an instance."""
    if instance is not None and series is None:
        raise InvalidArgumentError("an instance UID needs its series UID")
    if need_instance and instance is None:
        raise InvalidArgumentError("this resource needs study, series and instance UIDs")
    if study is None:
        raise InvalidArgumentError("a study UID is required")
    return (
        validate_uid(study, "StudyInstanceUID", permissive=lenient),
        _uid(series, "SeriesInstanceUID", lenient),
        _uid(instance, "SOPInstanceUID", lenient),
    )


_RENDER_PARAMS = ("annotation", "quality", "viewport", "window", "iccprofile", "charset")
_THUMBNAIL_PARAMS = ("viewport", "charset")
_LOSSY = ("image/jpeg", "image/jp2", "image/jph", "video/")
_WINDOW_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")
_ICC_PROFILES = ("no", "yes", "srgb", "adobergb", "rommrgb")


_INTEGER = re.compile(r"-?\d+\Z")
_DECIMAL = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z")


def _number(name: str, text: str, *, integer: bool = False) -> None:
    """Refuse a rendering parameter value that is not a (whole) number."""
    if not (_INTEGER if integer else _DECIMAL).match(text.strip()):
        raise InvalidArgumentError(
            f"{name} takes {'integers' if integer else 'numbers'}, not {text!r}"
        )


def _param_values(value: Any) -> list[str]:
    items = list(value) if isinstance(value, (list, tuple)) else str(value).split(",")
    return [str(item).strip() for item in items]


def rendered_params(
    params: Mapping[str, Any] | None, accept: str, *, thumbnail: bool = False
) -> list[tuple[str, str]]:
    """The query pairs of a rendering's ``params``, checked as PS3.18 8.3.5.1 defines them.

    ``annotation`` (patient, technique), ``quality`` (1-100, lossy types only), ``viewport``
    (vw,vh[,sx,sy,sw,sh]), ``window`` (center,width,LINEAR|LINEAR_EXACT|SIGMOID), ``iccprofile``
    and ``charset``; a thumbnail takes ``viewport`` and ``charset`` only. Lists (a tuple or a
    comma-separated text) go out with raw commas between percent-encoded values.
    """
    allowed = _THUMBNAIL_PARAMS if thumbnail else _RENDER_PARAMS
    pairs: list[tuple[str, str]] = []
    for name, value in (params or {}).items():
        if name not in allowed:
            raise InvalidArgumentError(
                f"{name!r} is not a {'thumbnail' if thumbnail else 'rendering'} parameter; "
                f"PS3.18 defines {', '.join(allowed)}"
            )
        values = _param_values(value)
        if name == "quality":
            _number(name, values[0], integer=True)
            if len(values) != 1 or not 1 <= int(values[0]) <= 100:
                raise InvalidArgumentError(f"quality is one integer 1-100, not {value!r}")
            if not any(kind in accept for kind in _LOSSY):
                raise InvalidArgumentError("quality applies to lossy media types (JPEG, video)")
        elif name == "viewport":
            if len(values) not in (2, 6):
                raise InvalidArgumentError(f"viewport is vw,vh or vw,vh,sx,sy,sw,sh, not {value!r}")
            for text in values[:2]:
                _number(name, text, integer=True)
            for text in values[2:]:
                if text:
                    _number(name, text)
        elif name == "window":
            if len(values) != 3 or values[2].upper() not in _WINDOW_FUNCTIONS:
                raise InvalidArgumentError(
                    f"window is center,width,{'|'.join(_WINDOW_FUNCTIONS)}, not {value!r}"
                )
            for text in values[:2]:
                _number(name, text)
        elif name == "annotation" and not set(values) <= {"patient", "technique"}:
            raise InvalidArgumentError(f"annotation is patient and/or technique, not {value!r}")
        elif name == "iccprofile" and (len(values) != 1 or values[0] not in _ICC_PROFILES):
            raise InvalidArgumentError(f"iccprofile is one of {_ICC_PROFILES}, not {value!r}")
        pairs.append((name, values[0] if len(values) == 1 else ValueList(values)))
    return pairs


_ACCEPT_PARAM = {
    "accept": "would ask for another answer than the Accept header dicomkit reads it by: "
    "pass media_types= where the method takes it"
}


def vendor_query(
    extra_params: ExtraParams, *, rendering: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """A WADO-RS, STOW-RS or DELETE request's ``extra_params`` as query pairs, checked by
    :func:`~dicomkit.core.query.extra_pairs`: ``accept`` (PS3.18 8.3.3.1) is refused, since
    the answer is read as the Accept header asks, and so are the ``rendering`` parameters of
    a rendered resource, which ``params=`` checks."""
    reserved = dict(_ACCEPT_PARAM)
    reserved.update(dict.fromkeys(rendering, "is a rendering parameter: pass it in params="))
    return extra_pairs(extra_params, reserved=reserved)


def patient_filter(patient_id: str) -> dict[str, str]:
    """The QIDO-RS filter that matches exactly one patient's ID.

    QIDO-RS has no escape character: an empty value matches every patient, ``*`` and ``?``
    are wildcards and ``\\`` separates values. Such an ID would quietly return other patients'
    studies (and a delete loop over them would delete those), so it is refused.
    """
    if not isinstance(patient_id, str) or not patient_id.strip():
        raise InvalidArgumentError("patient_id must be a non-empty string")
    if any(character in patient_id for character in "*?\\"):
        raise InvalidArgumentError(
            "patient_id may not contain '*', '?' or '\\': QIDO-RS would match other patients"
        )
    return {"PatientID": patient_id}


def with_headers(request: Request, extra: Mapping[str, str]) -> Request:
    """``request`` with ``extra`` headers set (per attempt: credentials), the original kept."""
    if not extra:
        return request
    headers = request.headers.copy()
    for name, value in extra.items():
        headers.set(name, value)
    return replace(request, headers=headers)
