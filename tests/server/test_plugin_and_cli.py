"""The pytest plugin seen from a throwaway project that only has dicomkit installed, and the
``dicomkit serve`` command."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

from tests._support.python import clean_env, run_python

THROWAWAY_TESTS = """
import json
import urllib.error
import urllib.request

import pytest


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_empty_server_answers(dicomweb_server):
    assert dicomweb_server.url.endswith("/v1")
    status, body = _get(dicomweb_server.url + "/studies")
    assert (status, json.loads(body)) == (200, [])


def test_faults_are_scriptable(dicomweb_server):
    dicomweb_server.faults.add("/studies", status=503, retry_after=1)
    assert _get(dicomweb_server.url + "/studies")[0] == 503
    assert _get(dicomweb_server.url + "/studies")[0] == 200


def test_faults_do_not_leak_between_tests(dicomweb_server, dicomweb_server_session):
    dicomweb_server.faults.add("/studies", status=500, times=None)
    assert _get(dicomweb_server.url + "/studies")[0] == 500


def test_next_test_is_clean(dicomweb_server):
    assert _get(dicomweb_server.url + "/studies")[0] == 200
    assert dicomweb_server.server is not None
"""

THROWAWAY_CONFTEST = """
import pytest


@pytest.fixture(scope="session")
def dicomweb_server_options():
    return {"api_version": "v1"}
"""


def test_plugin_works_in_a_throwaway_project(tmp_path: Path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(textwrap.dedent(THROWAWAY_CONFTEST))
    (tmp_path / "test_uses_plugin.py").write_text(textwrap.dedent(THROWAWAY_TESTS))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_plugin_module_imports_nothing_heavy():
    code = (
        "import sys, dicomkit_server.pytest_plugin\n"
        "heavy = [m for m in ('aiohttp', 'pydicom', 'numpy', 'PIL') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = run_python("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _serve_and_get(root: Path, *options: str) -> tuple[str, int, bytes]:
    """Start ``dicomkit serve``, GET /studies once, stop it; (first line, status, body)."""
    command = [sys.executable, "-m", "dicomkit.cli", "serve", "--root", str(root), "--port", "0"]
    with subprocess.Popen(
        [*command, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_env(),
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert "DICOMweb root http://127.0.0.1:" in line, line
            url = line.split("DICOMweb root ", 1)[1].split()[0]
            try:
                with urllib.request.urlopen(url + "/studies", timeout=10) as response:
                    status, body = response.status, response.read()
            except urllib.error.HTTPError as exc:
                status, body = exc.code, exc.read()
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert process.returncode == 0
    return line, status, body


def test_cli_serve_binds_loopback_and_answers(tmp_path: Path):
    _, status, body = _serve_and_get(tmp_path)
    assert (status, body) == (200, b"[]")
    assert (tmp_path / "index.sqlite3").exists()


def test_cli_serve_with_basic_auth(tmp_path: Path):
    _, status, _ = _serve_and_get(tmp_path, "--basic-auth", "alice:secret")
    assert status == 401


def test_cli_rejects_malformed_credentials(tmp_path: Path):
    result = run_python("-m", "dicomkit.cli", "serve", "--basic-auth", "nocolon")
    assert result.returncode == 2
    assert "NAME:SECRET" in result.stderr
