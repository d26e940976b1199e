"""The deprecation path of the modules that moved to dicomkit-server: the old names still import
(with a DeprecationWarning) and give the very same objects; without the server distribution
they fail with an error that says what to install."""

from __future__ import annotations

import importlib
import sys

import dicomkit_server
import dicomkit_server.orthanc
import dicomkit_server.pytest_plugin
import pytest

from tests._support.python import run_python

MOVED = {
    "dicomkit.testing.server": dicomkit_server,
    "dicomkit.testing.orthanc": dicomkit_server.orthanc,
    "dicomkit.testing.pytest_plugin": dicomkit_server.pytest_plugin,
}


@pytest.mark.parametrize("old", sorted(MOVED))
def test_the_old_name_warns_and_reexports_everything(old: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(
        DeprecationWarning, match=f"{old} is deprecated; import {MOVED[old].__name__}"
    ):
        module = importlib.import_module(old)
    assert module.__all__ == MOVED[old].__all__
    assert module.__all__
    for name in module.__all__:
        assert getattr(module, name) is getattr(MOVED[old], name), name


def test_the_warning_points_at_the_importer(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delitem(sys.modules, "dicomkit.testing.server", raising=False)
    with pytest.warns(DeprecationWarning, match="deprecated") as caught:
        import dicomkit.testing.server  # noqa: F401
    assert caught[0].filename == __file__


@pytest.mark.parametrize("missing", ["aiohttp", "dicomkit_server"])
def test_the_old_name_without_the_server_says_what_to_install(missing: str):
    hide = f"import sys; sys.modules[{missing!r}] = None\n"
    result = run_python("-c", hide + "import dicomkit.testing.server")
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("ModuleNotFoundError: dicomkit.testing.server moved to dicomkit_server")
    assert error.endswith(f"pip install 'dicomkit[server]' (missing: {missing})")
