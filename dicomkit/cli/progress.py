"""Progress of a transfer on stderr: a bar redrawn in place on a terminal, plain lines otherwise.

One display serves all workers together (the job calls it under its own lock). It is drawn
at most ten times a second on a terminal and every few seconds in a log, so a fast transfer
of small files spends its time moving bytes, not printing. Public, for third-party commands
that run jobs.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["ProgressDisplay", "human_bytes", "human_duration"]

_BAR = 20


def human_bytes(count: float) -> str:
    """``1536`` -> ``1.5 KB`` (decimal units, as network rates are quoted)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(count) < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressDisplay:
    """A ``dicomkit.jobs`` progress callback that draws on ``stream`` (default stderr)."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        *,
        terminal: bool | None = None,
        interval: float | None = None,
        clock: Any = time.monotonic,
    ) -> None:
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.terminal = self.stream.isatty() if terminal is None else terminal
        self.interval = interval if interval is not None else (0.1 if self.terminal else 5.0)
        self._clock = clock
        self._last_draw: float | None = None
        self._last: Any = None
        self._width = 0

    def __call__(self, progress: Any) -> None:
        self._last = progress
        now = self._clock()
        if self._last_draw is not None and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self._draw(progress)

    def line(self, progress: Any) -> str:
        """The text of one update (without the bar)."""
        done, total = progress.instances_done, progress.instances_total
        parts = [f"{done}/{total} instances" if total is not None else f"{done} instances"]
        size = human_bytes(progress.bytes_done)
        if progress.bytes_total:
            size += f"/{human_bytes(progress.bytes_total)}"
        parts.append(size)
        if progress.rate > 0:
            parts.append(f"{human_bytes(progress.rate)}/s")
        if progress.eta is not None:
            parts.append(f"{human_duration(progress.eta)} left")
        if progress.failed:
            parts.append(f"{progress.failed} failed")
        return f"{self.label}: " + "  ".join(parts)

    @staticmethod
    def _fraction(progress: Any) -> float | None:
        if progress.bytes_total:
            return float(min(1.0, progress.bytes_done / progress.bytes_total))
        if progress.instances_total:
            return float(min(1.0, progress.instances_done / progress.instances_total))
        return None

    def _draw(self, progress: Any) -> None:
        text = self.line(progress)
        fraction = self._fraction(progress)
        if not self.terminal:
            if fraction is not None:
                text += f"  ({fraction:.0%})"
            print(text, file=self.stream, flush=True)
            return
        if fraction is not None:
            filled = int(fraction * _BAR)
            text = f"[{'#' * filled}{'.' * (_BAR - filled)}] {fraction:4.0%} " + text
        padding = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write(f"\r{text}{padding}")
        self.stream.flush()

    def finish(self) -> None:
        """Draw the last state (always) and end the bar's line."""
        if self._last is not None:
            self._draw(self._last)
        if self.terminal and self._width:
            self.stream.write("\n")
            self.stream.flush()
        self._width = 0
