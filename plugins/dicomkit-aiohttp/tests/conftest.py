"""Contract assert rewriting, and a loopback HTTPS server with throwaway certificates."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

if "dicomkit.testing.contract" not in sys.modules:  # already imported: too late to rewrite
    pytest.register_assert_rewrite("dicomkit.testing.contract")


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Self-signed server and client certificates for 127.0.0.1, made with the openssl tool."""
    openssl = shutil.which("openssl")
    if openssl is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the TLS tests need the openssl command")
        pytest.skip("the TLS tests need the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    files: dict[str, Path] = {}
    for name in ("server", "client"):
        files[name] = folder / f"{name}.pem"
        files[f"{name}_key"] = folder / f"{name}.key"
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-keyout", str(files[f"{name}_key"]), "-out", str(files[name]),
             "-subj", f"/CN=dicomkit test {name}", "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True,
            capture_output=True,
        )  # fmt: skip
    return files


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello over TLS"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        """Quiet: handshake failures are what some tests provoke."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A refused handshake is expected here, not a server bug."""


@contextmanager
def _https_server(files: dict[str, Path], *, mutual: bool) -> Iterator[str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files["server"], files["server_key"])
    if mutual:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(files["client"])
    server = _QuietServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(
        server.socket, server_side=True, do_handshake_on_connect=False
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(params=[False, True], ids=["server-auth", "mutual-auth"])
def tls_server(request: pytest.FixtureRequest, tls_files: dict[str, Path]) -> Iterator[Any]:
    """``(url, needs_client_cert)`` of an HTTPS server on 127.0.0.1."""
    with _https_server(tls_files, mutual=request.param) as url:
        yield url, request.param


@pytest.fixture
def mutual_tls_server(tls_files: dict[str, Path]) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 that wants our client certificate."""
    with _https_server(tls_files, mutual=True) as url:
        yield url
