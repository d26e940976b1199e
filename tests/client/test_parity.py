"""DicomClient and AsyncDicomClient expose the same methods with the same parameters."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from dicomkit import AsyncDicomClient, DicomClient


def public_methods(cls: type) -> dict[str, Callable[..., Any]]:
    return {
        name: member
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_same_public_methods() -> None:
    assert sorted(public_methods(DicomClient)) == sorted(public_methods(AsyncDicomClient))
    assert len(public_methods(DicomClient)) >= 30


def test_same_parameters_method_by_method() -> None:
    sync_methods = public_methods(DicomClient)
    async_methods = public_methods(AsyncDicomClient)
    for name, method in sync_methods.items():
        sync_params = list(inspect.signature(method).parameters.values())
        async_params = list(inspect.signature(async_methods[name]).parameters.values())
        assert [(p.name, p.kind, p.default) for p in sync_params] == [
            (p.name, p.kind, p.default) for p in async_params
        ], name


def test_async_methods_are_coroutines_or_async_generators() -> None:
    for name, method in public_methods(AsyncDicomClient).items():
        if name.startswith("iter_"):
            assert inspect.isasyncgenfunction(method), name
        else:
            assert inspect.iscoroutinefunction(method), name
    for name, method in public_methods(DicomClient).items():
        assert not inspect.iscoroutinefunction(method), name


def test_constructors_match_except_the_default_transport() -> None:
    sync_init = inspect.signature(DicomClient.__init__).parameters
    async_init = inspect.signature(AsyncDicomClient.__init__).parameters
    assert list(sync_init) == list(async_init)
    assert sync_init["transport"].default == "requests"
    assert async_init["transport"].default == "aiohttp"
    for name in sync_init:
        if name != "transport":
            assert sync_init[name].default == async_init[name].default, name


def test_every_public_method_is_exercised_against_the_reference_server() -> None:
    from pathlib import Path

    here = Path(__file__).parent
    sync_tests = "".join(
        (here / name).read_text()
        for name in ("test_sync_reference.py", "test_faults_and_folders.py")
    )
    async_tests = (here / "test_async_reference.py").read_text()
    sinks = (here.parent / "hugepart" / "test_sinks_reference.py").read_text()  # issue 19
    sync_tests, async_tests = sync_tests + sinks, async_tests + sinks
    for name in public_methods(DicomClient):
        if name == "close":
            continue  # exercised by every `with` block
        assert f".{name}(" in sync_tests, f"DicomClient.{name} has no reference-server test"
        assert f".{name}(" in async_tests, f"AsyncDicomClient.{name} has no reference-server test"
