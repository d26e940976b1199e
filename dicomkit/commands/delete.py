"""``dicomkit delete STUDY [SERIES [INSTANCE]]``: DICOMweb DELETE, after a confirmation."""

from __future__ import annotations

import argparse
import sys

from dicomkit.cli import ExitStatus, open_client
from dicomkit.commands._common import confirm
from dicomkit.core.uids import validate_uid

__all__ = ["DeleteCommand", "delete_command"]


class DeleteCommand:
    """Delete a study, a series or an instance; asks first unless ``--yes``."""

    help = "delete a study, series or instance (asks for confirmation unless --yes)"
    connects = True

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("study", metavar="STUDY", help="StudyInstanceUID")
        parser.add_argument("series", metavar="SERIES", nargs="?", help="SeriesInstanceUID")
        parser.add_argument("instance", metavar="INSTANCE", nargs="?", help="SOPInstanceUID")
        parser.add_argument("-y", "--yes", action="store_true", help="do not ask")

    def run(self, args: argparse.Namespace) -> int:
        what = "instance" if args.instance else "series" if args.series else "study"
        uid = args.instance or args.series or args.study
        for value, name in (
            (args.study, "STUDY"),
            (args.series, "SERIES"),
            (args.instance, "INSTANCE"),
        ):
            if value is not None:
                validate_uid(value, name)  # before anything is asked or sent
        with open_client(args) as client:
            if not args.yes and not confirm(f"Delete {what} {uid} from {client.base_url}?"):
                print(
                    "dicomkit delete: not deleted (confirm on a terminal, or pass --yes)",
                    file=sys.stderr,
                )
                return ExitStatus.USAGE
            client.delete_dicom(args.study, args.series, args.instance)
        if args.json:
            import json

            print(json.dumps({"deleted": what, "uid": uid}))
        elif not args.quiet:
            print(f"deleted {what} {uid}")
        return ExitStatus.OK


delete_command = DeleteCommand()
