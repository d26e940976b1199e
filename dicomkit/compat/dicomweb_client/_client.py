"""``DICOMwebClient``: dicomweb-client 0.61.2's class, running on dicomkit.

Same constructor, attributes (``base_url``, ``scheme``/``protocol``, ``host``, ``port``,
``url_prefix`` and the four service prefixes, which may be reassigned at any time), methods,
arguments (``additional_params`` everywhere) and return types (pydicom Datasets, DICOM JSON
dicts, bytes). URLs, UIDs, multipart, DICOM JSON/XML and retries come from dicomkit's core, the
bytes move through dicomkit's requests transport (:mod:`._http`). dicomweb-client itself is
never imported.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import requests

from dicomkit.compat.dicomweb_client import _media as media
from dicomkit.compat.dicomweb_client._binary import BinaryResources
from dicomkit.compat.dicomweb_client._errors import InvalidUIDError, ResponseError
from dicomkit.compat.dicomweb_client._http import (
    DEFAULT_RETRIABLE,
    HttpRunner,
    query_string,
    timeout_of,
)
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.errors import InvalidUIDError as CoreInvalidUIDError
from dicomkit.core.uids import uid_path_segment

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = ["DICOMwebClient"]

logger = logging.getLogger("dicomkit.compat")

_URL_RE = re.compile(r"(?P<scheme>[https]+)://(?P<host>[^/:]+)(?::(?P<port>\d+))?")
_STRICT_PATTERN = r"[0-9]+([.][0-9]+)*"
_PERMISSIVE_PATTERN = r"[^/@%?#\\]+"
Params = dict[str, Any]
MediaTypes = media.MediaTypes


def _dataset(part: bytes) -> Dataset:
    import pydicom

    return pydicom.dcmread(BytesIO(part))


class DICOMwebClient(BinaryResources):
    """A DICOMweb client with dicomweb-client's interface (see :mod:`dicomkit.compat`)."""

    def __init__(
        self,
        url: str,
        session: requests.Session | None = None,
        qido_url_prefix: str | None = None,
        wado_url_prefix: str | None = None,
        stow_url_prefix: str | None = None,
        delete_url_prefix: str | None = None,
        proxies: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        callback: Callable[..., Any] | None = None,
        chunk_size: int = 10**6,
        permissive_uid: bool = False,
        timeout: float | tuple[float | None, float | None] = 20,
    ) -> None:
        self._session = session if session is not None else requests.Session()
        self.base_url = url
        self.qido_url_prefix = qido_url_prefix
        self.wado_url_prefix = wado_url_prefix
        self.stow_url_prefix = stow_url_prefix
        self.delete_url_prefix = delete_url_prefix
        match = _URL_RE.match(url)
        if match is None:
            raise InvalidArgumentError(f"Malformed URL: {url}")
        parts = urlparse(url)
        if not parts.scheme.startswith("http"):
            raise InvalidArgumentError(f'URL scheme "{parts.scheme}" is not supported.')
        self.scheme = self.protocol = parts.scheme
        self.host: str = match.group("host")
        port = match.group("port")
        if port:
            self.port = int(port)
        elif parts.scheme in ("http", "https"):
            self.port = 80 if parts.scheme == "http" else 443
        else:
            raise InvalidArgumentError(f'URL scheme "{parts.scheme}" is not supported.')
        self.url_prefix = parts.path
        if headers is not None:
            self._session.headers.update(headers)
        if proxies is not None:
            self._session.proxies = proxies
        if callback is not None:
            self._session.hooks = {"response": [callback]}
        self._permissive_uid = permissive_uid
        self._timeout = timeout
        self._http = HttpRunner(self._session, timeout_of(timeout), chunk_size)
        self.set_http_retry_params()

    # -- settings -------------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if name.endswith("_url_prefix") and name != "url_prefix" and value == "":
            raise InvalidArgumentError(f'Argument "{name}" must not be a zero length string.')
        super().__setattr__(name, value)

    @property
    def _chunk_size(self) -> int:
        return self._http.chunk_size

    def set_chunk_size(self, chunk_size: int) -> None:
        """Bytes per chunk when streaming answers and uploads."""
        self._http.chunk_size = chunk_size

    def set_http_retry_params(
        self,
        retry: bool = True,
        max_attempts: int = 5,
        wait_exponential_multiplier: int = 1000,
        retriable_error_codes: tuple[int, ...] = DEFAULT_RETRIABLE,
    ) -> None:
        """Retry answers with these statuses up to ``max_attempts`` times, waiting
        ``wait_exponential_multiplier * 2**n`` ms; ``retry=False`` sends each request once."""
        self._http_retry = retry
        self._max_attempts = max_attempts if retry else 1
        self._wait_exponential_multiplier = wait_exponential_multiplier if retry else 1
        self._http_retrable_errors = tuple(retriable_error_codes) if retry else ()
        self._http.configure_retry(
            retry, self._max_attempts, self._wait_exponential_multiplier, retriable_error_codes
        )

    # -- URLs -----------------------------------------------------------------------------

    def _uid(self, value: Any, what: str) -> str:
        """``value`` checked (strict, or permissive as asked) and ready for a path segment."""
        if not isinstance(value, str):
            raise TypeError("DICOM UID must be a string.")
        try:
            return uid_path_segment(value, what, permissive=self._permissive_uid)
        except CoreInvalidUIDError as exc:
            pattern = _PERMISSIVE_PATTERN if self._permissive_uid else _STRICT_PATTERN
            raise InvalidUIDError(f"UID {value!r} must match regex {pattern!r}: {exc}") from exc

    def _root(self, service: str) -> str:
        prefix = getattr(self, f"{service}_url_prefix")
        return str(self.base_url) + (f"/{prefix}" if prefix is not None else "")

    def _url(
        self,
        service: str,
        study: str | None = None,
        series: str | None = None,
        instance: str | None = None,
        level: str = "",
    ) -> str:
        """``{root}/studies/{study}/series/{series}/instances/{instance}``, or the search
        resource ``level`` (``"series"``, ``"instances"``) below what was given."""
        url = self._root(service)
        if study is not None:
            url += "/studies/" + self._uid(study, "StudyInstanceUID")
            if series is not None:
                url += "/series/" + self._uid(series, "SeriesInstanceUID")
                if instance is not None:
                    url += "/instances/" + self._uid(instance, "SOPInstanceUID")
        elif level == "":
            url += "/studies"
        return url + (f"/{level}" if level else "")

    @staticmethod
    def _required(**values: Any) -> None:
        for name, value in values.items():
            if value is None:
                raise InvalidArgumentError(f"{name} is required.")

    # -- QIDO-RS --------------------------------------------------------------------------

    @staticmethod
    def _query(
        fuzzymatching: bool | None,
        limit: int | None,
        offset: int | None,
        fields: Sequence[str] | None,
        search_filters: dict[str, Any] | None,
        additional_params: Params | None,
    ) -> Params:
        params: Params = {}
        for name, number in (("limit", limit), ("offset", offset)):
            if number is not None:
                if not isinstance(number, int) or isinstance(number, bool):
                    raise TypeError(f'Argument "{name}" must be an integer.')
                if number < 0:
                    raise InvalidArgumentError(f'Argument "{name}" must not be negative.')
                params[name] = number
        if fuzzymatching is not None:
            if not isinstance(fuzzymatching, bool):
                raise TypeError('Argument "fuzzymatching" must be boolean.')
            params["fuzzymatching"] = "true" if fuzzymatching else "false"
        if fields is not None:
            if any(not isinstance(field, str) for field in fields):
                raise TypeError('Items of argument "fields" must be strings.')
            params["includefield"] = sorted(set(fields))
        for key, value in (search_filters or {}).items():
            if not isinstance(key, str):
                raise TypeError('Keys of argument "search_filters" must be strings.')
            params[key] = value
        params = dict(sorted(params.items()))
        params.update(additional_params or {})
        return params

    def _search(self, url: str, params: Params, get_remaining: bool) -> list[dict[str, Any]]:
        if not get_remaining:
            return self._http.get_json(url, params)
        results: list[dict[str, Any]] = []
        params = {**params, "offset": params.get("offset", 0)}
        seen: set[str] = set()
        while True:
            page = self._http.get_json(url, params)
            key = repr(page)
            if not page or key in seen:  # a server ignoring offset would loop forever
                return results
            seen.add(key)
            results.extend(page)
            params["offset"] += len(page)

    def search_for_studies(
        self,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
        search_filters: dict[str, Any] | None = None,
        get_remaining: bool = False,
        additional_params: Params | None = None,
    ) -> list[dict[str, Any]]:
        """QIDO-RS for studies: DICOM JSON objects."""
        params = self._query(
            fuzzymatching, limit, offset, fields, search_filters, additional_params
        )
        return self._search(self._root("qido") + "/studies", params, get_remaining)

    def search_for_series(
        self,
        study_instance_uid: str | None = None,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
        search_filters: dict[str, Any] | None = None,
        get_remaining: bool = False,
        additional_params: Params | None = None,
    ) -> list[dict[str, Any]]:
        """QIDO-RS for series, of one study or of all."""
        url = self._url("qido", study_instance_uid, level="series")
        params = self._query(
            fuzzymatching, limit, offset, fields, search_filters, additional_params
        )
        return self._search(url, params, get_remaining)

    def search_for_instances(
        self,
        study_instance_uid: str | None = None,
        series_instance_uid: str | None = None,
        fuzzymatching: bool | None = None,
        limit: int | None = None,
        offset: int | None = None,
        fields: Sequence[str] | None = None,
        search_filters: dict[str, Any] | None = None,
        get_remaining: bool = False,
        additional_params: Params | None = None,
    ) -> list[dict[str, Any]]:
        """QIDO-RS for instances, of one series, one study or of all."""
        if study_instance_uid is None and series_instance_uid is not None:
            logger.warning("series UID is ignored because study UID is undefined")
            series_instance_uid = None
        url = self._url("qido", study_instance_uid, series_instance_uid, level="instances")
        params = self._query(
            fuzzymatching, limit, offset, fields, search_filters, additional_params
        )
        return self._search(url, params, get_remaining)

    # -- WADO-RS: instances ---------------------------------------------------------------

    def _datasets(
        self, url: str, media_types: MediaTypes | None, params: Params | None, stream: bool
    ) -> Iterator[Dataset]:
        """GET ``url`` as multipart ``application/dicom``; a bare ``application/dicom`` answer
        (not conformant, but sent by some servers) is one Dataset."""
        if media_types is not None:
            kinds = media.common_media_types(media_types)
            if len(kinds) > 1 or kinds[0] != "application/dicom":
                raise InvalidArgumentError(
                    f'Media type "{kinds[0]}" is not supported for retrieval of DICOM instances. '
                    'It must be "application/dicom".'
                )
        accept = media.accept_multipart(media_types or ("application/dicom",), media.DICOM_SYNTAXES)
        response = self._http.get(url + query_string(params), accept)
        if (response.headers.get("Content-Type") or "").startswith("application/dicom"):
            return iter([_dataset(self._http.read(response))])
        return (_dataset(part) for part in self._http.iter_parts(response))

    def retrieve_study(
        self,
        study_instance_uid: str,
        media_types: MediaTypes | None = None,
        additional_params: Params | None = None,
    ) -> list[Dataset]:
        """Every instance of a study, as pydicom Datasets."""
        return list(self.iter_study(study_instance_uid, media_types, additional_params))

    def iter_study(
        self,
        study_instance_uid: str,
        media_types: MediaTypes | None = None,
        additional_params: Params | None = None,
    ) -> Iterator[Dataset]:
        """Every instance of a study, one Dataset at a time as the answer streams."""
        self._required(study_instance_uid=study_instance_uid)
        url = self._url("wado", study_instance_uid)
        return self._datasets(url, media_types, additional_params, stream=True)

    def retrieve_series(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        media_types: MediaTypes | None = None,
        additional_params: Params | None = None,
    ) -> list[Dataset]:
        """Every instance of a series, as pydicom Datasets."""
        return list(
            self.iter_series(
                study_instance_uid, series_instance_uid, media_types, additional_params
            )
        )

    def iter_series(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        media_types: MediaTypes | None = None,
        additional_params: Params | None = None,
    ) -> Iterator[Dataset]:
        """Every instance of a series, one Dataset at a time as the answer streams."""
        self._required(
            study_instance_uid=study_instance_uid, series_instance_uid=series_instance_uid
        )
        url = self._url("wado", study_instance_uid, series_instance_uid)
        yield from self._datasets(url, media_types, additional_params, stream=True)

    def retrieve_instance(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        media_types: MediaTypes | None = None,
        additional_params: Params | None = None,
    ) -> Dataset:
        """One instance as a pydicom Dataset (any transfer syntax unless asked otherwise)."""
        self._required(
            study_instance_uid=study_instance_uid,
            series_instance_uid=series_instance_uid,
            sop_instance_uid=sop_instance_uid,
        )
        url = self._url("wado", study_instance_uid, series_instance_uid, sop_instance_uid)
        chosen = media_types if media_types is not None else (("application/dicom", "*"),)
        instances = list(self._datasets(url, chosen, additional_params, stream=False))
        if len(instances) != 1:
            raise ResponseError(f"the server sent {len(instances)} instances, not one")
        return instances[0]

    # -- WADO-RS: metadata ----------------------------------------------------------------

    def retrieve_study_metadata(
        self, study_instance_uid: str, additional_params: Params | None = None
    ) -> list[dict[str, Any]]:
        """The metadata of every instance of a study (DICOM JSON)."""
        self._required(study_instance_uid=study_instance_uid)
        url = self._url("wado", study_instance_uid) + "/metadata"
        return self._http.get_json(url, additional_params)

    def retrieve_series_metadata(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        additional_params: Params | None = None,
    ) -> list[dict[str, Any]]:
        """The metadata of every instance of a series (DICOM JSON)."""
        self._required(
            study_instance_uid=study_instance_uid, series_instance_uid=series_instance_uid
        )
        url = self._url("wado", study_instance_uid, series_instance_uid) + "/metadata"
        return self._http.get_json(url, additional_params)

    def retrieve_instance_metadata(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        additional_params: Params | None = None,
    ) -> dict[str, Any]:
        """The metadata of one instance (a DICOM JSON object)."""
        self._required(
            study_instance_uid=study_instance_uid,
            series_instance_uid=series_instance_uid,
            sop_instance_uid=sop_instance_uid,
        )
        url = self._url("wado", study_instance_uid, series_instance_uid, sop_instance_uid)
        found = self._http.get_json(url + "/metadata", additional_params)
        if not found:
            raise ResponseError(f"the server sent no metadata for {url}")
        return found[0]

    # -- lookups --------------------------------------------------------------------------

    @staticmethod
    def lookup_keyword(tag: str | int | tuple[int, int]) -> str:
        """The keyword of a tag (``"0020000D"`` -> ``"StudyInstanceUID"``)."""
        from pydicom.datadict import keyword_for_tag
        from pydicom.tag import Tag

        keyword = keyword_for_tag(Tag(int(tag, 16) if isinstance(tag, str) else tag))
        if not keyword:
            raise KeyError(f"Could not find a keyword for tag {tag}.")
        return str(keyword)

    @staticmethod
    def lookup_tag(keyword: str) -> str:
        """The tag of a keyword as eight hex digits (``"PixelData"`` -> ``"7FE00010"``)."""
        from pydicom.datadict import tag_for_keyword

        tag = tag_for_keyword(keyword)
        if tag is None:
            raise KeyError(f'Could not find a tag for "{keyword}".')
        return f"{tag:08X}"
