"""The one reader of ``Warning`` headers (RFC 7234 5.5), as DICOMweb servers send them.

PS3.18 uses ``Warning: 299 {+service}: "text"`` for everything a server wants a client to know
about a successful answer: a search cut short (8.3.4.4.1: ``There are {n} additional results
that can be requested``), an unsupported fuzzy match, coerced attributes in a STOW-RS answer.
Servers are loose about the syntax (an agent ending in ``:``, an unquoted text, several values in
one header), so the reader is lenient: whatever it cannot split is kept whole as one text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dicomkit.core.interface import Headers, HeadersInput

__all__ = ["WarningValue", "additional_results", "parse_warnings", "warning_texts"]

_START = re.compile(r"\s*(\d{3})\s+(\S+)\s*")
_NEXT_VALUE = re.compile(r",\s*\d{3}\s+\S+\s")
_DATE = re.compile(r'\s*"[^"]*"')
_TRUNCATION = re.compile(
    r"(?:additional|more|remaining)\s+(?:results?|matches)"
    r"|results?\s+(?:\w+\s+){0,2}(?:truncated|exceed)"
    r"|truncated\s+(?:results|search|query)"
    r"|maximum\s+number\s+of\s+(?:results|matches)",
    re.IGNORECASE,
)
_COUNT = re.compile(r"(\d+)\s+(?:additional|more|remaining)\s+(?:results?|matches)", re.I)


@dataclass(frozen=True)
class WarningValue:
    """One warning: its 3-digit code (299 for DICOMweb), the agent, and the text unquoted."""

    code: int | None
    agent: str
    text: str


def _quoted(value: str, start: int) -> tuple[str, int]:
    """The quoted-string at ``value[start] == '"'`` unescaped, and the index after it."""
    out: list[str] = []
    index = start + 1
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            out.append(value[index + 1])
            index += 2
            continue
        if char == '"':
            return "".join(out), index + 1
        out.append(char)
        index += 1
    return "".join(out), index


def _parse_one_header(value: str) -> list[WarningValue]:
    found: list[WarningValue] = []
    index = 0
    while index < len(value):
        head = _START.match(value, index)
        if head is None:
            rest = value[index:].strip(" \t,")
            if rest:
                found.append(WarningValue(None, "", rest))
            break
        code, agent = int(head.group(1)), head.group(2).rstrip(":")
        index = head.end()
        if value.startswith('"', index):
            text, index = _quoted(value, index)
            date = _DATE.match(value, index)
            if date is not None:
                index = date.end()
            index = value.find(",", index)
            index = len(value) if index < 0 else index + 1
        else:
            following = _NEXT_VALUE.search(value, index)
            stop = len(value) if following is None else following.start()
            text, index = value[index:stop].strip(), stop + 1
        found.append(WarningValue(code, agent, text.strip()))
    return found


def parse_warnings(headers: HeadersInput) -> list[WarningValue]:
    """Every warning value of every ``Warning`` header, in order."""
    found: list[WarningValue] = []
    for value in Headers(headers).get_all("Warning"):
        found.extend(_parse_one_header(value))
    return found


def warning_texts(headers: HeadersInput) -> list[str]:
    """The non-empty texts of the ``Warning`` headers, each once, in order."""
    return list(dict.fromkeys(w.text for w in parse_warnings(headers) if w.text))


def additional_results(warnings: list[WarningValue]) -> tuple[bool, int | None]:
    """(the server cut the results short, how many more it has when it says so).

    Recognises PS3.18's ``There are {n} additional results that can be requested`` and the
    wordings servers use instead ("more results", "results were truncated", "the number of
    results exceeded the maximum"); a warning about a value ("PatientName truncated to 64
    characters") is not about the search.
    """
    truncated, count = False, None
    for warning in warnings:
        if not _TRUNCATION.search(warning.text):
            continue
        truncated = True
        number = _COUNT.search(warning.text)
        if number is not None:
            count = int(number.group(1))
    return truncated, count
