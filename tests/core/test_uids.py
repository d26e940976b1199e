"""UID validation: the gate every UID passes before it reaches a URL path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError, InvalidUIDError
from dicomkit.core.uids import MAX_UID_LENGTH, is_valid_uid, validate_uid

component = st.one_of(
    st.just("0"),
    st.from_regex(r"[1-9][0-9]{0,9}", fullmatch=True),
)
valid_uids = (
    st.lists(component, min_size=1, max_size=12)
    .map(".".join)
    .filter(lambda uid: len(uid) <= MAX_UID_LENGTH)
)


@pytest.mark.parametrize(
    "uid",
    [
        "1",
        "0",
        "1.2.840.10008.1.2.1",
        "2.25.329800735698586629295641978511506172918",
        "1.0.3",
        "1." + "2" * 62,
    ],
)
def test_valid_uids_are_returned_unchanged(uid: str) -> None:
    assert validate_uid(uid) == uid
    assert is_valid_uid(uid)


@pytest.mark.parametrize(
    ("uid", "problem"),
    [
        ("", "is empty"),
        ("1." + "2" * 63, "longer than 64"),
        ("1..2", "empty component"),
        (".1", "empty component"),
        ("1.", "empty component"),
        ("1.02", "leading zero"),
        ("00", "leading zero"),
        ("1.2a", "only digits"),
        ("1.2/3", "only digits"),
        ("../1", "empty component"),
        ("1.2?x=1", "only digits"),
        ("1.2#frag", "only digits"),
        ("1.2%2F", "only digits"),
        ("1. 2", "only digits"),
        ("1.\u0663", "only digits"),  # an Arabic-Indic digit is not an ASCII digit
    ],
)
def test_invalid_uids_are_rejected_with_the_reason(uid: str, problem: str) -> None:
    with pytest.raises(InvalidUIDError, match=problem):
        validate_uid(uid)
    assert not is_valid_uid(uid)


def test_error_names_the_argument_and_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"StudyInstanceUID '1\.x'"):
        validate_uid("1.x", "StudyInstanceUID")
    assert issubclass(InvalidUIDError, InvalidArgumentError)


def test_error_message_does_not_echo_huge_input() -> None:
    hostile = "9" * 1_000_000
    with pytest.raises(InvalidUIDError) as caught:
        validate_uid(hostile)
    assert len(str(caught.value)) < 300
    assert "1000000 characters" in str(caught.value)


@pytest.mark.parametrize("value", [None, 1, 1.2, b"1.2", ["1.2"]])
def test_non_strings_are_not_uids(value: object) -> None:
    assert not is_valid_uid(value)
    with pytest.raises(InvalidUIDError, match="must be a string"):
        validate_uid(value)  # type: ignore[arg-type]


@given(valid_uids)
def test_generated_valid_uids_are_accepted(uid: str) -> None:
    assert validate_uid(uid) == uid


@given(
    valid_uids,
    st.sampled_from(["/", "?", "#", "%", "..", " ", "&", "\n", "a", "-", "+"]),
    st.integers(min_value=0, max_value=70),
)
def test_uids_with_a_url_special_character_are_rejected(uid: str, bad: str, where: int) -> None:
    position = min(where, len(uid))
    candidate = uid[:position] + bad + uid[position:]
    assert not is_valid_uid(candidate)
    with pytest.raises(InvalidUIDError):
        validate_uid(candidate)


@given(st.text(max_size=80))
def test_is_valid_uid_agrees_with_the_definition(text: str) -> None:
    components = text.split(".")
    expected = (
        0 < len(text) <= MAX_UID_LENGTH
        and all(c and all(ch in "0123456789" for ch in c) for c in components)
        and all(c == "0" or not c.startswith("0") for c in components)
    )
    assert is_valid_uid(text) is expected
