"""``dicomkit check URL``: which parts of DICOMweb a live server honours (docs/check.md).

The probing is :func:`dicomkit.check.check_server`; this module only reads the options, builds
the client and prints the table (or JSON with ``--json``). Imports of the client and the checker
happen inside ``run`` so that ``dicomkit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["CheckCommand", "check_command"]

ENV_URL, ENV_TOKEN, ENV_PASSWORD = "DICOMWEB_URL", "DICOMWEB_TOKEN", "DICOMWEB_PASSWORD"

_EXAMPLES = """examples:
  dicomkit check http://localhost:8042/dicom-web
  dicomkit check https://pacs.example/dicom-web --token "$TOKEN" --json
  dicomkit check http://localhost:8042/dicom-web --write   # stores, probes and deletes a study
"""


class CheckCommand:
    """Probe a server and print a conformance table."""

    help = "probe a DICOMweb server and print what it supports (read-only unless --write)"
    epilog = _EXAMPLES

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.epilog = _EXAMPLES
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.add_argument(
            "target", metavar="URL", nargs="?", help=f"DICOMweb root URL (default: ${ENV_URL})"
        )
        parser.add_argument(
            "--write",
            action="store_true",
            help="also store a small synthetic study, probe STOW-RS and DELETE, then delete it",
        )
        parser.add_argument("--json", action="store_true", help="print the rows as JSON")
        parser.add_argument("--token", help=f"bearer token (default: ${ENV_TOKEN})")
        parser.add_argument(
            "--basic", metavar="USER", help=f"HTTP basic auth; password from ${ENV_PASSWORD}"
        )
        parser.add_argument("--transport", help="HTTP backend (default: requests)")

    def run(self, args: argparse.Namespace) -> int:
        from dicomkit import DicomClient
        from dicomkit.check import check_server
        from dicomkit.core.errors import DicomkitError

        url = args.target or getattr(args, "url", None) or os.environ.get(ENV_URL)
        if not url:
            print(f"dicomkit check: give the server's URL (or set ${ENV_URL})", file=sys.stderr)
            return 2
        try:
            with DicomClient(url, transport=args.transport or "requests", auth=_auth(args)) as c:
                report = check_server(c, write=args.write)
        except DicomkitError as exc:
            print(f"dicomkit check: {exc}", file=sys.stderr)
            return 1
        print(report.to_json() if args.json else report.to_table())
        return 0


def _auth(args: argparse.Namespace) -> tuple[str, str] | str | None:
    token = args.token or os.environ.get(ENV_TOKEN)
    if args.basic:
        return (args.basic, os.environ.get(ENV_PASSWORD, ""))
    return token or None


check_command = CheckCommand()
