"""Reading the decimal numbers HTTP puts in text: ports, ``Content-Length``, ``Retry-After``.

A server (or a URL) can send anything where a number belongs. ``str.isdigit`` accepts ``"²"``,
which ``int()`` refuses; ``int()`` accepts signs, underscores and non-ASCII digits that HTTP
does not, and refuses strings of thousands of digits. :func:`parse_decimal` is the one reading
every part of dicomkit uses, so all of them agree on what counts as a number.
"""

from __future__ import annotations

from dicomkit.core.errors import InvalidArgumentError

__all__ = ["parse_decimal"]


def parse_decimal(text: str | None, *, max_digits: int = 18) -> int | None:
    """The number ``text`` writes in ASCII decimal digits, or None if it writes none.

    Surrounding spaces and tabs (HTTP's optional whitespace) are ignored; any other character
    (a form feed, a no-break space, a sign, a decimal point, an underscore, a non-ASCII digit)
    or more than ``max_digits`` digits means "not a number" (None), never an exception. The
    default of 18 digits keeps every result below 2**63.
    """
    if max_digits < 1:
        raise InvalidArgumentError("max_digits must be >= 1")
    if text is None:
        return None
    digits = text.strip(" \t")
    if not digits or len(digits) > max_digits or not (digits.isascii() and digits.isdigit()):
        return None
    return int(digits)
