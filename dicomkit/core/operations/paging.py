"""Paged QIDO-RS searches: the offsets of the next page, when to stop, and the result that
says whether the server cut it short."""

from __future__ import annotations

import json
from typing import Any, Literal

from dicomkit.core.errors import DicomkitError, InvalidArgumentError
from dicomkit.core.interface import HeadersInput
from dicomkit.core.operations.builder import check_count
from dicomkit.core.operations.httpwarnings import additional_results, parse_warnings

__all__ = [
    "TRUNCATION_POLICIES",
    "Pager",
    "SearchResult",
    "SearchTruncatedError",
    "SearchTruncatedWarning",
    "TruncationPolicy",
    "check_truncation_policy",
]

TruncationPolicy = Literal["follow", "raise", "warn", "return"]
TRUNCATION_POLICIES: tuple[TruncationPolicy, ...] = ("follow", "raise", "warn", "return")
"""What a search does when the server says it cut the results short (``on_truncated=``):
``follow`` asks for the rest with ``offset`` (the default), ``raise`` raises
:class:`SearchTruncatedError`, ``warn`` returns the partial list with a
:class:`SearchTruncatedWarning`, ``return`` returns it silently (``.truncated`` is True)."""


class SearchResult(list[dict[str, Any]]):
    """The DICOM JSON objects of a search (a plain list), plus what the server said about it.

    ``warnings`` are the texts of the ``Warning`` headers of every page; ``truncated`` is True
    when the server said results were left out and they were not fetched; ``remaining`` is how
    many, when the server gave the number (PS3.18 8.3.4.4.1); ``pages`` counts the requests.
    """

    def __init__(
        self,
        items: list[dict[str, Any]] | None = None,
        *,
        warnings: list[str] | None = None,
        truncated: bool = False,
        remaining: int | None = None,
        pages: int = 1,
    ) -> None:
        super().__init__(items or [])
        self.warnings = list(warnings or [])
        self.truncated = truncated
        self.remaining = remaining
        self.pages = pages


class SearchTruncatedError(DicomkitError):
    """A search the server cut short, with ``on_truncated="raise"``; ``result`` holds what came."""

    def __init__(self, message: str, result: SearchResult) -> None:
        super().__init__(message)
        self.result = result


class SearchTruncatedWarning(UserWarning):
    """Issued by a search the server cut short, with ``on_truncated="warn"``."""


def check_truncation_policy(value: object) -> TruncationPolicy:
    """``on_truncated``, checked before anything is sent."""
    for policy in TRUNCATION_POLICIES:
        if value == policy:
            return policy
    raise InvalidArgumentError(
        f"on_truncated must be one of {TRUNCATION_POLICIES}, not {repr(value)[:40]}"
    )


def is_truncated(headers: HeadersInput) -> bool:
    """Whether the answer's ``Warning`` headers say results were left out."""
    return additional_results(parse_warnings(headers))[0]


class Pager:
    """Decide the offsets of a paged QIDO-RS search, and when to stop.

    Stops on an empty page, a short page (unless a ``Warning`` header says the server cut the
    results short), a page seen before, or a page with nothing new: so a server that ignores
    ``offset`` or ``limit`` ends the iteration instead of looping forever.
    """

    def __init__(self, limit: int | None = None, offset: int | None = None) -> None:
        check_count("limit", limit, minimum=1)
        check_count("offset", offset, minimum=0)
        self.limit = limit
        self.offset = offset or 0
        self.done = False
        self._seen: set[str] = set()
        self._pages: set[tuple[str, ...]] = set()
        self._largest = 0

    def accept(self, items: list[dict[str, Any]], headers: HeadersInput = None) -> list[Any]:
        """Record one page; return the items not yielded before."""
        if not items:
            self.done = True
            return []
        keys = tuple(json.dumps(item, sort_keys=True) for item in items)
        if keys in self._pages:
            self.done = True
            return []
        self._pages.add(keys)
        fresh = [item for key, item in zip(keys, items, strict=True) if key not in self._seen]
        self._seen.update(keys)
        if not fresh:
            self.done = True
            return []
        self.offset += len(items)
        truncated = is_truncated(headers)
        if self.limit is not None and len(items) < self.limit and not truncated:
            self.done = True
        if len(items) < self._largest and not truncated:
            self.done = True
        self._largest = max(self._largest, len(items))
        return fresh
