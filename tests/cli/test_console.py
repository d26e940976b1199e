"""The console script (``dicomkit.cli:console``) freezes what its imports made and waits
longer between young collections on entry, and leaves its objects out of the collector's
last passes (``gc.freeze``) when the command ends, however it ends; ``main`` called by a
program leaves the program's collector alone. The console script configures logging when
something first imports it: as ``main`` would have, and not at all when nothing does."""

from __future__ import annotations

import gc

import pytest

from dicomkit.cli import GC_YOUNG_THRESHOLD, main
from tests._support.python import run_python

_PROBE = """
import atexit, gc, sys
import dicomkit.cli as cli
seen = {}
real = cli._run
def run(*args, **kwargs):
    seen["young"] = gc.get_threshold()[0]
    try:
        return real(*args, **kwargs)
    finally:
        seen["frozen"] = gc.get_freeze_count()
cli._run = run
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


_LOGGING_PROBE = """
import atexit, sys
import dicomkit.cli as cli
def after():
    imported = "logging" in sys.modules
    import logging
    root = logging.getLogger()
    handler = root.handlers[0] if root.handlers else None
    print(imported, logging.getLevelName(root.level),
          logging.getLevelName(logging.getLogger("dicomkit").level),
          getattr(handler, "stream", None) is sys.stderr,
          handler is not None and handler.formatter._fmt)
atexit.register(after)
sys.argv = ["dicomkit", *sys.argv[1:]]
sys.exit(cli.console())
"""


@pytest.mark.parametrize(
    ("options", "levels"),
    [([], "ERROR WARNING"), (["-v"], "WARNING DEBUG"), (["-vv"], "DEBUG DEBUG")],
)
def test_the_console_script_configures_logging_when_it_is_first_imported(
    options: list[str], levels: str
) -> None:
    """A command that logs nothing never imports logging; the first import (here at exit)
    finds it configured as ``main`` configures it at once."""
    done = run_python("-c", _LOGGING_PROBE, *options, "search", "studies", "--url", "ftp://x")
    assert done.returncode == 2, done.stderr
    assert done.stdout.split(maxsplit=4) == [
        "False",
        *levels.split(),
        "True",
        "%(name)s: %(message)s\n",
    ]


def test_dicomkit_records_the_verbosity_shows_import_logging_themselves() -> None:
    """Under the console script a dicomkit record at a shown level imports logging (and so
    configures it); a record the verbosity hides imports nothing."""
    code = """
import argparse, sys
from dicomkit import _logging
from dicomkit.cli._globals import setup
setup(argparse.Namespace(verbose=0), deferred=True)
print(_logging._loggers(_logging._INFO) is None, "logging" in sys.modules)
loggers = _logging._loggers(_logging._WARNING)
import logging
print(loggers is not None, logging.getLogger("dicomkit").level, logging.getLogger().handlers != [])
"""
    done = run_python("-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False", "True", "30", "True"]


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
