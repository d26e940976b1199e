"""Fetch dicomweb-client's pinned sdist and run its web-client tests against the compat class.

Nothing of dicomweb-client's test code is kept in this repository: the sdist is downloaded
with pip at test time (through the package index or proxy pip is configured with), its
``tests/`` and ``data/`` are extracted to a temporary folder, and its own ``conftest.py`` is
prefixed with three lines that put :class:`dicomkit.compat.dicomweb_client.DICOMwebClient` in
place of ``dicomweb_client.web.DICOMwebClient`` before any test module imports it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

__all__ = [
    "PEER_VERSION",
    "SDIST_DIR_VARIABLE",
    "SUITE_FILES",
    "TIMING_TESTS",
    "fetch_sdist",
    "prepare",
    "run",
]

PEER_VERSION = "0.61.2"
SDIST_DIR_VARIABLE = "DICOMKIT_PEER_SDIST_DIR"
"""A folder where the sdist was downloaded beforehand: ``nox -s tests`` fetches it there while
the network is up (``python -m tests.compat.peer_suite FOLDER``), because the tests themselves
run in a loopback-only network namespace."""
SUITE_FILES = (
    "tests/test_web.py",
    "tests/test_api.py",
    "tests/test_streaming.py",
    "tests/test_cli.py",
)
TIMING_TESTS = ("test_streaming.py::test_streaming_single_part_decode_is_linear",)
"""Peer tests whose only assertion compares two wall-clock times (streamed against buffered
decode, < 2x). On a loaded 2-core machine one sample can miss it, so a failure of these is
confirmed by running the test alone up to twice more; it counts as failed only if every run
fails (each run still decodes the payload and checks it byte for byte)."""
TIMING_ATTEMPTS = 3

_SUBSTITUTE = """\
# Added by dicomkit's tests/compat: every DICOMwebClient below is dicomkit's compat class.
import dicomweb_client.api, dicomweb_client.web  # noqa: E401
from dicomkit.compat.dicomweb_client import DICOMwebClient as _Compat
dicomweb_client.web.DICOMwebClient = dicomweb_client.api.DICOMwebClient = _Compat
# pytest-localserver stops a server per test, waiting out werkzeug's 0.5 s poll: poll faster
import werkzeug.serving as _serving  # noqa: E402
_serving.BaseWSGIServer.serve_forever.__defaults__ = (0.02,)
"""


def fetch_sdist(into: Path) -> Path:
    """The pinned sdist: from ``$DICOMKIT_PEER_SDIST_DIR`` when it is there, else downloaded
    with pip (no dependencies, no wheels) into ``into``; its path."""
    name = f"dicomweb_client-{PEER_VERSION}.tar.gz"
    ready = Path(os.environ.get(SDIST_DIR_VARIABLE, "")) / name
    if os.environ.get(SDIST_DIR_VARIABLE) and ready.is_file():
        return ready
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--no-binary",
        ":all:",
        f"dicomweb-client=={PEER_VERSION}",
        "-d",
        str(into),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    [sdist] = into.glob(name)
    return sdist


def prepare(sdist: Path, into: Path) -> Path:
    """Extract ``tests/`` and ``data/`` and install the substituting conftest; the root."""
    root = into / f"dicomweb_client-{PEER_VERSION}"
    with tarfile.open(sdist) as archive:
        members = [
            m
            for m in archive.getmembers()
            if m.name.startswith((f"{root.name}/tests/", f"{root.name}/data/"))
        ]
        archive.extractall(into, members=members, filter="data")
    conftest = root / "tests" / "conftest.py"
    conftest.write_text(_SUBSTITUTE + conftest.read_text())
    return root


def run(root: Path, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Run the suite in a subprocess; each test id (``file::name[param]``) and its outcome
    (``passed``, ``failed``, ``skipped``). A failed timing test (``TIMING_TESTS``) is run again
    alone, and passes if one of ``TIMING_ATTEMPTS`` runs passes."""
    outcomes = _run_pytest(root, extra, tuple(str(root / name) for name in SUITE_FILES))
    for name, outcome in outcomes.items():
        if outcome == "failed" and name.startswith(TIMING_TESTS):
            node = str(root / "tests" / name)
            for _ in range(TIMING_ATTEMPTS - 1):
                if _run_pytest(root, extra, (node,)).get(name) == "passed":
                    outcomes[name] = "passed"
                    break
    return outcomes


def _run_pytest(root: Path, extra: tuple[str, ...], targets: tuple[str, ...]) -> dict[str, str]:
    report = root / "report.xml"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "--rootdir",
        str(root),
        f"--junitxml={report}",
        "-o",
        "junit_family=xunit1",
        *extra,
        *targets,
    ]
    subprocess.run(command, cwd=root, capture_output=True, timeout=300)
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).iter("testcase"):
        name = f"{Path(case.get('file', '')).name}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            outcomes[name] = "failed"
        elif case.find("skipped") is not None:
            outcomes[name] = "skipped"
        else:
            outcomes[name] = "passed"
    return outcomes


if __name__ == "__main__":  # python -m tests.compat.peer_suite FOLDER: fetch ahead of the tests
    folder = Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    try:
        print("dicomweb-client's test suite:", fetch_sdist(folder))
    except (subprocess.SubprocessError, ValueError) as exc:  # offline: tests/compat says so
        print(f"could not fetch dicomweb-client {PEER_VERSION}: {exc}", file=sys.stderr)
