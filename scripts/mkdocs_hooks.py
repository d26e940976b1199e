"""mkdocs hooks: a nav that survives parallel work on docs/, and docstrings read as prose.

The nav in mkdocs.yml names pages other branches may not have merged yet: an entry whose file
is missing is dropped (mkdocs --strict would fail on it), and a page no entry names is listed
under "More" (strict would fail on that too), so the site always builds and shows every page.

The docstrings are written for ``help()`` and IDEs, with reST roles (``:class:`Foo```) and
``::`` before a literal block; mkdocstrings shows those marks as typed. ``on_page_content``
drops them from the rendered API pages, so the source keeps one style.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

NavItem = Any


def _keep(items: list[NavItem], docs: Path) -> list[NavItem]:
    kept: list[NavItem] = []
    for item in items:
        if isinstance(item, dict):
            ((title, value),) = item.items()
            if isinstance(value, list):
                inner = _keep(value, docs)
                if inner:
                    kept.append({title: inner})
            elif "://" in str(value) or (docs / str(value)).is_file():
                kept.append(item)
        elif "://" in str(item) or (docs / str(item)).is_file():
            kept.append(item)
    return kept


def _named(items: list[NavItem]) -> set[str]:
    found: set[str] = set()
    for item in items:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            found |= _named(value)
        else:
            found.add(str(value))
    return found


def on_config(config: Any) -> Any:
    docs = Path(config["docs_dir"])
    nav = _keep(list(config["nav"] or []), docs)
    named = _named(nav)
    more = sorted(
        page.relative_to(docs).as_posix()
        for page in docs.rglob("*.md")
        if page.relative_to(docs).as_posix() not in named
    )
    if more:
        nav.append({"More": more})
    config["nav"] = nav
    return config


_ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):(<code>)~?(?:[\w]+\.)*")
_LITERAL_MARK = re.compile(r"<p>::</p>\s*")


def on_page_content(html: str, **_: Any) -> str:
    """The page without reST role marks (``:class:`~a.b.C``` shows as ``C``) or ``::``."""
    html = _ROLE.sub(r"\1", html)
    return _LITERAL_MARK.sub("", html)
