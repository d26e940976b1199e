"""Let pytest rewrite the asserts of dicomkit's contract suite, so failures show their values."""

import pytest

pytest.register_assert_rewrite("dicomkit.testing.contract")
