"""Permissive UIDs (issue 20): the non-conformant UIDs of real archives, never an unsafe path."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidUIDError
from dicomkit.core.uids import (
    MAX_PERMISSIVE_UID_LENGTH,
    is_valid_uid,
    uid_path_segment,
    validate_uid,
)

REAL_WORLD = ["1.2.840.0010.1", "1.02.3", "1." + "2" * 80, "13-abc", "hello", "is it", "you're me"]
UNSAFE = ["", ".", "..", "1/2", "1\\2", "1?2", "1#2", "1%2F", "1@2", "1\n2", "1\x002", "é", "1\t2"]


@pytest.mark.parametrize("uid", REAL_WORLD)
def test_strict_by_default_permissive_on_request(uid: str) -> None:
    with pytest.raises(InvalidUIDError):
        validate_uid(uid)
    assert validate_uid(uid, permissive=True) == uid


@pytest.mark.parametrize("uid", UNSAFE)
def test_unsafe_in_a_path_is_refused_even_when_permissive(uid: str) -> None:
    with pytest.raises(InvalidUIDError):
        validate_uid(uid, permissive=True)


def test_permissive_length_is_bounded() -> None:
    validate_uid("1" * MAX_PERMISSIVE_UID_LENGTH, permissive=True)
    with pytest.raises(InvalidUIDError, match="longer"):
        validate_uid("1" * (MAX_PERMISSIVE_UID_LENGTH + 1), permissive=True)


def test_strict_segment_is_the_uid_itself() -> None:
    assert uid_path_segment("1.2.3") == "1.2.3"
    assert uid_path_segment("is it", permissive=True) == "is%20it"


@given(st.text(max_size=80))
def test_an_accepted_uid_is_exactly_one_harmless_path_segment(text: str) -> None:
    try:
        segment = uid_path_segment(text, permissive=True)
    except InvalidUIDError:
        return
    assert segment not in ("", ".", "..")
    assert not set(segment) & set("/\\?# \r\n@")
    assert unquote(segment) == text
    if is_valid_uid(text):
        assert segment == text
