"""Deprecated home of the reference server, now ``dicomkit_server``."""

from dicomkit.testing._moved import require_moved

require_moved(__name__, "dicomkit_server")
from dicomkit_server import *  # noqa: E402, F403
from dicomkit_server import __all__ as __all__  # noqa: E402
