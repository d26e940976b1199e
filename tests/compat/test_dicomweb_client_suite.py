"""dicomweb-client 0.61.2's own web-client tests, run against dicomkit's compat class (issue 20).

The suite is fetched at test time (``peer_suite``), never copied here. ``NOT_PASSING`` lists
every test that does not pass with the reason; docs/migrating.md repeats it. The test fails when
the pass rate over the tests that do not check dicomweb-client's private internals drops below
95%, and when a test outside the list stops passing (a regression) or one in it starts passing
(the list is stale).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests._support.ci import skip_or_fail
from tests.compat import peer_suite

# tests that read dicomweb-client's private helpers or attributes (not a user's interface)
PRIVATE = {
    "test_web.py::test_content_extraction_from_part",  # DICOMwebClient._extract_part_content
}
# tests that do not pass, with the reason (none beyond the private ones today)
NOT_PASSING = {**dict.fromkeys(PRIVATE, "private helper")}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    for module in ("dicomweb_client", "pytest_localserver", "retrying"):
        if importlib.util.find_spec(module) is None:
            skip_or_fail(f"{module} is not installed (the test extra installs it)")
    folder = tmp_path_factory.mktemp("peer")
    try:
        sdist = peer_suite.fetch_sdist(folder)
    except (subprocess.SubprocessError, ValueError) as exc:
        skip_or_fail(f"cannot download dicomweb-client {peer_suite.PEER_VERSION}: {exc}")
    return peer_suite.run(peer_suite.prepare(sdist, folder))


def test_the_suite_ran(outcomes: dict[str, str]) -> None:
    files = {name.split("::")[0] for name in outcomes}
    assert files == {Path(name).name for name in peer_suite.SUITE_FILES}
    assert len(outcomes) > 140


def test_at_least_95_percent_of_public_tests_pass(outcomes: dict[str, str]) -> None:
    public = {name: outcome for name, outcome in outcomes.items() if name not in PRIVATE}
    passed = sum(outcome == "passed" for outcome in public.values())
    assert passed / len(public) >= 0.95, f"{passed} of {len(public)} passed"


def test_only_the_listed_tests_do_not_pass(outcomes: dict[str, str]) -> None:
    failing = {name for name, outcome in outcomes.items() if outcome != "passed"}
    assert failing == set(NOT_PASSING)


def test_compat_does_not_import_dicomweb_client() -> None:
    code = (
        "import sys\n"
        "import dicomkit.compat.dicomweb_client as c\n"
        "c.DICOMwebClient('http://127.0.0.1:1').lookup_tag('PixelData')\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'dicomweb_client'], sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
