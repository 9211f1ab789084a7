from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent
from ctip.core.errors import ActionError
from ctip.org.integrity import check_tree
from ctip.org.models import Succession, Unit
from ctip.units.actions import (
    SplitPart,
    create_unit,
    merge_units,
    move_subtree,
    split_unit,
    update_unit,
)
from tests.conftest import unit_type


def test_paths_and_depths_follow_the_tree(tree: Any) -> None:
    assert tree.central.path == f"/{tree.central.pk}/" and tree.central.depth == 0
    assert tree.group_a1.path == (
        f"/{tree.central.pk}/{tree.province.pk}/{tree.commune_a.pk}/{tree.branch_a1.pk}/"
        f"{tree.group_a1.pk}/")
    assert tree.group_a1.depth == 4
    subtree = set(Unit.objects.subtree(tree.commune_a.path).values_list("name", flat=True))
    assert subtree == {"Xã Đức Hòa", "Chi hội ấp Mỹ Lộc", "Chi hội ấp Rạch Sen",
                       "Tổ phụ nữ số 1"}
    assert check_tree() == []


def test_subtree_does_not_catch_ids_with_the_same_prefix(tree: Any) -> None:
    """/1/2/ must not match /1/23/: the range stops at the separator."""
    siblings = [create_unit(actor=None, parent=tree.province, name=f"Xã thử {i}",
                            unit_type=unit_type("commune")) for i in range(12)]
    for unit in [tree.commune_a, *siblings]:
        found = set(Unit.objects.subtree(unit.path).values_list("pk", flat=True))
        expected = {u.pk for u in Unit.objects.all() if u.path.startswith(unit.path)}
        assert found == expected


def test_officer_cannot_create_outside_her_subtree(tree: Any, users: Any) -> None:
    with pytest.raises(NotInScope):
        create_unit(actor=users["commune_officer"], parent=tree.commune_b, name="Chi hội lạ",
                    unit_type=unit_type("branch"))
    assert not Unit.objects.filter(name="Chi hội lạ").exists()


def test_duplicate_administrative_code_is_refused_with_the_owner(tree: Any, users: Any) -> None:
    with pytest.raises(ActionError) as err:
        create_unit(actor=users["province_officer"], parent=tree.province, name="Xã trùng mã",
                    unit_type=unit_type("commune"), gso_code="27943")
    assert "27943" in err.value.message and "Xã Đức Hòa" in err.value.message
    assert not Unit.objects.filter(name="Xã trùng mã").exists()


def test_names_are_stored_composed_and_folded_for_search(tree: Any, users: Any) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Chi hội ấp Bàu Trâm")
    unit = create_unit(actor=users["commune_officer"], parent=tree.commune_a, name=decomposed,
                       unit_type=unit_type("branch"))
    assert unit.name == unicodedata.normalize("NFC", decomposed)
    assert unit.name_folded == "chi hoi ap bau tram"


def test_move_subtree_rewrites_every_path_and_is_audited(tree: Any, users: Any) -> None:
    officer = users["province_officer"]
    move_subtree(actor=officer, unit=tree.branch_a1, new_parent=tree.commune_b)
    tree.group_a1.refresh_from_db()
    tree.branch_a1.refresh_from_db()
    assert tree.branch_a1.parent == tree.commune_b
    assert tree.group_a1.path.startswith(tree.commune_b.path)
    assert tree.group_a1.depth == 4
    assert check_tree() == []
    event = AuditEvent.objects.get(action="unit.moved")
    assert event.changes["units_moved"] == 2


def test_cannot_move_a_unit_under_itself(tree: Any, users: Any) -> None:
    with pytest.raises(ActionError):
        move_subtree(actor=users["province_officer"], unit=tree.commune_a,
                     new_parent=tree.group_a1)
    assert check_tree() == []


def test_commune_officer_cannot_move_into_another_commune(tree: Any, users: Any) -> None:
    with pytest.raises(NotInScope):
        move_subtree(actor=users["commune_officer"], unit=tree.branch_a1,
                     new_parent=tree.commune_b)


def test_merge_closes_sources_and_links_the_successor(tree: Any, users: Any) -> None:
    officer = users["province_officer"]
    merge_units(actor=officer, sources=[tree.commune_b], into=tree.commune_a,
                effective_on=dt.date(2025, 7, 1), reason="Sắp xếp đơn vị hành chính")
    tree.commune_b.refresh_from_db()
    tree.branch_b1.refresh_from_db()
    assert tree.commune_b.closed_on == dt.date(2025, 7, 1)
    assert list(tree.commune_b.successors.all()) == [tree.commune_a]
    assert Succession.objects.get().kind == "merge"
    # open children carry on under the successor; the closed unit keeps existing
    assert tree.branch_b1.parent == tree.commune_a
    assert Unit.objects.filter(pk=tree.commune_b.pk).exists()
    assert check_tree() == []
    assert AuditEvent.objects.filter(action="unit.merged", target_id=str(tree.commune_b.pk))


def test_a_closed_unit_refuses_edits_and_children_naming_its_successor(tree: Any,
                                                                        users: Any) -> None:
    officer = users["province_officer"]
    merge_units(actor=officer, sources=[tree.commune_b], into=tree.commune_a,
                effective_on=dt.date(2025, 7, 1))
    tree.commune_b.refresh_from_db()
    with pytest.raises(ActionError) as err:
        update_unit(actor=officer, unit=tree.commune_b, name="Tên mới")
    assert "Xã Đức Hòa" in err.value.message and "01/07/2025" in err.value.message
    with pytest.raises(ActionError) as err:
        create_unit(actor=officer, parent=tree.commune_b, name="Chi hội mới",
                    unit_type=unit_type("branch"))
    assert "Xã Đức Hòa" in err.value.message


def test_split_shares_the_children_out_and_closes_the_unit(tree: Any, users: Any) -> None:
    officer = users["province_officer"]
    parts = [SplitPart(name="Xã Đức Hòa Đông", children=[tree.branch_a1]),
             SplitPart(name="Xã Đức Hòa Tây", children=[tree.branch_a2])]
    east, west = split_unit(actor=officer, unit=tree.commune_a, parts=parts,
                            effective_on=dt.date(2026, 1, 1))
    tree.commune_a.refresh_from_db()
    assert tree.commune_a.closed_on == dt.date(2026, 1, 1)
    assert set(tree.commune_a.successors.all()) == {east, west}
    assert Unit.objects.get(pk=tree.group_a1.pk).path.startswith(east.path)
    assert Unit.objects.get(pk=tree.branch_a2.pk).parent == west
    assert check_tree() == []


def test_split_must_place_every_child(tree: Any, users: Any) -> None:
    parts = [SplitPart(name="Phần một", children=[tree.branch_a1]),
             SplitPart(name="Phần hai", children=[])]
    with pytest.raises(ActionError):
        split_unit(actor=users["province_officer"], unit=tree.commune_a, parts=parts)
    assert not Unit.objects.filter(name="Phần một").exists()
    assert Unit.objects.get(pk=tree.commune_a.pk).closed_on is None


def test_units_check_reports_broken_paths(tree: Any) -> None:
    call_command("units", "check")
    Unit.objects.filter(pk=tree.group_a1.pk).update(path="/999/", depth=9)
    Unit.objects.filter(pk=tree.commune_b.pk).update(closed_on=dt.date(2026, 1, 1))
    problems = check_tree()
    assert any("Tổ phụ nữ số 1" in p and "path" in p for p in problems)
    assert any("depth" in p for p in problems)
    assert any("Chi hội khu phố 3" in p and "closed" in p for p in problems)
    with pytest.raises(CommandError):
        call_command("units", "check")


def test_a_merger_says_which_way_round_and_keeps_to_one_level(tree: Any, users: Any) -> None:
    """A unit into one inside it is told to merge the other way round; units of two levels
    are refused (the form offers one level; the action holds it too, for a merger queued
    before one of them moved: decision 0103). Nothing is merged."""
    officer = users["province_officer"]
    with pytest.raises(ActionError, match="theo chiều ngược lại"):
        merge_units(actor=officer, sources=[tree.commune_a], into=tree.branch_a1)
    with pytest.raises(ActionError) as refused:
        merge_units(actor=officer, sources=[tree.branch_a2], into=tree.commune_b)
    assert refused.value.field == "into"
    assert Unit.objects.get(pk=tree.commune_a.pk).is_open
    assert Unit.objects.get(pk=tree.branch_a2.pk).is_open
