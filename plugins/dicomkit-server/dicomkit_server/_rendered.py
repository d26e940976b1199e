"""WADO-RS rendered and thumbnail resources (PS3.18 10.4.1.1.3-4) at every level.

A rendered study or series holds many images, so PS3.18 10.4.4 has it answered as
``multipart/related; type="image/jpeg"`` (or PNG), one part per frame, and refused (406) when
the client lists only single-part media types. An instance or one frame may also be a single
image. A thumbnail is always one small image representative of its resource.
"""

from __future__ import annotations

from aiohttp import web

from dicomkit.core.multipart import Part, encode_multipart, multipart_length, new_boundary
from dicomkit_server._context import RequestContext
from dicomkit_server._dicomfile import NotAcceptable, render_frames
from dicomkit_server._negotiate import accepted, inner_type
from dicomkit_server._respond import error, send, warning_header
from dicomkit_server._store import InstanceRecord

__all__ = ["handle_rendered", "handle_thumbnail"]

_IMAGE_TYPES = ("image/jpeg", "image/png")
_THUMBNAIL_SIZE = 128


def _image_type(kind: str | None) -> str | None:
    """The image type to produce for an acceptable part type, JPEG for wildcards."""
    if kind in _IMAGE_TYPES:
        return kind
    if kind in (None, "*/*", "image/*"):
        return "image/jpeg"
    return None


def _single_choice(header: str | None) -> str | None:
    """The image type for a single-part answer, or None when no single-part range fits."""
    for media in accepted(header, "image/jpeg"):
        if media.main_type == "multipart":
            continue
        chosen = _image_type(media.type)
        if chosen is not None:
            return chosen
    return None


def _multipart_choice(header: str | None, default: str) -> str | None:
    """The part image type for a multipart answer; single-part ranges do not count."""
    for media in accepted(header, default):
        if media.type == "multipart/related":
            chosen = _image_type(inner_type(media)[0])
        elif media.type in ("multipart/*", "*/*"):
            chosen = "image/jpeg"
        else:
            continue
        if chosen is not None:
            return chosen
    return None


def _render_parts(
    ctx: RequestContext, records: list[InstanceRecord], frame: int | None, image_type: str
) -> tuple[list[Part], list[str], Exception | None]:
    """(one part per rendered frame, why instances were skipped, the last failure)."""
    parts: list[Part] = []
    skipped: list[str] = []
    failure: Exception | None = None
    for record in records:
        url = ctx.instance_url(record.study, record.series, record.sop)
        try:
            images = render_frames(record.path, None if frame is None else [frame], image_type)
        except (LookupError, NotAcceptable) as exc:
            skipped.append(f"instance {record.sop} not rendered: {exc}")
            failure = exc
            continue
        numbers = [frame] if frame is not None else list(range(1, len(images) + 1))
        for number, image in zip(numbers, images, strict=True):
            single = frame is None and len(images) == 1
            location = f"{url}/rendered" if single else f"{url}/frames/{number}/rendered"
            parts.append(Part(image, {"Content-Type": image_type, "Content-Location": location}))
    return parts, skipped, failure


async def _send_multipart(
    request: web.Request, parts: list[Part], image_type: str, skipped: list[str]
) -> web.StreamResponse:
    boundary = new_boundary(avoid=[part.body for part in parts if isinstance(part.body, bytes)])
    headers = {"Content-Type": f'multipart/related; type="{image_type}"; boundary={boundary}'}
    if skipped:
        headers["Warning"] = warning_header(skipped)
    return await send(
        request,
        headers=headers,
        chunks=encode_multipart(parts, boundary),
        length=multipart_length(parts, boundary),
    )


async def handle_rendered(
    request: web.Request,
    ctx: RequestContext,
    records: list[InstanceRecord],
    *,
    frame: int | None,
    instance_level: bool,
) -> web.StreamResponse:
    """GET .../rendered of a study, series, instance or frame.

    An instance or frame is one image when a single-part type is acceptable (the first frame
    of a multi-frame instance); otherwise every frame is a part. A study or series is always
    multipart; instances without renderable pixels are skipped and named in ``Warning``.
    """
    header = request.headers.get("Accept")
    if instance_level:
        single = _single_choice(header)
        if single is not None:
            try:
                image = render_frames(records[0].path, [frame or 1], single)[0]
            except LookupError as exc:
                return await error(request, 404, str(exc))
            except NotAcceptable as exc:
                return await error(request, 406, str(exc))
            return await send(request, headers={"Content-Type": single}, body=image)
    image_type = _multipart_choice(header, 'multipart/related; type="image/jpeg"')
    if image_type is None:
        kinds = "image/jpeg or image/png"
        if instance_level:
            return await error(request, 406, f"rendered images are {kinds}")
        return await error(
            request, 406, f'a rendered study or series is multipart/related; type="{kinds}"'
        )
    parts, skipped, failure = _render_parts(ctx, records, frame, image_type)
    if not parts:
        status = 404 if instance_level and isinstance(failure, LookupError) else 406
        return await error(request, status, "; ".join(skipped) or "nothing to render")
    return await _send_multipart(request, parts, image_type, skipped)


async def handle_thumbnail(
    request: web.Request, records: list[InstanceRecord], *, frame: int | None
) -> web.StreamResponse:
    """GET .../thumbnail: one small image, from the first instance (in storage order) that
    renders; only single-part image types are acceptable (PS3.18 10.4.3.3.4)."""
    chosen = _single_choice(request.headers.get("Accept"))
    if chosen is None:
        return await error(request, 406, "a thumbnail is one image/jpeg or image/png")
    failure: Exception = LookupError("nothing to render")
    for record in records:
        try:
            image = render_frames(record.path, [frame or 1], chosen, _THUMBNAIL_SIZE)[0]
        except (LookupError, NotAcceptable) as exc:
            failure = exc
            continue
        return await send(request, headers={"Content-Type": chosen}, body=image)
    if len(records) == 1 and isinstance(failure, LookupError):
        return await error(request, 404, str(failure))
    return await error(request, 406, f"no instance can be rendered: {failure}")
