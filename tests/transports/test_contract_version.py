"""The contract's version: required by plugins, listed in its changelog."""

from __future__ import annotations

from pathlib import Path

import pytest

from dicomkit.testing.contract import CONTRACT_VERSION, ContractVersionError, require_contract

CHANGELOG = Path(__file__).parents[2] / "docs" / "contract-changelog.md"


def test_the_version_has_a_changelog_entry() -> None:
    assert f"## {CONTRACT_VERSION}" in CHANGELOG.read_text(encoding="utf-8")


@pytest.mark.parametrize("wanted", ["2", "2.0", CONTRACT_VERSION])
def test_this_version_and_older_minors_are_met(wanted: str) -> None:
    require_contract(wanted)


@pytest.mark.parametrize("wanted", ["1.0", "3.0", "2.99", "two"])
def test_another_major_a_newer_minor_or_nonsense_is_refused(wanted: str) -> None:
    with pytest.raises(ContractVersionError):
        require_contract(wanted)
