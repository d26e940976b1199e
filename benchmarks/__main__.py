"""Run the named benchmarks, or every registered one: ``python -m benchmarks [name ...] [--quick]``.

Each benchmark is a module ``benchmarks/<name>.py`` with ``main(argv: list[str]) -> int``; add
its name to ``REGISTERED`` to have it run by default.
"""

from __future__ import annotations

import importlib
import sys

REGISTERED = ["codec", "e2e"]


def main(argv: list[str]) -> int:
    names = [arg for arg in argv if not arg.startswith("-")] or REGISTERED
    options = [arg for arg in argv if arg.startswith("-")]
    unknown = [name for name in names if name not in REGISTERED]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; registered: {REGISTERED}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        print(f"== {name}", flush=True)
        status = importlib.import_module(f"benchmarks.{name}").main(options) or status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
