"""The dispatcher's own entry-point reader agrees with importlib.metadata, and hands over to
it where it cannot read (zip files on sys.path, a malformed entry_points.txt)."""

from __future__ import annotations

import importlib.metadata
import sys
import zipfile
from pathlib import Path

import pytest

from dicomkit.cli import _entry_points
from dicomkit.cli._entry_points import EntryPoint, entry_points


def _pairs(found: object) -> list[tuple[str, str]]:
    return sorted((ep.name, ep.value) for ep in found)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "group", ["dicomkit.commands", "dicomkit.transports", "console_scripts", "pytest11", "none"]
)
def test_the_installed_environment_reads_the_same(group: str) -> None:
    fast = _entry_points._fast(group)
    assert fast is not None  # a plain virtual environment: no fallback needed
    assert _pairs(fast) == _pairs(importlib.metadata.entry_points(group=group))


def _dist(folder: Path, name: str, text: str) -> None:
    info = folder / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "entry_points.txt").write_text(text)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")


def test_the_first_distribution_on_sys_path_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dist(tmp_path / "a", "my_pkg", "[dicomkit.commands]\nGreet = pkg.a:greet\n")
    _dist(tmp_path / "b", "My.Pkg", "[dicomkit.commands]\ngreet = pkg.b:greet\n")
    _dist(tmp_path / "b", "other", "[dicomkit.commands]\nother = os.path:join\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "a"), str(tmp_path / "b")])
    found = entry_points("dicomkit.commands")
    assert _pairs(found) == [("Greet", "pkg.a:greet"), ("other", "os.path:join")]
    assert _pairs(found) == _pairs(importlib.metadata.entry_points(group="dicomkit.commands"))
    assert EntryPoint("join", "os.path:join", "g").load() is __import__("os").path.join


def test_what_it_cannot_read_goes_to_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("z-1.0.dist-info/entry_points.txt", "[dicomkit.commands]\nz = m:z\n")
        zipped.writestr("z-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: z\n")
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert _entry_points._fast("dicomkit.commands") is None
    assert _pairs(entry_points("dicomkit.commands")) == [("z", "m:z")]

    _dist(tmp_path / "bad", "bad", "[dicomkit.commands]\nthis is [not an ini file\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "bad")])
    assert _entry_points._fast("dicomkit.commands") is None


def test_a_file_without_the_group_is_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a file naming the group's section is parsed (most name no command): one that
    does not, even malformed, holds none of its entry points, as importlib.metadata says."""
    _dist(tmp_path / "a", "odd", "this is [not an ini file\n[other]\nx = m:x\n")
    _dist(tmp_path / "a", "tool", "[dicomkit.commands]\ntool = m:tool\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "a")])
    assert _pairs(_entry_points._fast("dicomkit.commands") or []) == [("tool", "m:tool")]
    assert _pairs(importlib.metadata.entry_points(group="dicomkit.commands")) == [
        ("tool", "m:tool")
    ]


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("# c\n[dicomkit.commands]\n; c\na = m:a\n\n[other]\nb = m:b\n", [("a", "m:a")]),
        ("[ dicomkit.commands ]\na=m:a [extra]\n", [("a", "m:a [extra]")]),
        ("[dicomkit.commands]\na = m:a\n  continued\n", None),
        ("[dicomkit.commands]\na = m:a\na = m:b\n", None),
        ("[dicomkit.commands]\n= m:a\n", None),
    ],
)
def test_the_section_reader(text: str, pairs: list[tuple[str, str]] | None) -> None:
    """The plain format is read without an INI library; anything else goes back to
    importlib.metadata (None)."""
    assert _entry_points._section(text, "dicomkit.commands") == pairs
