"""The checked-in aio.py is exactly what twin.py derives from sync.py (formatting aside)."""

from __future__ import annotations

import ast

from .twin import CLIENT, generate


def test_aio_is_generated_from_sync() -> None:
    expected = ast.dump(ast.parse(generate((CLIENT / "sync.py").read_text())))
    actual = ast.dump(ast.parse((CLIENT / "aio.py").read_text()))
    assert actual == expected, "run `python tests/client/twin.py && ruff format dicomkit/client`"
