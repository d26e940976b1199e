"""Running a journaled job from the command line: progress, Ctrl+C, the report, the exit status.

upload, download and ``jobs resume`` all end here, so they print alike and exit alike. The
journal is the job's memory: whatever stops a run (Ctrl+C, a dead server, rejected
credentials) leaves it resumable, and the user is told the exact command that resumes it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dicomkit.cli import ExitStatus, UsageError, exit_status_for, open_client
from dicomkit.cli.progress import ProgressDisplay, human_bytes, human_duration

__all__ = [
    "add_run_options",
    "add_verify_option",
    "check_verify",
    "parse_size",
    "resume_command",
    "run_job",
    "status_dict",
]

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


def parse_size(text: str) -> int:
    """``50MB``, ``1GiB``, ``500k`` or a number of bytes (argparse type)."""
    value = text.strip().lower().replace(" ", "")
    number = value.rstrip("kmgib")
    unit = value[len(number) :]
    try:
        size = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size such as 50MB, 1GiB or 2000000"
        ) from None
    if size < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a size must be at least 1 byte")
    return int(size)


def _workers(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers (1 or more)")
    return count


def add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="requests in flight at once (default: the measured default, see docs/transfers.md)",
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="try the items that failed before again"
    )
    parser.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run on a Dask cluster: tcp://scheduler:8786, or local:N worker processes"
        " (--workers is then the cluster's cap on requests; needs dicomkit[dask], docs/dask.md)",
    )


def add_verify_option(parser: argparse.ArgumentParser) -> None:
    """``--verify``: only where a job already written may be resumed (``jobs resume``)."""
    parser.add_argument(
        "--verify",
        action="store_true",
        help="download jobs: read back every written file and check its SHA-256 against the"
        " journal before trusting it (jobs made with --durable; others have sizes only)",
    )


def check_verify(args: argparse.Namespace, job: Any) -> None:
    """Refuse ``--verify`` where nothing can be verified. Where it can check less than it
    names (a download made without ``--durable`` journaled no SHA-256, so only the files'
    sizes are compared; docs/transfers.md, "Durability"), the job's run issues
    ``dicomkit.jobs.VerifyWarning``, which the command shows as its one warning line: the
    library and the command say it in the same words."""
    if not getattr(args, "verify", False):
        return
    if job.kind != "download":
        raise UsageError(
            f"--verify checks the files a download wrote; {job.job_id} is an {job.kind} job,"
            " whose journal holds no copy of what the server stored to compare with"
        )
    if getattr(args, "cluster", None):
        raise UsageError(
            "--verify with --cluster: a cluster run checks written files by size only;"
            " resume without --cluster to verify a local folder"
        )


def resume_command(args: argparse.Namespace, journal: Any) -> str:
    """The command that resumes this job the same way: the server options and the run
    options given (``--cluster``, ``--workers``, ``--verify``), never a secret."""
    import shlex

    words = ["dicomkit"]
    for option in ("url", "profile", "transport", "dialect", "basic", "oauth2_env"):
        value = getattr(args, option, None)
        if value:
            words += [f"--{option.replace('_', '-')}", str(value)]
    for flag in ("azure", "google"):
        if getattr(args, flag, False):
            words.append(f"--{flag}")
    words += ["jobs", "resume", str(journal)]
    for option in ("cluster", "workers"):
        value = getattr(args, option, None)
        if value:
            words += [f"--{option}", str(value)]
    if getattr(args, "verify", False):
        words.append("--verify")
    return shlex.join(words)


def status_dict(status: Any) -> dict[str, Any]:
    """A job's status or report as plain JSON values."""
    result = {
        "job_id": status.job_id,
        "path": str(status.path),
        "kind": status.kind,
        "created": status.created.isoformat(),
        "description": status.description,
        "counts": dict(status.counts),
        "total": status.total,
        "unfinished": status.unfinished,
        "finished": status.finished,
        "ok": status.ok,
        "total_bytes": status.total_bytes,
        "done_bytes": status.done_bytes,
        "failures": dict(status.failures),
    }
    for extra in ("moved_instances", "moved_bytes", "elapsed"):
        if hasattr(status, extra):
            result[extra] = getattr(status, extra)
    return result


def _print_report(args: argparse.Namespace, report: Any) -> None:
    import json

    if args.json:
        print(json.dumps(status_dict(report)))
        return
    if args.quiet:
        return
    moved = f"moved {report.moved_instances} instance(s), {human_bytes(report.moved_bytes)}"
    moved += f" in {human_duration(report.elapsed)}"
    print(f"{report}\n{moved}")
    for label, reason in list(report.failures.items())[:20]:
        print(f"  failed: {label}: {reason}", file=sys.stderr)
    if len(report.failures) > 20:
        print(f"  ... and {len(report.failures) - 20} more (dicomkit jobs show)", file=sys.stderr)


def _stopped(args: argparse.Namespace, job: Any, exc: BaseException) -> int:
    import json

    status = exit_status_for(exc)
    what = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
    hint = resume_command(args, job.path)
    if args.json:
        error = {
            "error": type(exc).__name__,
            "message": what,
            "exit_status": int(status),
            "journal": str(job.path),
            "resume": hint,
        }
        print(json.dumps(error), file=sys.stderr)
    else:
        print(f"dicomkit {args.command}: {what}", file=sys.stderr)
        print(f"the journal is kept; resume with:\n  {hint}", file=sys.stderr)
    return int(status)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _on_cluster(args: argparse.Namespace, job: Any, client: Any, display: Any) -> Any:
    """``--cluster``: the job's tasks run on Dask workers, which build their clients from this
    client's configuration (dask is imported only here)."""
    try:
        from dicomkit_dask import DEFAULT_MAX_REQUESTS, connect, for_workers
        from dicomkit_dask import run_job as run_on_cluster
    except ImportError:
        raise UsageError("--cluster needs the dask extra: pip install 'dicomkit[dask]'") from None
    config = for_workers(client.config)
    out = getattr(args, "out", None)
    with connect(args.cluster) as cluster:
        return run_on_cluster(
            job,
            config,
            cluster,
            max_requests=args.workers or DEFAULT_MAX_REQUESTS,
            progress=display,
            retry_failed=args.retry_failed,
            destination=out if out and "://" in out else None,
        )


def _run_options(args: argparse.Namespace, job: Any, display: Any) -> dict[str, Any]:
    """The keywords of ``job.run``: ``verify`` only for a download (checked by
    :func:`check_verify` before)."""
    options = {"workers": args.workers, "progress": display, "retry_failed": args.retry_failed}
    if job.kind == "download":
        options["verify"] = bool(getattr(args, "verify", False))
    return options


def run_job(args: argparse.Namespace, job: Any, client: Any = None) -> int:
    """Run ``job`` with the options' client and progress; the exit status to return.

    SIGTERM (``kill``, a scheduler's stop) ends it as Ctrl+C does: journal kept, resume hint.
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    display = None if args.quiet else ProgressDisplay(job.kind)
    if not args.quiet and not args.json:
        print(f"{job.kind} job {job.job_id} (journal {job.path})", file=sys.stderr)
    try:
        if client is None:
            client = open_client(args)
        with client:
            if getattr(args, "cluster", None):
                report = _on_cluster(args, job, client, display)
            else:
                report = job.run(client, **_run_options(args, job, display))
    except (Exception, KeyboardInterrupt) as exc:
        if display is not None:
            display.finish()
        if isinstance(exc, UsageError):
            raise
        return _stopped(args, job, exc)
    finally:
        job.close()
    if display is not None:
        display.finish()
    _print_report(args, report)
    return ExitStatus.OK if report.ok else ExitStatus.PARTIAL
