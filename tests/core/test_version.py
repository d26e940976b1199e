"""The version lives in dicomkit/core/version.py alone; everything else must agree with it."""

from __future__ import annotations

import importlib.metadata
import re

import dicomkit
from dicomkit.core import version


def test_package_version_is_the_core_version() -> None:
    assert dicomkit.__version__ == version.__version__


def test_installed_metadata_matches_the_source() -> None:
    # hatch reads dicomkit/core/version.py at build time: a literal version in pyproject.toml,
    # or a stale install, shows up here.
    assert importlib.metadata.version("dicomkit") == version.__version__


def test_user_agent_names_the_package_version() -> None:
    assert f"dicomkit/{dicomkit.__version__}" == version.USER_AGENT
    assert re.fullmatch(r"dicomkit/\d+\.\d+\.\d+\S*", version.USER_AGENT)
