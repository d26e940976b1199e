"""Skips that turn into failures under ``CI=true``.

CI installs every test extra and both plugins, so a missing one there is a broken install, not a
reason to pass quietly; on a developer machine the same test is skipped with the reason.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest

__all__ = ["in_ci", "require_module", "skip_or_fail"]


def in_ci() -> bool:
    """Whether ``CI`` is set to a true value, as the CI entry point does."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test here, fail it under ``CI=true``."""
    if in_ci():
        pytest.fail(f"CI=true requires this test to run: {reason}", pytrace=False)
    pytest.skip(reason)


def require_module(name: str) -> ModuleType:
    """``pytest.importorskip`` that fails under ``CI=true`` instead of skipping."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        skip_or_fail(f"{name} is not importable ({exc}); pip install -e .[test] and the plugins")
