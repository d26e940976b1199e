"""What a ``dicomkit download`` process imports: only what a download needs (issue 11's start
time). Each module below once cost a download its import time for nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dicomkit import DicomClient
from dicomkit.testing.data import make_study

from .conftest import Server

UNNEEDED = (
    "requests",  # the command's default transport is the standard library's (docs/cli.md)
    "urllib3",
    "concurrent.futures",  # jobs run on plain threads
    "xml.etree.ElementTree",  # JSON answers only
    "dicomkit.core.stow",
    "dicomkit.core.stow_response",  # a download builds no STOW-RS result classes
    "http.client",  # plain HTTP: the stdlib backend reads answers itself (docs/transports.md)
    "ssl",
    "email.parser",
    "configparser",  # entry_points.txt is read without it
    "shutil",  # argparse's formatters measure the terminal with os alone (dicomkit.cli._help)
    "bz2",
    "http",  # the stdlib backend does not look for http.client, its own module
    "encodings.ascii",  # the boot id is read as bytes
    "dicomkit.jobs._upload",
    "dicomkit.files.folder",
    "dicomkit.commands.upload",  # only the command run is loaded
    "dicomkit_server",
    "importlib.metadata",
    "hashlib",  # digests are made in durable runs and checks only
    "tempfile",  # the journal names its own file while it is made
    "pydicom",
    "numpy",
)

_RUN = """
import atexit, sys
watched = sys.argv.pop(1).split(",")
atexit.register(lambda: print("loaded:", [m for m in watched if m in sys.modules]))
from dicomkit.cli import main
sys.argv[0] = "dicomkit"
sys.exit(main())
"""


def test_a_download_imports_only_what_it_needs(server: Server, tmp_path: Path) -> None:
    datasets = make_study(3, n_series=2, pixel_bytes=2_000, patient_id="CLI-IMPORTS")
    with DicomClient(server.url) as client:
        client.store_instances(datasets)
    study = str(datasets[0].StudyInstanceUID)
    out = tmp_path / "out"
    env = {**os.environ, "DICOMKIT_JOBS_DIR": str(tmp_path / "jobs")}
    argv = ["download", study, "--out", str(out), "--url", server.url, "--quiet"]
    done = subprocess.run(
        [sys.executable, "-c", _RUN, ",".join(UNNEEDED), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(list(out.rglob("*.dcm"))) == 3
    assert done.stdout.strip().splitlines()[-1] == "loaded: []"
