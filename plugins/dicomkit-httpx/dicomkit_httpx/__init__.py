"""dicomkit-httpx: a dicomkit transport built on httpx, sync and async from one class.

Registered under the name ``httpx`` in the ``dicomkit.transports`` entry-point group, so both
``DicomClient(url, transport="httpx")`` and ``AsyncDicomClient(url, transport="httpx")`` find it
once this distribution is installed.
"""

from dicomkit_httpx._transport import HttpxTransport

__all__ = ["HttpxTransport"]
