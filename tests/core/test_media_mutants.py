"""dicomkit.core.media at its edges: parameters with and without spaces, bare tokens between
them, escapes at the end of a quoted string, the quoting of ``type``, what each resource may
ask for, and each refusal's whole message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError, ProtocolError
from dicomkit.core.media import accept_header, format_media_type, parse_media_type


@pytest.mark.parametrize(
    ("value", "params"),
    [
        ("a/b; x; p=1; q=2", {"p": "1", "q": "2"}),
        ("a/b;x;p=1;q=2", {"p": "1", "q": "2"}),
        ("a/b; p=1;q=2", {"p": "1", "q": "2"}),
        ('a/b; p="1";q=2', {"p": "1", "q": "2"}),
        ('a/b; p="x;y";q=2', {"p": "x;y", "q": "2"}),
        ("a/b; p=Xy", {"p": "Xy"}),
        ("a/b; p=\t y ", {"p": "y"}),
        ("a/b; p=", {"p": ""}),
        ("a/b; p=;q=2", {"p": "", "q": "2"}),
        ("a/b; x", {}),
        ("a/b; P=1; p=2", {"p": "1"}),
    ],
)
def test_parameters(value: str, params: dict[str, str]) -> None:
    assert parse_media_type(value).params == params


@pytest.mark.parametrize(
    ("value", "text"),
    [('a/b; p="x\\"y"', 'x"y'), ('a/b; p="x\\\\"', "x\\"), ('a/b; p="\\a"', "a")],
)
def test_escapes_in_quoted_values(value: str, text: str) -> None:
    assert parse_media_type(value).params == {"p": text}


@pytest.mark.parametrize("value", ['a/b; p="x\\', 'a/b; p="x\\"', 'a/b; p="x'])
def test_an_unterminated_quoted_value_is_refused(value: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_media_type(value)
    assert str(refused.value) == f"unterminated quoted string in media type {value!r}"


@pytest.mark.parametrize("value", ["", "dicom", "a/", "/b", "a/b/c", "a b/c"])
def test_not_a_media_type(value: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_media_type(value)
    assert str(refused.value) == f"not a media type: {value!r}"


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12),
        max_size=4,
    )
)
def test_formatted_parameters_parse_back(params: dict[str, str]) -> None:
    assert parse_media_type(format_media_type("a/b", params)).params == params


def test_type_is_always_quoted() -> None:
    assert format_media_type("multipart/related", {"type": "dicom"}) == (
        'multipart/related; type="dicom"'
    )
    assert format_media_type("multipart/related", {"type": 'a"b'}) == (
        'multipart/related; type="a\\"b"'
    )
    assert format_media_type("a/b", {"TYPE": "dicom", "X": "X"}) == "a/b; TYPE=dicom; X=X"


@pytest.mark.parametrize("value", ["a\rb", "a\nb", "\r\n"])
def test_line_breaks_in_parameters_are_refused(value: str) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        format_media_type("a/b", {"name": value})
    assert str(refused.value) == "media type parameter 'name' contains a line break"


@pytest.mark.parametrize(
    ("resource", "media_type"),
    [
        ("frames", "*/*"),
        ("bulkdata", "*/*"),
        ("frames", "video/mpeg"),
        ("rendered", "video/mp4"),
        ("thumbnail", "video/mp4"),
        ("thumbnail", "image/gif"),
    ],
)
def test_what_each_resource_may_ask_for(resource: str, media_type: str) -> None:
    assert media_type in accept_header(resource, [media_type])


@pytest.mark.parametrize(
    ("resource", "media_type"),
    [
        ("thumbnail", "application/pdf"),
        ("thumbnail", "application/octet-stream"),
        ("rendered", "application/octet-stream"),
        ("frames", "application/dicom"),
        ("metadata", "image/jpeg"),
        ("instances", "*/*"),
    ],
)
def test_what_each_resource_may_not_ask_for(resource: str, media_type: str) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        accept_header(resource, [media_type])
    assert str(refused.value) == f"{media_type!r} cannot be requested for {resource}"


@pytest.mark.parametrize("media_type", ["image/jp2/x", "image/jp2; q=1", "dicom", "a/"])
def test_media_types_that_do_not_parse_are_the_callers_error(media_type: str) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        accept_header("frames", [media_type])
    assert str(refused.value) == f"not a plain media type: {media_type!r}"


@pytest.mark.parametrize("resource", ["metadata", "rendered", "thumbnail"])
def test_single_part_resources_have_no_transfer_syntax(resource: str) -> None:
    media_type = "application/dicom+json" if resource == "metadata" else "image/jpeg"
    with pytest.raises(InvalidArgumentError) as refused:
        accept_header(resource, [(media_type, "1.2.840.10008.1.2.1")])
    assert str(refused.value) == f"{resource} has no transfer syntax"


def test_the_default_accept_of_each_resource() -> None:
    assert accept_header("frames") == (
        'multipart/related; type="application/octet-stream"; transfer-syntax=*'
    )
    assert accept_header("bulkdata", transfer_syntax="*") == (
        'multipart/related; type="application/octet-stream"; transfer-syntax=*'
    )
    assert accept_header("thumbnail") == "image/jpeg"


@pytest.mark.parametrize(
    ("quality", "shown"), [(0.5, "0.5"), (1, "1"), (0, "0"), (0.125, "0.125"), (0.1, "0.1")]
)
def test_quality_values(quality: float, shown: str) -> None:
    assert accept_header("rendered", [("image/png", None, quality)]) == f"image/png; q={shown}"
