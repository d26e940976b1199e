"""Every Python example in README.md and docs/ must at least compile, and most must run.

A block preceded by ``<!-- docs-test: compile-only -->`` needs something the test machine
cannot give (cloud credentials, a remote server); it is only compiled. Every other ``python``
block is executed in a fresh namespace in a temporary working folder, so an example that drifts
from the API fails here (``nox -s docs``; the full test run includes it too).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

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
