"""Every registered benchmark runs in its quick mode (issue 19: "the quick mode stays in CI").

Only that it runs to the end and says what it ran on is checked here: figures are never
asserted in tests (docs/performance.md holds them). Under ``CI=true`` the Orthanc cases must
run too, not be skipped.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from benchmarks.__main__ import REGISTERED
from tests._support.ci import in_ci
from tests._support.python import clean_env

ROOT = Path(__file__).parent.parent


def test_every_benchmark_runs_quick_and_names_the_machine() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sections = re.split(r"^== ", done.stdout, flags=re.MULTILINE)[1:]
    assert [section.split("\n", 1)[0] for section in sections] == REGISTERED
    for section in sections:
        assert "CPU: " in section, section[:500]
        assert "load average" in section, section[:500]
    if in_ci():
        assert "Orthanc is not installed" not in done.stdout


def test_the_benchmarks_balance_which_case_runs_after_which() -> None:
    """A run depends on the one before it (benchmarks/_order.py): over the orders used, every
    case comes right after every other one equally often, and each runs as often."""
    from collections import Counter
    from itertools import pairwise

    from benchmarks._order import balanced_orders, in_turns

    for count in range(1, 9):
        orders = balanced_orders(count)
        assert all(sorted(order) == list(range(count)) for order in orders)
        after = Counter((a, b) for order in orders for a, b in pairwise(order))
        assert len(after) == count * (count - 1)
        assert len(set(after.values())) <= 1
    turns = Counter(in_turns("abcde", 20))
    assert turns == dict.fromkeys("abcde", 20)
