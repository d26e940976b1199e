"""scripts/unasync.py: every generated sync twin is fresh, and the generator's rules hold."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "unasync.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


unasync = _load_script()


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def table_copy(tmp_path: Path) -> Path:
    """Every file of the pair table, and the ruff settings, copied under a temporary root.

    The package comes along whole, so ruff sorts its imports as first-party there too.
    """
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "dicomkit", tmp_path / "dicomkit", ignore=ignore)
    for pair in unasync.PAIRS:
        for name in (pair.source, pair.target):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


# -- the repository -------------------------------------------------------------------------


def test_every_generated_twin_is_fresh() -> None:
    done = _check(ROOT)
    assert done.returncode == 0, "run `python scripts/unasync.py`\n" + done.stdout + done.stderr


def test_every_generated_twin_says_so_on_its_first_line() -> None:
    for pair in unasync.PAIRS:
        first = (ROOT / pair.target).read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# Generated from {pair.source} by scripts/unasync.py."


# -- --check on a copy ----------------------------------------------------------------------


def test_check_names_an_edited_target_and_writes_nothing(table_copy: Path) -> None:
    pair = unasync.PAIRS[0]
    target = table_copy / pair.target
    edited = target.read_text(encoding="utf-8").replace("def test_", "def test_edited_", 1)
    target.write_text(edited, encoding="utf-8")
    done = _check(table_copy)
    assert done.returncode == 1
    assert f"{pair.target} is stale" in done.stdout
    assert "-    def test_edited_" in done.stdout  # the diff shows the hand edit
    assert target.read_text(encoding="utf-8") == edited


def test_check_names_a_missing_target(table_copy: Path) -> None:
    pair = unasync.PAIRS[0]
    (table_copy / pair.target).unlink()
    done = _check(table_copy)
    assert done.returncode == 1
    assert f"{pair.target} is stale" in done.stdout


def test_writing_restores_an_edited_target(table_copy: Path) -> None:
    pair = unasync.PAIRS[0]
    target = table_copy / pair.target
    target.write_text("# edited by hand\n", encoding="utf-8")
    assert unasync.main(["--root", str(table_copy)]) == 0
    assert target.read_text(encoding="utf-8") == (ROOT / pair.target).read_text(encoding="utf-8")
    assert _check(table_copy).returncode == 0


def test_a_rule_no_pair_uses_fails_the_check(
    table_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = {**unasync.RULES, "anever_used_name": "never_used_name"}
    assert unasync.run(table_copy, unasync.PAIRS, rules, check=True) == 1
    assert "rule 'anever_used_name' was never used" in capsys.readouterr().err


def test_a_pair_rule_the_pair_does_not_use_fails_the_check(
    table_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = unasync.PAIRS[0]
    pair = unasync.Pair(first.source, first.target, {**first.rules, "AsyncNowhere": "Nowhere"})
    pairs = [pair, *unasync.PAIRS[1:]]  # every pair: the shared rules are used by some pair
    assert unasync.run(table_copy, pairs, unasync.RULES, check=True) == 1
    assert f"rule 'AsyncNowhere' of {first.source} was never used" in capsys.readouterr().err


def test_without_ruff_the_script_says_what_to_install(
    table_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(unasync.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(unasync.shutil, "which", lambda name: None)
    assert unasync.main(["--check", "--root", str(table_copy)]) == 2
    assert "needs ruff" in capsys.readouterr().err


# -- token rules and markers ----------------------------------------------------------------


def _convert(source: str, rules: dict[str, str]) -> str:
    return str(unasync.unasync_text(source, unasync.TokenRules(rules)))


def test_rules_stop_at_word_boundaries() -> None:
    rules = {"aread": "read", "await ": "", "async def": "def"}
    assert _convert("x = await r.aread()\n", rules) == "x = r.read()\n"
    assert _convert("areader.aread_all(); unaread\n", rules) == "areader.aread_all(); unaread\n"
    assert _convert("async define()\n", rules) == "async define()\n"
    assert _convert("async def f(): ...\n", rules) == "def f(): ...\n"


def test_rules_apply_inside_strings_and_comments_too() -> None:
    """Decided: docstrings and messages name the same calls as the code, so they follow it."""
    rules = {"aread": "read", "await ": ""}
    source = 'msg = "await r.aread() failed"  # after aread\n'
    assert _convert(source, rules) == 'msg = "r.read() failed"  # after read\n'


def test_one_pass_no_rule_rewrites_another_rules_output() -> None:
    rules = {"AsyncTransport": "Transport", "Transport": "Carrier", "AsyncTransportX": "TX"}
    assert _convert("AsyncTransport Transport AsyncTransportX\n", rules) == (
        "Transport Carrier TX\n"
    )


def test_rules_are_counted_per_token() -> None:
    rules = unasync.TokenRules({"aread": "read", "aclose": "close"})
    rules.apply("await a.aread(); await b.aread()")
    assert rules.used == {"aread": 2}


def test_remove_marker_drops_the_line() -> None:
    source = "import asyncio  # unasync: remove\nx = 1\n"
    assert _convert(source, {}) == "x = 1\n"


def test_sync_marker_replaces_the_line_verbatim_at_its_indentation() -> None:
    source = "    assert a == [1]  # unasync: sync=assert aread(a) == 1\n"
    assert _convert(source, {"aread": "read"}) == "    assert aread(a) == 1\n"


def test_a_marker_needs_its_exact_spelling() -> None:
    source = "x = 1  # unasync remove\n"
    assert _convert(source, {}) == source
