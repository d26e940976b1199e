"""dicomkit.core.uids, numbers and _attributes at their edges: every message a refused UID
gives (strict and permissive, short and previewed), the path segment's encoding, the digit
limit of parse_decimal, and the common attributes read without pydicom."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core import _attributes
from dicomkit.core.errors import InvalidArgumentError, InvalidUIDError
from dicomkit.core.numbers import parse_decimal
from dicomkit.core.uids import uid_path_segment, validate_uid


def refusal(value: Any, *args: Any, **options: Any) -> str:
    with pytest.raises(InvalidUIDError) as refused:
        validate_uid(value, *args, **options)
    return str(refused.value)


@pytest.mark.parametrize("permissive", [False, True])
def test_an_empty_uid_is_named_by_default_as_uid(permissive: bool) -> None:
    assert refusal("", permissive=permissive) == "UID '' is empty"
    assert refusal("", "SeriesInstanceUID", permissive=permissive) == (
        "SeriesInstanceUID '' is empty"
    )


def test_a_uid_that_is_not_text() -> None:
    assert refusal(12) == "UID must be a string, not int"
    assert refusal(None, "StudyInstanceUID") == "StudyInstanceUID must be a string, not NoneType"


@pytest.mark.parametrize("value", [".", ".."])
def test_dot_segments_are_refused_even_when_permissive(value: str) -> None:
    assert refusal(value, permissive=True) == f"UID {value!r} is a dot segment"


@pytest.mark.parametrize("char", [" ", "~", "!", "A", "z", "'"])
def test_printable_ascii_is_allowed_when_permissive(char: str) -> None:
    value = f"1.2{char}3"
    assert validate_uid(value, permissive=True) == value


@pytest.mark.parametrize("char", ["\x7f", "\x1f", "é", "/", "%", "@"])
def test_the_rest_is_unsafe_when_permissive(char: str) -> None:
    assert refusal(f"1{char}", permissive=True) == (
        f"UID {'1' + char!r} contains {char!r}, which is unsafe in a URL path"
    )


def test_the_value_is_shown_whole_up_to_eighty_characters() -> None:
    exact = "1." + "a" * 78
    assert refusal(exact) == f"UID {exact!r} is longer than 64 characters"
    longer = exact + "b"
    assert refusal(longer) == (
        f"UID {longer[:80]!r}... (81 characters) is longer than 64 characters"
    )


@given(st.text(alphabet="0123456789.x", min_size=65, max_size=200))
def test_previews_are_bounded(value: str) -> None:
    message = refusal(value)
    shown = repr(value) if len(value) <= 80 else f"{value[:80]!r}... ({len(value)} characters)"
    assert message == f"UID {shown} is longer than 64 characters"


def test_a_path_segment_is_strict_by_default() -> None:
    assert uid_path_segment("1.2.3") == "1.2.3"
    with pytest.raises(InvalidUIDError) as refused:
        uid_path_segment("1.2a")
    assert str(refused.value) == "UID '1.2a' may contain only digits and dots"
    with pytest.raises(InvalidUIDError) as named:
        uid_path_segment("", "SOPInstanceUID")
    assert str(named.value) == "SOPInstanceUID '' is empty"


def test_a_permissive_path_segment_encodes_what_is_not_unreserved() -> None:
    assert uid_path_segment("a-b_c~d.e f'X", permissive=True) == "a-b_c~d.e%20f%27X"
    assert uid_path_segment("01.2", permissive=True) == "01.2"


def test_parse_decimal_allows_eighteen_digits_by_default() -> None:
    assert parse_decimal("9" * 18) == 10**18 - 1
    assert parse_decimal("9" * 19) is None
    assert parse_decimal("9" * 19, max_digits=19) == 10**19 - 1
    assert parse_decimal("12", max_digits=1) is None
    assert parse_decimal("7", max_digits=1) == 7


@pytest.mark.parametrize("text", ["X5X", "x5", "5X", "\n5", "5\r", "+5", "5.0", ""])
def test_parse_decimal_strips_only_spaces_and_tabs(text: str) -> None:
    assert parse_decimal(text) is None


def test_parse_decimal_strips_spaces_and_tabs() -> None:
    assert parse_decimal(" \t042\t ") == 42


@pytest.mark.parametrize("digits", [0, -1])
def test_parse_decimal_needs_a_digit_limit(digits: int) -> None:
    with pytest.raises(InvalidArgumentError) as refused:
        parse_decimal("1", max_digits=digits)
    assert str(refused.value) == "max_digits must be >= 1"


def test_common_attributes_need_no_pydicom(monkeypatch: pytest.MonkeyPatch) -> None:
    # a None entry makes ``import pydicom.datadict`` fail, as if pydicom were missing
    monkeypatch.setitem(sys.modules, "pydicom.datadict", None)
    assert _attributes.lookup("PatientName") == (0x00100010, "PN")
    assert _attributes.lookup("RequestedProcedureID") == (0x00401001, "SH")
    assert _attributes.lookup(0x0020000D) == (0x0020000D, "UI")
    with pytest.raises(ImportError):
        _attributes.lookup("PatientWeight")


def test_other_attributes_come_from_pydicom() -> None:
    assert _attributes.lookup("PatientWeight") == (0x00101030, "DS")
    assert _attributes.lookup(0x00101030) == (0x00101030, "DS")
    assert _attributes.lookup("NoSuchKeyword") is None
    assert _attributes.lookup(0x00091234) is None
