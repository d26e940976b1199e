"""The ``dicomkit`` command: a dispatcher whose subcommands come from installed distributions.

Each entry point of the group ``dicomkit.commands`` names a :class:`Command`; the entry point's
name is the subcommand. The main wheel contributes search, metadata, delete, upload, download
and jobs (:mod:`dicomkit.commands`), dicomkit-server contributes ``serve``, and third parties
add their own the same way (docs/cli.md). Commands load only when the parser is built, so
importing this module imports no command, and a command that fails to load is listed as
unavailable instead of breaking the others. An error that ends a command becomes one of the
documented exit statuses (:class:`ExitStatus`), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from typing import NamedTuple, NoReturn, Protocol, runtime_checkable

from dicomkit.cli._connect import open_client, server_url
from dicomkit.cli._entry_points import EntryPointLike, entry_points
from dicomkit.cli._exit import ExitStatus, UsageError, exit_status_for
from dicomkit.cli._globals import add_global_options, setup
from dicomkit.cli._help import HelpFormatter, RawDescriptionHelpFormatter

__all__ = [
    "COMMANDS_GROUP",
    "GC_YOUNG_THRESHOLD",
    "Command",
    "ExitStatus",
    "UsageError",
    "add_global_options",
    "build_parser",
    "console",
    "exit_status_for",
    "main",
    "open_client",
    "server_url",
]

COMMANDS_GROUP = "dicomkit.commands"

_INSTALL_HINTS = {"serve": "pip install 'dicomkit[server]'"}
"""Commands of our own distributions: when one is missing, say what to install."""


@runtime_checkable
class Command(Protocol):
    """What an entry point of the ``dicomkit.commands`` group names (an instance, or a class
    that takes no arguments)."""

    help: str
    """One line shown by ``dicomkit --help``."""

    def configure(self, parser: argparse.ArgumentParser) -> None:
        """Add this command's arguments to its own subparser."""

    def run(self, args: argparse.Namespace) -> int:
        """Do the work with the parsed arguments; return the process exit status."""


def _connects(command: Command) -> bool:
    """A command with ``connects = True`` talks to a server: it takes the shared options
    (``--url``, credentials, ``-v``, ``--json`` ...) after its name too, and builds its client
    with :func:`open_client`."""
    return getattr(command, "connects", False) is True


class _Unavailable(NamedTuple):
    """Stands in for a command that is not installed or cannot be loaded."""

    name: str
    reason: str

    def __call__(self, args: argparse.Namespace) -> int:
        print(f"dicomkit {self.name}: {self.reason}", file=sys.stderr)
        return ExitStatus.USAGE


def _load(entry_point: EntryPointLike) -> Command:
    loaded = entry_point.load()
    command = loaded() if isinstance(loaded, type) else loaded
    if not isinstance(command, Command):
        raise TypeError(f"{entry_point.value} has no help, configure() and run()")
    return command


class _ConfigureFailed(Exception):
    """A command's ``configure`` raised: the parser is built again without that command."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.name = name
        self.reason = reason


def _broken(name: str, exc: Exception) -> str:
    hint = _INSTALL_HINTS.get(name, "reinstall the distribution that has it")
    return f"cannot be loaded ({type(exc).__name__}: {exc}); {hint}"


def build_parser(
    commands: Iterable[EntryPointLike] | None = None, *, only: str | None = None
) -> argparse.ArgumentParser:
    """The parser with one subcommand per entry point (default: the installed ones); with
    ``only``, the parser of that one command alone, when an entry point has that name.

    A command that fails to load, or whose ``configure`` raises, is listed as unavailable:
    a broken plugin must not take the other commands down.
    """
    found = list(entry_points(group=COMMANDS_GROUP) if commands is None else commands)
    if only is not None and any(entry_point.name == only for entry_point in found):
        found = [entry_point for entry_point in found if entry_point.name == only]
    else:
        only = None
    loaded: dict[str, Command] = {}
    unavailable: dict[str, str] = {}
    for entry_point in sorted(found, key=lambda ep: ep.name):
        if entry_point.name in loaded:
            continue  # the same name from a second distribution: the first one sorted wins
        try:
            loaded[entry_point.name] = _load(entry_point)
        except Exception as exc:
            unavailable.setdefault(entry_point.name, _broken(entry_point.name, exc))
        else:
            unavailable.pop(entry_point.name, None)
    for name, hint in _INSTALL_HINTS.items():
        if name not in loaded and name not in unavailable and only in (None, name):
            unavailable[name] = f"not installed: {hint}"
    while True:
        try:
            return _assemble(loaded, unavailable)
        except _ConfigureFailed as failed:
            del loaded[failed.name]
            unavailable[failed.name] = failed.reason


def _assemble(loaded: dict[str, Command], unavailable: dict[str, str]) -> argparse.ArgumentParser:
    """The parser of these commands; a half-configured subparser cannot be taken back out of
    argparse, so a ``configure`` that raises abandons the whole parser (``_ConfigureFailed``)."""
    parser = argparse.ArgumentParser(
        prog="dicomkit",
        formatter_class=HelpFormatter,
        description="DICOMweb tools. Commands come from installed distributions "
        f"(entry-point group {COMMANDS_GROUP!r}).",
        epilog="Run 'dicomkit COMMAND --help' for a command's options. Exit statuses: 0 done,"
        " 1 partly failed, 2 usage error, 3 authentication failed, 4 server or network failed,"
        " 130 interrupted.",
    )
    subparsers = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", required=True
    )
    add_global_options(parser)  # after the commands, so that --help lists those first
    for name, command in loaded.items():
        sub = subparsers.add_parser(
            name,
            help=command.help,
            description=getattr(command, "description", None) or command.help,
            epilog=getattr(command, "epilog", None),
            formatter_class=RawDescriptionHelpFormatter,
        )
        try:
            command.configure(sub)
            if _connects(command):
                add_global_options(sub, repeat=True)
        except Exception as exc:
            raise _ConfigureFailed(name, _broken(name, exc)) from exc
        sub.set_defaults(handler=command.run)
    for name, reason in sorted(unavailable.items()):
        sub = subparsers.add_parser(
            name, help=f"(unavailable) {reason}", add_help=False, formatter_class=HelpFormatter
        )
        sub.set_defaults(handler=_Unavailable(name, reason))
    return parser


def _report(args: argparse.Namespace, exc: BaseException, status: ExitStatus) -> None:
    """One line on stderr (a JSON object with ``--json``), never a traceback."""
    import json

    message = (
        "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc) or type(exc).__name__
    )
    if getattr(args, "json", False):
        error = {"error": type(exc).__name__, "message": message, "exit_status": int(status)}
        print(json.dumps(error), file=sys.stderr)
    else:
        print(f"dicomkit {args.command}: {message}", file=sys.stderr)


def _quiet_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def _command_named(argv: Sequence[str] | None) -> str | None:
    """The command ``argv`` runs, found past the shared options, or None (``--help``, no
    command, or an option the shared ones do not know comes first)."""
    shared = _SilentParser(add_help=False, formatter_class=HelpFormatter)
    add_global_options(shared)
    try:
        _, rest = shared.parse_known_args(argv)
    except _Unparsed:  # a bad shared option: the whole parser will say so, with every command
        return None
    return rest[0] if rest and not rest[0].startswith("-") else None


class _Unparsed(Exception):
    """What :class:`_SilentParser` raises instead of printing a usage error and exiting."""


class _SilentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _Unparsed(message)


GC_YOUNG_THRESHOLD = 50_000
"""The console script's first-generation threshold (Python's default is 700; see
:func:`console`)."""


def console() -> int:
    """The ``dicomkit`` console script: :func:`main` for the process the command owns, with
    the cyclic garbage collector tuned for a short-lived command.

    - On entry, what the imports made so far is frozen (``gc.freeze``: module objects that
      live as long as the process), and a collection of the young generation waits for
      GC_YOUNG_THRESHOLD new objects instead of 700: the rest of the start (the command's
      imports, the client, the journal) made 29 young and 3 older collections, 8 ms of a
      download's first 80 (``gc.callbacks``); a download's CPU before its first request fell
      from 106.5 to 101.3 ms (median of 40, each way in turn). Reference counting still
      frees what is not in a cycle at once; cycles wait for 50,000 new objects, a few MB.
    - Once the command is done, every object left is frozen too, so that the interpreter's
      shutdown does not walk them all again: that took about 30 ms of every command (a tenth
      of a 0.35 s download), against 7 ms frozen (``benchmarks/cli.py``,
      docs/performance.md).

    - Logging is configured when something first imports it, not at the start
      (dicomkit.cli._deferred_logging): a command that logs nothing does not import it.

    Nothing else about the shutdown changes: exit handlers run, files close and streams flush
    as before. Programs that call :func:`main` themselves keep their collector and logging as
    they were (logging is configured at once when they have not configured it)."""
    import gc

    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    try:
        return _run(None, owned=True)
    finally:
        gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dicomkit`` with ``argv`` (default: the process's); returns the exit status.

    Only the command run is loaded (a command's module may import much: the others' imports
    would be paid by every run); ``dicomkit --help`` loads them all."""
    return _run(argv, owned=False)


def _run(argv: Sequence[str] | None, *, owned: bool) -> int:
    """:func:`main`; ``owned``: the process is the command's (:func:`console`)."""
    parser = build_parser(only=_command_named(argv))
    args, unknown = parser.parse_known_args(argv)
    if unknown and not isinstance(args.handler, _Unavailable):
        parser.parse_args(argv)  # argparse's own "unrecognized arguments" message and exit 2
    setup(args, deferred=owned)
    try:
        result: int = args.handler(args)
    except BrokenPipeError:
        _quiet_stdout()
        return ExitStatus.OK  # the reader (``| head``) has what it wanted
    except (Exception, KeyboardInterrupt) as exc:
        status = exit_status_for(exc)  # re-raises what is not ours: a bug keeps its traceback
        _report(args, exc, status)
        return int(status)
    return int(result)
