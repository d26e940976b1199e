"""Run one fuzz target: ``python -m fuzz TARGET --runs 1000000 --seed 1``.

With atheris installed (``nox -s fuzz`` installs it) the run is coverage-guided by libFuzzer,
with ``-rss_limit_mb`` bounding the whole process; without it, a seeded mutation loop over the
same seed inputs runs instead (not coverage-guided, same targets and checks). Either way the
last line says how many inputs ran, and a failing input is saved under ``--artifacts``.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
from pathlib import Path

from fuzz.seeds import SEEDS

RSS_LIMIT_MB = 1024
MAX_LEN = 8192
"""Inputs up to twice the decoder's max_buffer of fuzz/targets.py: long enough to trip every
limit, short enough for a million runs in minutes."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("target", choices=sorted(SEEDS))
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", choices=["auto", "atheris", "mutate"], default="auto")
    parser.add_argument("--artifacts", default=".fuzz-artifacts")
    parser.add_argument("--replay", metavar="FILE", help="run the target on this input alone")
    args = parser.parse_args(argv)
    if args.replay:
        from fuzz.targets import TARGETS

        TARGETS[args.target](Path(args.replay).read_bytes())
        print(f"fuzz {args.target}: {args.replay} passes")
        return 0
    Path(args.artifacts).mkdir(parents=True, exist_ok=True)
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401
        except ImportError:
            engine = "mutate"
        else:
            engine = "atheris"
    if engine == "atheris":
        return _atheris(args.target, args.runs, args.seed, args.artifacts)
    return _mutate(args.target, args.runs, args.seed, args.artifacts)


def _atheris(target: str, runs: int, seed: int, artifacts: str) -> int:
    import atheris

    with atheris.instrument_imports(include=["dicomkit", "fuzz"]):
        from fuzz.targets import TARGETS
    corpus = Path(tempfile.mkdtemp(prefix=f"fuzz-{target}-"))
    for index, seed_input in enumerate(SEEDS[target]):
        (corpus / f"seed-{index}").write_bytes(seed_input)
    flags = [
        f"-runs={runs}",
        f"-seed={seed}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-max_len={MAX_LEN}",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/{target}-",
    ]
    print(f"fuzz {target}: atheris, {runs} runs, seed {seed}", flush=True)
    atheris.Setup([sys.argv[0], *flags, str(corpus)], TARGETS[target])
    atheris.Fuzz()
    return 0


def _mutate(target: str, runs: int, seed: int, artifacts: str) -> int:
    from fuzz.targets import TARGETS

    check = TARGETS[target]
    rng = random.Random(seed)
    seeds = SEEDS[target]
    started = time.monotonic()
    print(f"fuzz {target}: seeded mutation (atheris not installed), {runs} runs, seed {seed}")
    for _ in range(runs):
        data = mutate(rng, rng.choice(seeds), seeds)
        try:
            check(data)
        except Exception:
            name = hashlib.sha1(data).hexdigest()
            Path(artifacts, f"{target}-crash-{name}").write_bytes(data)
            print(f"fuzz {target}: failing input saved as {artifacts}/{target}-crash-{name}")
            raise
    elapsed = time.monotonic() - started
    print(f"fuzz {target}: Done {runs} runs in {elapsed:.0f} second(s)")
    return 0


def mutate(rng: random.Random, data: bytes, pool: list[bytes]) -> bytes:
    """A few byte-level edits of ``data``: flips, inserts, deletes, copies and splices."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        choice = rng.random()
        where = rng.randrange(len(out) + 1)
        if choice < 0.3 and out:
            out[min(where, len(out) - 1)] = rng.randrange(256)
        elif choice < 0.55:
            out[where:where] = bytes([rng.randrange(256)]) * rng.choice((1, 1, 2, 64, 700))
        elif choice < 0.8 and out:
            del out[where : where + rng.randint(1, 16)]
        elif choice < 0.9 and out:
            start = rng.randrange(len(out))
            out[where:where] = out[start : start + rng.randint(1, 64)]
        else:
            other = rng.choice(pool)
            out[where:] = other[rng.randrange(len(other) + 1) :]
    return bytes(out)


if __name__ == "__main__":
    raise SystemExit(main())
