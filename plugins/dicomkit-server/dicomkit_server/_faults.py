"""Fault injection: misbehaviour that real servers show only by accident, here on demand.

Tests script it per path and per request count, for example::

    server.faults.add("/studies", status=503, retry_after=1, times=2)
    server.faults.add("/studies", cut_after=100)        # drop the connection mid-body
    server.faults.add(re.compile(r"/frames/"), malformed_multipart=True)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["Fault", "Faults"]


@dataclass
class Fault:
    """One scripted misbehaviour; ``times=None`` keeps it active until cleared.

    A string ``path`` matches as a prefix of the request path, either the full path or the path
    below the DICOMweb root (API version and partition removed); a compiled pattern is searched
    in the full path.
    """

    path: str | re.Pattern[str] = ""
    method: str | None = None
    times: int | None = 1
    after: int = 0
    status: int | None = None
    retry_after: float | str | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    cut_after: int | None = None
    truncate_after: int | None = None
    malformed_multipart: bool = False
    matched: int = 0
    applied: int = 0

    def matches(self, method: str, full_path: str, relative_path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.search(full_path) is not None
        return full_path.startswith(self.path) or relative_path.startswith(self.path)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.applied >= self.times


class Faults:
    """The scripted faults of one server; safe to change from the test's thread at any time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        path: str | re.Pattern[str] = "",
        *,
        method: str | None = None,
        times: int | None = 1,
        after: int = 0,
        status: int | None = None,
        retry_after: float | str | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        cut_after: int | None = None,
        truncate_after: int | None = None,
        malformed_multipart: bool = False,
    ) -> Fault:
        """Script a fault for the next ``times`` matching requests, after letting ``after`` pass.

        ``status`` answers with that status (and ``Retry-After`` when given) instead of the real
        handler; ``delay`` sleeps before answering; ``cut_after`` sends that many body bytes of
        the real answer then drops the connection; ``truncate_after`` ends a chunked body
        cleanly after that many bytes; ``malformed_multipart`` announces a boundary that the
        body never uses.
        """
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for always)")
        fault = Fault(
            path=path,
            method=method,
            times=times,
            after=after,
            status=status,
            retry_after=retry_after,
            body=body,
            headers=dict(headers or {}),
            delay=delay,
            cut_after=cut_after,
            truncate_after=truncate_after,
            malformed_multipart=malformed_multipart,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for fault in self._faults if not fault.exhausted)

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))

    def take(self, method: str, full_path: str, relative_path: str) -> Fault | None:
        """The first live fault matching this request, counted as applied; None if none."""
        with self._lock:
            for fault in self._faults:
                if fault.exhausted or not fault.matches(method, full_path, relative_path):
                    continue
                fault.matched += 1
                if fault.matched <= fault.after:
                    continue
                fault.applied += 1
                return fault
        return None
