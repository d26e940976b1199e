"""Let pytest rewrite the asserts of dicomkit's contract suite, so failures show their values."""

import sys

import pytest

if "dicomkit.testing.contract" not in sys.modules:  # already imported: too late to rewrite
    pytest.register_assert_rewrite("dicomkit.testing.contract")
