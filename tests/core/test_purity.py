"""dicomkit.core must stay sans-IO: no HTTP library, socket, thread or file access."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

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
        for info in pkgutil.iter_modules(dicomkit.core.__path__):
            importlib.import_module("dicomkit.core." + info.name)
        leaked = sorted(n for n in sys.modules if n.split(".")[0] in blocked)
        assert not leaked, leaked
        ours = sorted(n for n in sys.modules if n.startswith("dicomkit.")
                      and not n.startswith("dicomkit.core"))
        assert ours == [], ours
        print("ok", len(list(pkgutil.iter_modules(dicomkit.core.__path__))))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")
    assert int(done.stdout.split()[1]) >= 2


def _imported_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_sources_import_no_io_module_and_never_open_files() -> None:
    sources = sorted(CORE_DIR.glob("*.py"))
    assert len(sources) >= 3
    for source in sources:
        tree = ast.parse(source.read_text(), filename=str(source))
        forbidden = _imported_names(tree) & (IO_MODULES | set(HTTP_LIBRARIES))
        assert not forbidden, f"{source.name} imports {sorted(forbidden)}"
        calls = [
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        ]
        assert "open" not in calls, f"{source.name} calls open()"


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
