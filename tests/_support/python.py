"""Run the interpreter as a user's process would: no pytest environment variables and no
PYTHONPATH, so only what is installed can be imported."""

from __future__ import annotations

import os
import subprocess
import sys

__all__ = ["clean_env", "run_python"]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.pop("PYTHONPATH", None)
    return env


def run_python(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python *args`` (e.g. ``"-c", code``) with its output as text."""
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=clean_env()
    )
