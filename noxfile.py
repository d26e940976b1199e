"""Developer tasks: ``nox -s tests lint typecheck docs bench demo``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
PLUGINS = sorted(str(p.parent) for p in ROOT.glob("plugins/*/pyproject.toml"))
SERVER = str(ROOT / "plugins" / "dicomkit-server")
"""The ``server`` extra names dicomkit-server, which is not on PyPI: install it from here, in the
same pip command, so the extra resolves to this checkout's copy."""


def _install_everything(session: nox.Session, extras: str = "test,server,render") -> None:
    editable: list[str] = ["-e", f".[{extras}]"]
    for plugin in PLUGINS:
        editable += ["-e", plugin]
    session.install(*editable)


def _in_private_network(session: nox.Session) -> bool:
    """Orthanc 1.10 always binds 0.0.0.0: as root, run tests in a loopback-only namespace."""
    if os.environ.get("DICOMKIT_NO_NETNS"):
        return False
    return (
        hasattr(os, "geteuid")
        and os.geteuid() == 0
        and shutil.which("unshare") is not None
        and shutil.which("ip") is not None
    )


def _run_isolated(session: nox.Session, *cmd: str) -> None:
    if _in_private_network(session):
        session.run(
            "unshare",
            "--net",
            "sh",
            "-c",
            'ip link set lo up && exec "$@"',
            "sh",
            *cmd,
            external=True,
        )
    else:
        session.run(*cmd)


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite, Orthanc included when it is installed (always under CI=true), and
    the documentation site built with mkdocs --strict (a broken link or anchor fails CI)."""
    _install_everything(session, "test,server,render,docs")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--quiet",
        "--site-dir",
        str(ROOT / ".nox" / "site-check"),
        env={"NO_MKDOCS_2_WARNING": "1"},
    )
    # tests/compat runs dicomweb-client's own suite: fetch its sdist while the network is up
    peer = ROOT / ".nox" / "peer-sdist"
    session.run("python", "-m", "tests.compat.peer_suite", str(peer))
    session.env["DICOMKIT_PEER_SDIST_DIR"] = str(peer)
    # coverage starts before pytest so that modules the pytest11 plugin imports are measured
    _run_isolated(session, "python", "-m", "coverage", "run", "-m", "pytest", *session.posargs)
    session.run("python", "-m", "coverage", "report", "--skip-covered", "--sort=cover")


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff==0.17.6")  # the version the test extra pins for scripts/unasync.py
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    _install_everything(session)
    session.install("mypy", "types-requests")
    packages = [str(p) for p in ROOT.glob("plugins/*/dicomkit_*") if p.is_dir()]
    session.run("mypy", "--strict", "dicomkit", *sorted(packages))


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site with mkdocs --strict (into site/), then run every Python example in
    README.md and docs/ against the reference server."""
    _install_everything(session, "test,server,render,docs")
    session.run("mkdocs", "build", "--strict", env={"NO_MKDOCS_2_WARNING": "1"})
    _run_isolated(session, "python", "-m", "pytest", "tests/test_docs.py", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The README's main job with the ``dicomkit`` command on a local server: upload with
    progress, kill -9 and resume, search as a table, download, delete (docs/cli.md)."""
    session.install("-e", ".[server]", "-e", SERVER)
    session.run("python", "-m", "dicomkit.demo", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Speed and memory benchmarks; ``nox -s bench -- --quick`` for the CI-sized run."""
    _install_everything(session)
    session.install("dicomweb-client", "psutil")
    _run_isolated(session, "python", "-m", "benchmarks", *session.posargs)


@nox.session
def chaos(session: nox.Session) -> None:
    """Thousands of faulted requests through the TCP fault proxy, every backend, the reference
    server and Orthanc: ``nox -s chaos -- --seed N --rounds R`` replays run N (R rounds per
    backend and server; a round is about four connections). See docs/reliability.md."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="nox -s chaos --")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--rounds", type=int, default=120)
    args, pytest_args = parser.parse_known_args(session.posargs)
    _install_everything(session)
    session.log(f"chaos seed {args.seed}: replay with `nox -s chaos -- --seed {args.seed}`")
    session.env.update(
        {"DICOMKIT_CHAOS_SEED": str(args.seed), "DICOMKIT_CHAOS_ROUNDS": str(args.rounds)}
    )
    cmd = ["python", "-m", "pytest", "-p", "no:cacheprovider", "-s", "-q"]
    _run_isolated(session, *cmd, "tests/chaos/test_invariants.py", *pytest_args)


@nox.session
def fuzz(session: nox.Session) -> None:
    """Each parser fuzzed with 1,000,000 inputs (atheris, coverage-guided, where it installs):
    ``nox -s fuzz -- --runs N --seed S [TARGET ...]``. See docs/reliability.md."""
    import argparse

    parser = argparse.ArgumentParser(prog="nox -s fuzz --")
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("targets", nargs="*", default=FUZZ_TARGETS)
    args = parser.parse_args(session.posargs)
    session.install("-e", ".")
    try:
        session.install("atheris")
    except nox.command.CommandFailed:
        session.warn("atheris did not install: running the seeded mutation engine instead")
    for target in args.targets:
        session.run("python", "-m", "fuzz", target, f"--runs={args.runs}", f"--seed={args.seed}")


FUZZ_TARGETS = ["multipart", "dicom_json", "stow_response", "headers"]


@nox.session
def mutation(session: nox.Session) -> None:
    """Mutation testing of dicomkit/core with tests/core alone (mutmut; docs/mutation.md).

    ``nox -s mutation -- stow urls`` mutates only those modules; ``--max-children N`` sets the
    workers (default 2). The run happens in a scratch copy under .nox/mutation-work.
    """
    session.install("mutmut==3.8.1", "pytest", "pytest-asyncio", "hypothesis", "pydicom>=3")
    session.install("--no-deps", ".")  # the installed metadata tests/core checks
    workdir = ROOT / ".nox" / "mutation-work"
    session.run("python", "scripts/mutation.py", str(workdir), *session.posargs)
