"""Deprecated home of the pytest fixtures, now ``dicomkit_server.pytest_plugin``."""

from dicomkit.testing._moved import require_moved

require_moved(__name__, "dicomkit_server.pytest_plugin")
from dicomkit_server.pytest_plugin import *  # noqa: E402, F403
from dicomkit_server.pytest_plugin import __all__ as __all__  # noqa: E402
