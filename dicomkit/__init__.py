"""dicomkit: a DICOMweb client SDK (QIDO-RS, WADO-RS, STOW-RS, DELETE) with pluggable transports.

``import dicomkit`` is cheap: the clients, transports and auth helpers load on first use, and
no entry point is read until a transport is looked up by name.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from dicomkit.core.errors import (
    AuthError,
    BadRequestError,
    ClientError,
    ConflictError,
    ConnectError,
    ConnectionLostError,
    ConnectTimeout,
    DicomJSONError,
    DicomkitError,
    ForbiddenError,
    GatewayTimeoutError,
    HTTPError,
    InvalidArgumentError,
    InvalidUIDError,
    MethodNotAllowedError,
    MultipartError,
    MultipartLimitError,
    NotAcceptableError,
    NotFoundError,
    ProtocolError,
    ReadTimeout,
    ServerError,
    ServiceUnavailableError,
    StoreError,
    TimeoutError,  # noqa: A004 - dicomkit.TimeoutError is also a builtins.TimeoutError
    TLSError,
    TooManyRedirectsError,
    TooManyRequestsError,
    TransportClosedError,
    TransportError,
    TransportNotFoundError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
)
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
        GoogleCredentials,
        OAuth2ClientCredentials,
    )
    from dicomkit.client import AsyncDicomClient, DicomClient, FolderUploadReport
    from dicomkit.core.dicomjson import StoreResult
    from dicomkit.core.retry import RetryPolicy

_LAZY = {
    "DicomClient": "dicomkit.client",
    "AsyncDicomClient": "dicomkit.client",
    "FolderUploadReport": "dicomkit.client",
    "StoreResult": "dicomkit.core.dicomjson",
    "RetryPolicy": "dicomkit.core.retry",
    "BasicAuth": "dicomkit.auth",
    "BearerToken": "dicomkit.auth",
    "OAuth2ClientCredentials": "dicomkit.auth",
    "AzureCredential": "dicomkit.auth",
    "GoogleCredentials": "dicomkit.auth",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dicomkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AsyncDicomClient",
    "AsyncTransport",
    "AuthError",
    "AzureCredential",
    "BadRequestError",
    "BasicAuth",
    "BearerToken",
    "ClientError",
    "ConflictError",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionLostError",
    "DicomClient",
    "DicomJSONError",
    "DicomkitError",
    "FolderUploadReport",
    "ForbiddenError",
    "GatewayTimeoutError",
    "GoogleCredentials",
    "HTTPError",
    "Headers",
    "InvalidArgumentError",
    "InvalidUIDError",
    "MethodNotAllowedError",
    "MultipartError",
    "MultipartLimitError",
    "NotAcceptableError",
    "NotFoundError",
    "OAuth2ClientCredentials",
    "ProtocolError",
    "ReadTimeout",
    "Request",
    "Response",
    "RetryPolicy",
    "ServerError",
    "ServiceUnavailableError",
    "StoreError",
    "StoreResult",
    "StreamBody",
    "TLSError",
    "Timeout",
    "TimeoutError",
    "TooManyRedirectsError",
    "TooManyRequestsError",
    "Transport",
    "TransportClosedError",
    "TransportError",
    "TransportNotFoundError",
    "UnauthorizedError",
    "UnsupportedMediaTypeError",
]
