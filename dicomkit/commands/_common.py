"""Small pieces the built-in commands share: ``--where`` parsing and the confirmation prompt."""

from __future__ import annotations

import argparse
import sys

from dicomkit.cli import UsageError

__all__ = ["add_where", "confirm", "where_filters"]


def add_where(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a QIDO-RS filter, repeatable: PatientID=123, StudyDate=20240101-20240131,"
        " PatientName=DOE*, 00080060=CT",
    )


def where_filters(pairs: list[str]) -> dict[str, str]:
    """``["PatientID=1", ...]`` as a filter mapping; a malformed or repeated key is an error."""
    filters: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--where {pair!r} must look like KEY=VALUE")
        if key in filters:
            raise UsageError(f"--where {key} is given twice")
        filters[key] = value
    return filters


def confirm(question: str) -> bool:
    """Ask on the terminal; with no terminal there is nobody to ask, so the answer is no."""
    if sys.stdin is None or not sys.stdin.isatty():
        return False
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
