"""``python -m dicomkit.demo`` (``nox -s demo``): the ``dicomkit`` command doing its main job.

Starts dicomkit's reference DICOMweb server on 127.0.0.1 (in a temporary folder) and runs the
command line against it, as a user would type it: a folder uploaded with progress, that
upload killed (``kill -9``) half way and resumed from its journal, a search printed as a
table, a study downloaded and compared byte for byte with the files uploaded, and a delete.
It needs nothing but ``pip install "dicomkit[server]"``: the server is the dicomkit-server
distribution, imported only when the demo runs, so this module stays in the main wheel.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["SAMPLE_FILES", "main", "sample_files"]

SAMPLE_FILES = (
    "CT_small.dcm",
    "MR_small.dcm",
    "MR_small_RLE.dcm",
    "rtdose.dcm",
    "examples_ybr_color.dcm",
    "SC_rgb_rle.dcm",
    "test-SR.dcm",
)
"""Files bundled in the pydicom wheel: CT, MR (twice, same SOPInstanceUID), a 15-frame RT dose,
a 30-frame JPEG ultrasound, an RLE secondary capture and a structured report."""

DEMO_INSTANCES = 120
"""Instances of the generated study (about 260 KB each), enough to watch the progress bar."""

_SLOW_STOW = 0.2
"""Seconds the demo server waits before answering each upload request, as a distant PACS
would, so that there is time to kill the upload half way."""


def sample_files(skipped: list[str] | None = None) -> list[Path]:
    """The bundled sample files that exist, one per SOPInstanceUID (first one wins).

    Names left out because an earlier file has the same SOPInstanceUID go to ``skipped``.
    """
    import pydicom

    folder = Path(pydicom.__file__).parent / "data" / "test_files"
    chosen: dict[str, Path] = {}
    for name in SAMPLE_FILES:
        path = folder / name
        if not path.is_file():
            continue
        uid = str(pydicom.dcmread(path, stop_before_pixels=True).SOPInstanceUID)
        if uid in chosen and skipped is not None:
            skipped.append(f"{name} (same SOPInstanceUID as {chosen[uid].name})")
        chosen.setdefault(uid, path)
    return list(chosen.values())


def _digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every DICOM file under ``folder``, by SOPInstanceUID (the file's stem)."""
    return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.dcm")}


class _Story:
    """Numbered steps with the time since the start, and each command shown as typed."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.started = time.monotonic()
        self.step = 0

    def __call__(self, title: str) -> None:
        self.step += 1
        elapsed = time.monotonic() - self.started
        print(f"\n[{self.step}] {title}  (t={elapsed:.2f}s)", flush=True)

    @staticmethod
    def line(text: str) -> None:
        print(f"    {text}", flush=True)

    def _argv(self, words: tuple[str, ...]) -> list[str]:
        self.line("$ " + shlex.join(("dicomkit", *words)))
        return [sys.executable, "-m", "dicomkit.cli", *words]

    def run(self, *words: str) -> None:
        """Run ``dicomkit words...`` with its output going where ours goes."""
        argv = self._argv(words)
        sys.stdout.flush()
        done = subprocess.run(argv, cwd=self.workdir, env=self.env, check=False)
        if done.returncode != 0:
            raise SystemExit(f"demo failed: dicomkit {words[0]} exited with {done.returncode}")

    def start(self, *words: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self._argv(words),
            cwd=self.workdir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@contextmanager
def _server(root: Path) -> Iterator[tuple[Any, str]]:
    try:
        from dicomkit_server import ReferenceServer
    except ImportError as exc:
        raise SystemExit(
            "the demo's reference server needs the server extra: pip install 'dicomkit[server]'"
            f" (missing: {exc.name or exc})"
        ) from exc
    server = ReferenceServer(root)
    with server as url:
        yield server, str(url)


def _make_folder(folder: Path) -> tuple[str, int]:
    """The folder to upload: pydicom's samples and one generated study. Returns that study's
    UID and the number of files."""
    import shutil

    from dicomkit.testing.data import make_study, write_instances

    skipped: list[str] = []
    samples = folder / "samples"
    samples.mkdir(parents=True)
    for path in sample_files(skipped):
        shutil.copy(path, samples / path.name)
    study = make_study(DEMO_INSTANCES, n_series=3, pixel_bytes=260_000, patient_id="DEMO-1")
    write_instances(folder / "ct-study", study)
    (folder / "README.txt").write_text("not DICOM: the upload skips it\n")
    return str(study[0].StudyInstanceUID), len(list(samples.iterdir())) + DEMO_INSTANCES


def _pass_through(stream: Any, seen: threading.Event) -> None:
    """Copy the child's stderr (its progress) to ours; ``seen`` once its journal line came."""
    for text in iter(stream.readline, ""):
        sys.stderr.write(text)
        sys.stderr.flush()
        if "journal" in text:
            seen.set()
    seen.set()


def _kill_half_way(process: subprocess.Popen[str], jobs: Path, total: int) -> Path:
    """SIGKILL the upload once about 40% of the files are stored; returns its journal."""
    from dicomkit.jobs import open_job

    made = threading.Event()
    copier = threading.Thread(target=_pass_through, args=(process.stderr, made), daemon=True)
    copier.start()
    made.wait(120)  # the journal is complete once the command has named it
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        for journal in jobs.glob("*.dicomkit-job"):
            with open_job(journal) as job:
                if job.status().counts.get("stored", 0) >= total * 0.4:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    copier.join(5)
                    sys.stderr.write("\n")
                    return journal
        time.sleep(0.02)
    raise SystemExit("demo failed: the upload ended before it could be killed")


def run(workdir: Path) -> None:
    """The demo proper, with every file under ``workdir``."""
    folder = workdir / "scans"
    study, files = _make_folder(folder)
    with _server(workdir / "server") as (server, url):
        env = {
            **os.environ,
            "DICOMWEB_URL": url,
            "DICOMKIT_JOBS_DIR": str(workdir / "jobs"),
            "PYTHONWARNINGS": "ignore",
        }
        say = _Story(workdir, env)
        say(f"Reference DICOMweb server running at {url}; DICOMWEB_URL points the command there")
        say.line(f"scans/ holds {files} DICOM files: pydicom's samples, a CT study of")
        say.line(
            f"{DEMO_INSTANCES} instances, and a README.txt; the server takes 0.2 s per request"
        )

        say("Upload the folder (STOW-RS, journaled), and kill -9 it part way through")
        upload = say.start("upload", "scans", "--batch-files", "6", "--workers", "2")
        server.faults.add("/studies", method="POST", times=None, delay=_SLOW_STOW)
        journal = _kill_half_way(upload, workdir / "jobs", files)
        say.line(f"killed (exit {upload.returncode}); the journal {journal.name} survives:")
        say.run("jobs", "list")

        say("Resume: only the files the server has not confirmed are sent")
        server.faults.clear()
        say.run("jobs", "resume", journal.stem)

        say("Search: the studies on the server, as a table")
        say.run("search", "studies")

        say("Download the CT study (WADO-RS, journaled) and compare it with the files sent")
        say.run("download", study, "--out", "downloads")
        sent = _digests(folder / "ct-study")
        received = _digests(workdir / "downloads")
        same = sent == received
        say.line(f"{len(received)} files, each identical to the uploaded file: {same}")
        if not same:
            raise SystemExit("demo failed: the downloaded files differ from the uploaded ones")

        say("Delete the study; the search shows what is left")
        say.run("delete", study, "--yes")
        say.run("search", "studies", "--fields", "PatientID", "--format", "csv")

    say(f"Done: the server has stopped and {workdir} is about to be removed")


def main(argv: list[str] | None = None) -> int:
    """Run the demo in a temporary folder; return a process exit status."""
    started = time.monotonic()
    # Some bundled samples carry slightly invalid UIDs; pydicom's warnings would drown the story.
    warnings.filterwarnings("ignore", category=UserWarning, module="pydicom")
    with tempfile.TemporaryDirectory(prefix="dicomkit-demo-") as tmp:
        run(Path(tmp))
    print(f"\nAll steps passed in {time.monotonic() - started:.1f}s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
