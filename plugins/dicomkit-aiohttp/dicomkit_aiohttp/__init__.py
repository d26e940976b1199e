"""dicomkit-aiohttp: an asynchronous dicomkit transport built on aiohttp.

Registered under the name ``aiohttp`` in the ``dicomkit.transports`` entry-point group, so
``AsyncDicomClient(url, transport="aiohttp")`` finds it once this distribution is installed.
"""

from dicomkit_aiohttp._transport import CHUNK_SIZE, AiohttpTransport

__all__ = ["CHUNK_SIZE", "AiohttpTransport"]
