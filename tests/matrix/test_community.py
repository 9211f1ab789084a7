"""The generated access matrix (``tests/access_matrix.py``) for clubs, exchanges (community/) and
situations (cases/situations/)."""

from __future__ import annotations

from typing import Any

from tests.access_matrix import check


def test_access_matrix(tree: Any, users: Any) -> None:
    check("community", tree, users)
