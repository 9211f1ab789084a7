from __future__ import annotations

from typing import Any

from django.urls import reverse

from ctip.audit.models import AuditEvent
from ctip.org.models import Unit


def test_tree_shows_the_scope_roots_with_counts(tree: Any, users: Any, client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(reverse("org:tree"))
    roots = list(response.context["roots"])
    assert [r.name for r in roots] == ["Xã Đức Hòa"]
    # the commune itself, two branches and a group; the officer, speaker, case worker,
    # branch head are users under it
    assert roots[0].unit_count == 4
    assert roots[0].user_count == 4
    body = response.content.decode()
    assert "Xã Đức Hòa" in body and "Tỉnh Tây Ninh" not in body


def test_children_partial_lists_units_with_counts(tree: Any, users: Any,
                                                  client_for: Any) -> None:
    response = client_for(users["province_officer"]).get(
        reverse("org:children", args=[tree.province.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert "Xã Đức Hòa" in body and "Phường Tân An" in body
    # Phường Tân An: itself and one branch; its one user is nobody yet
    tan_an = body[body.index("Phường Tân An"):]
    tan_an = tan_an[:tan_an.index("</li>")]
    assert "2 units" in tan_an or "2 đơn vị" in tan_an


def test_search_finds_units_without_diacritics(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["province_officer"])
    for query, expected in [("tan an", "Phường Tân An"), ("duc hoa", "Xã Đức Hòa"),
                            ("ĐỨC HÒA", "Xã Đức Hòa"), ("my loc", "Chi hội ấp Mỹ Lộc")]:
        results = client.get(reverse("org:tree"), {"q": query}).context["results"]
        assert [u.name for u in results] == [expected], query


def test_search_stays_within_scope(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    assert client.get(reverse("org:tree"), {"q": "tan an"}).context["results"] == []
    assert client.get(reverse("org:tree"), {"q": "quang uyen"}).context["results"] == []


def test_tree_page_queries_do_not_grow_with_children(tree: Any, users: Any, client_for: Any,
                                                     django_assert_max_num_queries: Any) -> None:
    from ctip.units.actions import create_unit
    from tests.conftest import unit_type

    client = client_for(users["province_officer"])
    url = reverse("org:children", args=[tree.province.pk])
    client.get(url)
    for i in range(20):
        create_unit(actor=None, parent=tree.province, name=f"Xã mới {i}",
                    unit_type=unit_type("commune"))
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.content.decode().count("Xã mới") == 20


def test_create_a_branch_through_the_form(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    branch_type = Unit.objects.get(pk=tree.branch_a1.pk).unit_type
    response = client.post(reverse("org:unit_create", args=[tree.commune_a.pk]), {
        "name": "Chi hội ấp Bình Tả", "unit_type": branch_type.pk, "village": "Ấp Bình Tả",
        "opened_on": "17/07/2026",
    })
    unit = Unit.objects.get(name="Chi hội ấp Bình Tả")
    assert response.status_code == 302
    assert unit.parent == tree.commune_a and unit.opened_on.day == 17
    assert AuditEvent.objects.filter(action="unit.created", target_id=str(unit.pk)).exists()


def test_the_form_shows_errors_and_keeps_input(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["province_officer"])
    commune_type = Unit.objects.get(pk=tree.commune_a.pk).unit_type
    response = client.post(reverse("org:unit_create", args=[tree.province.pk]), {
        "name": "Xã <b>trùng</b>", "unit_type": commune_type.pk, "gso_code": "27943",
    })
    body = response.content.decode()
    assert response.status_code == 200
    assert "27943" in body and "Xã Đức Hòa" in body
    assert "Xã &lt;b&gt;trùng&lt;/b&gt;" in body  # kept, and escaped
    assert not Unit.objects.filter(name__startswith="Xã <b>").exists()


def test_closed_unit_page_names_successor_and_hides_actions(tree: Any, users: Any,
                                                           client_for: Any) -> None:
    import datetime as dt

    from ctip.units.actions import merge_units

    officer = users["province_officer"]
    merge_units(actor=officer, sources=[tree.commune_b], into=tree.commune_a,
                effective_on=dt.date(2025, 7, 1))
    client = client_for(officer)
    body = client.get(reverse("org:unit_detail", args=[tree.commune_b.pk])).content.decode()
    assert "Xã Đức Hòa" in body and "01/07/2025" in body
    assert reverse("org:unit_edit", args=[tree.commune_b.pk]) not in body
    response = client.get(reverse("org:unit_create", args=[tree.commune_b.pk]), follow=True)
    assert "Xã Đức Hòa" in response.content.decode()


def test_move_through_the_form(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["province_officer"])
    response = client.post(reverse("org:unit_move", args=[tree.branch_a2.pk]),
                           {"new_parent": tree.commune_b.pk})
    assert response.status_code == 302
    assert Unit.objects.get(pk=tree.branch_a2.pk).parent == tree.commune_b


def test_split_through_the_form(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["province_officer"])
    response = client.post(reverse("org:unit_split", args=[tree.commune_a.pk]), {
        "names": "Xã Đức Hòa Đông\nXã Đức Hòa Tây", "effective_on": "01/01/2026",
        f"child_{tree.branch_a1.pk}": 1, f"child_{tree.branch_a2.pk}": 2, "records_to": 1,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Unit.objects.get(pk=tree.branch_a2.pk).parent.name == "Xã Đức Hòa Tây"
