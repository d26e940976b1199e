"""dicomkit: a DICOMweb client SDK (QIDO-RS, WADO-RS, STOW-RS, DELETE) with pluggable transports.

``import dicomkit`` is cheap: the clients, transports and auth helpers load on first use, and
no entry point is read until a transport is looked up by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dicomkit._lazy import lazy_getattr
from dicomkit.core import errors as _errors
from dicomkit.core.errors import *  # noqa: F403 - every dicomkit error, as errors.__all__ lists them
from dicomkit.core.interface import (
    AsyncTransport,
    Headers,
    Request,
    Response,
    StreamBody,
    Timeout,
    Transport,
)
from dicomkit.core.version import __version__ as __version__

if TYPE_CHECKING:
    from dicomkit.auth import (
        AzureCredential,
        BasicAuth,
        BearerToken,
        EnvSecret,
        GoogleCredentials,
        OAuth2ClientCredentials,
    )
    from dicomkit.client import AsyncDicomClient, DicomClient, FolderUploadReport
    from dicomkit.config import ClientConfig
    from dicomkit.core.operations import (
        Dialect,
        Frame,
        SearchResult,
        SearchTruncatedError,
        SearchTruncatedWarning,
        WrittenPart,
    )
    from dicomkit.core.retry import RetryPolicy
    from dicomkit.core.stow_response import StoreResult

_LAZY = {
    "DicomClient": "dicomkit.client",
    "AsyncDicomClient": "dicomkit.client",
    "FolderUploadReport": "dicomkit.client",
    "ClientConfig": "dicomkit.config",
    "StoreResult": "dicomkit.core.stow_response",
    "Dialect": "dicomkit.core.operations",
    "Frame": "dicomkit.core.operations",
    "WrittenPart": "dicomkit.core.operations",
    "SearchResult": "dicomkit.core.operations",
    "SearchTruncatedError": "dicomkit.core.operations",
    "SearchTruncatedWarning": "dicomkit.core.operations",
    "RetryPolicy": "dicomkit.core.retry",
    "BasicAuth": "dicomkit.auth",
    "BearerToken": "dicomkit.auth",
    "EnvSecret": "dicomkit.auth",
    "OAuth2ClientCredentials": "dicomkit.auth",
    "AzureCredential": "dicomkit.auth",
    "GoogleCredentials": "dicomkit.auth",
}


__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = [
    "AsyncDicomClient",
    "AsyncTransport",
    "AzureCredential",
    "BasicAuth",
    "BearerToken",
    "ClientConfig",
    "Dialect",
    "DicomClient",
    "EnvSecret",
    "FolderUploadReport",
    "Frame",
    "GoogleCredentials",
    "Headers",
    "OAuth2ClientCredentials",
    "Request",
    "Response",
    "RetryPolicy",
    "SearchResult",
    "SearchTruncatedError",
    "SearchTruncatedWarning",
    "StoreResult",
    "StreamBody",
    "Timeout",
    "Transport",
    "WrittenPart",
]
__all__ += _errors.__all__
