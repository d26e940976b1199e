"""Chaos rounds: store, search and download through a FaultProxy, then check the invariants
against what the server really holds (asked directly, not through the proxy).

Invariants (docs/reliability.md):
- a file reported stored is stored, exactly once; a file reported failed by the server's own
  answer (an HTTP error status, a STOW failure item) is not stored; a lost connection or a
  timeout is reported as a TransportError, whose outcome is unknown by nature;
- a download either completes or leaves only complete files (no partial file, no temp file);
- no call outlives its timeouts times its attempts (plus a fixed allowance);
- only dicomkit errors reach the caller;
- after ``close()``, with the garbage collector off, no socket to the proxy and no file under
  the test's folder is still open.

One round is a new two-instance study, stored by ``store_instances`` or, every other round, by
``upload_dicom_folder`` (whose report must name every file and call stored only what is); the
same code runs the blocking and the asyncio client
(the latter on an event loop of its own, one coroutine per call).
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from dicomkit_server import FaultProxy

from dicomkit import AsyncDicomClient, DicomClient
from dicomkit.core.errors import DicomkitError, HTTPError, StoreError, TransportError
from dicomkit.core.interface import Timeout
from dicomkit.core.retry import RetryPolicy
from dicomkit.testing.data import make_study, write_instances

__all__ = ["ChaosRun", "ChaosSettings", "open_handles", "run_chaos", "summary"]

TIMEOUT = Timeout(connect=1.0, read=0.5)
RETRY = RetryPolicy(max_attempts=2, backoff=0.0, jitter=0.0)
SLACK = 8.0
"""Seconds a call may take beyond its timeouts x attempts: a loaded 2-core CI machine, the
drip of an answer. A call that ignored its timeout would wait for the proxy's stall (60 s)."""
STALL = 60.0


@dataclass
class ChaosSettings:
    seed: int
    rounds: int
    weights: dict[str, float] | None = None


@dataclass
class ChaosRun:
    """What one client/backend/server run did and found."""

    faults: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)
    unknown_but_stored: int = 0
    failed_but_stored: int = 0
    requests: int = 0

    def violate(self, text: str) -> None:
        self.violations.append(text)


def _seconds_bound() -> float:
    per_attempt = (TIMEOUT.connect or 0) + (TIMEOUT.read or 0)
    return RETRY.max_attempts * per_attempt + SLACK


def open_handles(proxy_port: int, folder: Path) -> list[str]:
    """Sockets of this process connected to ``proxy_port`` and files open under ``folder``."""
    inodes = _proxy_socket_inodes(proxy_port)
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            found.append(f"fd {fd}: socket to the proxy")
        elif target.startswith(str(folder)):
            found.append(f"fd {fd}: {target}")
    return found


def _proxy_socket_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            if remote_port == port:
                inodes.add(fields[9])
    return inodes


class _Caller:
    """Calls a client's methods the same way whether it is blocking or asyncio."""

    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop | None) -> None:
        self.client = client
        self.loop = loop

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, name)(*args, **kwargs)
        if self.loop is not None:
            return self.loop.run_until_complete(result)
        return result

    def close(self) -> None:
        self("close")
        if self.loop is not None:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.run_until_complete(self.loop.shutdown_default_executor())
            self.loop.close()


def run_chaos(
    *,
    asynchronous: bool,
    backend: str,
    server_url: str,
    upstream: tuple[str, int],
    path_prefix: str,
    folder: Path,
    settings: ChaosSettings,
) -> ChaosRun:
    """``settings.rounds`` rounds through a proxy seeded with ``settings.seed``; the findings."""
    run = ChaosRun()
    truth = DicomClient(server_url, transport="urllib3", timeout=30.0)
    threads_before = threading.active_count()
    proxy = FaultProxy(upstream, seed=settings.seed, weights=settings.weights, stall=STALL)
    proxy.start()
    loop = asyncio.new_event_loop() if asynchronous else None
    cls = AsyncDicomClient if asynchronous else DicomClient
    client = cls(proxy.url + path_prefix, transport=backend, timeout=TIMEOUT, retry=RETRY)
    caller = _Caller(client, loop)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for index in range(settings.rounds):
            _round(caller, truth, run, folder / f"round-{index}", by_folder=index % 2 == 1)
        caller.close()
        proxy.close()
        leaks = open_handles(proxy.port, folder)
        if leaks:
            run.violate(f"open after close() with gc off: {leaks}")
    finally:
        if gc_was_enabled:
            gc.enable()
        proxy.close()
        truth.close()
    if threading.active_count() > threads_before:
        names = sorted(thread.name for thread in threading.enumerate())
        run.violate(f"threads left running after close(): {names}")
    run.faults.update(proxy.counts())
    run.requests = len(proxy.log)
    return run


def _round(
    caller: _Caller, truth: DicomClient, run: ChaosRun, folder: Path, *, by_folder: bool
) -> None:
    study = make_study(2, rows=8, cols=8)
    sources = {ds.SOPInstanceUID: ds for ds in study}
    paths = write_instances(folder / "source", study)
    study_uid = study[0].StudyInstanceUID

    if by_folder:
        outcome = _timed(run, "upload_dicom_folder", caller, folder / "source")
    else:
        outcome = _timed(run, "store_instances", caller, paths)
    stored = _stored_counts(truth, study_uid)
    for uid, count in stored.items():
        if count > 1:
            run.violate(f"{uid} stored {count} times")
    if by_folder:
        _check_folder_report(run, outcome, sources, stored)
    else:
        _check_store(run, outcome, sources, stored)

    if stored:
        _check_download(run, caller, folder / "download", study_uid, sources, stored)
        found = _timed(run, "search_for_instances", caller, study_uid)
        if not isinstance(found, BaseException):
            uids = {_sop_uid(item) for item in found}
            if uids != set(stored):
                run.violate(f"search answered {sorted(uids)}, server holds {sorted(stored)}")


def _check_folder_report(
    run: ChaosRun, report: Any, sources: dict[str, Any], stored: dict[str, int]
) -> None:
    """The report names every file (stored, failed or unknown); what it calls stored is stored.
    A file it calls failed that the server holds is counted (a broken request is settled by
    QIDO-RS since docs/reliability.md's "A broken STOW-RS request": it should stay 0)."""
    if isinstance(report, BaseException):
        run.violate(f"upload_dicom_folder raised {type(report).__name__}: {report}")
        return
    said_stored = {path.stem for path in [*report.stored, *report.already_present]}
    said_failed = {path.stem for path in report.failed}
    if said_stored | said_failed | {path.stem for path in report.unknown} != set(sources):
        run.violate(f"the folder report leaves files out: {report}")
    if said_stored - set(stored):
        run.violate(f"reported stored but absent: {sorted(said_stored - set(stored))}")
    run.failed_but_stored += len(said_failed & set(stored))


def _check_store(
    run: ChaosRun, outcome: Any, sources: dict[str, Any], stored: dict[str, int]
) -> None:
    if isinstance(outcome, StoreError):
        reported_failed = {item.sop_instance_uid for item in outcome.result.failed}
        wrongly = reported_failed & set(stored)
        if wrongly:
            run.violate(f"reported failed by the server's answer but stored: {sorted(wrongly)}")
        acked = {item.sop_instance_uid for item in outcome.result.stored}
        if acked - set(stored):
            run.violate(f"reported stored but absent: {sorted(acked - set(stored))}")
    elif isinstance(outcome, HTTPError):
        if stored:
            run.violate(f"HTTP {outcome.status} reported, yet {sorted(stored)} were stored")
    elif isinstance(outcome, TransportError):
        if stored:
            run.unknown_but_stored += 1
    elif not isinstance(outcome, BaseException):
        acked = {item.sop_instance_uid for item in outcome.stored}
        if acked != set(sources) or set(stored) != set(sources):
            run.violate(f"store reported {sorted(acked)}, server holds {sorted(stored)}")


def _check_download(
    run: ChaosRun,
    caller: _Caller,
    out: Path,
    study_uid: str,
    sources: dict[str, Any],
    stored: dict[str, int],
) -> None:
    written = _timed(run, "download_dicom", caller, out, study_uid)
    present = [path for path in out.rglob("*") if path.is_file()] if out.exists() else []
    for path in present:
        if path.suffix != ".dcm" or path.stem not in sources:
            run.violate(f"download left a stray file {path.name}")
            continue
        got = pydicom.dcmread(path)
        if got.PixelData != sources[path.stem].PixelData:
            run.violate(f"download left a file with other pixel data: {path.name}")
    if not isinstance(written, BaseException) and {p.stem for p in present} != set(stored):
        run.violate(f"download succeeded with {sorted(p.stem for p in present)}")


def _timed(run: ChaosRun, name: str, caller: _Caller, *args: Any) -> Any:
    """Call ``name``; return its result or the dicomkit error it raised, and tally both."""
    started = time.monotonic()
    outcome: Any
    try:
        outcome = caller(name, *args)
    except DicomkitError as exc:
        outcome = exc
    except Exception as exc:  # any other exception is a finding, not a crash
        run.violate(f"{name} raised {type(exc).__name__} (not a dicomkit error): {exc}")
        outcome = exc
    elapsed = time.monotonic() - started
    if elapsed > _seconds_bound():
        run.violate(f"{name} took {elapsed:.1f} s, beyond {_seconds_bound():.1f} s")
    label = "ok" if not isinstance(outcome, BaseException) else type(outcome).__name__
    run.outcomes[f"{name}: {label}"] += 1
    return outcome


def _stored_counts(truth: DicomClient, study_uid: str) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for item in truth.search_for_instances(study_uid):
        counts[_sop_uid(item)] += 1
    return dict(counts)


def _sop_uid(item: dict[str, Any]) -> str:
    value: str = item["00080018"]["Value"][0]
    return value


def summary(label: str, run: ChaosRun, settings: ChaosSettings) -> str:
    """One line for the test log: replay with the same seed."""
    faults = ", ".join(f"{k} {v}" for k, v in sorted(run.faults.items()))
    return (
        f"{label}: seed {settings.seed}, {settings.rounds} rounds, {run.requests} connections "
        f"({faults}); unknown-outcome stores that were stored: {run.unknown_but_stored}; "
        f"folder-report files failed but stored: {run.failed_but_stored}; "
        f"violations: {len(run.violations)}"
    )
