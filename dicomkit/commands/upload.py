"""``dicomkit upload PATH...``: a journaled, resumable STOW-RS upload of files and folders."""

from __future__ import annotations

import argparse

from dicomkit.cli import open_client
from dicomkit.commands._transfer import add_run_options, parse_size, run_job

__all__ = ["UploadCommand", "upload_command"]

_EXAMPLES = """examples:
  dicomkit upload /data/scans --workers 4
  dicomkit upload a.dcm b.dcm --study 1.2.3 --batch-bytes 50MB

Every file's outcome is journaled; after Ctrl+C, a kill or a network failure,
'dicomkit jobs resume JOURNAL' sends only what the server has not confirmed.
"""


class UploadCommand:
    """Upload DICOM files and folders; resumable after any interruption."""

    help = "upload files and folders (STOW-RS), journaled and resumable"
    epilog = _EXAMPLES
    connects = True

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="DICOM files or folders")
        parser.add_argument("--study", metavar="UID", help="send to /studies/UID (STOW-RS)")
        parser.add_argument(
            "--no-recursive", action="store_true", help="do not look into sub-folders"
        )
        parser.add_argument(
            "--batch-files", type=int, metavar="N", help="at most N files per request"
        )
        parser.add_argument(
            "--batch-bytes",
            type=parse_size,
            metavar="SIZE",
            help="at most SIZE per request (50MB, 1GiB ...)",
        )
        parser.add_argument(
            "--journal",
            metavar="FILE",
            help="where to keep the journal (default: a new file"
            " in the jobs folder, see 'dicomkit jobs list')",
        )
        add_run_options(parser)

    def run(self, args: argparse.Namespace) -> int:
        from dicomkit.jobs import UploadJob

        client = open_client(args)  # a bad URL or credential option fails before the scan
        try:
            job = UploadJob.create(
                args.journal,
                args.paths,
                study=args.study,
                recursive=not args.no_recursive,
                batch_files=args.batch_files,
                batch_bytes=args.batch_bytes,
            )
        except BaseException:
            client.close()
            raise
        return run_job(args, job, client)


upload_command = UploadCommand()
