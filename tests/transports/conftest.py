import pytest

pytest.register_assert_rewrite("dicomkit.testing.contract")
