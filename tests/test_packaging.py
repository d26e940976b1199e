"""What each wheel holds: the main one no reference server and no aiohttp outside an extra; the
dicomkit-server one the server, the ``serve`` command and the pytest plugin. The wheels are
built in-process with hatchling (the build backend), offline, in about a second."""

from __future__ import annotations

import ast
import configparser
import zipfile
from email.parser import Parser
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from dicomkit.cli import COMMANDS_GROUP, Command
from tests._support.ci import require_module

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "plugins" / "dicomkit-server"
SHIMS = tuple(f"dicomkit/testing/{name}.py" for name in ("server", "orthanc", "pytest_plugin"))


class Wheel:
    """A built wheel read as a zip: file names, METADATA and entry points."""

    def __init__(self, path: Path) -> None:
        self.archive = zipfile.ZipFile(path)
        self.names = self.archive.namelist()
        info = next(n.split("/")[0] for n in self.names if n.endswith(".dist-info/METADATA"))
        self.metadata = Parser().parsestr(self.read(f"{info}/METADATA"))
        self.entry_points = configparser.ConfigParser(delimiters=("=",))
        self.entry_points.optionxform = str  # type: ignore[assignment,method-assign]
        self.entry_points.read_string(self.read(f"{info}/entry_points.txt"))

    def read(self, name: str) -> str:
        return self.archive.read(name).decode("utf-8")

    def imported_modules(self, name: str) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(ast.parse(self.read(name))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
        return found


def _build(source: Path, into: Path) -> Wheel:
    wheel = require_module("hatchling.builders.wheel")
    built = list(wheel.WheelBuilder(str(source)).build(directory=str(into), versions=["standard"]))
    return Wheel(Path(built[0]))


@pytest.fixture(scope="module")
def main_wheel(tmp_path_factory: pytest.TempPathFactory) -> Wheel:
    return _build(ROOT, tmp_path_factory.mktemp("main-wheel"))


@pytest.fixture(scope="module")
def server_wheel(tmp_path_factory: pytest.TempPathFactory) -> Wheel:
    return _build(SERVER, tmp_path_factory.mktemp("server-wheel"))


def test_the_main_wheel_holds_no_server(main_wheel: Wheel) -> None:
    assert "dicomkit/cli/__init__.py" in main_wheel.names
    assert "dicomkit/testing/contract/__init__.py" in main_wheel.names
    assert not [
        n for n in main_wheel.names if n.startswith(("dicomkit/testing/server/", "dicomkit_server"))
    ]
    for shim in SHIMS:
        assert shim in main_wheel.names
        assert len(main_wheel.read(shim).splitlines()) < 10, f"{shim} is more than a shim"


def test_no_module_of_the_main_wheel_imports_aiohttp(main_wheel: Wheel) -> None:
    modules = [n for n in main_wheel.names if n.endswith(".py")]
    assert len(modules) > 20
    importing = [n for n in modules if "aiohttp" in main_wheel.imported_modules(n)]
    assert importing == []


def test_aiohttp_and_the_server_are_only_extras(main_wheel: Wheel) -> None:
    requires = main_wheel.metadata.get_all("Requires-Dist") or []
    assert any(r.startswith("pydicom") for r in requires)
    for requirement in requires:
        if "aiohttp" in requirement or "dicomkit-server" in requirement:
            assert "extra ==" in requirement, requirement
    # the server is released in lockstep: the extra pins the same minor version
    assert "dicomkit-server<0.2,>=0.1; extra == 'server'" in [r.replace('"', "'") for r in requires]


def test_the_main_wheel_registers_transports_commands_and_the_script_but_no_pytest_plugin(
    main_wheel: Wheel,
) -> None:
    entry_points = main_wheel.entry_points
    assert entry_points["console_scripts"]["dicomkit"] == "dicomkit.cli:console"
    assert set(entry_points["dicomkit.transports"]) == {"requests", "urllib3", "stdlib"}
    assert not entry_points.has_section("pytest11")
    # the main wheel's own commands; serve comes only with dicomkit-server
    assert set(entry_points[COMMANDS_GROUP]) == {
        "search",
        "metadata",
        "delete",
        "upload",
        "download",
        "jobs",
        "check",
    }


def test_the_server_wheel_brings_serve_and_the_pytest_plugin(server_wheel: Wheel) -> None:
    assert "dicomkit_server/_runner.py" in server_wheel.names
    assert "dicomkit_server/py.typed" in server_wheel.names
    requires = server_wheel.metadata.get_all("Requires-Dist") or []
    assert "dicomkit<0.2,>=0.1" in requires
    assert any(r.startswith("aiohttp>=") and "extra" not in r for r in requires)
    serve = server_wheel.entry_points[COMMANDS_GROUP]["serve"]
    assert isinstance(EntryPoint("serve", serve, COMMANDS_GROUP).load(), Command)
    assert server_wheel.entry_points["pytest11"]["dicomkit"] == "dicomkit_server.pytest_plugin"
