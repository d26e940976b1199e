"""The pure DICOMweb core: protocol knowledge with no sockets, files, threads or HTTP libraries.

Someone with an HTTP stack of their own can use the URL builder, the multipart codec and the
DICOM JSON helpers directly; the clients and transports are built on exactly these pieces.
"""

from dicomkit.core import errors
from dicomkit.core.interface import (
    AsyncTransport,
    Body,
    BodySource,
    Headers,
    Request,
    Response,
    StreamBody,
    Timeout,
    Transport,
)

__all__ = [
    "AsyncTransport",
    "Body",
    "BodySource",
    "Headers",
    "Request",
    "Response",
    "StreamBody",
    "Timeout",
    "Transport",
    "errors",
]
