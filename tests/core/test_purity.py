"""dicomkit.core must stay sans-IO: no HTTP library, socket, thread or file access."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import dicomkit.core

HTTP_LIBRARIES = ["requests", "urllib3", "aiohttp", "httpx"]
IO_MODULES = {
    "socket",
    "ssl",
    "threading",
    "asyncio",
    "selectors",
    "http",
    "urllib",
    "os",
    "io",
    "pathlib",
    "shutil",
    "tempfile",
    "subprocess",
    "multiprocessing",
    "concurrent",
}
CORE_DIR = Path(dicomkit.core.__file__).parent


def test_core_imports_with_http_libraries_blocked() -> None:
    script = textwrap.dedent(
        f"""
        import builtins, importlib, pkgutil, sys
        blocked = {HTTP_LIBRARIES!r}
        real_import = builtins.__import__
        def guarded(name, *args, **kwargs):
            if name.split(".")[0] in blocked:
                raise ImportError("blocked while importing dicomkit.core: " + name)
            return real_import(name, *args, **kwargs)
        builtins.__import__ = guarded
        import dicomkit.core
        walked = list(pkgutil.walk_packages(dicomkit.core.__path__, "dicomkit.core."))
        for info in walked:
            importlib.import_module(info.name)
        leaked = sorted(n for n in sys.modules if n.split(".")[0] in blocked)
        assert not leaked, leaked
        # dicomkit._lazy is the top package's own attribute loader (importlib and sys only):
        # the parent package always runs, so what it needs is not core's doing
        ours = sorted(n for n in sys.modules if n.startswith("dicomkit.")
                      and not n.startswith("dicomkit.core") and n != "dicomkit._lazy")
        assert ours == [], ours
        print("ok", len(walked))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")
    assert int(done.stdout.split()[1]) == len(_core_sources()) - 1  # all but __init__.py


IN_MEMORY = {("io", "BytesIO")}
"""Names of I/O modules that do no I/O: ``BytesIO`` grows a part in place and hands its bytes
over without a copy (dicomkit/core/_partbody.py, issue 19); ``io`` itself stays out (``open``)."""


def _imported_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if all((node.module, alias.name) in IN_MEMORY for alias in node.names):
                continue
            names.add(node.module.split(".")[0])
    return names


def _dynamic_imports(tree: ast.AST) -> list[str]:
    """``__import__("os")`` / ``importlib.import_module("socket")`` would dodge the import scan."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in {"__import__", "import_module"}:
            found.append(ast.unparse(node))
    return found


def _opens_a_file(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name) and func.id == "open":
        return True
    if isinstance(func, ast.Attribute) and func.attr == "open":
        return isinstance(func.value, ast.Name) and func.value.id == "builtins"
    if isinstance(func, ast.Name) and func.id == "getattr" and len(call.args) >= 2:
        return isinstance(call.args[1], ast.Constant) and call.args[1].value == "open"
    return False


def _open_calls(tree: ast.AST) -> list[str]:
    """``open(...)``, ``builtins.open(...)`` (errors.py imports builtins legitimately) and
    ``getattr(..., "open")``."""
    return [
        ast.unparse(node)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _opens_a_file(node)
    ]


def purity_violations(source: str, filename: str = "<source>") -> list[str]:
    """Every reason ``source`` would not be sans-IO; empty when it is."""
    tree = ast.parse(source, filename=filename)
    problems = []
    forbidden = _imported_names(tree) & (IO_MODULES | set(HTTP_LIBRARIES))
    if forbidden:
        problems.append(f"{filename} imports {sorted(forbidden)}")
    problems += [f"{filename} imports dynamically: {call}" for call in _dynamic_imports(tree)]
    problems += [f"{filename} opens a file: {call}" for call in _open_calls(tree)]
    return problems


def _core_sources() -> list[Path]:
    return sorted(CORE_DIR.rglob("*.py"))


def test_the_scan_covers_every_core_module_private_ones_included() -> None:
    scanned = {
        ".".join(("dicomkit.core", *source.relative_to(CORE_DIR).with_suffix("").parts))
        for source in _core_sources()
    }
    scanned = {name.removesuffix(".__init__") for name in scanned}
    walked = {"dicomkit.core"} | {
        info.name for info in pkgutil.walk_packages(dicomkit.core.__path__, "dicomkit.core.")
    }
    assert scanned == walked
    assert {"dicomkit.core.stow", "dicomkit.core.operations", "dicomkit.core"} <= scanned


def test_core_sources_import_no_io_module_and_never_open_files() -> None:
    sources = _core_sources()
    assert len(sources) >= 3
    problems = [
        problem
        for source in sources
        for problem in purity_violations(source.read_text(), source.name)
    ]
    assert problems == []


@pytest.mark.parametrize(
    "source",
    [
        "import socket",
        "import os.path",
        "from urllib.parse import urljoin",
        "from http import HTTPStatus",
        "import requests",
        "from httpx import Client",
        "def f():\n    import threading",
        "import asyncio as aio",
        "from io import open",
        "from io import BytesIO, FileIO",
        "import io",
        "data = open('x').read()",
        "import builtins\nbuiltins.open('x')",
        "getattr(__builtins__, 'open')('x')",
        "mod = __import__('socket')",
        "import importlib\nimportlib.import_module('ssl')",
    ],
)
def test_the_purity_scan_reports_each_kind_of_violation(source: str) -> None:
    assert purity_violations(source) != []


def test_the_purity_scan_accepts_pure_code() -> None:
    pure = (
        "import re\nfrom dataclasses import dataclass\nimport builtins\nx = builtins.TimeoutError"
        "\nfrom io import BytesIO"
    )
    assert purity_violations(pure) == []


def test_import_dicomkit_reads_no_entry_points() -> None:
    script = textwrap.dedent(
        """
        import importlib.metadata as md, sys
        calls = []
        real = md.entry_points
        md.entry_points = lambda *a, **k: calls.append(a or k) or real(*a, **k)
        import dicomkit
        assert calls == [], calls
        assert "dicomkit.client" not in sys.modules
        assert "dicomkit.transports" not in sys.modules
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
