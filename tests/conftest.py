"""Test policy for the whole suite: Hypothesis profiles, contract assertion rewriting, Orthanc
fixtures (the reference server's fixtures come from dicomkit-server's pytest11 plugin)."""

import pytest

from dicomkit.testing.profiles import register_profiles

pytest.register_assert_rewrite("dicomkit.testing.contract")

from tests._support.orthanc_fixtures import (  # noqa: E402, F401  (fixtures, see docs/orthanc.md)
    orthanc,
    orthanc_server,
    orthanc_server_with_auth,
    orthanc_with_auth,
)

register_profiles()
