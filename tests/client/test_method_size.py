"""Every public method of both clients (their bases' included) is a few statements long.

The work lives in the core's exchanges and in the driver's one runner; a public method only
names its exchange (issue 10: at most 4 statements, the docstring not counted, nested
statements counted).
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest

from dicomkit import AsyncDicomClient, DicomClient

MAX_STATEMENTS = 4


def statements(function: object) -> int:
    """Statements in ``function``'s body at any depth, its docstring aside."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))  # type: ignore[arg-type]
    definition = tree.body[0]
    assert isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef))
    body = definition.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return sum(isinstance(node, ast.stmt) for top in body for node in ast.walk(top))


def public_methods(cls: type) -> list[tuple[str, object]]:
    found = []
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name, member in vars(klass).items():
            if not name.startswith("_") and inspect.isfunction(member):
                found.append((f"{klass.__name__}.{name}", member))
    return found


METHODS = public_methods(DicomClient) + public_methods(AsyncDicomClient)


def test_the_scan_sees_every_public_method() -> None:
    names = {name.rpartition(".")[2] for name, _ in METHODS}
    assert {"store_instances", "download_dicom", "upload_dicom_folder", "close"} <= names
    assert len(METHODS) >= 60


@pytest.mark.parametrize(("name", "method"), METHODS, ids=[name for name, _ in METHODS])
def test_public_methods_have_at_most_four_statements(name: str, method: object) -> None:
    assert statements(method) <= MAX_STATEMENTS, name


def test_the_count_includes_nested_statements_and_skips_the_docstring() -> None:
    def sample() -> None:
        """Docstring."""
        for _ in range(2):
            if _:
                pass

    assert statements(sample) == 3
