"""The deprecation path of the modules that moved to the dicomkit-server distribution.

``dicomkit.testing.server``, ``.orthanc`` and ``.pytest_plugin`` left the main wheel so that
``pip install dicomkit`` brings no server and no aiohttp; their old names keep working, with a
``DeprecationWarning``, when ``pip install "dicomkit[server]"`` is done, and otherwise fail
with an error that says so.
"""

from __future__ import annotations

import importlib
import warnings

__all__ = ["require_moved"]

SERVER_EXTRA = "pip install 'dicomkit[server]'"


def require_moved(old: str, new: str) -> None:
    """Import ``new`` with every public name loaded, then warn that ``old`` is deprecated."""
    try:
        module = importlib.import_module(new)
        for name in getattr(module, "__all__", ()):
            getattr(module, name)  # a lazily exported name loads now, so a gap shows here
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"{old} moved to {new} (the dicomkit-server distribution): {SERVER_EXTRA}"
            f" (missing: {exc.name})",
            name=exc.name,
        ) from exc
    warnings.warn(
        f"{old} is deprecated; import {new} instead (installed by {SERVER_EXTRA})",
        DeprecationWarning,
        stacklevel=3,
    )
