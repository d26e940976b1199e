"""Throwaway certificates and HTTPS servers on 127.0.0.1, for testing a backend's TLS options.

Every backend takes ``verify`` (True, False or a CA bundle path) and ``cert`` (a client
certificate); testing them needs a private CA, a server that presents a certificate it signed,
and one that demands a client certificate. Made here once, at test time with the ``openssl``
command, so that each backend's TLS tests are a few lines. Use the fixtures by importing them
into a ``conftest.py``::

    from dicomkit.testing.tls import (  # noqa: F401
        https_server, mutual_tls_server, tls_files, tls_server,
    )

Without ``openssl`` the fixtures skip, and fail under ``CI=true`` so CI never passes by running
nothing.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest

from dicomkit.testing._contract_server import ContractServer

__all__ = [
    "HTTPSServer",
    "TLSFiles",
    "TLSServer",
    "https_server",
    "make_tls_files",
    "mutual_tls_server",
    "serve_https",
    "tls_files",
    "tls_server",
]

HTTPSServer = ContractServer
"""A running loopback server: ``.url`` (``https://127.0.0.1:PORT``), ``.port`` and
``.other_host_url`` (the same server as ``localhost``, a name its certificate does not carry)."""

_LEAF_EXTENSIONS = {
    # Only the IP address: reaching the server as ``localhost`` must fail the hostname check.
    "server": "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    "client": "extendedKeyUsage=clientAuth\n",
}
_EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


@dataclass(frozen=True)
class TLSFiles:
    """PEM files: the CA to pass as ``verify``, the server's pair, the client's pair."""

    ca: Path
    server: Path
    server_key: Path
    client: Path
    client_key: Path

    @property
    def client_cert(self) -> tuple[str, str]:
        """The client certificate as a backend's ``cert=`` option takes it."""
        return str(self.client), str(self.client_key)


class TLSServer(NamedTuple):
    """What the parametrised :func:`tls_server` fixture gives: the base URL and whether the
    server demands a client certificate."""

    url: str
    needs_client_cert: bool


def make_tls_files(folder: Path) -> TLSFiles:
    """Make a private CA, a server certificate for 127.0.0.1 and a client certificate in
    ``folder``, valid for two days; raises ``FileNotFoundError`` without ``openssl``."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise FileNotFoundError("the openssl command is needed to make test certificates")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", *_EC_KEY, "-days", "2", "-subj", "/CN=dicomkit test CA",
        "-keyout", "ca.key", "-out", "ca.pem",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    for name, extensions in _LEAF_EXTENSIONS.items():
        (folder / f"{name}.ext").write_text(extensions)
        run("req", *_EC_KEY, "-subj", f"/CN=dicomkit test {name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr")  # fmt: skip
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext",
            "-out", f"{name}.pem")  # fmt: skip
    return TLSFiles(
        ca=folder / "ca.pem",
        server=folder / "server.pem",
        server_key=folder / "server.key",
        client=folder / "client.pem",
        client_key=folder / "client.key",
    )


def serve_https(files: TLSFiles, *, client_certs: bool = False) -> HTTPSServer:
    """The contract suite's loopback server over TLS (not started: use it in ``with``).

    With ``client_certs`` the handshake fails unless the client shows a certificate signed by
    ``files.ca``. ``GET {url}/echo`` answers 200 with a JSON echo of the request.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.server, files.server_key)
    if client_certs:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(files.ca)
    return ContractServer(tls=context)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """The session's certificates (see :func:`make_tls_files`)."""
    try:
        return make_tls_files(tmp_path_factory.mktemp("tls"))
    except FileNotFoundError as exc:
        if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def https_server(tls_files: TLSFiles) -> Iterator[HTTPSServer]:
    """An HTTPS server on 127.0.0.1 whose certificate ``tls_files.ca`` signed."""
    with serve_https(tls_files) as server:
        yield server


@pytest.fixture(scope="session")
def mutual_tls_server(tls_files: TLSFiles) -> Iterator[HTTPSServer]:
    """An HTTPS server on 127.0.0.1 that also demands a client certificate."""
    with serve_https(tls_files, client_certs=True) as server:
        yield server


@pytest.fixture(params=[False, True], ids=["server-auth", "mutual-auth"])
def tls_server(request: pytest.FixtureRequest) -> TLSServer:
    """Each of the two servers in turn, so a test covers both kinds of handshake."""
    server: HTTPSServer = request.getfixturevalue(
        "mutual_tls_server" if request.param else "https_server"
    )
    return TLSServer(server.url, bool(request.param))
