"""The compatibility client's byte resources: frames, bulk data, renderings, STOW-RS, DELETE.

A mixin of :class:`~dicomkit.compat.dicomweb_client.DICOMwebClient`, split off to keep each
module to one job; it uses the client's URL builder and :class:`~._http.HttpRunner`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from io import BytesIO
from typing import TYPE_CHECKING, Any

from dicomkit.compat.dicomweb_client import _media as media
from dicomkit.compat.dicomweb_client._errors import ResponseError
from dicomkit.compat.dicomweb_client._http import HttpRunner, check_frames, query_string
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.multipart import Part, encode_multipart, new_boundary

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

__all__ = ["BinaryResources"]

logger = logging.getLogger("dicomkit.compat")

Params = dict[str, Any]
MediaTypes = media.MediaTypes
_STOW_TYPE = 'multipart/related; type="application/dicom"; boundary="{}"'


def _encoded(dataset: Dataset) -> bytes:
    """Part 10 bytes as dicomkit writes them; a Dataset pydicom cannot write as a conformant
    file (dicomweb-client's tests store an empty one) is written as pydicom writes it."""
    import pydicom

    from dicomkit.core.part10 import part10_bytes

    try:
        return part10_bytes(dataset)
    except InvalidArgumentError:
        with BytesIO() as buffer:
            pydicom.dcmwrite(buffer, dataset)
            return buffer.getvalue()


class BinaryResources:
    """Frames, bulk data, rendered resources, STOW-RS and DELETE, as dicomweb-client has them."""

    _http: HttpRunner

    if TYPE_CHECKING:

        def _url(
            self,
            service: str,
            study: str | None = None,
            series: str | None = None,
            instance: str | None = None,
            level: str = "",
        ) -> str: ...

        @staticmethod
        def _required(**values: Any) -> None: ...

    # -- multipart bytes ------------------------------------------------------------------

    def _http_get_multipart(
        self,
        url: str,
        media_types: MediaTypes | None = None,
        byte_range: Sequence[int] | None = None,
        params: Params | None = None,
        stream: bool = False,
    ) -> Iterator[bytes]:
        """Part bodies of a multipart GET; ``*/*`` (the default) accepts any media type."""
        syntaxes = media.FRAME_SYNTAXES
        if media_types is not None:
            kinds = set(media.common_media_types(media_types))
            if kinds == {"application/octet-stream"}:
                syntaxes = media.OCTET_SYNTAXES
            elif kinds == {"image/"}:
                syntaxes = media.IMAGE_SYNTAXES
            elif kinds == {"video/"}:
                syntaxes = media.VIDEO_SYNTAXES
            elif len(kinds) == 1 and not kinds <= {"*/", "application/dicom"}:
                kind = kinds.pop()
                raise InvalidArgumentError(f'Media type "{kind}" is not supported here.')
        headers = {"Accept": media.accept_multipart(media_types or ("*/*",), syntaxes)}
        if byte_range is not None:
            headers["Range"] = media.range_header(byte_range)
        response = self._http.send("GET", url + query_string(params), headers)
        return self._http.iter_parts(response)

    @classmethod
    def _encode_multipart_message(cls, content: Sequence[bytes], content_type: str) -> bytes:
        """A ``multipart/related`` body of ``content`` with the type and boundary named in
        ``content_type`` (dicomweb-client's tests build their answers with it)."""
        from dicomkit.core.media import parse_media_type

        parsed = parse_media_type(content_type)
        if parsed.type != "multipart/related":
            raise InvalidArgumentError('No "multipart/related" usage found in content type field')
        part_type, boundary = parsed.params.get("type"), parsed.params.get("boundary")
        if not part_type or not boundary:
            raise InvalidArgumentError('No "type" or "boundary" parameter in content-type field')
        parts = [Part(body, {"Content-Type": part_type}) for body in content]
        return b"".join(encode_multipart(parts, boundary))

    # -- frames ---------------------------------------------------------------------------

    def _frames_url(self, study: str, series: str, instance: str, frames: Sequence[int]) -> str:
        self._required(
            study_instance_uid=study, series_instance_uid=series, sop_instance_uid=instance
        )
        return self._url("wado", study, series, instance) + "/frames/" + check_frames(frames)

    def retrieve_instance_frames(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        media_types: MediaTypes | None = None,
        additional_params: Params | None = None,
    ) -> list[bytes]:
        """Frames of an instance as bytes, one item per frame."""
        url = self._frames_url(
            study_instance_uid, series_instance_uid, sop_instance_uid, frame_numbers
        )
        return list(self._http_get_multipart(url, media_types, params=additional_params))

    def iter_instance_frames(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        media_types: MediaTypes | None = None,
        additional_params: Params | None = None,
    ) -> Iterator[bytes]:
        """Frames of an instance, one at a time as the answer streams."""
        url = self._frames_url(
            study_instance_uid, series_instance_uid, sop_instance_uid, frame_numbers
        )
        yield from self._http_get_multipart(url, media_types, params=additional_params, stream=True)

    # -- bulk data ------------------------------------------------------------------------

    def retrieve_bulkdata(
        self,
        url: str,
        media_types: MediaTypes | None = None,
        byte_range: Sequence[int] | None = None,
        additional_params: Params | None = None,
    ) -> list[bytes]:
        """The parts of a BulkDataURI's answer (``url`` as the server gave it)."""
        return list(self._http_get_multipart(url, media_types, byte_range, additional_params))

    def iter_bulkdata(
        self,
        url: str,
        media_types: MediaTypes | None = None,
        byte_range: Sequence[int] | None = None,
        additional_params: Params | None = None,
    ) -> Iterator[bytes]:
        """The parts of a BulkDataURI's answer, one at a time."""
        yield from self._http_get_multipart(
            url, media_types, byte_range, additional_params, stream=True
        )

    # -- rendered -------------------------------------------------------------------------

    def _rendered(self, url: str, media_types: MediaTypes | None, params: Params | None) -> bytes:
        """A rendered resource's body; image, video, text and PDF types are checked first."""
        headers: dict[str, str] = {}
        if media_types is not None:
            kinds = media.common_media_types(media_types)
            kind = kinds[0] if len(kinds) == 1 else ""
            if kind.startswith("image"):
                headers["Accept"] = media.accept_single(media_types, media.RENDERED_IMAGE)
            elif kind.startswith("video"):
                headers["Accept"] = media.accept_single(media_types, media.RENDERED_VIDEO)
            elif kind.startswith("text") and "/frames/" not in url:
                headers["Accept"] = media.accept_single(media_types, media.RENDERED_TEXT)
            elif kind == "application/pdf" and "/frames/" not in url:
                headers["Accept"] = "application/pdf"
            elif kind:
                raise InvalidArgumentError(
                    f'Media type "{kind}" is not supported for retrieval of a rendering.'
                )
        response = self._http.send("GET", url + query_string(params), headers)
        return self._http.read(response)

    def retrieve_instance_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        media_types: MediaTypes | None = None,
        params: Params | None = None,
    ) -> bytes:
        """An instance rendered (JPEG, PNG, a video, text or PDF), as the body's bytes."""
        self._required(
            study_instance_uid=study_instance_uid,
            series_instance_uid=series_instance_uid,
            sop_instance_uid=sop_instance_uid,
        )
        url = self._url("wado", study_instance_uid, series_instance_uid, sop_instance_uid)
        return self._rendered(url + "/rendered", media_types, params)

    def retrieve_series_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        media_types: MediaTypes | None = None,
        params: Params | None = None,
    ) -> bytes:
        """A series rendered, as the body's bytes."""
        self._required(
            study_instance_uid=study_instance_uid, series_instance_uid=series_instance_uid
        )
        url = self._url("wado", study_instance_uid, series_instance_uid)
        return self._rendered(url + "/rendered", media_types, params)

    def retrieve_study_rendered(
        self,
        study_instance_uid: str,
        media_types: MediaTypes | None = None,
        params: Params | None = None,
    ) -> bytes:
        """A study rendered, as the body's bytes."""
        self._required(study_instance_uid=study_instance_uid)
        url = self._url("wado", study_instance_uid)
        return self._rendered(url + "/rendered", media_types, params)

    def retrieve_instance_frames_rendered(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        frame_numbers: Sequence[int],
        media_types: MediaTypes | None = None,
        params: Params | None = None,
    ) -> bytes:
        """Frames rendered (an image or a video), as the body's bytes."""
        url = self._frames_url(
            study_instance_uid, series_instance_uid, sop_instance_uid, frame_numbers
        )
        return self._rendered(url + "/rendered", media_types, params)

    # -- STOW-RS and DELETE ---------------------------------------------------------------

    def store_instances(
        self,
        datasets: Sequence[Dataset],
        study_instance_uid: str | None = None,
        additional_params: Params | None = None,
    ) -> Dataset:
        """STOW-RS of ``datasets`` in one request; the server's answer as a Dataset."""
        bodies = [_encoded(dataset) for dataset in datasets]
        boundary = new_boundary(avoid=bodies)
        content_type = _STOW_TYPE.format(boundary)
        parts = [Part(body, {"Content-Type": "application/dicom"}) for body in bodies]
        # no instances: dicomweb-client still sends the (empty) request; so does this
        body = b"".join(encode_multipart(parts, boundary)) if parts else f"--{boundary}--".encode()
        url = self._url("stow", study_instance_uid)
        response = self._http.send(
            "POST", url + query_string(additional_params), {"Content-Type": content_type}, body
        )
        return _store_answer(response.headers.get("Content-Type") or "", self._http.read(response))

    def _delete(self, url: str, additional_params: Params | None) -> None:
        self._http.read(self._http.send("DELETE", url + query_string(additional_params)))

    def delete_study(
        self, study_instance_uid: str, additional_params: Params | None = None
    ) -> None:
        """DELETE a study (a 405 is an error: the server does not support deletion)."""
        self._required(study_instance_uid=study_instance_uid)
        self._delete(self._url("delete", study_instance_uid), additional_params)

    def delete_series(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        additional_params: Params | None = None,
    ) -> None:
        """DELETE a series."""
        self._required(
            study_instance_uid=study_instance_uid, series_instance_uid=series_instance_uid
        )
        url = self._url("delete", study_instance_uid, series_instance_uid)
        self._delete(url, additional_params)

    def delete_instance(
        self,
        study_instance_uid: str,
        series_instance_uid: str,
        sop_instance_uid: str,
        additional_params: Params | None = None,
    ) -> None:
        """DELETE an instance."""
        self._required(
            study_instance_uid=study_instance_uid,
            series_instance_uid=series_instance_uid,
            sop_instance_uid=sop_instance_uid,
        )
        url = self._url("delete", study_instance_uid, series_instance_uid, sop_instance_uid)
        self._delete(url, additional_params)


def _store_answer(content_type: str, body: bytes) -> Dataset:
    """The STOW-RS answer (DICOM JSON or XML) as a Dataset; failures are logged, as there."""
    from pydicom.dataset import Dataset

    from dicomkit.core.dicomjson import dataset_from_json, loads_json_object
    from dicomkit.core.dicomxml import looks_like_xml, native_model_to_json

    if not body.strip():
        return Dataset()
    media_type = content_type.split(";")[0].strip().lower()
    if media_type in ("application/dicom+xml", "application/xml") or looks_like_xml(body):
        model = native_model_to_json(body)
    elif media_type in ("application/dicom+json", "application/json", ""):
        model = loads_json_object(body)
    else:
        raise ResponseError(f'Response message has unexpected media type "{media_type}".')
    dataset = dataset_from_json(model)
    for item in dataset.get("FailedSOPSequence", []):
        logger.error(
            'storage of instance %s failed: "%s"',
            item.get("ReferencedSOPInstanceUID"),
            item.get("FailureReason"),
        )
    return dataset
