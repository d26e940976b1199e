"""The package boundaries of issue 10: no module reaches into another package's private module.

A name with a leading underscore is private to the package that holds it. Code in
``dicomkit/`` and in the plugin distributions may import it only from inside that package, so a
refactor of one package never breaks another one silently.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "dicomkit", *sorted(ROOT.glob("plugins/*/dicomkit_*"))]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(_top(path)).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top(path: Path) -> Path:
    for source in SOURCES:
        if source in path.parents:
            return source.parent
    raise AssertionError(path)


def _imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def private_reach(importer: str, imported: str) -> str | None:
    """The private package or module of ``imported`` that ``importer`` may not use, if any."""
    parts = imported.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            owner = ".".join(parts[:index])
            if importer != owner and not importer.startswith(owner + "."):
                return ".".join(parts[: index + 1])
            return None
    return None


def _violations() -> list[str]:
    found = []
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            module = _module_name(path)
            for line, imported in _imports(path, module):
                if not imported.startswith("dicomkit"):
                    continue
                reached = private_reach(module, imported)
                if reached:
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {reached}")
    return sorted(set(found))


def test_no_module_imports_another_packages_private_module() -> None:
    assert _violations() == []


@pytest.mark.parametrize(
    ("importer", "imported", "expected"),
    [
        ("dicomkit.client.sync", "dicomkit.client._io_sync.sleep", None),
        ("dicomkit.client.sync", "dicomkit.core._old_stow.StowItem", "dicomkit.core._old_stow"),
        ("dicomkit_aiohttp._transport", "dicomkit.transports._x", "dicomkit.transports._x"),
        ("dicomkit.auth", "dicomkit.auth._oauth2.OAuth2ClientCredentials", None),
        ("dicomkit", "dicomkit.core.errors.DicomkitError", None),
        ("dicomkit.core.urls", "dicomkit.core._private_helper", None),
        ("dicomkit.transports.support", "dicomkit.core._helper", "dicomkit.core._helper"),
    ],
)
def test_the_rule_tells_inside_from_outside(
    importer: str, imported: str, expected: str | None
) -> None:
    assert private_reach(importer, imported) == expected
