"""The contract suite's version: what a plugin's test suite can require.

The suite's public API (the names in ``dicomkit.testing.contract.__all__``, the fixture names
and shapes of :class:`TransportFixtures`, the test classes and their cases) changes with
dicomkit. ``MAJOR.MINOR``: the major number grows when a case is added or tightened that a
backend which passed before may now fail, or when a fixture's name or shape changes; the minor
one for additions that cannot fail a backend (a new helper, an optional fixture). Every change
has an entry in docs/contract-changelog.md (a test checks the version is listed there).
"""

from __future__ import annotations

__all__ = ["CONTRACT_VERSION", "ContractVersionError", "require_contract"]

CONTRACT_VERSION = "2.0"
"""This suite's version; see docs/contract-changelog.md."""


class ContractVersionError(RuntimeError):
    """The installed contract suite is not the version a plugin's tests were written for."""


def _parsed(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    try:
        return int(major), int(minor or "0")
    except ValueError:
        raise ContractVersionError(f"not a contract version (MAJOR.MINOR): {version!r}") from None


def require_contract(version: str) -> None:
    """Fail at once unless this suite is ``version``'s major release at that minor or later.

    Call it in a plugin's ``conftest.py`` (``require_contract("2.0")``): a dicomkit whose suite
    changed incompatibly (another major) or lacks what the tests use (an older minor) then
    stops the run with one message naming both versions, instead of failing case by case.
    """
    wanted = _parsed(version)
    have = _parsed(CONTRACT_VERSION)
    if have[0] != wanted[0] or have[1] < wanted[1]:
        raise ContractVersionError(
            f"these tests were written for transport contract {version}; the installed dicomkit "
            f"has contract {CONTRACT_VERSION} (see docs/contract-changelog.md)"
        )
