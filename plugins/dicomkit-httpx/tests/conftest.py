"""Contract assert rewriting, and dicomkit's public TLS fixtures (a private CA, HTTPS servers)."""

from __future__ import annotations

import sys

import pytest

from dicomkit.testing.tls import https_server, mutual_tls_server, tls_files, tls_server

__all__ = ["https_server", "mutual_tls_server", "tls_files", "tls_server"]

if "dicomkit.testing.contract" not in sys.modules:  # already imported: too late to rewrite
    pytest.register_assert_rewrite("dicomkit.testing.contract")
