"""Fixtures for the command-line tests: real ``dicomkit`` processes against real servers.

``server`` is the reference server and Orthanc in turn (Orthanc only where it can run; under
``CI=true`` a missing Orthanc fails). ``dk`` runs the installed console script with a clean
environment whose jobs folder and config file live in the test's temporary folder.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests._support.python import clean_env


def dicomkit_executable() -> str:
    """The console script installed next to this interpreter (what a user runs)."""
    script = Path(sys.executable).with_name("dicomkit")
    found = str(script) if script.exists() else shutil.which("dicomkit")
    if not found:
        pytest.fail("the dicomkit console script is not installed: pip install -e .")
    return found


@dataclass
class Dicomkit:
    """Runs ``dicomkit`` processes with ``env`` (URL, jobs folder, config file)."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = {**clean_env(), **self.env}
        self.env.pop("DICOMWEB_URL", None)
        self.env.pop("DICOMWEB_TOKEN", None)
        self.env.pop("DICOMWEB_PASSWORD", None)
        self.env.pop("DICOMKIT_PROFILE", None)
        self.env["DICOMKIT_JOBS_DIR"] = str(self.home / "jobs")
        self.env["DICOMKIT_CONFIG"] = str(self.home / "config.toml")
        self.env["COLUMNS"] = "250"

    def __call__(
        self,
        *argv: str,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [dicomkit_executable(), *argv],
            capture_output=True,
            text=True,
            input=stdin if stdin is not None else "",
            env={**self.env, **(env or {})},
            timeout=timeout,
        )

    def popen(self, *argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """A process to signal. SIGINT gets its default disposition back: a test run started
        in the background of a shell inherits it ignored, and Ctrl+C would then do nothing."""
        return subprocess.Popen(
            [dicomkit_executable(), *argv],
            preexec_fn=_default_sigint,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**self.env, **(env or {})},
        )

    def jobs(self) -> list[Path]:
        folder = self.home / "jobs"
        return sorted(folder.glob("*.dicomkit-job")) if folder.is_dir() else []


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def dk(tmp_path: Path) -> Dicomkit:
    home = tmp_path / "home"
    home.mkdir()
    return Dicomkit(home)


@dataclass
class Server:
    """A server under test: its DICOMweb root and what it can do."""

    name: str
    url: str
    deletes: bool
    handle: Any = None


@pytest.fixture(params=["reference", "orthanc"])
def server(request: pytest.FixtureRequest) -> Server:
    if request.param == "reference":
        fixture = request.getfixturevalue("dicomweb_server")
        return Server("reference", str(fixture.url), deletes=True, handle=fixture)
    orthanc = request.getfixturevalue("orthanc")
    return Server("orthanc", str(orthanc.url), deletes=False, handle=orthanc)


def ok(result: subprocess.CompletedProcess[str], status: int = 0) -> str:
    """The stdout of a process that exited with ``status``; its stderr in the failure."""
    assert result.returncode == status, f"exit {result.returncode}\n{result.stderr}"
    return result.stdout


def lines(text: str) -> Sequence[str]:
    return [line for line in text.splitlines() if line.strip()]
