"""A short slice of the fuzz run (``nox -s fuzz`` runs a million inputs per target): each
target, a few seconds of Hypothesis inputs, raw and mutated from valid answers. Only the
documented dicomkit errors may escape; the decoder never holds more than its limit."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dicomkit.core.retry import parse_retry_after
from fuzz.__main__ import main, mutate
from fuzz.seeds import SEEDS
from fuzz.targets import TARGETS

SLICE = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _inputs(target: str) -> st.SearchStrategy[bytes]:
    seeds = SEEDS[target]
    mutated = st.builds(
        lambda rng, seed: mutate(rng, seed, seeds),
        st.randoms(use_true_random=False),
        st.sampled_from(seeds),
    )
    return st.one_of(mutated, st.binary(max_size=2048), st.sampled_from(seeds))


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_only_documented_errors_escape(target: str) -> None:
    @SLICE
    @given(_inputs(target))
    def check(data: bytes) -> None:
        TARGETS[target](data)

    check()


def test_the_seeds_are_valid_answers() -> None:
    for target, seeds in SEEDS.items():
        for seed in seeds:
            TARGETS[target](seed)


def test_the_runner_reports_its_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["headers", "--runs", "300", "--engine", "mutate", "--artifacts", str(tmp_path)]
    assert main(args) == 0
    assert "Done 300 runs" in capsys.readouterr().out


def test_mutation_is_seeded() -> None:
    seeds = SEEDS["multipart"]
    first = [mutate(random.Random(5), seeds[0], seeds) for _ in range(3)]
    again = [mutate(random.Random(5), seeds[0], seeds) for _ in range(3)]
    assert first == again


@pytest.mark.parametrize(
    "value",
    [
        "Wed, 21 Oct 2026 99999999999999999999:28:00 GMT",
        "Wed, 21 Oct 2044444444444444444444444444444444444444444444 07:28:00 GMT",
    ],
)
def test_a_retry_after_date_that_overflows_is_ignored(value: str) -> None:
    """Found by the fuzzer: an HTTP-date with a 20-digit hour raised OverflowError."""
    assert parse_retry_after(value) is None
