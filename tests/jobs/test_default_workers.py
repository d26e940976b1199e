"""How many requests a job runs at once when not told: a download one per CPU the process may
use, from 2 to DEFAULT_WORKERS; an upload DEFAULT_WORKERS (docs/transfers.md, "Fast
defaults")."""

from __future__ import annotations

import os

import pytest

from dicomkit.jobs import DEFAULT_WORKERS, DownloadJob, UploadJob, _download


@pytest.mark.parametrize(("cpus", "workers"), [(1, 2), (2, 2), (3, 3), (4, 4), (64, 4)])
def test_a_download_runs_one_request_per_cpu_from_two_to_the_default(
    monkeypatch: pytest.MonkeyPatch, cpus: int, workers: int
) -> None:
    monkeypatch.setattr(_download, "_usable_cpus", lambda: cpus)
    assert DEFAULT_WORKERS == 4
    assert DownloadJob.default_workers() == workers
    assert UploadJob.default_workers() == DEFAULT_WORKERS


def test_the_cpus_counted_are_those_the_process_may_run_on() -> None:
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert _download._usable_cpus() == expected
