"""A drop-in for dicomweb-client 0.61.2 users: ``DICOMwebClient`` running on dicomkit.

Replace ``from dicomweb_client.api import DICOMwebClient`` (or ``dicomweb_client.web``) by
``from dicomkit.compat.dicomweb_client import DICOMwebClient``; nothing else changes. HTTP errors
are :class:`HTTPError`, which is both a ``requests.exceptions.HTTPError`` and the matching
:class:`dicomkit.HTTPError` subclass; retries that run out on a retryable status raise
:class:`RetryError` (a ``retrying.RetryError`` when ``retrying`` is installed). docs/migrating.md
lists the remaining differences.
"""

from __future__ import annotations

from dicomkit.compat.dicomweb_client._client import DICOMwebClient
from dicomkit.compat.dicomweb_client._errors import (
    HTTPError,
    InvalidUIDError,
    ResponseError,
    RetryError,
)

__all__ = ["DICOMwebClient", "HTTPError", "InvalidUIDError", "ResponseError", "RetryError"]
