"""``dicomkit check URL``: which parts of DICOMweb a live server honours (docs/check.md).

The probing is :func:`dicomkit.check.check_server`; this module only reads the options, builds
the client with the shared server options (``--token``, ``--basic``, ``--profile``,
``--transport`` ...; docs/cli.md) and prints the table (or JSON with ``--json``). Imports of the
client and the checker happen inside ``run`` so that ``dicomkit --help`` stays fast.
"""

from __future__ import annotations

import argparse

from dicomkit.cli import ExitStatus, open_client

__all__ = ["CheckCommand", "check_command"]

_EXAMPLES = """examples:
  dicomkit check http://localhost:8042/dicom-web
  dicomkit check https://pacs.example/dicom-web --token "$TOKEN" --json
  dicomkit check http://localhost:8042/dicom-web --write   # stores, probes and deletes a study
  dicomkit --profile pacs check
"""


class CheckCommand:
    """Probe a server and print a conformance table."""

    help = "probe a DICOMweb server and print what it supports (read-only unless --write)"
    epilog = _EXAMPLES
    connects = True

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "target",
            metavar="URL",
            nargs="?",
            help="DICOMweb root URL (default: --url, $DICOMWEB_URL or the profile's)",
        )
        parser.add_argument(
            "--write",
            action="store_true",
            help="also store a small synthetic study, probe STOW-RS and DELETE, then delete it",
        )

    def run(self, args: argparse.Namespace) -> int:
        from dicomkit.check import check_server

        if args.target:
            args.url = args.target
        with open_client(args) as client:
            report = check_server(client, write=args.write)
        print(report.to_json() if args.json else report.to_table())
        return ExitStatus.OK


check_command = CheckCommand()
