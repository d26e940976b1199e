"""DICOMweb URLs: resource paths under a configurable root, and QIDO-RS query strings.

How a URL is put together::

    {base_url}{/api_version}{/partitions/{partition}}{/prefix}/studies/{study}/...
    └ base ─┘└─ optional ──┘└──── optional ────────┘└optional┘└ resource path ┘

- ``base_url`` is an ``http`` or ``https`` URL whose path may be empty or carry segments
  (``http://host/dcm4chee-arc/aets/DCM4CHEE/rs``); a trailing slash is ignored. It may not carry a
  query, a fragment, credentials (pass ``auth=`` to the client instead) or ``.``/``..`` segments.
- ``api_version`` is one segment such as ``v1``; ``"v1"``, ``"/v1"``, ``"v1/"`` and ``1`` all
  give ``/v1``.
- ``partition`` adds ``/partitions/{name}`` (Azure's data partitions); the name is
  percent-encoded and may not be ``.`` or ``..``.
- A *prefix* (``qido_prefix``, ``wado_prefix``, ``stow_prefix``, ``delete_prefix``) is one or
  more path segments appended after base, version and partition for that service only, e.g.
  ``qido_prefix="qidors"`` gives ``{root}/qidors/studies``. Slashes around it are ignored and each
  segment is percent-encoded. DELETE uses ``delete_prefix`` when given, else the WADO prefix,
  because it targets the very resource WADO-RS retrieves.

Every UID goes through :func:`~dicomkit.core.uids.validate_uid` before it reaches a path (strict,
or with ``permissive_uids=True`` the lenient rule, percent-encoded as one segment); other
path segments (partition, prefixes) keep only RFC 3986 unreserved characters. Query names and
values are percent-encoded as UTF-8 (PS3.18 8.3.4.1, RFC 3986) except for unreserved characters
and ``QUERY_SAFE`` (``* ? : @ / ! $ ' ( )``, which RFC 3986 allows in a query and which mean
nothing to its syntax). ``^`` is encoded (RFC 3986 does not allow it), and so is a ``,`` inside
a value: only the separator between several values (:class:`ValueList`) is a raw comma. A
server dialect may keep ``^`` and ``,`` raw (``encode_query(raw=...)``): Orthanc 1.10 compares
values without percent-decoding them. ``&``, ``=``, ``+``, ``#``, ``;``, ``%``, spaces, controls
and non-ASCII text are always encoded, so no caller value can add a path segment, a query
parameter or a fragment.

``resolve`` turns a BulkDataURI or RetrieveURL from a server into an absolute URL. A relative
reference is resolved against the WADO root. An absolute one is accepted only when it has the
base URL's scheme, host and port: following a server-supplied link to another origin would send
the caller's credentials there. Pass ``allow_other_origin=True`` to accept such links anyway.

The URL helpers the rest of dicomkit shares live here too, one of each: RFC 3986 reference
resolution (:func:`resolve_reference`), the :class:`Origin` credentials are bound to
(:func:`origin_of`), :func:`without_userinfo` for messages that quote a URL, and the frame-number
check (:func:`frame_list`). The query string itself is built by :mod:`dicomkit.core.query`, whose
names are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal, NamedTuple

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.numbers import parse_decimal
from dicomkit.core.query import (
    QUERY_SAFE,
    ValueList,
    build_query,
    encode_query,
    normalize_attribute,
    percent_encode,
)
from dicomkit.core.uids import uid_path_segment

__all__ = [
    "QUERY_SAFE",
    "DicomWebURLs",
    "Level",
    "Origin",
    "Resource",
    "ValueList",
    "build_query",
    "encode_query",
    "frame_list",
    "normalize_attribute",
    "origin_of",
    "percent_encode",
    "resolve_reference",
    "with_query",
    "without_userinfo",
]

Level = Literal["studies", "series", "instances"]
Resource = Literal["metadata", "rendered", "thumbnail", "frames", "bulkdata"]
Pairs = Iterable[tuple[str, str]] | None
"""Query pairs to append, from :func:`build_query` or :func:`~dicomkit.core.query.extra_pairs`."""

_PATH_SAFE = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@%/"
)
_BASE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)$")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_USERINFO_RE = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://)?)[^/?#]*@")
# RFC 3986, appendix B.
_URI_RE = re.compile(r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.S)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LEVELS = ("studies", "series", "instances")
_RESOURCES = ("metadata", "rendered", "thumbnail", "frames", "bulkdata")
_PREVIEW = 80


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + "..."


def _segment(value: str, what: str) -> str:
    if not isinstance(value, str) or value in ("", ".", ".."):
        raise InvalidArgumentError(f"{what} {_preview(value)} is not a usable path segment")
    return percent_encode(value)


def _segments(value: str | None, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{what} must be a string, not {type(value).__name__}")
    parts = value.strip("/").split("/")
    if parts == [""]:
        return ""
    return "".join("/" + _segment(p, what) for p in parts)


def _api_version(value: str | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = f"v{value}"
    if not isinstance(value, str):
        raise InvalidArgumentError(f"api_version must be a string like 'v1', not {_preview(value)}")
    text = value.strip().strip("/")
    if not text:
        return ""
    if "/" in text:
        raise InvalidArgumentError(f"api_version {_preview(value)} must be a single segment")
    return "/" + _segment(text, "api_version")


class Origin(NamedTuple):
    """Scheme, lower-cased host and effective port: what decides where credentials may go."""

    scheme: str
    host: str
    port: int | None


class _Parts(NamedTuple):
    scheme: str | None
    authority: str | None
    path: str
    query: str | None
    fragment: str | None


def _split(uri: str) -> _Parts:
    match = _URI_RE.match(uri)
    if match is None:  # pragma: no cover - the pattern matches every string
        return _Parts(None, None, uri, None, None)
    scheme, authority, path, query, fragment = match.groups()
    return _Parts(scheme, authority, path, query, fragment)


def _join(parts: _Parts) -> str:
    text = ""
    if parts.scheme is not None:
        text += parts.scheme + ":"
    if parts.authority is not None:
        text += "//" + parts.authority
    text += parts.path
    if parts.query is not None:
        text += "?" + parts.query
    if parts.fragment is not None:
        text += "#" + parts.fragment
    return text


def origin_of(url: str) -> Origin:
    """The origin of an absolute URL; userinfo is ignored and default ports are made explicit.

    Lenient by design (a port that is not a number counts as the default): it compares URLs
    that a backend checks before sending anything.
    """
    parts = _split(url)
    scheme = (parts.scheme or "").lower()
    hostport = (parts.authority or "").rpartition("@")[2]
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    port = parse_decimal(port_text, max_digits=5)
    if port is None:
        port = _DEFAULT_PORTS.get(scheme)
    return Origin(scheme, host.lower().rstrip("."), port)


def without_userinfo(url: str) -> str:
    """``url`` without any ``user:password@``, so that messages quoting it carry no secret."""
    return _USERINFO_RE.sub(r"\1", url, count=1)


def _check_authority(authority: str) -> None:
    """Refuse a base URL's authority with credentials, a bad host or a port out of range."""
    if "@" in authority:
        raise InvalidArgumentError(
            "credentials in the URL are not accepted; pass auth= to the client instead"
        )
    host, port = authority, ""
    if authority.startswith("["):
        end = authority.find("]")
        host, rest = authority[: end + 1], authority[end + 1 :]
        if end < 0 or (rest and not rest.startswith(":")):
            raise InvalidArgumentError(f"bad host in URL: {_preview(authority)}")
        port = rest[1:]
    elif ":" in authority:
        host, port = authority.rsplit(":", 1)
    bare_colon = ":" in host and not host.startswith("[")  # only IPv6, bracketed, has colons
    if not host or bare_colon or any(c in authority for c in " \t\r\n\\"):
        raise InvalidArgumentError(f"bad host in URL: {_preview(authority)}")
    number = parse_decimal(port, max_digits=5)
    if port and (number is None or number > 65535):
        raise InvalidArgumentError(f"bad port in URL: {_preview(authority)}")
    if not host.startswith("[") and not _has_idna_form(host):
        raise InvalidArgumentError(f"bad host in URL: {_preview(authority)}")


def _has_idna_form(host: str) -> bool:
    """Whether ``host`` encodes to IDNA (no empty label inside, none over 63 characters). An
    ASCII name is checked here as the codec checks it, since importing the codec (with
    ``stringprep`` and ``unicodedata``) is part of every command's start; others go to it."""
    if host.isascii():
        *inner, last = host.split(".")
        return all(0 < len(label) < 64 for label in inner) and len(last) < 64
    try:
        host.encode("idna")
    except UnicodeError:
        return False
    return True


def _split_url(url: str, what: str) -> tuple[str, str, str]:
    """Lower-cased scheme, authority and path of an absolute http(s) URL with a sound authority."""
    match = _BASE_RE.match(url)
    shown = _preview(without_userinfo(url))
    if match is None:
        raise InvalidArgumentError(
            f"{what} {shown} must be an absolute http(s) URL without query or fragment"
        )
    scheme, authority, path = match.groups()
    if scheme.lower() not in _DEFAULT_PORTS:
        raise InvalidArgumentError(f"{what} {shown} must use http or https")
    _check_authority(authority)
    return scheme.lower(), authority, path


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, written as a segment stack."""
    if not path:
        return path
    absolute = path.startswith("/")
    segments = path.split("/")
    if absolute:
        segments = segments[1:]
    output: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return "/" + result if absolute else result


def _merge(base: _Parts, reference_path: str) -> str:
    if base.authority is not None and base.path == "":
        return "/" + reference_path
    head, slash, _ = base.path.rpartition("/")
    return head + slash + reference_path if slash else reference_path


def resolve_reference(base: str, reference: str) -> str:
    """Resolve a (possibly relative) URI reference against an absolute base, RFC 3986 5.2.2."""
    b = _split(base)
    r = _split(reference.strip())
    if r.scheme is not None:
        target = _Parts(r.scheme, r.authority, _remove_dot_segments(r.path), r.query, r.fragment)
    elif r.authority is not None:
        target = _Parts(b.scheme, r.authority, _remove_dot_segments(r.path), r.query, r.fragment)
    elif r.path == "":
        query = r.query if r.query is not None else b.query
        target = _Parts(b.scheme, b.authority, b.path, query, r.fragment)
    elif r.path.startswith("/"):
        target = _Parts(b.scheme, b.authority, _remove_dot_segments(r.path), r.query, r.fragment)
    else:
        path = _remove_dot_segments(_merge(b, r.path))
        target = _Parts(b.scheme, b.authority, path, r.query, r.fragment)
    return _join(target)


class DicomWebURLs:
    """Absolute URLs for every DICOMweb resource of one server (see the module docstring)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_version: str | int | None = None,
        partition: str | None = None,
        qido_prefix: str | None = None,
        wado_prefix: str | None = None,
        stow_prefix: str | None = None,
        delete_prefix: str | None = None,
        permissive_uids: bool = False,
    ) -> None:
        if not isinstance(base_url, str):
            raise InvalidArgumentError(f"base_url must be a string, not {type(base_url).__name__}")
        scheme, authority, path = _split_url(base_url.strip(), "base_url")
        path = path.rstrip("/")
        if any(c not in _PATH_SAFE for c in path):
            raise InvalidArgumentError(
                f"base_url path {_preview(path)} has characters that must be percent-encoded"
            )
        if any(s in (".", "..") for s in path.split("/")):
            raise InvalidArgumentError(f"base_url path {_preview(path)} has '.' or '..' segments")
        self.permissive_uids = permissive_uids
        self._origin = origin_of(f"{scheme}://{authority}")
        self._scheme_authority = f"{scheme}://{authority}"
        self.base_url = self._scheme_authority + path
        self.api_version = _api_version(api_version)
        self.partition = partition
        part = "" if partition is None else "/partitions/" + _segment(partition, "partition")
        self.root = self.base_url + self.api_version + part
        self.qido_root = self.root + _segments(qido_prefix, "qido_prefix")
        self.wado_root = self.root + _segments(wado_prefix, "wado_prefix")
        self.stow_root = self.root + _segments(stow_prefix, "stow_prefix")
        self.delete_root = (
            self.wado_root
            if delete_prefix is None
            else self.root + _segments(delete_prefix, "delete_prefix")
        )

    def __repr__(self) -> str:
        return f"DicomWebURLs({self.root!r})"

    # The parts of the base URL, read-only, under dicomweb-client's names (``client.protocol``
    # there is ``client.urls.protocol`` here): every URL is built from them once, so a part
    # that could be reassigned would silently change nothing.

    @property
    def scheme(self) -> str:
        """``"http"`` or ``"https"``, lower case."""
        return self._origin.scheme

    protocol = scheme
    """The same as :attr:`scheme`: dicomweb-client has both names."""

    @property
    def host(self) -> str:
        """The base URL's host, lower case; an IPv6 address without its brackets."""
        return self._origin.host

    @property
    def port(self) -> int:
        """The base URL's port, or its scheme's default (80, 443) when it names none."""
        port = self._origin.port
        return _DEFAULT_PORTS[self._origin.scheme] if port is None else port

    @property
    def url_prefix(self) -> str:
        """The base URL's path (``"/dicom-web"``; ``""`` for none), without a trailing slash;
        :attr:`root` adds the API version and partition to it."""
        return self.base_url[len(self._scheme_authority) :]

    def _resource_path(self, study: str | None, series: str | None, instance: str | None) -> str:
        if series is not None and study is None:
            raise InvalidArgumentError("a series UID needs the study UID too")
        if instance is not None and series is None:
            raise InvalidArgumentError("an instance UID needs the series UID too")
        path = ""
        if study is not None:
            path += "/studies/" + self._uid(study, "StudyInstanceUID")
        if series is not None:
            path += "/series/" + self._uid(series, "SeriesInstanceUID")
        if instance is not None:
            path += "/instances/" + self._uid(instance, "SOPInstanceUID")
        return path

    def _uid(self, value: str, what: str) -> str:
        """``value`` validated (strict, or permissive) as one percent-encoded path segment."""
        return uid_path_segment(value, what, permissive=self.permissive_uids)

    def search(
        self,
        level: Level,
        study: str | None = None,
        series: str | None = None,
        query: Mapping[str, Any] | Iterable[tuple[str, str]] | None = None,
        *,
        raw: str = "",
    ) -> str:
        """QIDO-RS URL: search ``level`` within an optional study (and series).

        ``query`` is either pairs from :func:`build_query` or a mapping of search filters that is
        passed to :func:`build_query`; ``raw`` goes to :func:`encode_query`.
        """
        if level not in _LEVELS:
            raise InvalidArgumentError(f"level must be one of {_LEVELS}, not {_preview(level)}")
        if level == "studies" and (study is not None or series is not None):
            raise InvalidArgumentError("a study search cannot be scoped to a study or series")
        if level == "series" and series is not None:
            raise InvalidArgumentError("a series search cannot be scoped to a series")
        url = self.qido_root + self._resource_path(study, series, None) + "/" + level
        pairs = build_query(query) if isinstance(query, Mapping) else query
        return with_query(url, pairs, raw=raw)

    def retrieve(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        *,
        resource: Resource | None = None,
        frames: int | Iterable[int] | None = None,
        query: Pairs = None,
    ) -> str:
        """WADO-RS URL of a study, series or instance, or of one of its sub-resources.

        ``frames`` (1-based numbers) selects frames of an instance: alone or with
        ``resource="frames"`` it gives ``.../frames/1,3``; with ``"rendered"`` or ``"thumbnail"``
        it gives ``.../frames/1,3/rendered``. ``query`` pairs (rendering parameters, a vendor's
        own) are encoded onto it by :func:`with_query`.
        """
        return with_query(self._retrieve_path(study, series, instance, resource, frames), query)

    def _retrieve_path(
        self,
        study: str,
        series: str | None,
        instance: str | None,
        resource: Resource | None,
        frames: int | Iterable[int] | None,
    ) -> str:
        if study is None:
            raise InvalidArgumentError("retrieve needs a StudyInstanceUID")
        if resource is not None and resource not in _RESOURCES:
            raise InvalidArgumentError(
                f"resource must be None or one of {_RESOURCES}, not {_preview(resource)}"
            )
        url = self.wado_root + self._resource_path(study, series, instance)
        if resource == "frames" and frames is None:
            raise InvalidArgumentError("resource='frames' needs frame numbers")
        if frames is not None:
            if instance is None:
                raise InvalidArgumentError("frames belong to an instance: pass its SOPInstanceUID")
            if resource not in (None, "frames", "rendered", "thumbnail"):
                raise InvalidArgumentError(f"frames cannot be combined with resource={resource!r}")
            url += "/frames/" + ",".join(map(str, frame_list(frames)))
            if resource in ("rendered", "thumbnail"):
                url += "/" + resource
            return url
        return url if resource is None else f"{url}/{resource}"

    def store(self, study: str | None = None, *, query: Pairs = None) -> str:
        """STOW-RS URL, optionally restricted to one study (``query``: a vendor's pairs)."""
        url = self.stow_root + (self._resource_path(study, None, None) or "/studies")
        return with_query(url, query)

    def delete(
        self,
        study: str,
        series: str | None = None,
        instance: str | None = None,
        *,
        query: Pairs = None,
    ) -> str:
        """URL a DELETE removes: a study, a series or an instance (``query``: a vendor's pairs)."""
        if study is None:
            raise InvalidArgumentError("delete needs a StudyInstanceUID")
        return with_query(self.delete_root + self._resource_path(study, series, instance), query)

    def resolve(
        self, uri: str, *, allow_other_origin: bool = False, other_origin: str | None = None
    ) -> str:
        """Make a server-supplied BulkDataURI or RetrieveURL absolute (see module docstring).

        ``other_origin`` says what to do with an absolute URL on another origin: ``"refuse"``
        (the default), ``"allow"`` (as ``allow_other_origin=True``), or ``"rewrite"``: keep its
        path and query but send it to the base URL's origin, for a server behind a reverse proxy
        that advertises its internal address.
        """
        mode = other_origin or ("allow" if allow_other_origin else "refuse")
        if mode not in ("refuse", "allow", "rewrite"):
            raise InvalidArgumentError(
                f"other_origin must be 'refuse', 'allow' or 'rewrite', not {_preview(mode)}"
            )
        if not isinstance(uri, str) or not uri.strip():
            raise InvalidArgumentError(f"cannot resolve {_preview(uri)} as a URL")
        uri = uri.strip()
        if any(c in uri for c in " \t\r\n"):
            raise InvalidArgumentError(f"URL {_preview(uri)} contains whitespace")
        if uri.startswith("//"):
            uri = f"{self._origin.scheme}:{uri}"
        if not _SCHEME_RE.match(uri):
            return resolve_reference(self.wado_root + "/", uri)
        scheme, authority, _ = _split_url(uri.split("?", 1)[0].split("#", 1)[0], "URL")
        if origin_of(f"{scheme}://{authority}") == self._origin or mode == "allow":
            return uri
        if mode == "rewrite":
            parts = _split(uri)
            return self._scheme_authority + _join(parts._replace(scheme=None, authority=None))
        raise InvalidArgumentError(
            f"refusing to follow {_preview(uri)}: it is not on {self._scheme_authority}, "
            "and the request would carry your credentials there (a server behind a proxy that "
            "advertises its internal address: use the dialect's other_origin='rewrite')"
        )


def with_query(url: str, pairs: Pairs, *, raw: str = "") -> str:
    """``url`` with ``pairs`` percent-encoded (:func:`encode_query`) onto its query: after the
    query it already has (a server's BulkDataURI may carry one), before any fragment. The one
    place a query meets a URL, for every request dicomkit builds."""
    encoded = encode_query(pairs or (), raw=raw)
    if not encoded:
        return url
    head, hash_, fragment = url.partition("#")
    separator = "&" if "?" in head else "?"
    if head.endswith(("?", "&")):
        separator = ""
    return f"{head}{separator}{encoded}{hash_}{fragment}"


def frame_list(frame_numbers: int | Iterable[int]) -> list[int]:
    """Frame numbers as a non-empty list of ints >= 1 (DICOM frames count from 1)."""
    frames: list[int] = [frame_numbers] if isinstance(frame_numbers, int) else list(frame_numbers)
    if not frames:
        raise InvalidArgumentError("at least one frame number is needed")
    for number in frames:
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise InvalidArgumentError(f"frame numbers are integers >= 1, not {number!r}")
    return frames
