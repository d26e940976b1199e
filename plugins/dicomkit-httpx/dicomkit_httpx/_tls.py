"""TLS settings from dicomkit's backend options (``verify``, ``cert``) as httpx's ``verify=``.

Verification is on unless the caller turns it off; a CA bundle path (file or directory) and a
client certificate need an :class:`ssl.SSLContext`, which is built once per transport.
"""

from __future__ import annotations

import os
import ssl

from dicomkit.core.errors import InvalidArgumentError, TLSError

__all__ = ["ClientCert", "ssl_option"]

ClientCert = str | tuple[str, str] | None


def _default_ca_bundle() -> str | None:
    """httpx verifies against certifi's bundle by default; keep that when adding a client cert."""
    try:
        import certifi
    except ImportError:
        return None
    return str(certifi.where())


def ssl_option(verify: bool | str, cert: ClientCert) -> bool | ssl.SSLContext:
    """``True``/``False`` when httpx's defaults suffice, else a context built from the options."""
    if not isinstance(verify, (bool, str)):
        raise InvalidArgumentError("verify is True, False, or the path of a CA bundle")
    if cert is None and isinstance(verify, bool):
        return verify
    try:
        if verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif isinstance(verify, str) and os.path.isdir(verify):
            context = ssl.create_default_context(capath=verify)
        elif isinstance(verify, str):
            context = ssl.create_default_context(cafile=verify)
        else:
            context = ssl.create_default_context(cafile=_default_ca_bundle())
        if isinstance(cert, str):
            context.load_cert_chain(cert)
        elif cert is not None:
            context.load_cert_chain(cert[0], cert[1])
    except ssl.SSLError as exc:
        raise TLSError(f"cannot load the TLS settings: {exc}") from exc
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read a TLS file: {exc}") from exc
    return context
