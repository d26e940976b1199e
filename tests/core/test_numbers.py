"""parse_decimal against an independent oracle: a regular expression for ASCII digits."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dicomkit.core.errors import InvalidArgumentError
from dicomkit.core.numbers import parse_decimal

_DIGITS = re.compile(r"[0-9]+")

numbers_as_text = st.integers(min_value=0, max_value=10**25).map(str)
padding = st.sampled_from(["", " ", "\t", "  \t "])
noise = st.text(alphabet=st.sampled_from("0123456789 +-._\t²٣e"), max_size=25)


@given(st.one_of(noise, numbers_as_text, st.text(max_size=30)), st.integers(1, 25))
@example("\u00b2", 18)  # isdigit() says yes, int() says no
@example("9" * 5000, 18)  # int() refuses to convert this many digits
@example("1_000", 18)  # int() reads underscores
@example("\u0663", 18)  # an Arabic-Indic three: int() reads it, HTTP does not
@example("80\x0c", 18)  # str.strip() removes a form feed; HTTP's whitespace is space and tab
@example("\xa080", 18)  # nor is a no-break space
def test_only_ascii_digits_within_the_limit_are_numbers(text: str, max_digits: int) -> None:
    stripped = text.strip(" \t")
    expected = (
        int(stripped)
        if _DIGITS.fullmatch(stripped) and len(stripped) <= max_digits and stripped.isascii()
        else None
    )
    assert parse_decimal(text, max_digits=max_digits) == expected


@given(st.integers(min_value=0, max_value=10**18 - 1), padding, padding)
def test_every_number_of_up_to_18_digits_reads_back(number: int, before: str, after: str) -> None:
    assert parse_decimal(f"{before}{number}{after}") == number


@pytest.mark.parametrize(
    "text", [None, "", "   ", "-1", "+1", "1.5", "0x10", "1 2", "80\x0c", "\u300080", "\x8580"]
)
def test_what_is_not_a_number(text: str | None) -> None:
    assert parse_decimal(text) is None


def test_leading_zeros_and_the_digit_limit() -> None:
    assert parse_decimal("007") == 7
    assert parse_decimal("65535", max_digits=5) == 65535
    assert parse_decimal("065535", max_digits=5) is None


def test_a_limit_below_one_digit_is_a_mistake() -> None:
    with pytest.raises(InvalidArgumentError):
        parse_decimal("1", max_digits=0)
