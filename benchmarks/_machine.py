"""What a figure was measured on: the CPU model, the Python, the load average.

Every benchmark prints :func:`describe` with its tables (issue 19: ratios are only comparable
on the same CPU, and the load of a shared machine moves absolute times by 2-4x).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

__all__ = ["cpu_model", "describe", "load_average", "machine"]


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (the platform's processor name elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, or "unknown"."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def machine() -> dict[str, Any]:
    """The same facts as a mapping, for the JSON results."""
    return {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load": load_average(),
    }


def describe() -> str:
    """One line: CPU model and count, Python version and implementation, load average."""
    return (
        f"CPU: {cpu_model()} x {os.cpu_count()}; Python {platform.python_version()} "
        f"({platform.python_implementation()}); load average {load_average()}"
    )
