"""Media types and transfer syntaxes: build ``Accept``/``Content-Type`` values and parse them.

DICOMweb negotiates two things in one header: the media type of each part and, in a
``transfer-syntax`` parameter, how the pixel data inside is encoded. Servers differ in how
they spell this (Orthanc nests ``transfer-syntax=`` inside the quoted ``type`` parameter of
its frames responses), so parsing respects quoting and ignores case in names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from dicomkit.core.errors import InvalidArgumentError, ProtocolError

__all__ = [
    "APPLICATION_DICOM",
    "APPLICATION_DICOM_JSON",
    "APPLICATION_DICOM_XML",
    "APPLICATION_JSON",
    "APPLICATION_OCTET_STREAM",
    "APPLICATION_PDF",
    "BULKDATA_MEDIA_TYPES",
    "DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN",
    "EXPLICIT_VR_BIG_ENDIAN",
    "EXPLICIT_VR_LITTLE_ENDIAN",
    "HEVC_MAIN_10_PROFILE",
    "HEVC_MAIN_PROFILE",
    "HTJ2K",
    "HTJ2K_LOSSLESS",
    "HTJ2K_LOSSLESS_RPCL",
    "IMAGE_GIF",
    "IMAGE_JLS",
    "IMAGE_JP2",
    "IMAGE_JPEG",
    "IMAGE_JPHC",
    "IMAGE_PNG",
    "IMPLICIT_VR_LITTLE_ENDIAN",
    "JPEG_2000",
    "JPEG_2000_LOSSLESS",
    "JPEG_BASELINE",
    "JPEG_EXTENDED",
    "JPEG_LOSSLESS",
    "JPEG_LOSSLESS_SV1",
    "JPEG_LS_LOSSLESS",
    "JPEG_LS_NEAR_LOSSLESS",
    "MPEG2_MAIN_PROFILE",
    "MPEG4_HIGH_PROFILE",
    "MULTIPART_RELATED",
    "RESOURCES",
    "RLE_LOSSLESS",
    "UNCOMPRESSED_TRANSFER_SYNTAXES",
    "VIDEO_H265",
    "VIDEO_MP4",
    "VIDEO_MPEG",
    "MediaType",
    "MediaTypeSpec",
    "accept_header",
    "fits_transfer_syntax",
    "format_media_type",
    "media_type_for_transfer_syntax",
    "parse_media_type",
    "part_transfer_syntax",
    "stow_content_type",
]

APPLICATION_DICOM = "application/dicom"
APPLICATION_DICOM_JSON = "application/dicom+json"
APPLICATION_DICOM_XML = "application/dicom+xml"
APPLICATION_JSON = "application/json"
APPLICATION_OCTET_STREAM = "application/octet-stream"
APPLICATION_PDF = "application/pdf"
MULTIPART_RELATED = "multipart/related"
IMAGE_JPEG = "image/jpeg"
IMAGE_PNG = "image/png"
IMAGE_GIF = "image/gif"
IMAGE_JP2 = "image/jp2"
IMAGE_JLS = "image/jls"
IMAGE_JPHC = "image/jphc"
IMAGE_DICOM_RLE = "image/dicom-rle"
VIDEO_MPEG = "video/mpeg"
VIDEO_MP4 = "video/mp4"
VIDEO_H265 = "video/H265"
"""HEVC/H.265 video, spelled as PS3.18 8.7.3.5 writes it (``video-pixel = "video/mpeg" /
"video/mp4" / "video/H265"``) and as IANA registered it (RFC 7798); media types compare
without case, so a server's ``video/h265`` fits too."""

IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99"
EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
JPEG_2000 = "1.2.840.10008.1.2.4.91"
MPEG2_MAIN_PROFILE = "1.2.840.10008.1.2.4.100"
MPEG4_HIGH_PROFILE = "1.2.840.10008.1.2.4.102"
HEVC_MAIN_PROFILE = "1.2.840.10008.1.2.4.107"
"""HEVC/H.265 Main Profile / Level 5.1 (PS3.6; pydicom's ``HEVCMP51``)."""
HEVC_MAIN_10_PROFILE = "1.2.840.10008.1.2.4.108"
"""HEVC/H.265 Main 10 Profile / Level 5.1 (PS3.6; pydicom's ``HEVCM10P51``)."""
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202"
HTJ2K = "1.2.840.10008.1.2.4.203"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"

UNCOMPRESSED_TRANSFER_SYNTAXES = frozenset(
    {
        IMPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_LITTLE_ENDIAN,
        DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_BIG_ENDIAN,
    }
)

_JPEG = (IMAGE_JPEG,)
_JLS = (IMAGE_JLS, "image/x-jls")
_JP2 = (IMAGE_JP2,)
_JPX = ("image/jpx",)
_JPHC = (IMAGE_JPHC,)
_MPEG2 = (VIDEO_MPEG, "video/mpeg2")
_MP4 = (VIDEO_MP4,)
_H265 = (VIDEO_H265,)
BULKDATA_MEDIA_TYPES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        **dict.fromkeys(sorted(UNCOMPRESSED_TRANSFER_SYNTAXES), (APPLICATION_OCTET_STREAM,)),
        JPEG_BASELINE: _JPEG,
        JPEG_EXTENDED: _JPEG,
        JPEG_LOSSLESS: _JPEG,
        JPEG_LOSSLESS_SV1: _JPEG,
        JPEG_LS_LOSSLESS: _JLS,
        JPEG_LS_NEAR_LOSSLESS: _JLS,
        JPEG_2000_LOSSLESS: _JP2,
        JPEG_2000: _JP2,
        "1.2.840.10008.1.2.4.92": _JPX,
        "1.2.840.10008.1.2.4.93": _JPX,
        HTJ2K_LOSSLESS: _JPHC,
        HTJ2K_LOSSLESS_RPCL: _JPHC,
        HTJ2K: _JPHC,
        RLE_LOSSLESS: (IMAGE_DICOM_RLE, "image/x-dicom-rle"),
        MPEG2_MAIN_PROFILE: _MPEG2,
        "1.2.840.10008.1.2.4.101": _MPEG2,
        MPEG4_HIGH_PROFILE: _MP4,
        **dict.fromkeys((f"1.2.840.10008.1.2.4.{n}" for n in range(103, 107)), _MP4),
        HEVC_MAIN_PROFILE: _H265,
        HEVC_MAIN_10_PROFILE: _H265,
    }
)
"""PS3.18 tables 8.7.3-4 and 8.7.3-5, as one table: the media types a frame or bulk data part
may have in each transfer syntax, the default first, then the older names servers still use
(``image/x-jls``, ``image/x-dicom-rle``; ``video/mpeg2`` besides ``video/mpeg``). A transfer
syntax missing here is newer than the table, not wrong: :func:`fits_transfer_syntax` lets it
through, as PS3.18 lets an origin server support more (the fragmentable MPEG-2 and H.264
syntaxes ``...4.100.1`` to ``...4.106.1`` and JPEG XL's ``image/jxl`` are such, for now).
The video rows are checked against the UID names pydicom carries from PS3.6 and against the
video media types of PS3.18 8.7.3.5 (``tests/core/test_media_video_rows.py``)."""

RESOURCES = ("instances", "metadata", "frames", "bulkdata", "rendered", "thumbnail")
_MULTIPART_RESOURCES = frozenset({"instances", "frames", "bulkdata"})
_DEFAULT_PART_TYPES = {
    "instances": APPLICATION_DICOM,
    "frames": APPLICATION_OCTET_STREAM,
    "bulkdata": APPLICATION_OCTET_STREAM,
}

_RENDERED_DOCUMENTS = frozenset(
    {"text/html", "text/plain", "text/xml", "text/rtf", "application/pdf"}
)
"""Rendered media types that are not images or video (PS3.18 8.7.4, Table 8.7.4-1)."""
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TRANSFER_SYNTAX = re.compile(r"\*|[0-9]+(\.[0-9]+)*")

MediaTypeSpec = str | tuple[str] | tuple[str, str | None] | tuple[str, str | None, float]
"""One acceptable answer: a media type, optionally with a transfer syntax UID and a q-value."""


@dataclass(frozen=True)
class MediaType:
    """A parsed media type: ``type`` lowercased, parameter names lowercased, values verbatim."""

    type: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def main_type(self) -> str:
        return self.type.partition("/")[0]

    @property
    def subtype(self) -> str:
        return self.type.partition("/")[2]

    @property
    def transfer_syntax(self) -> str | None:
        return self.params.get("transfer-syntax")

    @property
    def is_multipart(self) -> bool:
        return self.main_type == "multipart"

    def __str__(self) -> str:
        return format_media_type(self.type, self.params)


def _quote(value: str) -> str:
    if _TOKEN.fullmatch(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def format_media_type(media_type: str, params: Mapping[str, str] | None = None) -> str:
    """``type/subtype; name=value ...`` with values quoted only when they need it.

    ``type`` is always quoted, because its value contains ``/`` and some servers only read it
    quoted.
    """
    pieces = [media_type]
    for name, value in (params or {}).items():
        if any(c in value for c in "\r\n"):
            raise InvalidArgumentError(f"media type parameter {name!r} contains a line break")
        shown = f'"{value}"' if name == "type" and '"' not in value else _quote(value)
        pieces.append(f"{name}={shown}")
    return "; ".join(pieces)


def _read_quoted(value: str, start: int) -> tuple[str, int]:
    """The text of the quoted string opening at ``value[start]`` and the index after it."""
    out: list[str] = []
    i = start + 1
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
        elif char == '"':
            return "".join(out), i + 1
        else:
            out.append(char)
            i += 1
    raise ProtocolError(f"unterminated quoted string in media type {value!r}")


def parse_media_type(value: str) -> MediaType:
    """Parse a ``Content-Type``-like value; parameter values may be quoted and contain ``;``.

    Raises :class:`ProtocolError` when there is no ``type/subtype``.
    """
    media, _, rest = value.partition(";")
    media = media.strip().lower()
    main, slash, sub = media.partition("/")
    if not slash or not _TOKEN.fullmatch(main) or not _TOKEN.fullmatch(sub):
        raise ProtocolError(f"not a media type: {value!r}")
    params: dict[str, str] = {}
    i = len(value) - len(rest)
    while i < len(value):
        equals = value.find("=", i)
        separator = value.find(";", i)
        if equals == -1 or (separator != -1 and separator < equals):
            i = len(value) if separator == -1 else separator + 1
            continue
        name = value[i:equals].strip().lower()
        i = equals + 1
        while i < len(value) and value[i] in " \t":
            i += 1
        if i < len(value) and value[i] == '"':
            text, i = _read_quoted(value, i)
            separator = value.find(";", i)
            i = len(value) if separator == -1 else separator + 1
        else:
            separator = value.find(";", i)
            stop = len(value) if separator == -1 else separator
            text = value[i:stop].strip()
            i = stop + 1
        if name:
            params.setdefault(name, text)
    return MediaType(media, params)


def part_transfer_syntax(content_type: str | None) -> str | None:
    """The transfer syntax a part declares in its ``Content-Type``, or None.

    Looks in the value's own parameters and then inside a quoted ``type`` parameter, where
    Orthanc puts it.
    """
    if not content_type:
        return None
    parsed = parse_media_type(content_type)
    if parsed.transfer_syntax:
        return parsed.transfer_syntax
    inner = parsed.params.get("type")
    if inner and "/" in inner:
        return parse_media_type(inner).transfer_syntax
    return None


def media_type_for_transfer_syntax(transfer_syntax: str) -> str:
    """The media type a frame or bulk data part has when encoded in ``transfer_syntax``."""
    return BULKDATA_MEDIA_TYPES.get(transfer_syntax, (APPLICATION_OCTET_STREAM,))[0]


def fits_transfer_syntax(media_type: str, transfer_syntax: str) -> bool:
    """Whether a frame or bulk data part of ``media_type`` can be encoded in
    ``transfer_syntax`` (:data:`BULKDATA_MEDIA_TYPES`): a pair the table contradicts
    (``image/jpeg`` with a JPEG 2000 syntax, ``application/octet-stream`` with a compressed
    one) is False. A wildcard fits when one of the syntax's types matches it; ``*`` (any
    syntax) and a syntax the table does not know fit everything: the server decides those."""
    allowed = BULKDATA_MEDIA_TYPES.get(transfer_syntax)
    if allowed is None:
        return True
    wanted = media_type.strip().lower()
    if wanted == "*/*":
        return True
    if wanted.endswith("/*"):
        return any(kind.startswith(wanted[:-1]) for kind in allowed)
    return any(wanted == kind.lower() for kind in allowed)


def _check_transfer_syntax(value: str) -> str:
    if not _TRANSFER_SYNTAX.fullmatch(value):
        raise InvalidArgumentError(f"not a transfer syntax UID: {value!r}")
    return value


def _check_media_type(resource: str, media_type: str) -> str:
    try:
        parsed = parse_media_type(media_type) if "/" in media_type else None
    except ProtocolError:  # the caller's argument, not a server's answer: InvalidArgumentError
        parsed = None
    if parsed is None or parsed.is_multipart or parsed.params:
        raise InvalidArgumentError(f"not a plain media type: {media_type!r}")
    kind = parsed.type
    allowed = {
        "instances": kind == APPLICATION_DICOM,
        "metadata": kind in (APPLICATION_DICOM_JSON, APPLICATION_JSON, APPLICATION_DICOM_XML),
        "frames": kind in (APPLICATION_OCTET_STREAM, "*/*")
        or parsed.main_type in ("image", "video"),
        "bulkdata": kind in (APPLICATION_OCTET_STREAM, "*/*")
        or parsed.main_type in ("image", "video"),
        "rendered": parsed.main_type in ("image", "video") or kind in _RENDERED_DOCUMENTS,
        "thumbnail": parsed.main_type in ("image", "video"),
    }.get(resource, True)
    if not allowed:
        raise InvalidArgumentError(f"{media_type!r} cannot be requested for {resource}")
    return media_type


def _check_pair(media_type: str, transfer_syntax: str) -> None:
    """Refuse a frame or bulk data media type that PS3.18 8.7.3 says cannot hold
    ``transfer_syntax``, before anything is sent, naming the type that can."""
    if not fits_transfer_syntax(media_type, transfer_syntax):
        fitting = BULKDATA_MEDIA_TYPES[transfer_syntax]
        raise InvalidArgumentError(
            f"{media_type!r} cannot carry transfer syntax {transfer_syntax} (PS3.18 8.7.3 "
            f"gives it {' or '.join(map(repr, fitting))}): ask for "
            f"({fitting[0]!r}, {transfer_syntax!r}), or for {media_type!r} in any transfer "
            "syntax with '*'"
        )


def _split_spec(spec: MediaTypeSpec) -> tuple[str, str | None, float | None]:
    if isinstance(spec, str):
        return spec, None, None
    if not isinstance(spec, tuple) or not 1 <= len(spec) <= 3:
        raise InvalidArgumentError(f"a media type is a string or a tuple, not {spec!r}")
    media_type = spec[0]
    transfer_syntax = spec[1] if len(spec) > 1 else None
    quality = spec[2] if len(spec) > 2 else None
    if quality is not None and not 0 <= quality <= 1:
        raise InvalidArgumentError(f"a q-value lies between 0 and 1, not {quality!r}")
    return media_type, transfer_syntax, quality


def _range(resource: str, spec: MediaTypeSpec, default_syntax: str | None) -> str:
    media_type, transfer_syntax, quality = _split_spec(spec)
    media_type = _check_media_type(resource, media_type)
    transfer_syntax = transfer_syntax or default_syntax
    params: dict[str, str] = {}
    if resource in _MULTIPART_RESOURCES:
        params["type"] = media_type
        media_type = MULTIPART_RELATED
    elif transfer_syntax and resource in ("metadata", "rendered", "thumbnail"):
        raise InvalidArgumentError(f"{resource} has no transfer syntax")
    if transfer_syntax:
        params["transfer-syntax"] = _check_transfer_syntax(transfer_syntax)
        if resource in ("frames", "bulkdata"):
            _check_pair(params["type"], transfer_syntax)
    if quality is not None:
        params["q"] = f"{quality:.3f}".rstrip("0").rstrip(".") or "0"
    return format_media_type(media_type, params)


def accept_header(
    resource: str,
    media_types: Iterable[MediaTypeSpec] | None = None,
    transfer_syntax: str | None = None,
) -> str:
    """The ``Accept`` value for a WADO-RS ``resource``.

    ``media_types`` lists acceptable part media types, each a string or a tuple
    ``(media_type, transfer_syntax_uid[, q])``; ``transfer_syntax`` applies to entries that name
    none. Without media types each resource gets its usual default: instances, frames and bulk
    data ask for any transfer syntax (``transfer-syntax=*``) so the server need not transcode.
    """
    if resource not in RESOURCES:
        raise InvalidArgumentError(f"unknown resource {resource!r}; expected one of {RESOURCES}")
    specs: Sequence[MediaTypeSpec]
    if media_types is None:
        if resource in _MULTIPART_RESOURCES:
            chosen = transfer_syntax or "*"
            part_type = _DEFAULT_PART_TYPES[resource]
            if resource != "instances" and chosen not in ("*", *UNCOMPRESSED_TRANSFER_SYNTAXES):
                part_type = media_type_for_transfer_syntax(chosen)
            specs = [(part_type, chosen)]
        elif resource == "metadata":
            specs = [APPLICATION_DICOM_JSON]
        else:
            specs = [IMAGE_JPEG]
    else:
        specs = [media_types] if isinstance(media_types, str) else list(media_types)
        if not specs:
            raise InvalidArgumentError("media_types is empty")
    return ", ".join(_range(resource, spec, transfer_syntax) for spec in specs)


def stow_content_type(boundary: str, media_type: str = APPLICATION_DICOM) -> str:
    """The ``Content-Type`` of a STOW-RS request whose parts are ``media_type``."""
    return format_media_type(MULTIPART_RELATED, {"type": media_type, "boundary": boundary})
