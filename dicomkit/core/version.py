"""The package version, written once: the wheel's metadata, ``dicomkit.__version__`` and the
``User-Agent`` every request carries all read it from here.

Hatch reads ``__version__`` from this file when it builds (``[tool.hatch.version]`` in
pyproject.toml), so a release bumps this one line and nothing else.
"""

from __future__ import annotations

__all__ = ["USER_AGENT", "__version__"]

__version__ = "0.1.0"

USER_AGENT = f"dicomkit/{__version__}"
"""The ``User-Agent`` header dicomkit sends unless the caller sets one."""
