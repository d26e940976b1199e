"""TLS: verified by default, a CA bundle path and client certificates work, failures map.

Certificates are made at test time with the ``openssl`` command line (a private CA, a server
certificate for 127.0.0.1 and a client certificate) and served by the contract server over TLS.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dicomkit.core.errors import TLSError, TransportError
from dicomkit.core.interface import Request, Timeout
from dicomkit.testing._contract_server import ContractServer
from dicomkit.transports._requests import RequestsTransport
from dicomkit.transports._urllib3 import Urllib3Transport

BACKENDS = [RequestsTransport, Urllib3Transport]
SHORT = Timeout(connect=5.0, read=5.0)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    root = tmp_path_factory.mktemp("pki")
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA",
        "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=root,
    )  # fmt: skip
    for name, extension in [
        ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
        ("client", "extendedKeyUsage=clientAuth"),
    ]:
        (root / f"{name}.ext").write_text(extension + "\n")
        _openssl(
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=root,
        )  # fmt: skip
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
            cwd=root,
        )  # fmt: skip
    return root


def _server(pki: Path, *, client_certs: bool) -> ContractServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki / "server.pem", pki / "server.key")
    if client_certs:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(pki / "ca.pem")
    return ContractServer(tls=context)


@pytest.fixture(scope="module")
def https(pki: Path) -> Iterator[ContractServer]:
    with _server(pki, client_certs=False) as server:
        yield server


@pytest.fixture(scope="module")
def mutual(pki: Path) -> Iterator[ContractServer]:
    with _server(pki, client_certs=True) as server:
        yield server


def _status(backend: Any, url: str, **options: Any) -> int:
    with backend(**options) as transport, transport.send(Request("GET", url, timeout=SHORT)) as r:
        r.read()
        return int(r.status)


@pytest.mark.parametrize("backend", BACKENDS)
def test_unknown_ca_is_refused_by_default(backend: Any, https: ContractServer) -> None:
    with pytest.raises(TLSError) as caught:
        _status(backend, f"{https.url}/echo")
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize("backend", BACKENDS)
def test_ca_bundle_path_verifies(backend: Any, https: ContractServer, pki: Path) -> None:
    assert _status(backend, f"{https.url}/echo", verify=str(pki / "ca.pem")) == 200


@pytest.mark.parametrize("backend", BACKENDS)
def test_hostname_is_checked(backend: Any, https: ContractServer, pki: Path) -> None:
    wrong_name = f"https://127.0.0.2:{https.port}/echo"  # not in the certificate
    with pytest.raises(TransportError):
        _status(backend, wrong_name, verify=str(pki / "ca.pem"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_verification_can_be_turned_off(backend: Any, https: ContractServer) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _status(backend, f"{https.url}/echo", verify=False) == 200


@pytest.mark.parametrize("backend", BACKENDS)
def test_client_certificate(backend: Any, mutual: ContractServer, pki: Path) -> None:
    ca = str(pki / "ca.pem")
    pair = (str(pki / "client.pem"), str(pki / "client.key"))
    assert _status(backend, f"{mutual.url}/echo", verify=ca, cert=pair) == 200
    with pytest.raises(TransportError):
        _status(backend, f"{mutual.url}/echo", verify=ca)
