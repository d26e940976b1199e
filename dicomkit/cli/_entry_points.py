"""The entry points of one group, read from the installed ``*.dist-info`` folders directly.

``importlib.metadata`` costs about 25 ms to import (it brings ``email``, ``zipfile``, ``csv``
and more), a quarter of the 100 ms ``dicomkit --help`` may take. Listing a group needs only
each distribution's ``entry_points.txt``, so this module reads those files the way
``importlib.metadata.entry_points(group=...)`` does for ordinary installs: distributions in
``sys.path`` order, the first of each name wins. A path entry this reader cannot list (a zip
file, an import hook) hands the whole lookup to ``importlib.metadata``; a test compares both
on the installed environment.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any, NamedTuple, Protocol

__all__ = ["EntryPoint", "EntryPointLike", "entry_points"]

_SUFFIXES = (".dist-info", ".egg-info")


class EntryPointLike(Protocol):
    """An ``importlib.metadata.EntryPoint`` or ours: what ``build_parser`` accepts."""

    @property
    def name(self) -> str: ...

    @property
    def value(self) -> str: ...

    def load(self) -> Any: ...


class EntryPoint(NamedTuple):
    """What the dispatcher needs of an entry point: its name, its value, and ``load()``."""

    name: str
    value: str
    group: str

    def load(self) -> Any:
        import importlib

        module, _, attributes = self.value.partition(":")
        loaded: Any = importlib.import_module(module.strip())
        for attribute in filter(None, attributes.strip().split(".")):
            loaded = getattr(loaded, attribute)
        return loaded


def _normalized(folder: str) -> str:
    """The distribution name of a ``name-version.dist-info`` folder, as PEP 503 compares."""
    name = folder.rsplit(".", 1)[0].split("-", 1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _read(path: str, group: str) -> list[EntryPoint] | None:
    """The entry points of ``group`` in one ``entry_points.txt`` ([] when it has none; None
    when it cannot be read). A file without the section's header line is not parsed: most
    distributions name no command, and parsing each file was most of the lookup's time."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError):
        return None  # let importlib.metadata decide what such a file means
    if f"[{group}]" not in text:
        return []
    pairs = _section(text, group)
    if pairs is None:
        return None
    return [EntryPoint(name, value, group) for name, value in pairs]


def _section(text: str, group: str) -> list[tuple[str, str]] | None:
    """The ``name = value`` lines of the section ``[group]``, or None for what is not plainly
    such a file (an indented continuation line, a line with no ``=``, a name given twice):
    importlib.metadata then decides. The format is this simple (the packaging
    specification's entry points file), so no INI library is loaded for it."""
    pairs: list[tuple[str, str]] = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if raw[0] in " \t":
            return None
        if line[0] == "[" and line[-1] == "]":
            inside = line[1:-1].strip() == group
            continue
        if inside:
            name, equals, value = line.partition("=")
            name = name.strip()
            if not equals or not name or any(name == seen for seen, _ in pairs):
                return None
            pairs.append((name, value.strip()))
    return pairs


def _fast(group: str) -> list[EntryPoint] | None:
    found: list[EntryPoint] = []
    seen: set[str] = set()
    for entry in sys.path:
        folder = entry or os.curdir
        if not os.path.isdir(folder):
            if os.path.exists(folder):
                return None  # a zip or another importer's path: not ours to read
            continue
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            if not name.endswith(_SUFFIXES):
                continue
            dist = _normalized(name)
            if dist in seen:
                continue
            seen.add(dist)
            read = _read(os.path.join(folder, name, "entry_points.txt"), group)
            if read is None:
                return None
            found.extend(read)
    return found


def entry_points(group: str) -> list[EntryPointLike]:
    """The entry points of ``group`` of every installed distribution."""
    fast = _fast(group)
    if fast is not None:
        return list(fast)
    from importlib.metadata import entry_points as slow

    return list(slow(group=group))
