"""``dicomkit.core.operations`` loads its submodules by name on first use: every public name
still resolves, to the very object its submodule defines, and only its own submodule loads."""

from __future__ import annotations

import inspect
import sys

import dicomkit.core.operations as operations
from tests._support.python import run_python


def test_every_public_name_resolves_to_its_modules_object() -> None:
    for name in operations.__all__:
        value = getattr(operations, name)
        home = operations._HOME[name]
        module = sys.modules[f"{operations.__name__}.{home}"]  # loaded by the getattr above
        assert inspect.ismodule(module), name
        assert getattr(module, name) is value, name
    assert set(operations._HOME) == set(operations.__all__)


def test_a_name_loads_only_its_own_submodule() -> None:
    code = (
        "import sys\n"
        "from dicomkit.core.operations import resolve_dialect\n"
        "print(sorted(m for m in sys.modules if m.startswith('dicomkit.core.operations.')))"
    )
    result = run_python("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['dicomkit.core.operations.dialect']"
