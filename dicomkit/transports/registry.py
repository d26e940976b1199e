"""Transport backends by name, found through the ``dicomkit.transports`` entry-point group.

Entry points are read on the first lookup (never at ``import dicomkit``) and cached; a backend's
module is imported only when its name is asked for. Built-in backends are registered through
the very same group, exactly as a plugin would be.

Name clashes are settled by one rule:

1. an entry point of the ``dicomkit`` distribution itself wins over any other;
2. otherwise the distribution whose normalised name sorts first wins, and a
   :class:`TransportNameClashWarning` names the ones ignored;
3. a caller who passes a class (not a name) always gets that class.

Because of rule 1, building a transport from a built-in name (``"requests"``, the blocking
client's default, ``"urllib3"`` or ``"stdlib"``) reads no entry points at all: :data:`BUILTINS`
names their classes, as the ``dicomkit`` distribution registers them, and reading every installed
distribution's entry points (with ``importlib.metadata``) would cost a client's construction
more than the rest of it. A third party's clash with a built-in name is still reported by
:func:`get` and :func:`available`.
"""

from __future__ import annotations

import importlib
import re
import threading
import warnings
from typing import TYPE_CHECKING, Any

from dicomkit.core.errors import InvalidArgumentError, TransportNotFoundError
from dicomkit.core.interface import AsyncTransport, Transport

if TYPE_CHECKING:
    from importlib import metadata

__all__ = [
    "BUILTINS",
    "BUILTIN_DISTRIBUTION",
    "DEFAULT_ASYNC",
    "DEFAULT_SYNC",
    "ENTRY_POINT_GROUP",
    "INSTALL_HINTS",
    "TransportNameClashWarning",
    "available",
    "clear_cache",
    "get",
    "resolve_transport",
]

ENTRY_POINT_GROUP = "dicomkit.transports"
BUILTIN_DISTRIBUTION = "dicomkit"
BUILTINS = {
    "requests": "dicomkit.transports._requests:RequestsTransport",
    "urllib3": "dicomkit.transports._urllib3:Urllib3Transport",
    "stdlib": "dicomkit.transports._stdlib:StdlibTransport",
}
"""The built-in backends' entry points (pyproject.toml), which win any clash (rule 1): a name
found here is built without reading the installed distributions' entry points."""
DEFAULT_SYNC = "requests"
DEFAULT_ASYNC = ("aiohttp", "httpx")
INSTALL_HINTS = {
    "aiohttp": "pip install dicomkit-aiohttp",
    "httpx": "pip install dicomkit-httpx",
    "requests": "pip install dicomkit  (requests is one of its dependencies)",
    "urllib3": "pip install dicomkit  (urllib3 is one of its dependencies)",
    "stdlib": "pip install dicomkit  (built in: the standard library's http.client)",
}

TransportClass = type[Transport] | type[AsyncTransport]


class TransportNameClashWarning(UserWarning):
    """Two installed distributions register a transport under the same name."""


_lock = threading.Lock()
_entries: dict[str, metadata.EntryPoint] | None = None
_classes: dict[str, TransportClass] = {}


def __getattr__(name: str) -> Any:
    if name == "metadata":  # importlib.metadata, imported when entry points are first read
        return importlib.import_module("importlib.metadata")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _normalise(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _distribution_of(entry: metadata.EntryPoint) -> str:
    dist = getattr(entry, "dist", None)
    return _normalise(dist.metadata["Name"] or dist.name) if dist is not None else ""


def _choose(name: str, candidates: list[metadata.EntryPoint]) -> metadata.EntryPoint:
    by_distribution: dict[str, metadata.EntryPoint] = {}
    for entry in candidates:
        by_distribution.setdefault(_distribution_of(entry), entry)
    if len(by_distribution) == 1:
        return next(iter(by_distribution.values()))
    if BUILTIN_DISTRIBUTION in by_distribution:
        winner = BUILTIN_DISTRIBUTION
    else:
        winner = sorted(by_distribution)[0]
    ignored = sorted(d for d in by_distribution if d != winner)
    warnings.warn(
        f"transport {name!r} is registered by {[winner, *ignored]}; using {winner!r}. "
        f"Pass the class itself to choose another one.",
        TransportNameClashWarning,
        stacklevel=4,
    )
    return by_distribution[winner]


def _discover() -> dict[str, metadata.EntryPoint]:
    global _entries
    from importlib import metadata

    with _lock:
        if _entries is None:
            grouped: dict[str, list[metadata.EntryPoint]] = {}
            for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
                grouped.setdefault(entry.name, []).append(entry)
            _entries = {name: _choose(name, found) for name, found in grouped.items()}
        return _entries


def clear_cache() -> None:
    """Forget what was discovered: the next lookup reads the entry points again."""
    global _entries
    with _lock:
        _entries = None
        _classes.clear()


def available() -> list[str]:
    """Names of the installed transports, sorted."""
    return sorted(_discover())


def _not_found(name: str, cause: str = "") -> TransportNotFoundError:
    installed = ", ".join(available()) or "none"
    text = f"no transport named {name!r}{cause}; installed: {installed}"
    if name in INSTALL_HINTS:
        text += f". To use it: {INSTALL_HINTS[name]}"
    return TransportNotFoundError(text)


def get(name: str) -> TransportClass:
    """The transport class registered under ``name``; it is imported now, not before."""
    if name in _classes:
        return _classes[name]
    entry = _discover().get(name)
    if entry is None:
        raise _not_found(name)
    try:
        loaded = entry.load()
    except ImportError as exc:
        raise _not_found(name, f" can be loaded ({exc})") from exc
    if not (isinstance(loaded, type) and issubclass(loaded, Transport | AsyncTransport)):
        raise TransportNotFoundError(
            f"entry point {name!r} ({entry.value}) is not a Transport or AsyncTransport class"
        )
    _classes[name] = loaded
    return loaded


def _builtin(name: str) -> TransportClass | None:
    """The built-in backend ``name`` (rule 1: it wins any clash), or None for another name."""
    target = BUILTINS.get(name)
    if target is None:
        return None
    module, _, attribute = target.partition(":")
    found: TransportClass = getattr(importlib.import_module(module), attribute)
    return found


def _check_kind(candidate: type, asynchronous: bool) -> None:
    wanted = AsyncTransport if asynchronous else Transport
    if not issubclass(candidate, wanted):
        kind, other = ("an async", "a sync") if asynchronous else ("a sync", "an async")
        raise InvalidArgumentError(
            f"{candidate.__name__} is {other} transport but {kind} one is needed "
            f"(the {'AsyncDicomClient' if asynchronous else 'DicomClient'} sends with "
            f"{'asend' if asynchronous else 'send'}); installed: {', '.join(available())}"
        )
    missing = sorted(getattr(candidate, "__abstractmethods__", ()))
    if missing:
        raise InvalidArgumentError(f"{candidate.__name__} does not implement {missing}")


def _default(asynchronous: bool) -> str:
    if not asynchronous:
        return DEFAULT_SYNC
    names = available()
    for name in DEFAULT_ASYNC:
        if name in names:
            return name
    hints = " or ".join(INSTALL_HINTS[name] for name in DEFAULT_ASYNC)
    raise TransportNotFoundError(f"no async transport is installed; {hints}")


def resolve_transport(
    spec: str | TransportClass | Transport | AsyncTransport | None,
    *,
    asynchronous: bool,
    **options: Any,
) -> tuple[Any, bool]:
    """Build or accept a transport; ``owned`` says whether the caller of this function closes it.

    ``spec`` is a registered name, a class (built with ``options``), an instance the caller
    built (never closed by dicomkit: ``owned`` is False) or None for the default backend.
    """
    if spec is None:
        spec = _default(asynchronous)
    if isinstance(spec, str):
        spec = _builtin(spec) or get(spec)
    if isinstance(spec, type):
        _check_kind(spec, asynchronous)
        return spec(**options), True
    if isinstance(spec, Transport | AsyncTransport):
        _check_kind(type(spec), asynchronous)
        if options:
            raise InvalidArgumentError(
                f"options {sorted(options)} only apply when dicomkit builds the transport; "
                "configure the instance you pass instead"
            )
        return spec, False
    raise InvalidArgumentError(
        f"transport must be a name, a Transport class or instance, not {type(spec).__name__}"
    )
