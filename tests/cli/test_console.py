"""The console script (``dicomkit.cli:console``) freezes what its imports made and waits
longer between young collections on entry, and leaves its objects out of the collector's
last passes (``gc.freeze``) when the command ends, however it ends; ``main`` called by a
program leaves the program's collector alone."""

from __future__ import annotations

import gc

import pytest

from dicomkit.cli import GC_YOUNG_THRESHOLD, main
from tests._support.python import run_python

_PROBE = """
import atexit, gc, sys
import dicomkit.cli as cli
seen = {}
real = cli.main
def main(*args, **kwargs):
    seen["young"] = gc.get_threshold()[0]
    try:
        return real(*args, **kwargs)
    finally:
        seen["frozen"] = gc.get_freeze_count()
cli.main = main
atexit.register(lambda: print("young threshold:", seen["young"]))
atexit.register(lambda: print("frozen after main:", gc.get_freeze_count() > seen["frozen"]))
sys.argv = ["dicomkit", *sys.argv[1:]]
sys.exit(cli.console())
"""


@pytest.mark.parametrize(
    ("argv", "status"),
    [
        (["--help"], 0),  # argparse ends the command with SystemExit
        (["search", "studies", "--url", "ftp://nowhere"], 2),  # refused by the command
        (["no-such-command"], 2),
    ],
)
def test_the_console_script_freezes_its_objects_however_the_command_ends(
    argv: list[str], status: int
) -> None:
    done = run_python("-c", _PROBE, *argv)
    assert done.returncode == status, done.stderr
    assert done.stdout.splitlines()[-2:] == [
        "frozen after main: True",  # atexit runs the last one registered first
        f"young threshold: {GC_YOUNG_THRESHOLD}",
    ]


def test_main_called_in_a_program_leaves_its_collector_alone() -> None:
    before = gc.get_freeze_count(), gc.get_threshold()
    with pytest.raises(SystemExit):
        main(["--help"])
    assert (gc.get_freeze_count(), gc.get_threshold()) == before


def test_the_help_formatters_measure_the_terminal_as_shutil_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import shutil

    from dicomkit.cli._help import terminal_columns

    for columns in ("123", "0", "-5", "wide", None):
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", columns)
        assert terminal_columns() == shutil.get_terminal_size().columns
