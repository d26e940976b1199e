"""The options every connecting command shares: server, credentials, transport, verbosity.

They are accepted before the command name (``dicomkit --url U search studies``) and, for the
commands that connect to a server, after it as well (``dicomkit search studies --url U``): the
copies on a subcommand default to "not given", so they never undo a value given earlier.
Environment variables are read when a command runs, not here, so ``--help`` shows no secret.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType
from typing import Any

__all__ = ["ENV_PASSWORD", "ENV_PROFILE", "ENV_TOKEN", "ENV_URL", "add_global_options", "setup"]

ENV_URL = "DICOMWEB_URL"
ENV_TOKEN = "DICOMWEB_TOKEN"
ENV_PASSWORD = "DICOMWEB_PASSWORD"
ENV_PROFILE = "DICOMKIT_PROFILE"

_DEBUG, _WARNING, _ERROR = 10, 30, 40
"""``logging``'s levels, fixed values: choosing one needs no import of it."""

_DEFAULTS: dict[str, Any] = {
    "url": None,
    "profile": None,
    "token": None,
    "basic": None,
    "oauth2_env": None,
    "azure": False,
    "google": False,
    "transport": None,
    "timeout": None,
    "dialect": None,
    "proxy": None,
    "no_proxy": False,
    "ca_bundle": None,
    "cert": None,
    "key": None,
    "insecure": False,
    "verbose": 0,
    "quiet": False,
    "json": False,
}


def add_global_options(parser: argparse.ArgumentParser, *, repeat: bool = False) -> None:
    """Add the shared options; ``repeat`` for a subcommand's copy (defaults suppressed, and
    an option the command already defines is left to the command)."""
    taken = set(parser._option_string_actions) if repeat else set()

    def add(group: argparse._ArgumentGroup, *flags: str, **kwargs: Any) -> None:
        if taken.intersection(flags):
            return
        if repeat:
            kwargs["default"] = argparse.SUPPRESS
        group.add_argument(*flags, **kwargs)

    server = parser.add_argument_group("server and credentials")
    add(server, "--url", metavar="URL", help=f"DICOMweb root URL (default: ${ENV_URL})")
    add(
        server,
        "--profile",
        metavar="NAME",
        help=f"a [profiles.NAME] table of the config file (default: ${ENV_PROFILE})",
    )
    add(server, "--token", metavar="TOKEN", help=f"bearer token (default: ${ENV_TOKEN})")
    add(
        server,
        "--basic",
        metavar="USER",
        help=f"HTTP basic auth as USER; the password comes from ${ENV_PASSWORD} or a prompt",
    )
    add(
        server,
        "--oauth2-env",
        metavar="VAR",
        help="OAuth2 client credentials from the variable VAR (the legacy AUTH_CONNECTION_INFO"
        " dict: authority, client_id, client_secret, oauth_resource)",
    )
    add(server, "--azure", action="store_true", help="azure-identity's DefaultAzureCredential")
    add(server, "--google", action="store_true", help="google-auth's default credentials")
    add(
        server,
        "--transport",
        metavar="NAME",
        help="HTTP backend: requests (default), urllib3, httpx, or another installed one",
    )
    add(server, "--timeout", type=float, metavar="SECONDS", help="read timeout (default 60)")
    network = parser.add_argument_group("network")
    add(
        network,
        "--proxy",
        metavar="URL",
        help="HTTP proxy, http://host:port (default: $HTTPS_PROXY/$HTTP_PROXY/$NO_PROXY)",
    )
    add(network, "--no-proxy", action="store_true", help="ignore the proxy variables")
    add(network, "--ca-bundle", metavar="FILE", help="trust this CA bundle (PEM) for https://")
    add(network, "--cert", metavar="FILE", help="client certificate (PEM) for mutual TLS")
    add(network, "--key", metavar="FILE", help="the client certificate's key, if not in --cert")
    add(
        network,
        "--insecure",
        action="store_true",
        help="do not verify the server's TLS certificate (testing only)",
    )
    add(
        server,
        "--dialect",
        metavar="NAME",
        help="the server's quirks by name, e.g. orthanc (needed there for PatientName=A^B)",
    )
    output = parser.add_argument_group("output")
    add(
        output,
        "-v",
        "--verbose",
        action="count",
        help="log each request (-v), and the HTTP libraries' details too (-vv)",
    )
    add(output, "-q", "--quiet", action="store_true", help="print nothing but errors")
    add(output, "--json", action="store_true", help="machine-readable results on stdout")


def fill_defaults(args: argparse.Namespace) -> None:
    """Give every shared option its default when no parser set it (a command's own parse)."""
    for name, value in _DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)


def _format_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    line: str | None = None,
) -> str:
    return f"dicomkit: warning: {message}\n"


def setup(args: argparse.Namespace, *, deferred: bool = False) -> None:
    """Logging to stderr at the chosen verbosity, and warnings as one plain line each.

    Called by ``main`` only: this process is ours, so setting its logging is right here (and
    would not be in the library). When logging is configured already (``main`` called from a
    program that set up its own, a test runner), nothing global is touched. ``deferred`` (the
    console script): logging is configured when something first imports it, so a command that
    logs nothing does not import it (dicomkit.cli._deferred_logging).
    """
    import warnings

    fill_defaults(args)
    root, ours = _levels(args)

    def configure(logging: ModuleType) -> None:
        logging.basicConfig(stream=sys.stderr, level=root, format="%(name)s: %(message)s")
        logging.getLogger("dicomkit").setLevel(ours)

    if deferred and "logging" not in sys.modules:
        from dicomkit._logging import import_logging_from
        from dicomkit.cli._deferred_logging import configure_on_import

        configure_on_import(configure)
        import_logging_from(ours)  # dicomkit's own records that would be shown import it
        warnings.formatwarning = _format_warning
        return
    import logging

    if logging.getLogger().handlers:
        return  # the program that runs main() in-process (a test runner) configured its own
    configure(logging)
    warnings.formatwarning = _format_warning


def _levels(args: argparse.Namespace) -> tuple[int, int]:
    """The root logger's level and dicomkit's, for the verbosity options."""
    verbose = args.verbose or 0
    # dicomkit's warnings by default; -v its own records (one per HTTP attempt, retries,
    # tokens) and other libraries' warnings (pydicom on odd files); -vv every library's details
    if args.quiet:
        return _ERROR, _ERROR
    if verbose >= 2:
        return _DEBUG, _DEBUG
    if verbose == 1:
        return _WARNING, _DEBUG
    return _ERROR, _WARNING
