"""How a prevention model spread from commune to commune: the lineage tree and its table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from ctip.community import selectors
from tests.community.test_clubs import new_model


def family(tree: Any) -> dict[str, Any]:
    """An origin in Đức Hòa, replicated in Tân An and back in Đức Hòa, then further, once in
    another province that nobody in Tây Ninh may see."""
    o = new_model(tree.commune_a, "Gốc Đức Hòa", dt.date(2023, 1, 10))
    r1 = new_model(tree.commune_b, "Bản sao Tân An", dt.date(2023, 6, 1), origin=o)
    r2 = new_model(tree.branch_a2, "Bản sao Rạch Sen", dt.date(2023, 4, 1), origin=o)
    r3 = new_model(tree.branch_b1, "Bản sao khu phố 3", dt.date(2024, 2, 1), origin=r1)
    r4 = new_model(tree.other_commune, "Bản sao Quảng Uyên", dt.date(2024, 5, 1), origin=r1)
    r5 = new_model(tree.group_a1, "Bản sao tổ 1", dt.date(2025, 1, 1), origin=r4)
    return {"o": o, "r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5}


def positions(body: str, *names: str) -> list[int]:
    return [body.index(n) for n in names]


def test_spread_lists_the_origin_and_replicas_in_order(tree: Any, users: Any,
                                                       client_for: Any) -> None:
    f = family(tree)
    client = client_for(users["province_officer"])
    response = client.get(reverse("community:club_spread", args=[f["r3"].pk]))
    body = response.content.decode()
    lineage = body[body.index('class="lineage"'):]
    order = positions(lineage, "Gốc Đức Hòa", "Bản sao Rạch Sen", "Bản sao Tân An",
                      "Bản sao khu phố 3", "Bản sao tổ 1")
    assert order == sorted(order)
    # nesting: the grand-replica sits inside its parent's list, the hidden model keeps its place
    assert lineage.count("<ul>") == 3
    assert "Bản sao Quảng Uyên" not in body and "Xã Quảng Uyên" not in body
    spread = response.context["spread"]
    assert spread.size == 6 and spread.hidden == 1
    root = spread.root
    assert root.club == f["o"]
    assert [c.club for c in root.children] == [f["r2"], f["r1"]]
    r1 = root.children[1]
    assert [c.club for c in r1.children] == [f["r3"], None]
    assert [c.club for c in r1.children[1].children] == [f["r5"]]
    assert r1.children[0].is_current and r1.children[0].generation == 2
    table = [(row.commune.name, row.first_on, row.models, row.is_origin)
             for row in spread.by_commune]
    assert table == [("Xã Đức Hòa", dt.date(2023, 1, 10), 3, True),
                     ("Phường Tân An", dt.date(2023, 6, 1), 2, False)]
    table_html = lineage[lineage.index("<table"):]
    assert positions(table_html, "Xã Đức Hòa", "10/01/2023", "Phường Tân An",
                     "01/06/2023") == sorted(positions(table_html, "Xã Đức Hòa", "10/01/2023",
                                                       "Phường Tân An", "01/06/2023"))


def test_commune_officer_sees_only_her_part_of_the_tree(tree: Any, users: Any,
                                                        client_for: Any) -> None:
    f = family(tree)
    response = client_for(users["commune_officer"]).get(
        reverse("community:club_spread", args=[f["o"].pk]))
    body = response.content.decode()
    assert "Gốc Đức Hòa" in body and "Bản sao Rạch Sen" in body and "Bản sao tổ 1" in body
    assert "Tân An" not in body and "khu phố 3" not in body and "Quảng Uyên" not in body
    spread = response.context["spread"]
    assert spread.hidden == 3
    assert [row.commune.name for row in spread.by_commune] == ["Xã Đức Hòa"]


def test_spread_queries_do_not_grow_with_the_family(tree: Any, users: Any, client_for: Any,
                                                    django_assert_max_num_queries: Any) -> None:
    f = family(tree)
    client = client_for(users["province_officer"])
    url = reverse("community:club_spread", args=[f["r3"].pk])
    client.get(url)
    with django_assert_max_num_queries(20) as ctx:
        client.get(url)
    baseline = len(ctx.captured_queries)
    for i in range(8):
        parent = f["o"] if i % 2 else f["r1"]
        unit = tree.branch_a1 if i % 2 else tree.branch_b1
        new_model(unit, f"Thêm bản sao {i}", dt.date(2024, 8, 1 + i), origin=parent)
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert response.context["spread"].size == 14
    assert response.content.decode().count("Thêm bản sao") == 8


def test_a_model_without_replicas_is_its_own_tree(tree: Any, users: Any) -> None:
    alone = new_model(tree.commune_a, "Mô hình một mình", dt.date(2024, 1, 1))
    spread = selectors.spread_of(users["commune_officer"], alone)
    assert spread.size == 1 and spread.root.club == alone and spread.root.children == []
    assert [r.commune for r in spread.by_commune] == [tree.commune_a]
