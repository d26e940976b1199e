"""Deprecated home of the Orthanc runner, now ``dicomkit_server.orthanc``."""

from dicomkit.testing._moved import require_moved

require_moved(__name__, "dicomkit_server.orthanc")
from dicomkit_server.orthanc import *  # noqa: E402, F403
from dicomkit_server.orthanc import __all__ as __all__  # noqa: E402
