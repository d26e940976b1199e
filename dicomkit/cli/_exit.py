"""The exit statuses of ``dicomkit`` and the one mapping from dicomkit's error tree to them.

Scripts branch on these numbers, so they are part of the public surface (docs/cli.md): every
command returns one of them, and ``main`` turns an escaping error into one through
:func:`exit_status_for`, never a traceback.
"""

from __future__ import annotations

import enum

from dicomkit.core.errors import (
    AuthError,
    DicomkitError,
    ForbiddenError,
    HTTPError,
    InvalidArgumentError,
    NotDicomWebError,
    ProtocolError,
    StoreError,
    TransportError,
    TransportNotFoundError,
    UnauthorizedError,
)

__all__ = ["ExitStatus", "UsageError", "exit_status_for"]


class ExitStatus(enum.IntEnum):
    """What a ``dicomkit`` process reports to its caller."""

    OK = 0
    """Everything asked for was done."""
    PARTIAL = 1
    """Some items failed (files not stored, instances not written), or a local failure (a
    full disk) stopped the work; what was done stays done."""
    USAGE = 2
    """Bad arguments or input (a missing path, a malformed UID, an unknown profile, a URL
    that is not a DICOMweb root)."""
    AUTH = 3
    """Credentials could not be obtained or the server refused them (401, 403)."""
    SERVER = 4
    """The server or the network failed: refused connection, timeout, 4xx/5xx, bad answer."""
    INTERRUPTED = 130
    """Ctrl+C (SIGINT); a transfer leaves its journal and prints the command that resumes it."""


class UsageError(DicomkitError):
    """A command's input is wrong in a way argparse cannot see (a file missing, a bad profile)."""


def exit_status_for(exc: BaseException) -> ExitStatus:
    """The exit status for an error that ended a command."""
    if isinstance(exc, KeyboardInterrupt):
        return ExitStatus.INTERRUPTED
    if isinstance(exc, (AuthError, UnauthorizedError, ForbiddenError)):
        return ExitStatus.AUTH
    if isinstance(
        exc, (UsageError, InvalidArgumentError, TransportNotFoundError, NotDicomWebError)
    ):
        return ExitStatus.USAGE
    if isinstance(exc, (TransportError, HTTPError, ProtocolError, StoreError)):
        return ExitStatus.SERVER
    if isinstance(exc, DicomkitError):  # a local failure mid-way: a full disk, a journal
        return ExitStatus.PARTIAL  # that cannot be written; what is done stays done
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
        return ExitStatus.USAGE  # a path the user named
    if isinstance(exc, OSError):  # a local failure mid-way (a full disk): what is done stays done
        return ExitStatus.PARTIAL
    raise exc  # a programming error: its traceback is the useful report
