"""``dicomkit metadata STUDY [SERIES [INSTANCE]]``: WADO-RS metadata as DICOM JSON."""

from __future__ import annotations

import argparse
import sys

from dicomkit.cli import ExitStatus, open_client

__all__ = ["MetadataCommand", "metadata_command"]


class MetadataCommand:
    """Print the metadata of a study, a series or an instance."""

    help = "print the metadata of a study, series or instance (WADO-RS, DICOM JSON)"
    connects = True

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("study", metavar="STUDY", help="StudyInstanceUID")
        parser.add_argument("series", metavar="SERIES", nargs="?", help="SeriesInstanceUID")
        parser.add_argument("instance", metavar="INSTANCE", nargs="?", help="SOPInstanceUID")
        parser.add_argument(
            "--format",
            choices=("json", "jsonl"),
            default="json",
            help="one JSON array (default) or one instance per line",
        )

    def run(self, args: argparse.Namespace) -> int:
        import json

        with open_client(args) as client:
            if args.instance:
                items = [client.retrieve_instance_metadata(args.study, args.series, args.instance)]
            elif args.series:
                items = client.retrieve_series_metadata(args.study, args.series)
            else:
                items = client.retrieve_study_metadata(args.study)
        if args.format == "jsonl":
            for item in items:
                sys.stdout.write(json.dumps(item, separators=(",", ":")) + "\n")
        else:
            json.dump(items, sys.stdout, indent=2)
            sys.stdout.write("\n")
        return ExitStatus.OK


metadata_command = MetadataCommand()
