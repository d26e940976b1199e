"""dicomkit.files sits below the client: it never imports the client, a transport or HTTP."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import dicomkit.files

HTTP_LIBRARIES = ["requests", "urllib3", "aiohttp", "httpx"]
UPPER_LAYERS = ["dicomkit.client", "dicomkit.transports", "dicomkit.cli", "dicomkit.testing"]
FILES_DIR = Path(dicomkit.files.__file__).parent


def _sources() -> list[Path]:
    return sorted(FILES_DIR.rglob("*.py"))


def _imported_modules(source: str) -> set[str]:
    """Every absolute module named by an import statement, with each of its parents."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            names.update(".".join(parts[: end + 1]) for end in range(len(parts)))
    return names


def layering_violations(source: str, filename: str = "<source>") -> list[str]:
    """Every import in ``source`` that would make dicomkit.files depend on a higher layer."""
    forbidden = set(HTTP_LIBRARIES) | set(UPPER_LAYERS)
    return [f"{filename} imports {name}" for name in sorted(_imported_modules(source) & forbidden)]


def test_files_sources_import_no_upper_layer_and_no_http_library() -> None:
    by_name = {source.name: source.read_text() for source in _sources()}
    expected = {"__init__.py", "part10.py", "folder.py", "download.py", "uid_scan.py"}
    assert expected <= by_name.keys()
    for name, text in by_name.items():
        assert layering_violations(text, name) == []


@pytest.mark.parametrize(
    "source",
    [
        "import requests",
        "from httpx import Client",
        "import urllib3.util",
        "def f():\n    import aiohttp",
        "from dicomkit.client import DicomClient",
        "from dicomkit.client._base import ClientBase",
        "import dicomkit.transports.registry",
    ],
)
def test_the_layering_scan_reports_each_kind_of_violation(source: str) -> None:
    assert layering_violations(source) != []


def test_the_layering_scan_accepts_core_and_pydicom() -> None:
    allowed = "import os\nimport pydicom\nfrom dicomkit.core.stow import StowItem\nimport dicomkit"
    assert layering_violations(allowed) == []


def test_importing_every_files_module_loads_no_upper_layer() -> None:
    """Imports at run time too; pydicom may load ``requests`` itself, so HTTP imports count
    only when a dicomkit module makes them."""
    script = textwrap.dedent(
        f"""
        import builtins, importlib, pkgutil, sys
        http = {HTTP_LIBRARIES!r}
        upper = {UPPER_LAYERS!r}
        real_import = builtins.__import__
        def guarded(name, globals=None, locals=None, fromlist=(), level=0):
            importer = (globals or {{}}).get("__name__", "")
            if importer.startswith("dicomkit") and level == 0 and name.split(".")[0] in http:
                raise ImportError(importer + " imports " + name)
            return real_import(name, globals, locals, fromlist, level)
        builtins.__import__ = guarded
        import dicomkit.files
        walked = list(pkgutil.walk_packages(dicomkit.files.__path__, "dicomkit.files."))
        for info in walked:
            importlib.import_module(info.name)
        leaked = sorted(
            name for name in sys.modules
            if any(name == layer or name.startswith(layer + ".") for layer in upper)
        )
        assert not leaked, leaked
        print("ok", len(walked))
        """
    )
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert output.returncode == 0, output.stderr
    walked = {info.name for info in pkgutil.walk_packages(dicomkit.files.__path__)}
    assert output.stdout.split() == ["ok", str(len(walked))]
    assert len(walked) == len(_sources()) - 1
