"""argparse's help formatters, measuring the terminal without ``shutil``.

argparse builds a formatter for every ``add_argument`` (to check the argument's metavar), and
its formatter asks ``shutil.get_terminal_size`` for the width: importing ``shutil`` (with
``bz2``, ``lzma`` and ``fnmatch``) was 2-3 ms of every command's start, help shown or not.
These formatters compute the same width (``$COLUMNS``, else the terminal of ``sys.__stdout__``,
else 80 columns; minus 2, as argparse does) with ``os`` alone.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["HelpFormatter", "RawDescriptionHelpFormatter", "terminal_columns"]


def terminal_columns() -> int:
    """What ``shutil.get_terminal_size().columns`` answers, without importing ``shutil``."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's default formatter, its width measured by :func:`terminal_columns`."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            width = terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


class RawDescriptionHelpFormatter(HelpFormatter, argparse.RawDescriptionHelpFormatter):
    """argparse's formatter that keeps descriptions and epilogs as written, measured alike."""
