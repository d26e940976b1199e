"""``dicomkit jobs list|show|resume``: the journaled transfers on this machine."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from dicomkit.cli import ExitStatus, UsageError, add_global_options, server_url
from dicomkit.cli.progress import human_bytes
from dicomkit.commands._transfer import (
    add_run_options,
    add_verify_option,
    check_verify,
    run_job,
    status_dict,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["JobsCommand", "jobs_command", "journal_path"]

_SUFFIX = ".dicomkit-job"


class JobsCommand:
    """List, inspect and resume upload and download jobs."""

    help = "list, show and resume journaled upload and download jobs"
    connects = True

    def configure(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        listing = actions.add_parser("list", help="every job in the jobs folder, oldest first")
        listing.add_argument("--folder", metavar="DIR", help="another jobs folder")
        listing.add_argument(
            "--unfinished", action="store_true", help="only jobs with items left to move"
        )
        show = actions.add_parser("show", help="one job's items by state, and its failures")
        show.add_argument("job", metavar="JOB", help="a journal file, or a job id from 'list'")
        resume = actions.add_parser(
            "resume",
            help="move what a job has not moved yet (to the server it last ran against,"
            " unless --url, $DICOMWEB_URL or --profile names another)",
        )
        resume.add_argument("job", metavar="JOB", help="a journal file, or a job id from 'list'")
        add_run_options(resume)
        add_verify_option(resume)
        for action in (listing, show, resume):
            add_global_options(action, repeat=True)  # also after the action: resume X --url U

    def run(self, args: argparse.Namespace) -> int:
        if args.action == "list":
            return _list(args)
        from dicomkit.jobs import open_job

        job = open_job(journal_path(args.job))
        if args.action == "show":
            with job:
                _show(args, job.status())
            return ExitStatus.OK
        destination = job.journal.meta("dask_destination") or ""
        if "://" in destination and not args.cluster:
            job.close()
            raise UsageError(f"this job writes to {destination}: resume it with --cluster")
        try:
            check_verify(args, job)
        except UsageError:
            job.close()
            raise
        if job.url and not server_url(args):
            args.url = job.url  # the server the job last ran against (the journal keeps it)
        return run_job(args, job)


def journal_path(name: str) -> Path:
    """A journal named by its path, or by its id in the default jobs folder."""
    from pathlib import Path

    from dicomkit.jobs import default_journal_folder

    path = Path(name).expanduser()
    if path.is_file():
        return path
    folder = default_journal_folder()
    for candidate in (folder / name, folder / f"{name}{_SUFFIX}"):
        if candidate.is_file():
            return candidate
    raise UsageError(f"no job {name!r}: not a file, nor a job id in {folder}")


def _list(args: argparse.Namespace) -> int:
    import json

    from dicomkit.jobs import list_jobs

    statuses = list_jobs(args.folder)
    if args.unfinished:
        statuses = [status for status in statuses if not status.finished]
    if args.json:
        print(json.dumps([status_dict(status) for status in statuses]))
        return ExitStatus.OK
    if not statuses:
        if not args.quiet:
            print("no jobs", file=sys.stderr)
        return ExitStatus.OK
    for status in statuses:
        state = "done" if status.ok else "failures" if status.finished else "unfinished"
        created = status.created.strftime("%Y-%m-%d %H:%M")
        print(f"{status.job_id}  {created}  {state:<10}  {_counts(status)}  {status.description}")
    return ExitStatus.OK


def _counts(status: Any) -> str:
    return ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in sorted(status.counts.items()))


def _show(args: argparse.Namespace, status: Any) -> None:
    import json

    if args.json:
        print(json.dumps(status_dict(status)))
        return
    size = human_bytes(status.done_bytes)
    if status.total_bytes:
        size += f" of {human_bytes(status.total_bytes)}"
    print(f"job:      {status.job_id} ({status.kind})")
    print(f"journal:  {status.path}")
    print(f"created:  {status.created.isoformat()}")
    print(f"what:     {status.description}")
    print(f"items:    {status.total} ({_counts(status) or 'none'})")
    print(f"bytes:    {size}")
    state = "done" if status.ok else "finished, with failures" if status.finished else "unfinished"
    print(f"state:    {state}")
    for label, reason in status.failures.items():
        print(f"  failed: {label}: {reason}")


jobs_command = JobsCommand()
