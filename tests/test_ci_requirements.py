"""The CI-aware skips: a missing extra skips on a developer machine and fails under CI=true."""

from __future__ import annotations

import pytest

from tests._support.ci import in_ci, require_module, skip_or_fail

MISSING = "dicomkit_no_such_module_for_this_test"


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("", False)])
def test_in_ci_reads_the_ci_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected


def test_a_missing_module_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=f"CI=true requires.*{MISSING}"):
        require_module(MISSING)
    with pytest.raises(pytest.fail.Exception, match="no server"):
        skip_or_fail("no server")


def test_a_missing_module_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=MISSING):
        require_module(MISSING)


def test_a_present_module_is_returned() -> None:
    assert require_module("json").dumps([1]) == "[1]"
