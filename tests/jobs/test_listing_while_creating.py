"""`dicomkit jobs list` in another terminal never breaks a starting job, and lists jobs in the
order they were made.

Two real processes: this one creates journals one after the other while a child opens and
lists every journal of the folder in a loop. A journal being made must be invisible or
complete to the child (never "database is locked", never a DicomkitError where the documented
InvalidArgumentError is due), and the creator must never fail because the child looked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from dicomkit.jobs import DownloadJob, UploadJob, list_jobs
from tests.jobs.conftest import ROOT, make_folder

_LISTER = """
import sys, traceback
from pathlib import Path
from dicomkit.core.errors import InvalidArgumentError
from dicomkit.jobs import list_jobs, open_job

folder, stop = Path(sys.argv[1]), Path(sys.argv[2])
print("ready", flush=True)
opened = 0
while not stop.exists():
    try:
        list_jobs(folder)
        for path in folder.iterdir():
            try:
                open_job(path).close()
                opened += 1
            except InvalidArgumentError:
                pass  # not a complete journal: documented, and what a lister skips
    except BaseException:
        traceback.print_exc()
        sys.exit(1)
print("opened", opened, flush=True)
"""

JOBS = 60


def test_listing_in_another_process_never_breaks_a_starting_job(tmp_path: Path) -> None:
    folder = tmp_path / "jobs"
    folder.mkdir()
    make_folder(tmp_path / "in", 2)
    stop = tmp_path / "stop"
    child = subprocess.Popen(
        [sys.executable, "-c", _LISTER, str(folder), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        for index in range(JOBS):
            path = folder / f"{index:03d}.dicomkit-job"
            if index % 2:
                UploadJob.create(path, [tmp_path / "in"]).close()
            else:
                targets = [f"1.2.{index}.{n}" for n in range(200)]
                DownloadJob.create(path, targets, tmp_path / "out").close()
            if child.poll() is not None:
                break
    finally:
        stop.touch()
        out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert int(out.split()[-1]) > 0  # the child did open journals while they were made
    assert [status.path.name for status in list_jobs(folder)] == [
        f"{index:03d}.dicomkit-job" for index in range(JOBS)
    ]


def test_jobs_made_in_the_same_second_list_in_creation_order(tmp_path: Path) -> None:
    names = ["zeta", "mid", "alpha"]  # alphabetical order is the reverse of creation order
    start = time.time()
    for name in names:
        DownloadJob.create(tmp_path / f"{name}.dicomkit-job", ["1.2.3"], tmp_path / "out").close()
    assert time.time() - start < 60
    listed = [status.path.stem for status in list_jobs(tmp_path)]
    assert listed == names
    created = [status.created for status in list_jobs(tmp_path)]
    assert created == sorted(created)
    assert len(set(created)) == len(names)
