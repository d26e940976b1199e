"""Decide the offsets of a paged QIDO-RS search, and when to stop."""

from __future__ import annotations

import json
from typing import Any

from dicomkit.core.interface import Headers, HeadersInput
from dicomkit.core.operations.builder import check_count

__all__ = ["Pager"]


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
        truncated = bool(Headers(headers).get_all("Warning"))
        if self.limit is not None and len(items) < self.limit and not truncated:
            self.done = True
        if len(items) < self._largest and not truncated:
            self.done = True
        self._largest = max(self._largest, len(items))
        return fresh
