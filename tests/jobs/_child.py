"""A job run in its own process, so a test can kill it with SIGKILL at any moment.

``python tests/jobs/_child.py JOURNAL URL DIALECT WORKERS`` resumes the journal and prints a
line per progress call (instances done, bytes done), slowed a little so the kill lands mid-job.
"""

from __future__ import annotations

import sys
import time

from dicomkit import DicomClient
from dicomkit.jobs import Progress, open_job


def main() -> None:
    journal, url, dialect, workers = sys.argv[1:5]

    def progress(p: Progress) -> None:
        print(p.instances_done, p.bytes_done, flush=True)
        time.sleep(0.005)

    with DicomClient(url, dialect=dialect or None) as client, open_job(journal) as job:
        report = job.run(client, workers=int(workers), progress=progress)
    print("done", report, flush=True)


if __name__ == "__main__":
    main()
