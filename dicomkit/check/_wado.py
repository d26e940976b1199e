"""WADO-RS probes: retrieve at each level, metadata, frames, renderings, bulk data, byte
ranges, transfer-syntax negotiation and 406; and whether answers come as JSON or XML."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dicomkit.check._probe import Answer, Prober
from dicomkit.check._report import Row, Verdict
from dicomkit.check._subject import JSON, Subject
from dicomkit.core.errors import DicomkitError

__all__ = ["probe_answers", "probe_wado"]

AREA = "WADO"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
_DICOM = 'multipart/related; type="application/dicom"'
_OCTET = 'multipart/related; type="application/octet-stream"'
_XML = "application/dicom+xml"


def _multipart_row(feature: str, answer: Answer, part_type: str, expected: int | None) -> Row:
    parts = answer.parts()
    if not answer.ok:
        return Row(AREA, feature, Verdict.UNSUPPORTED, answer.evidence())
    if parts is None:
        return Row(AREA, feature, Verdict.DEVIATION, answer.evidence(), "not a multipart answer")
    types = {
        (headers.get("Content-Type") or "").split(";")[0].strip().lower() for headers, _ in parts
    }
    counted = f"{len(parts)} part(s)"
    if types - {part_type}:
        return Row(
            AREA,
            feature,
            Verdict.DEVIATION,
            answer.evidence(counted),
            f"parts of type {sorted(types)}",
        )
    if expected is not None and len(parts) != expected:
        return Row(
            AREA, feature, Verdict.DEVIATION, answer.evidence(counted), f"expected {expected}"
        )
    return Row(AREA, feature, Verdict.SUPPORTED, answer.evidence(counted))


def _retrieve(prober: Prober, s: Subject) -> Iterator[Row]:
    urls = prober.urls
    count = len(s.instances) if s.synthetic else None
    levels = [
        ("retrieve study", urls.retrieve(s.study), count),
        ("retrieve series", urls.retrieve(s.study, s.series), count),
        ("retrieve instance", urls.retrieve(s.study, s.series, s.instance), 1),
    ]
    for feature, url, expected in levels:
        yield _multipart_row(feature, prober.get(url, _DICOM), "application/dicom", expected)


def _metadata(prober: Prober, s: Subject) -> tuple[Row, list[dict[str, Any]]]:
    answer = prober.get(prober.urls.retrieve(s.study, resource="metadata"), JSON)
    found = answer.datasets() if answer.ok else None
    if found is None:
        verdict = Verdict.UNSUPPORTED if not answer.ok else Verdict.DEVIATION
        return Row(AREA, "metadata", verdict, answer.evidence()), []
    expected = len(s.instances) if s.synthetic else len(found)
    evidence = answer.evidence(f"{len(found)} instance(s)")
    if len(found) != expected:
        return Row(AREA, "metadata", Verdict.DEVIATION, evidence, f"expected {expected}"), found
    return Row(AREA, "metadata", Verdict.SUPPORTED, evidence), found


def _frames(prober: Prober, s: Subject) -> Iterator[Row]:
    url = prober.urls.retrieve(s.study, s.series, s.instance, frames=1)
    answer = prober.get(url, _OCTET + "; transfer-syntax=*")
    yield _multipart_row("frames", answer, "application/octet-stream", 1)
    if s.synthetic:
        url = prober.urls.retrieve(s.study, s.series, s.instance, frames=[1, 2])
        answer = prober.get(url, _OCTET + "; transfer-syntax=*")
        yield _multipart_row("frames (list 1,2)", answer, "application/octet-stream", 2)


def _images(prober: Prober, s: Subject) -> Iterator[Row]:
    for resource in ("rendered", "thumbnail"):
        answer = prober.get(
            prober.urls.retrieve(s.study, s.series, s.instance, resource=resource), "image/jpeg"
        )
        feature = f"{resource} (instance, image/jpeg)"
        if answer.ok and answer.media and answer.media.type == "image/jpeg":
            yield Row(
                AREA, feature, Verdict.SUPPORTED, answer.evidence(f"{len(answer.body)} bytes")
            )
        elif answer.ok:
            yield Row(AREA, feature, Verdict.DEVIATION, answer.evidence(), "not image/jpeg")
        else:
            yield Row(AREA, feature, Verdict.UNSUPPORTED, answer.evidence())


def _bulk_uri(metadata: list[dict[str, Any]]) -> str | None:
    for dataset in metadata:
        for element in dataset.values():
            if isinstance(element, dict) and isinstance(element.get("BulkDataURI"), str):
                return str(element["BulkDataURI"])
    return None


def _bulkdata(prober: Prober, metadata: list[dict[str, Any]]) -> Iterator[Row]:
    uri = _bulk_uri(metadata)
    if uri is None:
        note = "the metadata has no BulkDataURI"
        yield Row(
            AREA, "bulk data", Verdict.NOT_PROBED if not metadata else Verdict.UNSUPPORTED, "", note
        )
        yield Row(AREA, "Range on bulk data", Verdict.NOT_PROBED, "", note)
        return
    try:
        url = prober.urls.resolve(uri)
    except DicomkitError as exc:  # a BulkDataURI we will not follow: the server deviates
        yield Row(AREA, "bulk data", Verdict.DEVIATION, "", f"BulkDataURI {uri[:60]!r}: {exc}")
        return
    answer = prober.get(url, _OCTET)
    yield _multipart_row("bulk data", answer, "application/octet-stream", 1)
    ranged = prober.get(url, _OCTET, Range="bytes=0-9")
    parts = ranged.parts() or []
    content_range = ranged.headers.get("Content-Range") or next(
        (h.get("Content-Range") for h, _ in parts if h.get("Content-Range")), None
    )
    if ranged.status == 206:
        yield Row(
            AREA,
            "Range on bulk data",
            Verdict.SUPPORTED,
            ranged.evidence(f"Content-Range: {content_range}"),
        )
    elif ranged.ok:
        yield Row(
            AREA,
            "Range on bulk data",
            Verdict.UNSUPPORTED,
            ranged.evidence(),
            "Range ignored (whole value sent)",
        )
    else:
        yield Row(AREA, "Range on bulk data", Verdict.UNSUPPORTED, ranged.evidence())


def _syntax_of(headers: Any, body: bytes) -> str | None:
    from dicomkit.core.media import part_transfer_syntax

    named = part_transfer_syntax(headers.get("Content-Type"))
    if named:
        return named
    head = body[:2048]
    for uid in (EXPLICIT_LE, "1.2.840.10008.1.2"):
        if uid.encode() + b"\x00" in head or uid.encode() + b"\x20" in head:
            return uid
    return None


def _negotiation(prober: Prober, s: Subject) -> Iterator[Row]:
    url = prober.urls.retrieve(s.study, s.series, s.instance)
    answer = prober.get(url, f"{_DICOM}; transfer-syntax={EXPLICIT_LE}")
    parts = answer.parts() or []
    feature = "transfer-syntax negotiation (Explicit VR LE)"
    if not answer.ok or not parts:
        yield Row(AREA, feature, Verdict.UNSUPPORTED, answer.evidence())
    else:
        syntax = _syntax_of(parts[0][0], parts[0][1])
        verdict = Verdict.SUPPORTED if syntax == EXPLICIT_LE else Verdict.DEVIATION
        yield Row(AREA, feature, verdict, answer.evidence(f"part transfer syntax {syntax}"))
    refused = prober.get(url, 'multipart/related; type="application/x-dicomkit-none"')
    feature = "406 for an unavailable media type"
    if refused.status == 406:
        yield Row(AREA, feature, Verdict.SUPPORTED, refused.evidence())
    else:
        yield Row(
            AREA, feature, Verdict.DEVIATION, refused.evidence(), "expected 406 Not Acceptable"
        )


def probe_wado(prober: Prober, subject: Subject) -> list[Row]:
    rows = list(_retrieve(prober, subject))
    metadata_row, metadata = _metadata(prober, subject)
    rows.append(metadata_row)
    rows += [*_frames(prober, subject), *_images(prober, subject)]
    rows += [*_bulkdata(prober, metadata), *_negotiation(prober, subject)]
    return rows


def _answer_row(
    feature: str, answer: Answer, wanted: str, *, statuses: tuple[int, ...] = ()
) -> Row:
    """Whether ``answer`` came as ``wanted`` (alone or as the parts of a multipart answer);
    ``statuses`` are error statuses whose body counts too (a STOW-RS 409 has a body)."""
    media = answer.media
    parts = answer.parts() if media and media.is_multipart else None
    types = {(h.get("Content-Type") or "").split(";")[0].strip().lower() for h, _ in parts or []}
    answered = answer.ok or answer.status in statuses
    if answered and media and (media.type == wanted or types == {wanted}):
        return Row("answers", feature, Verdict.SUPPORTED, answer.evidence())
    if answered:
        note = f"asked {wanted}, got {media.type if media else 'no Content-Type'}"
        return Row("answers", feature, Verdict.DEVIATION, answer.evidence(), note)
    return Row("answers", feature, Verdict.UNSUPPORTED, answer.evidence())


def probe_answers(prober: Prober, s: Subject) -> list[Row]:
    """DICOM JSON and DICOM XML (PS3.19 Native DICOM Model) answers to QIDO and metadata."""
    search = prober.urls.search("studies") + f"?StudyInstanceUID={s.study}"
    metadata = prober.urls.retrieve(s.study, resource="metadata")
    multipart_xml = f'multipart/related; type="{_XML}"'
    return [
        _answer_row("QIDO as DICOM JSON", prober.get(search, JSON), JSON),
        _answer_row("QIDO as DICOM XML", prober.get(search, multipart_xml), _XML),
        _answer_row("metadata as DICOM JSON", prober.get(metadata, JSON), JSON),
        _answer_row("metadata as DICOM XML", prober.get(metadata, multipart_xml), _XML),
    ]
