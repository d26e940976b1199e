"""Authentication for the DICOMweb clients: basic, bearer, OAuth2 and cloud credentials.

Pass any of these as ``auth=`` to :class:`~dicomkit.DicomClient` or
:class:`~dicomkit.AsyncDicomClient`; see :func:`resolve_auth` for the shortcuts
(``("user", "password")``, a token string, a callable returning headers).
"""

from __future__ import annotations

from dicomkit.auth._adapters import (
    AZURE_DICOM_SCOPE,
    GOOGLE_HEALTHCARE_SCOPE,
    AzureCredential,
    GoogleCredentials,
)
from dicomkit.auth._base import (
    Auth,
    AuthInput,
    BasicAuth,
    BearerToken,
    CallableAuth,
    EnvSecret,
    HeaderCallable,
    InsecureCredentialsWarning,
    SecretInput,
    SecretNotPicklableError,
    check_transport_security,
    resolve_auth,
)
from dicomkit.auth._oauth2 import OAuth2ClientCredentials
from dicomkit.auth._tokens import Token, TokenAuth

__all__ = [
    "AZURE_DICOM_SCOPE",
    "GOOGLE_HEALTHCARE_SCOPE",
    "Auth",
    "AuthInput",
    "AzureCredential",
    "BasicAuth",
    "BearerToken",
    "CallableAuth",
    "EnvSecret",
    "GoogleCredentials",
    "HeaderCallable",
    "InsecureCredentialsWarning",
    "OAuth2ClientCredentials",
    "SecretInput",
    "SecretNotPicklableError",
    "Token",
    "TokenAuth",
    "check_transport_security",
    "resolve_auth",
]
