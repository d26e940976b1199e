"""The pure DICOMweb core: protocol knowledge with no sockets, files, threads or HTTP libraries.

Someone with an HTTP stack of their own can use the URL builder, the multipart codec and the
DICOM JSON helpers directly; the clients and transports are built on exactly these pieces.
"""

from dicomkit.core import errors, interface
from dicomkit.core.interface import *  # noqa: F403 - the transport interface, as interface.__all__ lists it

__all__ = ["errors", "interface"]
__all__ += interface.__all__
