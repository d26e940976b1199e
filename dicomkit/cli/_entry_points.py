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
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["EntryPoint", "EntryPointLike", "entry_points"]

_SUFFIXES = (".dist-info", ".egg-info")


class EntryPointLike(Protocol):
    """An ``importlib.metadata.EntryPoint`` or ours: what ``build_parser`` accepts."""

    @property
    def name(self) -> str: ...

    @property
    def value(self) -> str: ...

    def load(self) -> Any: ...


@dataclass(frozen=True)
class EntryPoint:
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
    import configparser

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # names keep their case
    try:
        parser.read_string(text, source=path)
    except configparser.Error:
        return None
    if not parser.has_section(group):
        return []
    return [EntryPoint(name, value, group) for name, value in parser.items(group)]


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
