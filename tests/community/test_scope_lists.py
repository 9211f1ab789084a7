"""Lists of clubs and exchanges show nothing outside the viewer's scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.community.access_rows import IN_AREA, IN_CLUB, OUT_AREA, OUT_CLUB, setup


@pytest.fixture
def matrix_objects(tree: Any, users: Any) -> None:
    setup(tree, users)


@pytest.mark.parametrize("role", ["province_officer", "commune_officer", "branch_head",
                                  "speaker", "viewer"])
def test_lists_show_nothing_outside_the_scope(role: str, tree: Any, users: Any,
                                              client_for: Any, matrix_objects: None) -> None:
    client = client_for(users[role])
    clubs = client.get(reverse("community:club_list")).content.decode()
    exchanges = client.get(reverse("community:exchange_list")).content.decode()
    assert IN_CLUB in clubs and OUT_CLUB not in clubs
    assert IN_AREA in exchanges and OUT_AREA not in exchanges
