"""Golden multipart bodies from real servers (Orthanc) and hand-built shapes (dcm4chee-style
preamble and epilogue, no headers, transport padding, no final CRLF), described by
tests/data/multipart_goldens.json with each part's headers, length and SHA-256."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pydicom
import pytest

from dicomkit.core import media
from dicomkit.core.errors import MultipartError
from dicomkit.core.multipart import (
    Event,
    MultipartDecoder,
    PartData,
    PartEnd,
    PartStart,
    boundary_from_content_type,
    iter_parts,
)

DATA = Path(__file__).resolve().parent.parent / "data"
MANIFEST: dict[str, dict[str, Any]] = json.loads((DATA / "multipart_goldens.json").read_text())


def _content_type(entry: dict[str, Any]) -> str:
    if "content_type_file" in entry:
        return str((DATA / entry["content_type_file"]).read_text().strip())
    return str(entry["content_type"])


def _load(name: str) -> tuple[bytes, str, list[dict[str, Any]]]:
    entry = MANIFEST[name]
    body = (DATA / entry["file"]).read_bytes()
    return body, boundary_from_content_type(_content_type(entry)), entry["parts"]


def _summary(headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    return {
        "headers": [list(pair) for pair in headers],
        "length": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
    }


def _events(chunks: list[bytes], boundary: str) -> list[Any]:
    """Events with consecutive data merged, so that chunkings compare equal."""
    decoder = MultipartDecoder(boundary)
    merged: list[Any] = []
    events: list[Event] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.close()
    for event in events:
        if isinstance(event, PartData) and merged and isinstance(merged[-1], bytes):
            merged[-1] += event.data
        else:
            merged.append(event.data if isinstance(event, PartData) else event)
    return merged


NAMES = sorted(MANIFEST)


def test_the_goldens_cover_the_required_shapes() -> None:
    assert {
        "orthanc_study",
        "orthanc_frames",
        "orthanc_instance",
        "dcm4chee_quoted_preamble",
        "no_headers",
        "transport_padding",
        "leading_crlf_no_final_crlf",
    } <= set(MANIFEST)
    assert len(boundary_from_content_type(_content_type(MANIFEST["orthanc_study"]))) == 70
    assert not _content_type(MANIFEST["orthanc_study"]).split("boundary=")[1].startswith('"')
    assert '"myboundary"' in _content_type(MANIFEST["dcm4chee_quoted_preamble"])


@pytest.mark.parametrize("name", NAMES)
def test_golden_decodes_to_its_manifest(name: str) -> None:
    body, boundary, expected = _load(name)
    decoded = [_summary(h.items(), part) for h, part in iter_parts([body], boundary)]
    assert decoded == expected


@pytest.mark.parametrize("name", NAMES)
def test_the_manifest_agrees_with_an_independent_parser(name: str) -> None:
    """The manifest was written with dicomkit's own decoder; the stdlib's MIME parser, which
    shares no code with it, must find the same parts, or the golden only restates the code."""
    body, _, expected = _load(name)
    envelope = f"Content-Type: {_content_type(MANIFEST[name])}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(envelope + body)
    parsed = [
        _summary([(key, str(value)) for key, value in part.items()], part.get_payload(decode=True))
        for part in message.get_payload()
    ]
    assert parsed == expected


@pytest.mark.parametrize("name", NAMES)
def test_every_two_chunk_split_gives_the_same_events(name: str) -> None:
    body, boundary, expected = _load(name)
    whole = _events([body], boundary)
    assert sum(isinstance(e, PartEnd) for e in whole) == len(expected)
    assert sum(isinstance(e, PartStart) for e in whole) == len(expected)
    for split in range(1, len(body)):
        assert _events([body[:split], body[split:]], boundary) == whole, split


@pytest.mark.parametrize("name", NAMES)
def test_one_byte_chunks_give_the_same_events(name: str) -> None:
    body, boundary, _ = _load(name)
    assert _events([body[i : i + 1] for i in range(len(body))], boundary) == _events(
        [body], boundary
    )


@pytest.mark.parametrize("name", NAMES)
def test_a_golden_cut_before_its_closing_delimiter_fails_on_close(name: str) -> None:
    body, boundary, _ = _load(name)
    closing = body.rfind(f"--{boundary}--".encode()) + len(boundary) + 4
    for cut in range(closing):
        decoder = MultipartDecoder(boundary)
        decoder.feed(body[:cut])
        with pytest.raises(MultipartError):
            decoder.close()
    decoder = MultipartDecoder(boundary)
    decoder.feed(body[:closing])
    assert decoder.close() == []


def test_orthanc_study_parts_are_dicom_files() -> None:
    body, boundary, _ = _load("orthanc_study")
    parts = list(iter_parts([body], boundary))
    datasets = [pydicom.dcmread(io.BytesIO(part)) for _, part in parts]
    assert len({ds.SOPInstanceUID for ds in datasets}) == 2
    assert len({ds.StudyInstanceUID for ds in datasets}) == 1
    assert all(h["Content-Type"] == media.APPLICATION_DICOM for h, _ in parts)


def test_orthanc_frames_declare_their_transfer_syntax_twice() -> None:
    entry = MANIFEST["orthanc_frames"]
    content_type = _content_type(entry)
    assert media.part_transfer_syntax(content_type) == media.EXPLICIT_VR_LITTLE_ENDIAN
    body, boundary, _ = _load("orthanc_frames")
    for index, (headers, frame) in enumerate(iter_parts([body], boundary), start=1):
        assert media.part_transfer_syntax(headers["content-type"]) == (
            media.EXPLICIT_VR_LITTLE_ENDIAN
        )
        assert headers["Content-Location"].endswith(f"/frames/{index}")
        assert len(frame) == int(headers["Content-Length"])
