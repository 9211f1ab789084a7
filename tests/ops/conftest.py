# The audit triggers come back after a transactional test's flush (see tests/e2e/conftest.py).
from tests.e2e.conftest import pytest_runtest_teardown  # noqa: F401
