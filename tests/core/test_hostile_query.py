"""The 500s issue #13 found in query strings: NUL on PostgreSQL, ids int() cannot read."""

from __future__ import annotations

from typing import Any

from django.urls import reverse


def test_nul_in_a_query_string_is_dropped(users: Any, client_for: Any) -> None:
    client = client_for(users["province_officer"])
    response = client.get(reverse("org:tree") + "?q=%00")
    assert response.status_code == 200
    response = client.get(reverse("org:tree") + "?q=M%E1%BB%B9%00L%E1%BB%99c")
    assert response.status_code == 200  # searched as "MỹLộc", not a database error


def test_nul_in_a_path_is_a_404(users: Any, client_for: Any) -> None:
    client = client_for(users["province_officer"])
    assert client.get("/units/%00/").status_code == 404


def test_ids_int_cannot_read_match_nothing(users: Any, client_for: Any) -> None:
    client = client_for(users["system_admin"])
    for raw in ("9" * 5000, "²", str(2**63), str(2**64)):
        response = client.get(reverse("cases:situation_list"), {"unit": raw})
        assert response.status_code in {200, 404}, raw
