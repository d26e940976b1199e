"""TLS: verified by default, a CA bundle path and client certificates work, failures map.

Certificates (a private CA, a server certificate for 127.0.0.1, a client certificate) and the
HTTPS servers come from the public fixtures of :mod:`dicomkit.testing.tls`.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from dicomkit.core.errors import ConnectionLostError, TLSError
from dicomkit.core.interface import Request, Timeout
from dicomkit.testing.tls import HTTPSServer, TLSFiles
from dicomkit.transports._requests import RequestsTransport
from dicomkit.transports._stdlib import StdlibTransport
from dicomkit.transports._urllib3 import Urllib3Transport

BACKENDS = [RequestsTransport, Urllib3Transport, StdlibTransport]
SHORT = Timeout(connect=5.0, read=5.0)


def _status(backend: Any, url: str, **options: Any) -> int:
    with backend(**options) as transport, transport.send(Request("GET", url, timeout=SHORT)) as r:
        r.read()
        return int(r.status)


@pytest.mark.parametrize("backend", BACKENDS)
def test_unknown_ca_is_refused_by_default(backend: Any, https_server: HTTPSServer) -> None:
    with pytest.raises(TLSError) as caught:
        _status(backend, f"{https_server.url}/echo")
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize("backend", BACKENDS)
def test_ca_bundle_path_verifies(
    backend: Any, https_server: HTTPSServer, tls_files: TLSFiles
) -> None:
    assert _status(backend, f"{https_server.url}/echo", verify=str(tls_files.ca)) == 200


@pytest.mark.parametrize("backend", BACKENDS)
def test_hostname_is_checked(backend: Any, https_server: HTTPSServer, tls_files: TLSFiles) -> None:
    with pytest.raises(TLSError):  # ``localhost`` is not in the certificate
        _status(backend, f"{https_server.other_host_url}/echo", verify=str(tls_files.ca))


@pytest.mark.parametrize("backend", BACKENDS)
def test_verification_can_be_turned_off(backend: Any, https_server: HTTPSServer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _status(backend, f"{https_server.url}/echo", verify=False) == 200


@pytest.mark.parametrize("backend", BACKENDS)
def test_client_certificate(
    backend: Any, mutual_tls_server: HTTPSServer, tls_files: TLSFiles
) -> None:
    ca = str(tls_files.ca)
    url = f"{mutual_tls_server.url}/echo"
    assert _status(backend, url, verify=ca, cert=tls_files.client_cert) == 200
    # TLS 1.3: the refusal is an alert after the handshake (TLSError), or, when the server's
    # close wins the race with our request's write, a lost connection (docs/plugins.md)
    with pytest.raises((TLSError, ConnectionLostError)):
        _status(backend, url, verify=ca)
