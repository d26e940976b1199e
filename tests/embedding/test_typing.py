"""Misuse of the clients is a ``mypy --strict`` error, not a surprise at run time.

A small snippet file that an embedder might write is checked by mypy; each line marked
``# error`` must be reported, and no other line.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from tests._support.ci import require_module

SNIPPET = textwrap.dedent(
    """
    from dicomkit import AsyncDicomClient, ClientConfig, DicomClient
    from dicomkit.auth import BasicAuth, EnvSecret
    from dicomkit.transports import get
    from dicomkit_aiohttp import AiohttpTransport
    from dicomkit.transports import Urllib3Transport

    ok_sync = DicomClient("http://x", transport=Urllib3Transport())
    ok_async = AsyncDicomClient("http://x", transport=AiohttpTransport())
    ok_name = DicomClient("http://x", transport="urllib3", auth=("user", "password"))
    ok_env = DicomClient("http://x", auth=BasicAuth("user", EnvSecret("PASSWORD")))
    ok_config: ClientConfig = ok_name.config
    ok_client: DicomClient = ok_config.client()
    ok_aclient: AsyncDicomClient = ok_config.async_client()

    AsyncDicomClient("http://x", transport=Urllib3Transport())  # error
    DicomClient("http://x", transport=AiohttpTransport())  # error
    DicomClient("http://x", transport=42)  # error
    AsyncDicomClient("http://x", transport=Urllib3Transport)  # error
    DicomClient("http://x", auth=42)  # error
    DicomClient("http://x", auth=("user",))  # error
    BasicAuth("user", 42)  # error
    studies: list[str] = ok_name.search_for_studies()  # error
    """
)


def test_misuse_is_a_type_error(tmp_path: Path) -> None:
    require_module("mypy")
    snippet = tmp_path / "embedder.py"
    snippet.write_text(SNIPPET)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "cache"),
            str(snippet),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    reported = {
        int(match[1])
        for match in re.finditer(r"^[^:]*embedder\.py:(\d+): error", done.stdout, re.M)
    }
    expected = {
        number for number, line in enumerate(SNIPPET.splitlines(), 1) if line.endswith("# error")
    }
    assert reported == expected, done.stdout + done.stderr


def test_no_public_method_returns_any_except_dicom_json() -> None:
    import inspect

    import dicomkit
    import dicomkit.auth

    found = []
    for package in (dicomkit, dicomkit.auth):
        for name in package.__all__:
            cls = getattr(package, name)
            if not inspect.isclass(cls):
                continue
            for attribute, member in inspect.getmembers(cls, callable):
                if attribute.startswith("_"):
                    continue
                try:
                    returns = str(inspect.signature(member).return_annotation)
                except (TypeError, ValueError):
                    continue
                if "Any" in returns.replace("dict[str, Any]", ""):
                    found.append(f"{name}.{attribute} -> {returns}")
    assert found == []
