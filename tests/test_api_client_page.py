"""The API page lists every public method of both clients, wherever in the class tree it lives.

The clients inherit their QIDO-RS and WADO-RS methods from mixins (client/_aio_search.py,
client/_aio_retrieve.py), and mkdocstrings shows inherited members only when the page asks.
This test reads the options each ``:::`` block of docs/api/client.md gives, selects members with
mkdocstrings' own filter over the tree griffe builds from the sources (as the site build does),
and compares the result with the classes Python sees: a method moved to a mixin or a base
without the page following fails here, in seconds, rather than vanishing from the site.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

import dicomkit

griffe = pytest.importorskip("griffe", reason="the docs extra builds the API pages")
rendering = pytest.importorskip("mkdocstrings_handlers.python", reason="the docs extra")

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "api" / "client.md"
BLOCK = re.compile(r"^::: (?P<name>[\w.]+)\n(?P<options>(?:    .*\n)*)", re.M)
NOT_ON_THE_PAGE = {"close"}
"""Public methods the page leaves out on purpose (``close``: every ``with`` block calls it)."""


def page_options() -> dict[str, dict[str, Any]]:
    """The options of each ``:::`` block of the page, by the object it names."""
    found = {}
    for block in BLOCK.finditer(PAGE.read_text(encoding="utf-8")):
        text = block["options"]
        loaded = yaml.safe_load(textwrap.dedent(text)) if text.strip() else None
        found[block["name"]] = (loaded or {}).get("options", {})
    return found


def documented(path: str, options: dict[str, Any]) -> set[str]:
    """The members mkdocstrings renders for ``path`` with the block's ``options``."""
    package = griffe.load("dicomkit", search_paths=[str(ROOT)], resolve_aliases=True)
    cls = package[path.removeprefix("dicomkit.")]
    filters = [
        (re.compile(pattern.removeprefix("!")), pattern.startswith("!"))
        for pattern in options.get("filters", ["!^_"])
    ]
    members = rendering.do_filter_objects(
        cls.all_members,
        filters=filters,
        inherited_members=options.get("inherited_members", False),
        keep_no_docstrings=False,
    )
    return {member.name for member in members}


def public_methods(cls: type) -> set[str]:
    return {
        name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")
    }


@pytest.mark.parametrize("name", ["DicomClient", "AsyncDicomClient"])
def test_the_client_page_shows_every_public_method(name: str) -> None:
    cls = getattr(dicomkit, name)
    shown = documented(f"dicomkit.client.{name}", page_options()[f"dicomkit.client.{name}"])
    assert public_methods(cls) - NOT_ON_THE_PAGE <= shown
    assert {"workitems", "azure", "search_for_studies", "retrieve_study"} <= shown
    assert shown <= {member for member in dir(cls) if not member.startswith("_")}
    assert not shown & NOT_ON_THE_PAGE


def test_the_methods_live_in_more_than_one_class() -> None:
    """What makes this test needed: the clients' methods are spread over mixins."""
    for cls in (dicomkit.DicomClient, dicomkit.AsyncDicomClient):
        homes = {
            klass.__module__
            for name in public_methods(cls)
            for klass in cls.__mro__
            if name in vars(klass)
        }
        assert len(homes) >= 3, homes
