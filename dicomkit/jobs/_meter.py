"""Progress of a running job, for all its workers together, and running work on threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from dicomkit.jobs._model import Progress, ProgressCallback

__all__ = ["Meter", "on_threads"]

_T = TypeVar("_T")


class Meter:
    """Counts instances and bytes as workers move them and calls ``progress`` after each
    change, one call at a time (it holds the meter's lock while the callback runs).

    Bytes of a request in flight count as moved while they are read into it; when a request
    starts again (a retry reads its files anew) its items' counts go back to zero first, so
    ``bytes_done`` never counts a byte twice. With ``monotonic`` (uploads, whose total is
    known) the bytes shown never go back: a head read before sending, or a request sent again,
    shows the most moved so far until it is passed.
    """

    def __init__(
        self,
        kind: str,
        progress: ProgressCallback | None,
        *,
        done: int,
        total: int | None,
        bytes_done: int,
        bytes_total: int | None,
        failed: int,
        monotonic: bool = False,
    ) -> None:
        self.kind = kind
        self._progress = progress
        self._lock = threading.Lock()
        self._done = done
        self._total = total
        self._confirmed_bytes = bytes_done
        self._start_bytes = bytes_done
        self._bytes_total = bytes_total
        self._failed = failed
        self._flight: dict[int, int] = {}
        self._staged = 0
        self._monotonic = monotonic
        self._shown = bytes_done
        self._started = time.monotonic()
        self.moved_instances = 0

    def _emit(self) -> None:
        if self._progress is None:
            return
        done = self._confirmed_bytes + self._staged + sum(self._flight.values())
        if self._monotonic:
            done = self._shown = max(done, self._shown)
        self._progress(
            Progress(
                kind=self.kind,
                instances_done=self._done,
                instances_total=self._total,
                bytes_done=done,
                bytes_total=self._bytes_total,
                failed=self._failed,
                bytes_this_run=done - self._start_bytes,
                elapsed=time.monotonic() - self._started,
                instances_this_run=self.moved_instances,
            )
        )

    def start(self) -> None:
        """The first call, before anything moves (0/total after the scan)."""
        with self._lock:
            self._started = time.monotonic()
            self._emit()

    def set_total(self, total: int) -> None:
        with self._lock:
            self._total = total
            self._emit()

    def read(self, key: int, count: int) -> None:
        """``count`` more bytes of item ``key`` went into a request (or onto the disk)."""
        with self._lock:
            self._flight[key] = self._flight.get(key, 0) + count
            self._emit()

    def rewind(self, key: int) -> None:
        """Item ``key`` is read again from its start: its bytes so far no longer count."""
        with self._lock:
            if self._flight.pop(key, 0):
                self._emit()

    def staged(self, key: int, size: int) -> None:
        """``size`` bytes counted in flight under ``key`` are a file waiting for its group
        to be made final: they stay counted when ``key``'s request ends."""
        with self._lock:
            self._flight[key] = max(0, self._flight.get(key, 0) - size)
            self._staged += size

    def landed(self, sizes: Sequence[int]) -> None:
        """Staged files of these sizes are final and journaled: done, in one step."""
        with self._lock:
            self._staged -= sum(sizes)
            self._confirmed_bytes += sum(sizes)
            self._done += len(sizes)
            self.moved_instances += len(sizes)
            self._emit()

    def unstaged(self, sizes: Sequence[int]) -> None:
        """Staged files given up (removed, to be fetched again): they no longer count."""
        with self._lock:
            self._staged -= sum(sizes)
            self._emit()

    def settle(
        self, outcomes: Iterable[tuple[int, int | None, bool, bool]], *, moved: bool = True
    ) -> None:
        """Items finished: (key, size, confirmed, failed) each. Confirmed sizes count as done;
        the in-flight bytes of unconfirmed items are dropped (they will move again). With
        ``moved`` False the items were confirmed without this run sending them (found on the
        server after an earlier run died): done, but not part of this run's bytes."""
        with self._lock:
            for key, size, confirmed, failed in outcomes:
                self._flight.pop(key, None)
                if confirmed:
                    self._done += 1
                    self._confirmed_bytes += size or 0
                    if moved:
                        self.moved_instances += 1
                    else:
                        self._start_bytes += size or 0
                if failed:
                    self._failed += 1
                    self._done += 1
            self._emit()

    @property
    def bytes_this_run(self) -> int:
        with self._lock:
            return self._confirmed_bytes - self._start_bytes

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started


def on_threads(work: Callable[[_T], None], jobs: Sequence[_T], workers: int) -> None:
    """``work(job)`` for every job, ``workers`` at a time on threads (inline for one).

    The first exception stops jobs not yet started and is raised once the running ones end,
    so their outcomes are journaled; KeyboardInterrupt does the same. Plain threads, not
    ``concurrent.futures`` (which imports :mod:`logging`: 15 ms of a command's start).
    """
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            work(job)
        return
    pending = iter(jobs)
    lock = threading.Lock()
    failures: list[BaseException] = []

    def run() -> None:
        while True:
            with lock:
                if failures:
                    return
                try:
                    job = next(pending)
                except StopIteration:
                    return
            try:
                work(job)
            except BaseException as exc:  # raised in the caller's thread below
                with lock:
                    failures.append(exc)
                return

    count = min(workers, len(jobs))
    threads = [threading.Thread(target=run, name=f"dicomkit-job_{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException as exc:  # KeyboardInterrupt while waiting: no job starts any more
        with lock:
            failures.append(exc)
        for thread in threads:
            thread.join()
        raise
    if failures:
        raise failures[0]
