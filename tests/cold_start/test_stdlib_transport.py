"""The stdlib backend imports no third-party HTTP library, neither when a client is built with
it nor when it sends (issue 11: the CLI's start-up is its import time); over plain HTTP it
does not load ``http.client``, ``ssl`` or ``email`` either (about 13 ms of a start)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator

import pytest

from dicomkit.testing._contract_server import ContractServer
from tests._support.python import run_python

THIRD_PARTY = ["requests", "urllib3", "charset_normalizer", "idna", "certifi"]
PLAIN_HTTP_SKIPS = ["http.client", "ssl", "email.parser", "encodings.idna"]
"""What a plain-HTTP exchange of the stdlib backend has no use for."""


@pytest.fixture
def server() -> Iterator[ContractServer]:
    with ContractServer() as running:
        yield running


def _loaded_after(code: str) -> dict[str, bool]:
    """Which of ``THIRD_PARTY`` and ``PLAIN_HTTP_SKIPS`` are loaded after running ``code``."""
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps({{m: m in sys.modules for m in {[*THIRD_PARTY, *PLAIN_HTTP_SKIPS]!r}}}))
        """
    )
    result = run_python("-c", script)
    assert result.returncode == 0, result.stderr
    loaded: dict[str, bool] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_sending_through_the_stdlib_transport_imports_no_http_library(
    server: ContractServer,
) -> None:
    loaded = _loaded_after(
        f"""
        from dicomkit.core.interface import Request
        from dicomkit.transports._stdlib import StdlibTransport

        with StdlibTransport() as transport:
            with transport.send(Request("GET", "{server.url}/echo?n=1000")) as response:
                assert response.status == 200 and len(response.read()) == 1000
        """
    )
    assert loaded == dict.fromkeys([*THIRD_PARTY, *PLAIN_HTTP_SKIPS], False)


def test_a_client_on_the_stdlib_name_imports_no_http_library(server: ContractServer) -> None:
    """Through the registry's built-in names (no entry point read) and ``DicomClient``."""
    loaded = _loaded_after(
        f"""
        from dicomkit import DicomClient
        from dicomkit.core.interface import Request

        with DicomClient("{server.url}", transport="stdlib") as client:
            transport = client.transport
            assert type(transport).__name__ == "StdlibTransport", transport
            with transport.send(Request("GET", "{server.url}/echo?n=10")) as response:
                assert response.read() and response.status == 200
        """
    )
    assert loaded == dict.fromkeys([*THIRD_PARTY, *PLAIN_HTTP_SKIPS], False)
