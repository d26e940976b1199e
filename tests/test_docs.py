"""Every Python example in README.md and docs/ must at least compile, and most must run.

A block preceded by ``<!-- docs-test: compile-only -->`` needs something the test machine
cannot give (cloud credentials, a remote server); it is only compiled. Every other ``python``
block is executed in a fresh namespace in a temporary working folder, so an example that drifts
from the API fails here (``nox -s docs``; the full test run includes it too).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(
    r"(?P<marker><!-- docs-test: compile-only -->\s*)?```python\n(?P<code>.*?)```", re.S
)


def _blocks() -> list[tuple[str, str, bool]]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for index, match in enumerate(FENCE.finditer(text)):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{doc.name}:{line}#{index}", match["code"], bool(match["marker"])))
    return found


BLOCKS = _blocks()


def test_the_docs_have_examples() -> None:
    assert len(BLOCKS) >= 5
    assert sum(not compile_only for _, _, compile_only in BLOCKS) >= 3


@pytest.mark.parametrize(("where", "code", "compile_only"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_example(where: str, code: str, compile_only: bool, tmp_path: Path) -> None:
    compiled = compile(code, where, "exec")
    if compile_only:
        return
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        exec(compiled, {"__name__": "__docs__"})
    finally:
        os.chdir(previous)


def _resolve(dotted: str) -> object:
    """The object a ``::: dotted.path`` line of the API reference names (module, then attrs)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ImportError(dotted)


def test_the_api_reference_names_objects_that_exist() -> None:
    """mkdocstrings fails the --strict build on a renamed object; this says so in the tests."""
    names = [
        name
        for page in sorted((ROOT / "docs" / "api").glob("*.md"))
        for name in re.findall(r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), re.M)
    ]
    assert len(names) >= 10
    for name in names:
        assert _resolve(name) is not None, name


def _hooks() -> Any:
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "scripts/mkdocs_hooks.py")
    assert spec is not None
    assert spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


def test_the_api_pages_lose_rest_marks() -> None:
    html = (
        "<p>a :class:<code>~dicomkit.core.operations.Dialect</code> or :func:<code>f</code></p>"
        "<p>::</p>\n<div>tree</div>"
    )
    assert _hooks().on_page_content(html) == (
        "<p>a <code>Dialect</code> or <code>f</code></p><div>tree</div>"
    )


def test_the_nav_hook_drops_missing_pages_and_lists_unnamed_ones(tmp_path: Path) -> None:
    hooks = _hooks()
    for page in ("index.md", "usage.md", "api/client.md", "new-page.md"):
        (tmp_path / page).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / page).write_text("# page\n")
    config = {
        "docs_dir": str(tmp_path),
        "nav": [
            {"Home": "index.md"},
            {"Later": "transfers.md"},
            {"Guides": [{"Usage": "usage.md"}, {"Gone": "gone.md"}]},
            {"Pending": [{"Only": "not-yet.md"}]},
            {"API": [{"Clients": "api/client.md"}]},
        ],
    }
    assert hooks.on_config(config)["nav"] == [
        {"Home": "index.md"},
        {"Guides": [{"Usage": "usage.md"}]},
        {"API": [{"Clients": "api/client.md"}]},
        {"More": ["new-page.md"]},
    ]
