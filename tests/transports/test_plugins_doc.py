"""docs/plugins.md is all a backend author reads: its tables name every public helper."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dicomkit.testing.contract as contract
import dicomkit.transports.support as support

PLUGINS = Path(__file__).parents[2] / "docs" / "plugins.md"


def _tabled_names() -> set[str]:
    """Names in backticks in the first cell of every table row (``name(args)`` counts)."""
    names: set[str] = set()
    for line in PLUGINS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        first = line.split("|")[1]
        names.update(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)", first))
    return names


@pytest.mark.parametrize("module", [support, contract], ids=lambda m: m.__name__)
def test_every_public_name_is_in_a_table(module: object) -> None:
    missing = sorted(set(module.__all__) - _tabled_names())  # type: ignore[attr-defined]
    assert not missing, f"docs/plugins.md tables do not list {missing}"
