"""Media type and transfer syntax pairs of frames and bulk data (PS3.18 8.7.3), checked against
the one table in the core before a request is built: what the table contradicts is refused,
what it does not know is left to the server (docs/migrating.md, row 13)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import media
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.media import (
    BULKDATA_MEDIA_TYPES,
    accept_header,
    fits_transfer_syntax,
    media_type_for_transfer_syntax,
)

KNOWN = sorted(BULKDATA_MEDIA_TYPES)
TYPES = sorted({kind for kinds in BULKDATA_MEDIA_TYPES.values() for kind in kinds})
OTHERS = ["image/png", "image/gif", "video/quicktime", "image/jxl"]
RESOURCES = st.sampled_from(["frames", "bulkdata"])
known_syntaxes = st.sampled_from(KNOWN)
concrete_types = st.sampled_from(TYPES + OTHERS)
unknown_syntaxes = st.lists(st.integers(0, 999), min_size=1, max_size=6).map(
    lambda arcs: "1.2.999." + ".".join(map(str, arcs))
)


def _case(text: str, flips: list[bool]) -> str:
    """``text`` with the letters ``flips`` marks in upper case, the others in lower case."""
    padded = flips + [False] * (len(text) - len(flips))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(text, padded, strict=False))


@given(RESOURCES, known_syntaxes, st.data())
def test_every_pair_of_the_table_is_asked_for_as_given(resource, syntax, data):
    kind = data.draw(st.sampled_from(BULKDATA_MEDIA_TYPES[syntax]))
    assert accept_header(resource, [(kind, syntax)]) == (
        f'multipart/related; type="{kind}"; transfer-syntax={syntax}'
    )


@given(RESOURCES, known_syntaxes, concrete_types, st.lists(st.booleans(), max_size=30))
def test_a_pair_is_refused_exactly_when_the_table_contradicts_it(resource, syntax, kind, flips):
    written = _case(kind, flips)  # media types compare without case (RFC 6838)
    fitting = BULKDATA_MEDIA_TYPES[syntax]
    if kind.lower() in {k.lower() for k in fitting}:
        assert f"transfer-syntax={syntax}" in accept_header(resource, [(written, syntax)])
        return
    with pytest.raises(InvalidArgumentError) as caught:
        accept_header(resource, [(written, syntax)])
    assert f"ask for ({fitting[0]!r}, {syntax!r})" in str(caught.value)
    assert repr(written) in str(caught.value)


@given(RESOURCES, concrete_types, st.one_of(unknown_syntaxes, st.just("*")))
def test_any_syntax_and_syntaxes_newer_than_the_table_are_left_to_the_server(
    resource, kind, syntax
):
    assert fits_transfer_syntax(kind, syntax)
    assert accept_header(resource, [(kind, syntax)]).endswith(f"transfer-syntax={syntax}")


@given(st.one_of(known_syntaxes, unknown_syntaxes))
def test_the_default_part_type_of_a_syntax_always_fits_it(syntax):
    assert fits_transfer_syntax(media_type_for_transfer_syntax(syntax), syntax)
    accept_header("frames", transfer_syntax=syntax)  # the type picked for it is never refused


@given(known_syntaxes, st.sampled_from(["image", "video", "application", "text"]))
def test_wildcards_fit_when_one_of_the_syntaxs_types_could_match(syntax, main):
    assert fits_transfer_syntax("*/*", syntax)
    expected = any(kind.startswith(f"{main}/") for kind in BULKDATA_MEDIA_TYPES[syntax])
    assert fits_transfer_syntax(f"{main}/*", syntax) is expected


@given(st.one_of(known_syntaxes, unknown_syntaxes))
def test_whole_instances_take_every_syntax(syntax):
    accept_header("instances", [(media.APPLICATION_DICOM, syntax)])


@pytest.mark.parametrize(
    ("kind", "syntax"),
    [
        ("image/jpeg", media.JPEG_2000),  # a JPEG 2000 frame is not a JPEG image
        ("application/octet-stream", media.JPEG_BASELINE),  # compressed, as Orthanc refuses
        ("image/jp2", media.EXPLICIT_VR_LITTLE_ENDIAN),
        ("video/mp4", media.MPEG2_MAIN_PROFILE),
        ("image/*", media.MPEG4_HIGH_PROFILE),
    ],
)
def test_contradictions_seen_in_practice(kind, syntax):
    with pytest.raises(InvalidArgumentError, match="cannot carry transfer syntax"):
        accept_header("frames", [(kind, syntax)])


def test_a_default_syntax_applies_to_every_listed_type_and_is_checked_for_each():
    with pytest.raises(InvalidArgumentError, match="'application/octet-stream' cannot carry"):
        accept_header("frames", ["image/jpeg", "application/octet-stream"], media.JPEG_BASELINE)
    assert (
        accept_header("frames", ["image/jpeg", "image/*"], media.JPEG_BASELINE).count(
            f"transfer-syntax={media.JPEG_BASELINE}"
        )
        == 2
    )


def test_older_names_servers_use_are_accepted_and_the_table_cannot_be_changed():
    for kind, syntax in [
        ("image/x-jls", media.JPEG_LS_LOSSLESS),
        ("image/x-dicom-rle", media.RLE_LOSSLESS),
        ("video/mpeg2", media.MPEG2_MAIN_PROFILE),
        ("video/h265", media.HEVC_MAIN_PROFILE),
    ]:
        assert fits_transfer_syntax(kind, syntax)
    with pytest.raises(TypeError):
        BULKDATA_MEDIA_TYPES[media.JPEG_BASELINE] = ("image/png",)  # type: ignore[index]
