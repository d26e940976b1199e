"""Importing the contract suite without its test libraries says what to install."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("missing", ["hypothesis", "pytest"])
def test_a_missing_test_library_is_named(missing: str) -> None:
    code = (
        f"import sys; sys.modules[{missing!r}] = None\n"
        "try:\n"
        "    import dicomkit.testing.contract\n"
        "except ModuleNotFoundError as exc:\n"
        "    print(exc.name, '|', exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    name, message = result.stdout.strip().split(" | ")
    assert name == missing
    assert "pip install pytest hypothesis" in message


def test_overriding_a_split_async_case_warns_with_the_new_names() -> None:
    from dicomkit.testing.contract import AsyncTransportContract

    with pytest.warns(DeprecationWarning, match="test_redirects_are_followed"):

        class OldStyle(AsyncTransportContract):
            def test_redirects(self) -> None:
                pass

    assert OldStyle.__name__ == "OldStyle"
