"""The generated access matrix (``tests/access_matrix.py``) for every route no other group
claims: accounts, units, audit, the home page, the public bulletin."""

from __future__ import annotations

from typing import Any

from tests.access_matrix import check


def test_access_matrix(tree: Any, users: Any) -> None:
    check("rest", tree, users)
