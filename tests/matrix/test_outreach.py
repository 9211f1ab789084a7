"""The generated access matrix (``tests/access_matrix.py``) for outreach: activities, campaigns,
the library (outreach/)."""

from __future__ import annotations

from typing import Any

from tests.access_matrix import check


def test_access_matrix(tree: Any, users: Any) -> None:
    check("outreach", tree, users)
