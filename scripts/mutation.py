"""Mutation testing of ``dicomkit/core`` with ``tests/core`` alone, for ``nox -s mutation``.

mutmut 3 reads its settings from ``[tool.mutmut]`` in the pyproject.toml of the folder it runs
in and writes a ``mutants/`` tree there. Both would clash with the project's own, so the run
happens in a scratch folder holding a copy of ``dicomkit/``, ``tests/core``, ``tests/data`` and
a conftest with only the Hypothesis profiles: the core is tested by its own tests and nothing
else (no client, no server). Every run starts from a fresh copy, so no verdict is reused from a
run against other code or other tests.

Usage: ``python scripts/mutation.py WORKDIR [--max-children N] [MODULE ...]`` where a MODULE is
a name below ``dicomkit.core`` (``stow``, ``urls``, ``operations.builder``); none means all.
Prints the score of each module: killed / (killed + survived + timeouts + no tests), with
mutants that no core test reaches counted as survivors.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = """\
[tool.mutmut]
source_paths = ["dicomkit"]
only_mutate = ["dicomkit/core/*"]
pytest_add_cli_args_test_selection = ["tests/core"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]

[tool.pytest.ini_options]
addopts = "--import-mode=importlib"
pythonpath = ["."]
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
"""
CONFTEST = """\
from dicomkit.testing.profiles import register_profiles

register_profiles()
"""
KILLED = {"killed"}
NOT_KILLED = {"survived", "no tests", "timeout", "suspicious", "segfault"}
_RESULT = re.compile(r"^\s*(dicomkit\.core\.[\w.]+?)\.x.*__mutmut_\d+: (.+)$")


def prepare(workdir: Path) -> None:
    """A fresh scratch copy of the core, its tests and their data."""
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "tests").mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "dicomkit", workdir / "dicomkit", ignore=ignore)
    shutil.copytree(ROOT / "tests" / "core", workdir / "tests" / "core", ignore=ignore)
    shutil.copytree(ROOT / "tests" / "data", workdir / "tests" / "data", ignore=ignore)
    (workdir / "tests" / "conftest.py").write_text(CONFTEST)
    (workdir / "pyproject.toml").write_text(SETTINGS)


def scores(results_text: str) -> dict[str, Counter[str]]:
    """Counts of each verdict per module, from ``mutmut results --all true``."""
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for line in results_text.splitlines():
        match = _RESULT.match(line)
        if match:
            by_module[match.group(1)][match.group(2).strip()] += 1
    return by_module


def report(by_module: dict[str, Counter[str]]) -> str:
    lines = [f"{'module':34} {'killed':>7} {'not killed':>10} {'score':>7}"]
    total_killed = total = 0
    for module in sorted(by_module):
        counts = by_module[module]
        killed = sum(counts[k] for k in KILLED)
        counted = killed + sum(counts[k] for k in NOT_KILLED)
        if not counted:
            continue  # not selected in this run
        total_killed += killed
        total += counted
        score = 100.0 * killed / counted if counted else 100.0
        lines.append(f"{module:34} {killed:7} {counted - killed:10} {score:6.1f}%")
    score = 100.0 * total_killed / total if total else 100.0
    lines.append(f"{'all':34} {total_killed:7} {total - total_killed:10} {score:6.1f}%")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("modules", nargs="*")
    args = parser.parse_args(argv)
    prepare(args.workdir)
    patterns = [f"dicomkit.core.{module}.*" for module in args.modules]
    mutmut = [sys.executable, "-m", "mutmut"]
    run = [*mutmut, "run", "--max-children", str(args.max_children), *patterns]
    log = args.workdir / "run.log"
    with log.open("w") as handle:
        done = subprocess.run(run, cwd=args.workdir, stdout=handle, stderr=subprocess.STDOUT)
    if done.returncode:
        print("\n".join(log.read_text(errors="replace").splitlines()[-40:]))
        return done.returncode
    results = subprocess.run(
        [*mutmut, "results", "--all", "true"],
        cwd=args.workdir,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (args.workdir / "results.txt").write_text(results)
    print(report(scores(results)))
    print(f"every verdict: {args.workdir / 'results.txt'}; a mutant's diff: cd {args.workdir}")
    print("and run `python -m mutmut show NAME`")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
