"""Media types: Accept / Content-Type building and case-insensitive, quote-aware parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import media
from dicomkit.core.errors import InvalidArgumentError, ProtocolError
from dicomkit.core.media import (
    MediaType,
    accept_header,
    format_media_type,
    media_type_for_transfer_syntax,
    parse_media_type,
    part_transfer_syntax,
    stow_content_type,
)

ORTHANC_FRAMES = (
    'multipart/related; type="application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"; '
    "boundary=ZDeKxMqoG9CvRTbfcK6TSkwYeebAJVqGbSvNrfQyYvFPvwBrZdh09rK2cRaiebdrG3K9iiYxMYHbfYkP"
)


def test_parse_lowercases_type_and_names_but_keeps_values() -> None:
    parsed = parse_media_type('Multipart/Related; TYPE="application/dicom"; Boundary=AbC')
    assert parsed == MediaType(
        "multipart/related", {"type": "application/dicom", "boundary": "AbC"}
    )
    assert parsed.is_multipart
    assert parsed.main_type == "multipart"
    assert parsed.subtype == "related"


def test_parse_orthanc_frames_type_with_nested_transfer_syntax() -> None:
    parsed = parse_media_type(ORTHANC_FRAMES)
    assert parsed.params["type"] == (
        "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
    )
    assert parsed.params["boundary"].startswith("ZDeKx")
    assert parsed.transfer_syntax is None
    assert part_transfer_syntax(ORTHANC_FRAMES) == media.EXPLICIT_VR_LITTLE_ENDIAN


def test_parse_quoted_values_with_escapes_and_semicolons() -> None:
    parsed = parse_media_type(r'text/plain; a="x\"y;z"; b = "c\\d" ; c=plain ;; d')
    assert parsed.params == {"a": 'x"y;z', "b": "c\\d", "c": "plain"}


def test_parse_keeps_the_first_of_repeated_parameters() -> None:
    assert parse_media_type("a/b; x=1; X=2").params == {"x": "1"}


@pytest.mark.parametrize("bad", ["", "application", "/json", "a/b c", 'a/b; x="open'])
def test_parse_rejects_what_is_not_a_media_type(bad: str) -> None:
    with pytest.raises(ProtocolError):
        parse_media_type(bad)


def test_part_transfer_syntax_reads_own_parameter_or_none() -> None:
    value = "application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50"
    assert part_transfer_syntax(value) == media.JPEG_BASELINE
    assert part_transfer_syntax("application/dicom") is None
    assert part_transfer_syntax('multipart/related; type="application/dicom"') is None
    assert part_transfer_syntax(None) is None
    assert part_transfer_syntax("") is None


def test_accept_defaults_per_resource() -> None:
    assert accept_header("instances") == (
        'multipart/related; type="application/dicom"; transfer-syntax=*'
    )
    assert accept_header("frames") == (
        'multipart/related; type="application/octet-stream"; transfer-syntax=*'
    )
    assert accept_header("bulkdata") == (
        'multipart/related; type="application/octet-stream"; transfer-syntax=*'
    )
    assert accept_header("metadata") == "application/dicom+json"
    assert accept_header("rendered") == "image/jpeg"
    assert accept_header("thumbnail") == "image/jpeg"


def test_accept_with_transfer_syntax_picks_the_frame_media_type() -> None:
    assert accept_header("instances", transfer_syntax=media.EXPLICIT_VR_LITTLE_ENDIAN) == (
        'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1'
    )
    assert accept_header("frames", transfer_syntax=media.JPEG_2000) == (
        'multipart/related; type="image/jp2"; transfer-syntax=1.2.840.10008.1.2.4.91'
    )
    assert accept_header("frames", transfer_syntax=media.IMPLICIT_VR_LITTLE_ENDIAN) == (
        'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2'
    )


def test_accept_lists_media_types_with_q_values() -> None:
    value = accept_header(
        "frames",
        [(media.IMAGE_JPEG, media.JPEG_BASELINE, 0.9), (media.APPLICATION_OCTET_STREAM, "*", 0.25)],
    )
    assert value == (
        'multipart/related; type="image/jpeg"; transfer-syntax=1.2.840.10008.1.2.4.50; q=0.9, '
        'multipart/related; type="application/octet-stream"; transfer-syntax=*; q=0.25'
    )
    assert accept_header("rendered", ["image/png", ("image/jpeg", None, 0.5)]) == (
        "image/png, image/jpeg; q=0.5"
    )
    assert accept_header("metadata", media.APPLICATION_DICOM_JSON) == "application/dicom+json"
    assert accept_header("instances", [(media.APPLICATION_DICOM,)]) == (
        'multipart/related; type="application/dicom"'
    )
    assert accept_header("rendered", [("image/png", None, 0)]) == "image/png; q=0"


def test_accept_header_round_trips_through_the_parser() -> None:
    for resource in media.RESOURCES:
        for item in accept_header(resource).split(", "):
            assert str(parse_media_type(item)) == item


@pytest.mark.parametrize(
    ("resource", "media_types", "transfer_syntax"),
    [
        ("studies", None, None),
        ("instances", ["image/jpeg"], None),
        ("metadata", ["application/dicom"], None),
        ("metadata", ["application/dicom+json"], media.EXPLICIT_VR_LITTLE_ENDIAN),
        ("frames", ["application/dicom"], None),
        ("frames", None, "1.2.x"),
        ("frames", [], None),
        ("frames", [("image/jpeg", None, 1.5)], None),
        ("frames", [("image/jpeg", None, 0.5, 1)], None),
        ("frames", [42], None),
        ("rendered", ["multipart/related"], None),
        ("rendered", ["image/png; q=1"], None),
        ("rendered", ["nonsense"], None),
    ],
)
def test_accept_rejects_impossible_requests(
    resource: str, media_types: object, transfer_syntax: str | None
) -> None:
    with pytest.raises(InvalidArgumentError):
        accept_header(resource, media_types, transfer_syntax)  # type: ignore[arg-type]


def test_stow_content_type_quotes_type_and_only_unsafe_boundaries() -> None:
    assert (
        stow_content_type("abc123")
        == 'multipart/related; type="application/dicom"; boundary=abc123'
    )
    assert stow_content_type("a b", media.APPLICATION_DICOM_JSON) == (
        'multipart/related; type="application/dicom+json"; boundary="a b"'
    )


def test_format_media_type_escapes_and_refuses_line_breaks() -> None:
    assert format_media_type("a/b", {"x": 'q"t', "type": 'c"d'}) == r'a/b; x="q\"t"; type="c\"d"'
    with pytest.raises(InvalidArgumentError):
        format_media_type("a/b", {"x": "1\r\nInjected: yes"})


def test_media_type_for_transfer_syntax() -> None:
    assert media_type_for_transfer_syntax(media.JPEG_LS_LOSSLESS) == media.IMAGE_JLS
    assert media_type_for_transfer_syntax(media.HTJ2K) == media.IMAGE_JPHC
    assert media_type_for_transfer_syntax(media.EXPLICIT_VR_LITTLE_ENDIAN) == (
        media.APPLICATION_OCTET_STREAM
    )


_VALUES = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=20)
_NAMES = st.from_regex(r"[a-z][a-z0-9\-]{0,10}", fullmatch=True)


@given(st.dictionaries(_NAMES, _VALUES, max_size=5))
def test_formatted_media_types_parse_back(params: dict[str, str]) -> None:
    value = format_media_type("application/x-test", params)
    assert parse_media_type(value) == MediaType("application/x-test", params)
    assert parse_media_type(value.upper().replace(value.upper(), value)) == parse_media_type(value)
