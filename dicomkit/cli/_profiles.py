"""Named connection profiles read from a TOML file in the user's config folder.

A profile holds what is tedious to type (URL, auth method, transport, timeouts) but never a
secret: passwords and tokens are named by the environment variable that holds them, so the
file can be shared and committed. The TOML parser loads only when a profile is used.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from dicomkit.cli._exit import UsageError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["CONFIG_ENV", "Profile", "config_file", "load_profile"]

CONFIG_ENV = "DICOMKIT_CONFIG"
"""An environment variable naming the config file, instead of the platform's default place."""

_AUTH_KINDS = ("none", "token", "basic", "oauth2", "azure", "google")


@dataclass(frozen=True)
class Profile:
    """One ``[profiles.NAME]`` table; every field is optional and a command-line option wins."""

    url: str | None = None
    transport: str | None = None
    auth: str | None = None
    """One of none, token, basic, oauth2, azure, google."""
    user: str | None = None
    """The basic-auth user name; the password comes from ``password_env`` or a prompt."""
    password_env: str | None = None
    token_env: str | None = None
    oauth2_env: str | None = None
    """The variable holding the legacy AUTH_CONNECTION_INFO dict."""
    connect_timeout: float | None = None
    read_timeout: float | None = None
    retries: int | None = None
    dialect: str | None = None
    proxy: str | None = None
    ca_bundle: str | None = None
    cert: str | None = None
    key: str | None = None


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    """Where the profiles live: ``$DICOMKIT_CONFIG``, else ``config.toml`` in the platform's
    config folder (``$XDG_CONFIG_HOME/dicomkit``, ``~/.config/dicomkit``; ``%APPDATA%\\dicomkit``
    on Windows; ``~/Library/Application Support/dicomkit`` on macOS)."""
    from pathlib import Path  # here: pathlib is a tenth of the CLI's own import time

    env = os.environ if environ is None else environ
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV]).expanduser()
    if sys.platform == "win32" and env.get("APPDATA"):
        folder = Path(env["APPDATA"])
    elif sys.platform == "darwin":
        folder = Path.home() / "Library" / "Application Support"
    else:
        folder = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return folder / "dicomkit" / "config.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    # tomllib from Python 3.11; tomli (its original, a dependency on 3.10) before
    tomllib: Any = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        with path.open("rb") as file:
            document: dict[str, Any] = tomllib.load(file)
            return document
    except FileNotFoundError:
        raise UsageError(f"no config file at {path} (set {CONFIG_ENV} to use another)") from None
    except OSError as exc:
        raise UsageError(f"cannot read the config file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"the config file {path} is not valid TOML: {exc}") from None


def _checked(name: str, table: object, path: Path) -> Profile:
    where = f"[profiles.{name}] in {path}"
    if not isinstance(table, dict):
        raise UsageError(f"{where} must be a table")
    known = {field.name: field.type for field in fields(Profile)}
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}")
    for key, value in table.items():
        expected: tuple[type, ...] = (str,)
        if key.endswith("_timeout"):
            expected = (int, float)
        elif key == "retries":
            expected = (int,)
        if isinstance(value, bool) or not isinstance(value, expected):
            kind = " or ".join(t.__name__ for t in expected)
            raise UsageError(f"{where}: {key} must be a {kind}")
    if table.get("auth") not in (None, *_AUTH_KINDS):
        raise UsageError(f"{where}: auth must be one of {', '.join(_AUTH_KINDS)}")
    return Profile(**table)


def load_profile(name: str, environ: Mapping[str, str] | None = None) -> Profile:
    """The profile ``name`` from the config file; a clear UsageError when it is not there."""
    path = config_file(environ)
    document = _read_toml(path)
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict) or name not in profiles:
        known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) else ""
        raise UsageError(
            f"no profile {name!r} in {path}" + (f" (profiles: {known})" if known else "")
        )
    return _checked(name, profiles[name], path)
