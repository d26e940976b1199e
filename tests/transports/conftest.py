"""dicomkit's public TLS fixtures (a private CA and HTTPS loopback servers) for these tests."""

from __future__ import annotations

from dicomkit.testing.tls import https_server, mutual_tls_server, tls_files, tls_server

__all__ = ["https_server", "mutual_tls_server", "tls_files", "tls_server"]
