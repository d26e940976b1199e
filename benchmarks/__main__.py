"""Run the named benchmarks, or every registered one: ``python -m benchmarks [name ...] [--quick]``.

Arguments that name no benchmark (``--quick`` ...) are passed to each one. A benchmark is a
module ``benchmarks/<name>.py`` with ``main(argv: list[str]) -> int``; add its name to
``REGISTERED`` to have it run by default.
"""

from __future__ import annotations

import importlib
import sys

REGISTERED = [
    "cli",
    "codec",
    "dask",
    "e2e",
    "frames",
    "hugepart",
    "pagecache",
    "startup",
    "transports",
]


def main(argv: list[str]) -> int:
    names = [arg for arg in argv if arg in REGISTERED] or REGISTERED
    options = [arg for arg in argv if arg not in REGISTERED]
    status = 0
    for name in names:
        print(f"== {name}", flush=True)
        status = importlib.import_module(f"benchmarks.{name}").main(options) or status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
