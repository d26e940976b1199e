"""dicomweb-client's media-type rules: which types each resource accepts, and the Accept header.

A caller's malformed media type (``"image/"`` where a full type is needed, ``"foo/bar"``) or a
transfer syntax that does not go with its media type is refused before anything is sent, with
:class:`~dicomkit.core.errors.InvalidArgumentError` (a ``ValueError``, as dicomweb-client
raises); a media type that is not a string or a sequence is a ``TypeError``, as there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dicomkit.core.errors import InvalidArgumentError

__all__ = [
    "DICOM_SYNTAXES",
    "FRAME_SYNTAXES",
    "IMAGE_SYNTAXES",
    "MediaTypes",
    "OCTET_SYNTAXES",
    "RENDERED_IMAGE",
    "RENDERED_TEXT",
    "RENDERED_VIDEO",
    "VIDEO_SYNTAXES",
    "accept_multipart",
    "accept_single",
    "common_media_types",
    "range_header",
]

MediaTypes = Sequence[str | Sequence[str]]
Syntaxes = Mapping[str, tuple[str, ...]]

_ALL_DICOM = [
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.5",
    *(f"1.2.840.10008.1.2.4.{n}" for n in (50, 51, 57, 70, 80, 81, 90, 91, 92, 93)),
    *(f"1.2.840.10008.1.2.4.{n}" for n in range(100, 107)),
]
DICOM_SYNTAXES: Syntaxes = dict.fromkeys(_ALL_DICOM, ("application/dicom",))

IMAGE_SYNTAXES: Syntaxes = {
    "1.2.840.10008.1.2.5": ("image/dicom-rle", "image/x-dicom-rle"),
    "1.2.840.10008.1.2.4.50": ("image/jpeg",),
    "1.2.840.10008.1.2.4.51": ("image/jpeg",),
    "1.2.840.10008.1.2.4.57": ("image/jpeg",),
    "1.2.840.10008.1.2.4.70": ("image/jpeg",),
    "1.2.840.10008.1.2.4.80": ("image/jls", "image/x-jls"),
    "1.2.840.10008.1.2.4.81": ("image/jls", "image/x-jls"),
    "1.2.840.10008.1.2.4.90": ("image/jp2",),
    "1.2.840.10008.1.2.4.91": ("image/jp2",),
    "1.2.840.10008.1.2.4.92": ("image/jpx",),
    "1.2.840.10008.1.2.4.93": ("image/jpx",),
}
VIDEO_SYNTAXES: Syntaxes = {
    "1.2.840.10008.1.2.4.100": ("video/mpeg2",),
    "1.2.840.10008.1.2.4.101": ("video/mpeg2",),
    **{f"1.2.840.10008.1.2.4.{n}": ("video/mp4",) for n in range(102, 107)},
}
OCTET_SYNTAXES: Syntaxes = {"1.2.840.10008.1.2.1": ("application/octet-stream",)}
FRAME_SYNTAXES: Syntaxes = {**OCTET_SYNTAXES, **IMAGE_SYNTAXES, **VIDEO_SYNTAXES}

RENDERED_IMAGE = frozenset(
    {"image/", "image/*", "image/jpeg", "image/jp2", "image/gif", "image/png"}
)
RENDERED_VIDEO = frozenset({"video/", "video/*", "video/mpeg", "video/mp4", "video/H265"})
RENDERED_TEXT = frozenset({"text/", "text/*", "text/html", "text/plain", "text/rtf", "text/xml"})

_TOP_LEVEL = frozenset({"*", "application", "image", "text", "video"})


def _check_sequence(media_types: object) -> None:
    if not isinstance(media_types, (list, tuple, set)):
        raise TypeError("Acceptable media types must be provided as a sequence.")


def _check_form(media_type: str) -> None:
    """A media type is ``type/subtype`` with a known top-level type and one slash."""
    top, slash, rest = media_type.partition("/")
    if not slash or top not in _TOP_LEVEL or "/" in rest:
        raise InvalidArgumentError(f'Not a valid media type: "{media_type}"')


def _split(item: str | Sequence[str]) -> tuple[str, str | None]:
    if isinstance(item, str):
        return item, None
    if not item or not isinstance(item[0], str):
        raise TypeError(f'Media type "{item}" is not supported for requested resource')
    return item[0], (item[1] if len(item) > 1 else None)


def _is_wildcard(media_type: str) -> bool:
    return media_type.endswith("/*") or media_type.endswith("/")


def _check_syntax(media_type: str, syntax: str, supported: Syntaxes) -> bool:
    """Whether ``syntax`` goes with ``media_type`` (False: leave the pair out of the header)."""
    if syntax not in supported:
        raise InvalidArgumentError(
            f'Transfer syntax "{syntax}" is not supported for requested resource.'
        )
    expected = supported[syntax]
    if media_type in expected:
        return True
    if _is_wildcard(media_type) and any(
        media_type.split("/")[0] == other.split("/")[0] for other in expected[:1]
    ):
        return False
    raise InvalidArgumentError(
        f'Transfer syntax "{syntax}" is not supported for media type "{media_type}".'
    )


def accept_multipart(media_types: MediaTypes, supported: Syntaxes) -> str:
    """The Accept value ``multipart/related; type="..."[; transfer-syntax=...]`` for each item."""
    _check_sequence(media_types)
    known = {media for group in supported.values() for media in group}
    fields = []
    for item in media_types:
        media_type, syntax = _split(item)
        _check_form(media_type)
        if media_type not in known and not _is_wildcard(media_type):
            raise InvalidArgumentError(
                f'Media type "{media_type}" is not supported for requested resource.'
            )
        field = f'multipart/related; type="{media_type}"'
        if (
            syntax is not None
            and syntax != "*"
            and not _check_syntax(media_type, syntax, supported)
        ):
            continue
        if syntax is not None:
            field += f"; transfer-syntax={syntax}"
        fields.append(field)
    return ", ".join(fields)


def accept_single(media_types: MediaTypes, supported: frozenset[str]) -> str:
    """The Accept value for a single-part (rendered) resource: the types, comma-separated."""
    _check_sequence(media_types)
    fields = []
    for media_type in media_types:
        if not isinstance(media_type, str):
            raise TypeError(f'Media type "{media_type}" is not supported for requested resource')
        _check_form(media_type)
        if media_type not in supported:
            raise InvalidArgumentError(
                f'Media type "{media_type}" is not supported for requested resource'
            )
        fields.append(media_type)
    return ", ".join(fields)


def common_media_types(media_types: MediaTypes | None) -> list[str]:
    """The resource category of each item (``application/...`` as is, else ``type/``).

    Items of different categories are refused, except images with ``application/octet-stream``
    (frames may come compressed or not), as dicomweb-client does.
    """
    if media_types is None:
        raise InvalidArgumentError("No acceptable media types provided.")
    _check_sequence(media_types)
    common = []
    for item in media_types:
        media_type, _ = _split(item)
        if media_type.startswith("application"):
            common.append(media_type)
        else:
            top, slash, _rest = media_type.partition("/")
            if not slash:
                raise InvalidArgumentError(f'Not a valid media type: "{media_type}"')
            common.append(f"{top}/")
    kinds = set(common)
    if not kinds:
        raise InvalidArgumentError("No common acceptable media type could be identified.")
    if len(kinds) > 1 and kinds != {"image/", "application/octet-stream"}:
        raise InvalidArgumentError(
            "Acceptable media types must all correspond to the same resource category "
            "(e.g., DICOM resources or bulkdata resources)."
        )
    return common


def range_header(byte_range: Sequence[int] | None) -> str:
    """``bytes=first-last`` (``last`` may be left out: to the end)."""
    if byte_range is None:
        return "bytes=0-"
    end = str(byte_range[1]) if len(byte_range) > 1 and byte_range[1] is not None else ""
    return f"bytes={byte_range[0]}-{end}"
