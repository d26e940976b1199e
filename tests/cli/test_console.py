"""The console script (``dicomkit.cli:console``) leaves its objects out of the collector's
last passes (``gc.freeze``) when the command ends, however it ends; ``main`` called by a
program leaves the program's collector alone."""

from __future__ import annotations

import gc

import pytest

from dicomkit.cli import main
from tests._support.python import run_python

_PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen:", gc.get_freeze_count() > 0))
from dicomkit.cli import console
sys.argv = ["dicomkit", *sys.argv[1:]]
sys.exit(console())
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
    assert done.stdout.splitlines()[-1] == "frozen: True"


def test_main_called_in_a_program_leaves_its_collector_alone() -> None:
    before = gc.get_freeze_count()
    with pytest.raises(SystemExit):
        main(["--help"])
    assert gc.get_freeze_count() == before


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
