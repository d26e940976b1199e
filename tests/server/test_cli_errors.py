"""What a user sees when ``dicomkit serve``, the demo or the reference server cannot start: one
line saying why and what to do, never a traceback."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from tests._support.python import run_python


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return run_python("-c", code)


def _serve(*options: str) -> subprocess.CompletedProcess[str]:
    return _run(f"import sys\nfrom dicomkit.cli import main\nsys.exit(main({list(options)!r}))")


def test_port_in_use_is_one_line_on_stderr(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve("serve", "--root", str(tmp_path), "--port", str(port))
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_port_out_of_range_is_a_usage_error():
    result = _serve("serve", "--port", "70000")
    assert result.returncode == 2
    assert "not a TCP port" in result.stderr
    assert "Traceback" not in result.stderr


def test_root_that_is_a_file_is_named(tmp_path: Path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    result = _serve("serve", "--root", str(not_a_folder), "--port", "0")
    assert result.returncode == 1
    assert f"cannot use --root {not_a_folder}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("missing", ["aiohttp", "dicomkit_server"])
def test_serve_without_the_extra_says_what_to_install(missing: str):
    hide = f"import sys; sys.modules[{missing!r}] = None\n"
    result = _run(hide + "from dicomkit.cli import main\nsys.exit(main(['serve']))")
    assert result.returncode == 2
    assert "pip install 'dicomkit[server]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("missing", ["aiohttp", "dicomkit_server"])
def test_the_demo_without_the_extra_says_what_to_install(missing: str):
    hide = f"import sys; sys.modules[{missing!r}] = None\n"
    result = _run(hide + "from dicomkit.demo import main\nsys.exit(main())")
    assert result.returncode == 1
    assert result.stderr.count("pip install 'dicomkit[server]'") == 1
    assert f"(missing: {missing})" in result.stderr
