"""Logging configured the moment something imports it, for the console script.

Importing :mod:`logging` (with ``traceback``, ``textwrap`` and ``string``) and configuring it
took 5-7 ms of every command's start, and most commands never log: a download's records are
DEBUG, which the default verbosity and ``--quiet`` do not show. The console script owns its
process, so it can wait: :func:`configure_on_import` puts a finder first on ``sys.meta_path``
that lets the first import of ``logging`` happen as it would and configures the module before
the importer gets it. Whoever imports it first (an HTTP library, pydicom, dicomkit's own
records through :func:`dicomkit._logging.import_logging_from`) finds it configured, as if the
command had done it at its start. A program that calls ``dicomkit.cli.main`` itself is not
touched: its logging is set up at once, or left alone (``dicomkit.cli._globals.setup``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from importlib.abc import Loader

__all__ = ["configure_on_import"]

Configure = Callable[[ModuleType], None]


def configure_on_import(configure: Configure) -> None:
    """Call ``configure(logging)`` right after the first import of :mod:`logging` (at once when
    it is imported already)."""
    module = sys.modules.get("logging")
    if module is not None:
        configure(module)
    else:
        sys.meta_path.insert(0, _LoggingFinder(configure))


class _LoggingFinder:
    """A meta path finder for ``logging`` alone; it leaves ``sys.meta_path`` on its first use
    and hands the import to the finders after it, with the module's loader wrapped."""

    def __init__(self, configure: Configure) -> None:
        self._configure = configure

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> Any:
        if name != "logging":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        import importlib.util

        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = cast("Loader", _ThenConfigure(spec.loader, self._configure))
        return spec


class _ThenConfigure:
    """A loader that runs the module as ``loader`` would, then configures it."""

    def __init__(self, loader: Any, configure: Configure) -> None:
        self._loader = loader
        self._configure = configure

    def create_module(self, spec: Any) -> ModuleType | None:
        module: ModuleType | None = self._loader.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._configure(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)  # get_source, get_filename ... as the loader has them
