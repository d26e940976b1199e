"""``dicomkit download``: journaled, resumable WADO-RS downloads of one or many studies."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from dicomkit.cli import UsageError, open_client
from dicomkit.cli.output import cell, tag_of
from dicomkit.commands._common import add_where, where_filters
from dicomkit.commands._transfer import add_run_options, run_job

if TYPE_CHECKING:
    from dicomkit.jobs import Target

__all__ = ["DownloadCommand", "download_command", "read_targets"]

_EXAMPLES = """examples:
  dicomkit download 1.2.3 --out scans/
  dicomkit download 1.2.3 4.5.6 --out scans/            (one series)
  dicomkit download --where PatientID=123 --where StudyDate=20240101-20240131 --out scans/
  dicomkit download --from-file uids.txt --out scans/ --workers 8

Files land in OUT/STUDY/SERIES/INSTANCE.dcm, each written whole or not at all. A file of
UIDs has one target per line: STUDY, or STUDY SERIES, or STUDY SERIES INSTANCE (blank lines
and lines starting with # are skipped; - reads standard input).
"""


class DownloadCommand:
    """Download studies, a series or an instance; resumable after any interruption."""

    help = "download studies, series or instances (WADO-RS), journaled and resumable"
    epilog = _EXAMPLES
    connects = True

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("study", metavar="STUDY", nargs="?", help="StudyInstanceUID")
        parser.add_argument("series", metavar="SERIES", nargs="?", help="SeriesInstanceUID")
        parser.add_argument("instance", metavar="INSTANCE", nargs="?", help="SOPInstanceUID")
        parser.add_argument(
            "--out",
            required=True,
            metavar="DIR",
            help="output folder (with --cluster, also an fsspec URL such as s3://bucket/export)",
        )
        add_where(parser)
        parser.add_argument(
            "--from-file", metavar="FILE", help="targets from a file of UIDs (- for stdin)"
        )
        parser.add_argument("--journal", metavar="FILE", help="where to keep the journal")
        parser.add_argument(
            "--durable",
            action="store_true",
            help="fsync every file before journaling it, so that it survives a power cut"
            " (slower; by default files survive any kill of the process, as with curl)",
        )
        add_run_options(parser)

    def run(self, args: argparse.Namespace) -> int:
        from pathlib import Path

        from dicomkit.jobs import DownloadJob

        sources = [bool(args.study), bool(args.where), bool(args.from_file)]
        if sum(sources) != 1:
            raise UsageError("name the targets one way: UIDs, --where filters, or --from-file")
        if "://" in args.out and not args.cluster:
            raise UsageError(
                f"--out {args.out}: a URL is written by a cluster's workers: add --cluster"
            )
        out = Path(args.out).expanduser()
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {args.out}: not a folder")
        client = open_client(args)
        try:
            targets: list[Target]
            if args.from_file:
                targets = read_targets(args.from_file)
            elif args.where:
                targets = _searched(client, where_filters(args.where))
            else:
                given = [uid for uid in (args.study, args.series, args.instance) if uid]
                targets = [_target(given, "the command line", 0)]
            if not targets:
                if not args.quiet:
                    print("nothing to download: no study matches", file=sys.stderr)
                client.close()
                return 0
            job = DownloadJob.create(args.journal, targets, out, durable=args.durable)
        except BaseException:
            client.close()
            raise
        return run_job(args, job, client)


def read_targets(name: str) -> list[Target]:
    """The targets of a file of UIDs (one per line, UIDs split by spaces, commas or slashes)."""
    from pathlib import Path

    try:
        if name == "-":
            text = sys.stdin.read()
        else:
            text = Path(name).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise UsageError(f"--from-file {name}: cannot read it ({reason})") from None
    targets: list[Target] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        targets.append(_target(line.replace(",", " ").replace("/", " ").split(), name, number))
    return targets


def _target(uids: list[str], name: str, number: int) -> Target:
    if len(uids) == 1:
        return (uids[0],)
    if len(uids) == 2:
        return (uids[0], uids[1])
    if len(uids) == 3:
        return (uids[0], uids[1], uids[2])
    raise UsageError(f"{name}:{number}: at most STUDY SERIES INSTANCE on a line")


def _searched(client: Any, filters: dict[str, str]) -> list[Target]:
    """The StudyInstanceUIDs of every study matching the filters."""
    rows = client.iter_search_for_studies(filters, fields=["StudyInstanceUID"])
    uids = (cell(row, tag_of("StudyInstanceUID")) for row in rows)
    return [(uid,) for uid in uids if uid]


download_command = DownloadCommand()
