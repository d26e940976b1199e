"""Catch work that holds one asyncio loop: slow callbacks and blocking calls on its thread.

asyncio's debug mode logs "Executing <handle> took N seconds" (logger ``asyncio``) for every
callback or task step slower than ``loop.slow_callback_duration``. That names the task, not the
code that was slow, and the log is shared by every loop of the process. :class:`LoopWatch` keeps
only the records of the loop it watches (by thread), only those inside
:meth:`LoopWatch.measuring` (so warm-up work such as first imports and connection setup is
reported but not counted), and samples the loop thread's stack while it is busy, so each slow
callback comes with the functions it spent its time in.

Wall time alone is luck on a loaded machine: a callback that does 1 ms of work takes 100 ms when
its thread waits for a CPU, or for the GIL that a worker thread holds through one long C call.
So a slow callback counts only when the loop thread also spent the threshold in CPU time running
it (timed around each ``Handle._run``). Calls that block without using the CPU (file-system
calls, name lookups) are caught where they happen, through an audit hook, however fast the disk
was this time. Audit hooks cannot be removed, so one is installed per process, on first use, and
does nothing unless a watch is measuring. Two costs of the test process itself are taken out:
debug mode's re-reading of cached source files, and full garbage collections over pytest's,
coverage's and Hypothesis's objects (60-75 ms each here), which are frozen when a watch starts.
"""

from __future__ import annotations

import asyncio
import gc
import linecache
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["SLOW_CALLBACK_SECONDS", "BlockingCall", "LoopWatch", "SlowCallback"]

SLOW_CALLBACK_SECONDS = 0.05
"""The longest a callback may hold the loop: 50 ms, as issue 10 asks."""

_SAMPLE_EVERY = 0.005
_IDLE_FILES = ("selectors.py",)
"""Where the loop thread waits for I/O: a sample taken there is the loop being idle."""
_REPOSITORY = str(Path(__file__).resolve().parents[2]) + "/"
_PROJECT_CODE = ("/dicomkit/", "/dicomkit_aiohttp/", "/dicomkit_httpx/", "/tests/")
_BLOCKING_EVENTS = frozenset(
    {
        "open",
        "os.rename",
        "os.remove",
        "os.rmdir",
        "os.mkdir",
        "os.truncate",
        "os.listdir",
        "os.scandir",
        "tempfile.mkstemp",
        "shutil.copyfile",
        "shutil.rmtree",
        "socket.getaddrinfo",
        "socket.gethostbyname",
    }
)
"""Audit events of calls that block without using the CPU: file-system calls, name lookups."""
_MODULE_FILES = (".py", ".pyc", ".so", ".pth")
"""Files that imports open: a first import is warm-up, not the client's I/O."""
_IMPORT_SYSTEM = "<frozen importlib"
"""An import that misses (httpcore tries one per request) re-lists a sys.path folder whose
mtime changed (coverage writes its data files into the repository root): the import system's
own cache refresh, not work the client put on its loop."""

Frame = tuple[str, int, str]
"""(file, line, function) of one stack frame."""


@dataclass(frozen=True)
class SlowCallback:
    """One callback that held the loop, with where its thread was seen meanwhile."""

    handle: str
    seconds: float
    cpu_seconds: float
    """CPU time of the loop thread while it ran: the rest was waiting (for a CPU, the GIL)."""
    stacks: tuple[tuple[Frame, ...], ...] = ()
    """Stacks sampled while it ran, innermost frame first."""

    def describe(self) -> str:
        lines = [
            f"{self.seconds * 1000:8.0f} ms ({self.cpu_seconds * 1000:.0f} ms CPU)  "
            + _shortened(self.handle)
        ]
        if not self.stacks:
            lines.append(" " * 13 + "(no stack sample caught it)")
        for site, count in Counter(_site(stack) for stack in self.stacks).most_common(3):
            lines.append(f"{' ' * 13}{count}/{len(self.stacks)} samples in {site}")
        return "\n".join(lines)


@dataclass(frozen=True)
class BlockingCall:
    """One blocking call made on the loop thread: the audit event, its target, its caller."""

    event: str
    target: str
    stack: tuple[Frame, ...]

    @property
    def site(self) -> str:
        return f"{self.event} from {_site(self.stack)}"


class _Records(logging.Handler):
    """Collect asyncio's slow-callback warnings, sorted by thread, phase and CPU time."""

    def __init__(
        self, thread_id: int, samples: list[tuple[float, tuple[Frame, ...]]], threshold: float
    ) -> None:
        super().__init__(logging.WARNING)
        self.thread_id = thread_id
        self.samples = samples
        self.threshold = threshold
        self.measuring = False
        self.last_cpu = 0.0
        """CPU time of the loop thread's last callback, set by the ``Handle._run`` wrapper."""
        self.counted: list[SlowCallback] = []
        self.waited: list[SlowCallback] = []
        self.warm_up: list[SlowCallback] = []
        self.other_threads: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not str(record.msg).startswith("Executing") or not isinstance(record.args, tuple):
            return
        handle, seconds = str(record.args[0]), float(str(record.args[1]))
        if record.thread != self.thread_id:
            self.other_threads.append(f"{record.threadName}: {record.getMessage()}")
            return
        started = record.created - seconds - _SAMPLE_EVERY
        stacks = tuple(s for at, s in list(self.samples) if started <= at <= record.created)
        slow = SlowCallback(handle, seconds, self.last_cpu, stacks)
        if not self.measuring:
            self.warm_up.append(slow)
        elif slow.cpu_seconds >= self.threshold:
            self.counted.append(slow)
        else:
            self.waited.append(slow)


_measuring: LoopWatch | None = None
"""The watch whose measured phase is running, if any: the audit hook reports to it."""
_hook_lock = threading.Lock()
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    watch = _measuring
    if watch is None or event not in _BLOCKING_EVENTS or threading.get_ident() != watch.thread_id:
        return
    target = str(args[0]) if args else ""
    caller = sys._getframe(1)
    if target.endswith(_MODULE_FILES) or caller.f_code.co_filename.startswith(_IMPORT_SYSTEM):
        return
    watch.blocking_calls.append(BlockingCall(event, target, _stack(caller)))


def _install_audit_hook() -> None:
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True


class LoopWatch:
    """Put the running loop in debug mode and watch it; enter it on that loop.

    ``async with LoopWatch() as watch:`` ... ``async with watch.measuring():`` ... then
    ``watch.clean`` says whether the measured phases kept the loop free, and
    ``watch.failure(what)`` explains why not.
    """

    def __init__(self, threshold: float = SLOW_CALLBACK_SECONDS) -> None:
        self.threshold = threshold
        self.thread_id = threading.get_ident()
        self.blocking_calls: list[BlockingCall] = []
        """Blocking calls the loop thread made while measuring (imports' file reads aside)."""
        self._loop = asyncio.get_running_loop()
        self._samples: list[tuple[float, tuple[Frame, ...]]] = []
        self._records = _Records(self.thread_id, self._samples, threshold)
        self._run = asyncio.events.Handle._run
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, name="loop-watch", daemon=True)
        self._saved = (self._loop.get_debug(), self._loop.slow_callback_duration)
        self._logger = logging.getLogger("asyncio")
        self._saved_level = self._logger.level

    @property
    def slow(self) -> list[SlowCallback]:
        """The slow callbacks of the measured phases: the ones that fail a test."""
        return list(self._records.counted)

    @property
    def waited(self) -> list[SlowCallback]:
        """Slow callbacks of the measured phases that used less CPU than the threshold: their
        thread mostly waited for a CPU or for the GIL. Reported, not counted."""
        return list(self._records.waited)

    @property
    def warm_up(self) -> list[SlowCallback]:
        """Slow callbacks outside the measured phases: reported, never counted."""
        return list(self._records.warm_up)

    @property
    def other_threads(self) -> list[str]:
        """Slow-callback warnings that other threads' loops logged meanwhile (not counted)."""
        return list(self._records.other_threads)

    @property
    def clean(self) -> bool:
        """No slow callback and no blocking call on the loop while measuring."""
        return not self._records.counted and not self.blocking_calls

    async def __aenter__(self) -> LoopWatch:
        _install_audit_hook()
        self._loop.set_debug(True)
        self._loop.slow_callback_duration = self.threshold
        if not self._logger.isEnabledFor(logging.WARNING):
            self._logger.setLevel(logging.WARNING)
        self._logger.addHandler(self._records)
        # Debug mode records where each future and handle was created, and for that re-stats
        # every file of the stack whose source lines are cached (pytest fills the cache with
        # its tracebacks): debug-mode cost, not the client's, so start with an empty cache.
        linecache.clearcache()
        # A full garbage collection walks every object of the process, here mostly pytest's:
        # freeze what exists now, so that collections cost what the client's own objects cost.
        gc.collect()
        gc.freeze()
        watch = self

        def timed_run(handle: asyncio.Handle) -> None:  # a function, so it binds to the handle
            watch._timed_run(handle)

        asyncio.events.Handle._run = timed_run  # type: ignore[method-assign,assignment]
        self._sampler.start()
        await asyncio.sleep(0)  # asyncio decides to time a step when it starts it
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.sleep(0)  # the step that ran last is logged while still watched
        self._stop.set()
        self._sampler.join()
        asyncio.events.Handle._run = self._run  # type: ignore[method-assign]
        gc.unfreeze()
        self._logger.removeHandler(self._records)
        self._logger.setLevel(self._saved_level)
        self._loop.set_debug(self._saved[0])
        self._loop.slow_callback_duration = self._saved[1]

    @asynccontextmanager
    async def measuring(self) -> AsyncIterator[None]:
        """Count what happens on the loop inside this block.

        asyncio logs a callback after it ran: each edge first ends the current task step
        (``sleep(0)``), so that the step is judged by the side of the edge it ran on.
        """
        global _measuring
        await asyncio.sleep(0)
        self._records.measuring, _measuring = True, self
        try:
            yield
        finally:
            await asyncio.sleep(0)
            self._records.measuring, _measuring = False, None

    def failure(self, what: str) -> str:
        """Why the loop was not free: slow callbacks slowest first, then blocking calls."""
        lines = [f"{what}: the event loop was blocked"]
        slow = sorted(self._records.counted, key=lambda s: -s.seconds)
        if slow:
            lines.append(
                f"{len(slow)} callback(s) held it longer than {self.threshold * 1000:.0f} ms "
                f"of CPU (asyncio debug mode; where its thread was, sampled every "
                f"{_SAMPLE_EVERY * 1000:.0f} ms: the project's innermost frame -> the innermost):"
            )
            lines.extend(s.describe() for s in slow)
        if self.blocking_calls:
            lines.append(f"{len(self.blocking_calls)} blocking call(s) ran on its thread:")
            sites = Counter(call.site for call in self.blocking_calls)
            examples = {call.site: call.target for call in reversed(self.blocking_calls)}
            for site, count in sites.most_common():
                lines.append(f"{count:8}x  {site}, e.g. {examples[site]}")
        if self._records.waited:
            lines.append(
                f"not counted: {len(self._records.waited)} slow callback(s) that mostly waited "
                f"(less than {self.threshold * 1000:.0f} ms CPU)"
            )
        return "\n".join(lines)

    def _timed_run(self, handle: asyncio.Handle) -> None:
        """``Handle._run``, timing the CPU it takes when it runs on the watched loop's thread."""
        if threading.get_ident() != self.thread_id:
            self._run(handle)
            return
        started = time.thread_time()
        try:
            self._run(handle)
        finally:
            self._records.last_cpu = time.thread_time() - started

    def _sample(self) -> None:
        """Every few ms, note the loop thread's stack unless it is waiting for I/O."""
        while not self._stop.wait(_SAMPLE_EVERY):
            frame = sys._current_frames().get(self.thread_id)
            if frame is None or frame.f_code.co_filename.endswith(_IDLE_FILES):
                continue
            self._samples.append((time.time(), _stack(frame)))


def _stack(frame: FrameType | None, limit: int = 60) -> tuple[Frame, ...]:
    frames: list[Frame] = []
    while frame is not None and len(frames) < limit:
        frames.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    return tuple(frames)


def _site(stack: tuple[Frame, ...]) -> str:
    """The project's innermost frame, then the innermost frame if it is elsewhere."""
    ours = next((f for f in stack if any(part in f[0] for part in _PROJECT_CODE)), None)
    innermost = _where(stack[0]) if stack else "?"
    if ours is None or ours == stack[0]:
        return innermost
    return f"{_where(ours)} -> {innermost}"


def _where(frame: Frame) -> str:
    """``function (file:line)`` with the file relative to the repository or site-packages."""
    path, line, function = frame
    if path.startswith(_REPOSITORY):
        path = path[len(_REPOSITORY) :]
    for marker in ("/site-packages/", "/lib/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{function} ({path}:{line})"


def _shortened(handle: str, limit: int = 300) -> str:
    return handle if len(handle) <= limit else handle[: limit - 3] + "..."
