"""Authentication for the DICOMweb clients: basic, bearer, OAuth2 and cloud credentials.

Pass any of these as ``auth=`` to :class:`~dicomkit.DicomClient` or
:class:`~dicomkit.AsyncDicomClient`; see :func:`resolve_auth` for the shortcuts
(``("user", "password")``, a token string, a callable returning headers).
"""

from __future__ import annotations

from dicomkit._auth.base import (
    Auth,
    AuthInput,
    BasicAuth,
    BearerToken,
    CallableAuth,
    HeaderCallable,
    InsecureCredentialsWarning,
    check_transport_security,
    resolve_auth,
)

__all__ = [
    "Auth",
    "AuthInput",
    "BasicAuth",
    "BearerToken",
    "CallableAuth",
    "HeaderCallable",
    "InsecureCredentialsWarning",
    "check_transport_security",
    "resolve_auth",
]
