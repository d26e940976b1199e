"""``dicomkit search studies|series|instances``: QIDO-RS from a shell, in four formats."""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterator
from typing import Any

from dicomkit.cli import ExitStatus, open_client
from dicomkit.cli.output import FORMATS, columns_for, tag_of, write_rows
from dicomkit.commands._common import add_where, where_filters

__all__ = ["SearchCommand", "search_command"]

_EXAMPLES = """examples:
  dicomkit search studies --where PatientID=123 --where StudyDate=20240101-20240131
  dicomkit search series --study 1.2.3 --fields BodyPartExamined --format csv
  dicomkit search instances --limit 10 --format jsonl
"""


class SearchCommand:
    """Search studies, series or instances, with filters and chosen attributes."""

    help = "search studies, series or instances (QIDO-RS)"
    epilog = _EXAMPLES
    connects = True

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("level", choices=("studies", "series", "instances"))
        parser.add_argument("--study", metavar="UID", help="only within this study")
        parser.add_argument("--series", metavar="UID", help="only within this series")
        add_where(parser)
        parser.add_argument(
            "--fields",
            action="append",
            default=[],
            metavar="NAMES",
            help="extra attributes to return (includefield), comma-separated or repeated;"
            " 'all' for every attribute the server has",
        )
        parser.add_argument("--limit", type=_positive, metavar="N", help="at most N results")
        parser.add_argument("--offset", type=_positive, default=0, metavar="N")
        parser.add_argument("--fuzzy", action="store_true", help="ask for fuzzy name matching")
        parser.add_argument(
            "--format", choices=FORMATS, default=None, help="table (default), json, jsonl, csv"
        )

    def run(self, args: argparse.Namespace) -> int:
        if args.series and not args.study:
            print("dicomkit search: --series needs --study", file=sys.stderr)
            return ExitStatus.USAGE
        if args.level == "studies" and (args.study or args.series):
            print("dicomkit search: --study narrows series or instances", file=sys.stderr)
            return ExitStatus.USAGE
        fields = [name.strip() for value in args.fields for name in value.split(",") if name]
        columns = columns_for(args.level, fields)
        for name in columns:
            tag_of(name)  # an unknown keyword is a usage error before any request
        filters = where_filters(args.where)
        fmt = args.format or ("json" if args.json else "table")
        with open_client(args) as client:
            rows = _rows(client, args, filters, fields)
            if args.limit is not None:
                rows = itertools.islice(rows, args.limit)
            count = write_rows(rows, fmt, columns, sys.stdout)
        if fmt == "table" and not args.quiet:
            print(f"{count} result(s)", file=sys.stderr)
        return ExitStatus.OK


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number >= 0")
    return number


def _rows(
    client: Any, args: argparse.Namespace, filters: dict[str, str], fields: list[str]
) -> Iterator[dict[str, Any]]:
    options: dict[str, Any] = {"fields": fields or None, "offset": args.offset or None}
    if args.fuzzy:
        options["fuzzymatching"] = True
    if args.limit is not None:
        options["limit"] = min(args.limit, 1000) or None
    if args.level == "studies":
        return client.iter_search_for_studies(filters, **options)  # type: ignore[no-any-return]
    if args.level == "series":
        return client.iter_search_for_series(  # type: ignore[no-any-return]
            args.study, filters, **options
        )
    return client.iter_search_for_instances(  # type: ignore[no-any-return]
        args.study, args.series, filters, **options
    )


search_command = SearchCommand()
