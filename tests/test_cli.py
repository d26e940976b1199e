"""The ``dicomkit`` dispatcher: subcommands come from the ``dicomkit.commands`` entry-point
group, a broken or missing one is reported instead of crashing, and importing the CLI loads no
command (so no server and no aiohttp)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest

from dicomkit import cli
from dicomkit.core import errors
from tests._support.python import run_python


@dataclass
class Greet:
    """A third-party command, as an entry point would name it."""

    help: str = "say hello"
    seen: list[argparse.Namespace] = field(default_factory=list)

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--name", default="world")

    def run(self, args: argparse.Namespace) -> int:
        self.seen.append(args)
        print(f"hello {args.name}")
        return 7


@dataclass
class FakeEntryPoint:
    name: str
    loaded: Any
    value: str = "third_party.commands:greet"

    def load(self) -> Any:
        if isinstance(self.loaded, BaseException):
            raise self.loaded
        return self.loaded


def _use(monkeypatch: pytest.MonkeyPatch, *found: FakeEntryPoint) -> None:
    monkeypatch.setattr(cli, "entry_points", lambda group: list(found) if group else [])


def _help_text(capsys: pytest.CaptureFixture[str]) -> str:
    """``dicomkit --help``'s output on one line; the help exits 0."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def test_an_entry_point_becomes_a_subcommand(monkeypatch, capsys):
    greet = Greet()
    _use(monkeypatch, FakeEntryPoint("greet", greet))
    assert cli.main(["greet", "--name", "Ada"]) == 7
    assert capsys.readouterr().out == "hello Ada\n"
    assert greet.seen[0].name == "Ada"


def test_an_entry_point_may_name_a_class(monkeypatch, capsys):
    _use(monkeypatch, FakeEntryPoint("greet", Greet))
    assert cli.main(["greet"]) == 7
    assert "hello world" in capsys.readouterr().out


def test_help_lists_installed_broken_and_missing_commands(monkeypatch, capsys):
    broken = FakeEntryPoint("broken", ImportError("No module named 'gone'"))
    _use(monkeypatch, FakeEntryPoint("greet", Greet()), broken)
    out = _help_text(capsys)
    assert "greet say hello" in out
    assert "broken (unavailable) cannot be loaded (ImportError: No module named 'gone')" in out
    assert "serve (unavailable) not installed: pip install 'dicomkit[server]'" in out


@pytest.mark.parametrize("argv", [["broken"], ["broken", "--any", "option"], ["broken", "-h"]])
def test_a_broken_command_is_reported_when_run(monkeypatch, capsys, argv):
    _use(monkeypatch, FakeEntryPoint("broken", RuntimeError("boom")), FakeEntryPoint("ok", Greet))
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "dicomkit broken: cannot be loaded (RuntimeError: boom)" in err
    assert "Traceback" not in err


@dataclass
class BadConfigure(Greet):
    """A command that loads but whose configure() raises after adding an argument."""

    def configure(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--half")
        raise ValueError("bad option spec")


def test_a_command_whose_configure_raises_is_unavailable_not_fatal(monkeypatch, capsys):
    greet = Greet()
    _use(monkeypatch, FakeEntryPoint("aaa", BadConfigure()), FakeEntryPoint("greet", greet))
    assert cli.main(["greet", "--name", "Ada"]) == 7
    assert greet.seen[0].name == "Ada"
    out = _help_text(capsys)
    assert "aaa (unavailable) cannot be loaded (ValueError: bad option spec)" in out
    assert "greet say hello" in out
    assert cli.main(["aaa", "--half", "x"]) == 2
    err = capsys.readouterr().err
    assert "dicomkit aaa: cannot be loaded (ValueError: bad option spec)" in err
    assert "Traceback" not in err


def test_an_object_without_the_protocol_is_reported(monkeypatch, capsys):
    _use(monkeypatch, FakeEntryPoint("odd", object()))
    assert cli.main(["odd"]) == 2
    assert "has no help, configure() and run()" in capsys.readouterr().err


def test_a_missing_server_says_what_to_install(monkeypatch, capsys):
    _use(monkeypatch)
    assert cli.main(["serve", "--port", "1"]) == 2
    assert (
        "dicomkit serve: not installed: pip install 'dicomkit[server]'" in capsys.readouterr().err
    )


def test_unknown_options_of_a_working_command_are_a_usage_error(monkeypatch, capsys):
    _use(monkeypatch, FakeEntryPoint("greet", Greet()))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["greet", "--nope"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --nope" in capsys.readouterr().err


def test_serve_comes_from_the_installed_server_distribution():
    parser = cli.build_parser()
    sub = parser._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    assert "--port" in sub.format_help()


HEAVY = {
    "aiohttp",
    "dicomkit_server._runner",
    "pydicom",
    "dicomkit.client",
    "dicomkit.jobs",
    "requests",
    "urllib3",
    "sqlite3",
    "importlib.metadata",  # 25 ms: the dispatcher reads entry_points.txt itself
}


@pytest.mark.parametrize(
    ("statement", "loaded", "absent"),
    [
        ("import dicomkit.cli", "dicomkit.cli", {"dicomkit_server", *HEAVY}),
        ("import dicomkit.cli as c; c.build_parser().format_help()", "dicomkit_server.cli", HEAVY),
        (
            "import dicomkit.cli as c; [p.format_help() for p in"
            " c.build_parser()._subparsers._group_actions[0].choices.values()]",
            "dicomkit.commands.upload",
            HEAVY,
        ),
    ],
)
def test_the_cli_and_its_help_load_no_server(statement: str, loaded: str, absent: set[str]):
    watched = sorted({loaded, *absent})
    report = f"import sys; print(*[m in sys.modules for m in {watched!r}])"
    result = run_python("-c", f"{statement}; {report}")
    assert result.returncode == 0, result.stderr
    present = dict(zip(watched, result.stdout.split(), strict=True))
    assert present == {m: str(m == loaded) for m in watched}


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["download", "1.2.3", "--out", "x"], "download"),
        (["--url", "http://h/dicom-web", "-v", "download", "1.2.3"], "download"),
        (["--transport", "urllib3", "search", "studies"], "search"),
        (["--help"], None),
        (["--timeout", "soon", "download", "1.2.3"], None),  # the full parser reports it
        (["--url"], None),
        (["-h", "download"], None),
        ([], None),
    ],
)
def test_the_command_run_is_found_past_the_shared_options(argv: list[str], command: str | None):
    assert cli._command_named(argv) == command


def test_a_command_run_loads_no_other_command():
    statement = (
        "import sys, dicomkit.cli as c; c.build_parser(only='download');"
        " print(sorted(m for m in sys.modules if m.startswith(('dicomkit.commands.',"
        " 'dicomkit_server'))))"
    )
    result = run_python("-c", statement)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "['dicomkit.commands._common',",
        "'dicomkit.commands._transfer',",
        "'dicomkit.commands.download']",
    ]


def test_only_an_unknown_name_builds_every_command(monkeypatch):
    _use(monkeypatch, FakeEntryPoint("greet", Greet()), FakeEntryPoint("other", Greet()))
    choices = cli.build_parser(only="nosuch")._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"greet", "other"} <= set(choices)
    only = cli.build_parser(only="greet")._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(only) == {"greet"}


def test_the_console_script_lists_serve_and_the_main_wheels_commands():
    result = run_python("-m", "dicomkit.cli", "--help")
    assert result.returncode == 0, result.stderr
    for name in ("serve", "search", "metadata", "delete", "upload", "download", "jobs"):
        assert f"\n    {name} " in result.stdout
    assert "unavailable" not in result.stdout


@dataclass
class Connecting(Greet):
    """A third-party command that talks to a server: it takes the shared options too."""

    connects: bool = True
    failure: BaseException | None = None

    def run(self, args: argparse.Namespace) -> int:
        self.seen.append(args)
        if self.failure is not None:
            raise self.failure
        return 0


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "http://a", "-v", "greet", "--name", "x"],
        ["greet", "--url", "http://a", "--name", "x", "-v"],
    ],
)
def test_shared_options_go_before_or_after_a_connecting_command(monkeypatch, argv):
    greet = Connecting()
    _use(monkeypatch, FakeEntryPoint("greet", greet))
    assert cli.main(argv) == 0
    (args,) = greet.seen
    assert (args.url, args.verbose, args.name, args.quiet) == ("http://a", 1, "x", False)


def test_shared_options_after_the_name_do_not_undo_those_before(monkeypatch):
    greet = Connecting()
    _use(monkeypatch, FakeEntryPoint("greet", greet))
    assert cli.main(["--url", "http://a", "--json", "greet", "--quiet"]) == 0
    (args,) = greet.seen
    assert (args.url, args.json, args.quiet) == ("http://a", True, True)


def test_a_command_without_connects_is_not_given_the_shared_options(monkeypatch, capsys):
    _use(monkeypatch, FakeEntryPoint("greet", Greet()))
    with pytest.raises(SystemExit):
        cli.main(["greet", "--url", "http://a"])
    assert "unrecognized arguments: --url" in capsys.readouterr().err


def test_a_command_may_keep_its_own_option_of_a_shared_name(monkeypatch):
    class OwnUrl(Connecting):
        def configure(self, parser: argparse.ArgumentParser) -> None:
            parser.add_argument("--url", dest="own_url")

    greet = OwnUrl()
    _use(monkeypatch, FakeEntryPoint("greet", greet))
    assert cli.main(["greet", "--url", "mine"]) == 0
    assert greet.seen[0].own_url == "mine"


@pytest.mark.parametrize(
    ("failure", "status", "message"),
    [
        (errors.UnauthorizedError(401, "HTTP 401: go away"), 3, "HTTP 401: go away"),
        (errors.ConnectError("refused"), 4, "refused"),
        (cli.UsageError("no such file"), 2, "no such file"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_an_error_becomes_its_exit_status_and_one_line(
    monkeypatch, capsys, failure, status, message
):
    _use(monkeypatch, FakeEntryPoint("greet", Connecting(failure=failure)))
    assert cli.main(["greet"]) == status
    err = capsys.readouterr().err
    assert err == f"dicomkit greet: {message}\n"
    assert cli.main(["--json", "greet"]) == status
    error = json.loads(capsys.readouterr().err)
    assert error == {"error": type(failure).__name__, "message": message, "exit_status": status}


def test_a_bug_in_a_command_keeps_its_traceback(monkeypatch):
    _use(monkeypatch, FakeEntryPoint("greet", Connecting(failure=ZeroDivisionError("bug"))))
    with pytest.raises(ZeroDivisionError):
        cli.main(["greet"])


def test_a_closed_stdout_ends_the_command_quietly():
    code = (
        "import sys, dicomkit.cli as c\n"
        "class Loud:\n"
        "    help = 'print a lot'\n"
        "    def configure(self, parser): pass\n"
        "    def run(self, args):\n"
        "        for _ in range(100000): print('x' * 100)\n"
        "        return 0\n"
        "class EP:\n"
        "    name, value = 'loud', 'x:y'\n"
        "    def load(self): return Loud\n"
        "c.entry_points = lambda group: [EP()]\n"
        "sys.exit(c.main(['loud']))\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()  # what `| head -1` does
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "Traceback" not in err
    assert "Broken pipe" not in err
