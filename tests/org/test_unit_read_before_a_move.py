"""A unit read by a page before a move of it commits (decision 0102): a record written from
that reading would carry the place the unit left, outside the scope of the officers who hold
it now and counted in the province it left, after a scope check made against the old place.
Every such write is refused with a clear message and nothing is written: a record created at
the unit, a record saved whole after the move, the activity import's bulk insert, and the
form keeps what she typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from ctip.accounts.capabilities import Role
from ctip.accounts.policy import NotInScope
from ctip.cases import actions as cases
from ctip.cases.models import Situation
from ctip.community import actions as community
from ctip.community.models import ClubType
from ctip.org import held
from ctip.org.models import Unit
from ctip.outreach import actions as outreach
from ctip.outreach.models import Activity, Format
from ctip.units.actions import move_subtree, update_unit
from tests import access_world
from tests.conftest import login_client, make_user

pytestmark = pytest.mark.django_db

MEETING = {"date": dt.date(2026, 7, 20), "title": "Sinh hoạt chuyên đề sau khi chuyển",
           "participants_women": 12, "participants_men": 3}


def _moved(tree: Any) -> Unit:
    """Commune A as a page read it, then moved to the other province."""
    stale = Unit.objects.get(pk=tree.commune_a.pk)
    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
    assert Unit.objects.get(pk=stale.pk).path != stale.path
    return stale


def test_every_record_that_moves_with_its_unit_is_checked() -> None:
    """The models whose stored paths a move rewrites, each with the source of every path."""
    labels = {model._meta.label for model in held.guarded()}
    assert ("handling_path", "handling_unit", "path") in held.guarded()[Situation]
    assert {"outreach.Activity", "outreach.Campaign", "outreach.Speaker",
            "outreach.Commendation", "community.Club", "community.Exchange", "cases.Person",
            "cases.Situation", "cases.SupportCase", "cases.Referral", "reports.Report",
            "cases.TraffickingEvent", "cases.BreakGlass"} <= labels


def test_an_activity_created_at_a_unit_read_before_it_moved_is_refused(
        tree: Any, users: Any) -> None:
    officer = users["province_officer"]  # of the province commune A left
    stale = _moved(tree)
    before = Activity.objects.count()
    with pytest.raises(held.UnitMoved) as refused:
        outreach.create_activity(actor=officer, unit=stale,
                                 format=Format.objects.get(code="meeting"), **MEETING)
    assert refused.value.field == "unit"
    assert "chuyển" in str(refused.value)  # said in Vietnamese, the language of the pages
    assert Activity.objects.count() == before
    # read again, the unit is outside her province now: refused as out of her scope
    with pytest.raises(NotInScope):
        outreach.create_activity(actor=officer, unit=Unit.objects.get(pk=stale.pk),
                                 format=Format.objects.get(code="meeting"), **MEETING)


@pytest.mark.parametrize("kind", ["person", "situation", "campaign", "speaker", "club",
                                  "exchange", "commendation"])
def test_every_kind_of_record_created_at_a_unit_read_before_it_moved_is_refused(
        kind: str, tree: Any, users: Any) -> None:
    update_unit(actor=None, unit=tree.commune_a, is_border=True)  # where exchanges are
    stale = _moved(tree)
    create = {
        "person": lambda: cases.create_person(actor=None, unit=stale, full_name="Lò Thị Mai"),
        "situation": lambda: cases.create_situation(
            actor=None, unit=stale, category="missing", source="officer",
            description="Có người rủ đi làm ở nước ngoài, lương cao"),
        "campaign": lambda: outreach.create_campaign(
            actor=None, unit=stale, name="Chiến dịch tháng 8", starts_on=dt.date(2026, 8, 1),
            ends_on=dt.date(2026, 8, 31)),
        "speaker": lambda: outreach.create_speaker(actor=None, unit=stale,
                                                   full_name="Hà Thị Lan"),
        "club": lambda: community.create_club(
            actor=None, unit=stale, name="CLB Gia đình hạnh phúc mới",
            club_type=ClubType.objects.get(code="happy-family"),
            founded_on=dt.date(2026, 7, 1)),
        "exchange": lambda: community.create_exchange(
            actor=None, unit=stale, date=dt.date(2026, 7, 10), counterpart_area="Svay Rieng"),
        "commendation": lambda: outreach.create_commendation(
            actor=None, unit=stale, recipient_kind="unit", level="commune",
            reason="Làm tốt công tác tuyên truyền", decided_on=dt.date(2026, 7, 1)),
    }[kind]
    with pytest.raises(held.UnitMoved) as refused:
        create()
    assert refused.value.field == "unit" and refused.value.message == held.MESSAGE


def test_a_record_read_before_its_unit_moved_and_saved_whole_keeps_the_new_place(
        tree: Any, users: Any) -> None:
    """Every record of every checked kind, read before the move and saved whole after it, is
    refused: the old path is never written back over the one the move gave it."""
    inside, _outside = access_world.build(tree, users)
    # the kinds the matrix's world has none of: a break-glass flag, a commendation
    onlooker = make_user("hotro.xa.khac", Role.CASE_WORKER, tree.commune_a)
    access_world._break_glass(cases.view_identity, onlooker, inside.objects["case"])
    outreach.create_commendation(actor=None, unit=tree.commune_a, recipient_kind="unit",
                                 level="commune", reason="Làm tốt công tác tuyên truyền",
                                 decided_on=dt.date(2026, 5, 2))
    old = Unit.objects.get(pk=tree.commune_a.pk).path
    read: list[Any] = []
    for model, sources in held.guarded().items():
        rows = list(model._base_manager.filter(**{f"{sources[0][0]}__subtree": old}))
        assert rows, f"{model._meta.label}: none in the test world"
        read += rows
    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
    for row in read:
        with pytest.raises(held.UnitMoved):
            row.save()
        fresh = type(row)._base_manager.get(pk=row.pk)
        for name, _relation, _source in held.guarded()[type(row)]:
            assert not getattr(fresh, name).startswith(old), (type(row), name)
    # saved with fields that hold no path, a record read before is written as asked
    activity = next(r for r in read if isinstance(r, Activity))
    activity.notes = "Ghi chú thêm"
    activity.save(update_fields=["notes"])
    assert Activity.objects.get(pk=activity.pk).notes == "Ghi chú thêm"


def test_the_bulk_insert_of_an_import_checks_the_paths_too(tree: Any) -> None:
    stale = _moved(tree)
    row = outreach.new_activity(actor=None, unit=stale, values={
        **MEETING, "format": Format.objects.get(code="meeting"), "status": "done",
        "participants_total": 15})
    with pytest.raises(held.UnitMoved):
        held.check_rows([row])
    fresh = Unit.objects.get(pk=stale.pk)
    held.check_rows([outreach.new_activity(actor=None, unit=fresh, values={
        **MEETING, "format": Format.objects.get(code="meeting"), "status": "done",
        "participants_total": 15})])


def test_the_form_says_so_and_keeps_what_she_typed(tree: Any, users: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The page read the commune; the move commits before her activity is written."""
    client = login_client(users["commune_officer"])
    create = outreach.create_activity

    def moved_first(**kwargs: Any) -> Any:
        move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
        return create(**kwargs)

    monkeypatch.setattr(outreach, "create_activity", moved_first)
    response = client.post(reverse("outreach:activity_create"), {
        "unit": tree.commune_a.pk, "date": "2026-07-20", "status": "done",
        "format": Format.objects.get(code="meeting").pk,
        "title": "Sinh hoạt chuyên đề sau khi chuyển", "participants_women": "12",
        "participants_men": "3"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "vừa được chuyển" in page
    assert "Sinh hoạt chuyên đề sau khi chuyển" in page  # what she typed is still there
    assert not Activity.objects.filter(title="Sinh hoạt chuyên đề sau khi chuyển").exists()


def _import_moving(monkeypatch: pytest.MonkeyPatch, unit: Unit, into: Unit) -> None:
    """The import reads its rows' units; a move of ``unit`` commits before it holds them."""
    from ctip.outreach import activity_import

    resolve = activity_import.resolve_units

    def resolved_then_moved(*args: Any, **kwargs: Any) -> Any:
        lookup = resolve(*args, **kwargs)
        if not Unit.objects.filter(pk=unit.pk, parent=into).exists():
            move_subtree(actor=None, unit=unit, new_parent=into)
        return lookup

    monkeypatch.setattr(activity_import, "resolve_units", resolved_then_moved)


def _sheet() -> Any:
    from tests.outreach.test_activity_import import row, xlsx_file

    return xlsx_file([row(unit="Chi hội ấp Mỹ Lộc", title="Sinh hoạt trong lúc chuyển")])


@pytest.mark.parametrize(("who", "moving", "into"), [
    ("province_officer", "branch_a1", "commune_b"),  # within her province
    ("commune_officer", "commune_a", "other_province"),  # her own commune, with her scope
])
def test_an_import_writes_each_row_where_its_unit_is_when_it_writes(
        who: str, moving: str, into: str, tree: Any, users: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Her scope and the units are read again under the import's lock."""
    from ctip.outreach.activity_import import apply_import

    _import_moving(monkeypatch, getattr(tree, moving), getattr(tree, into))
    apply_import(users[who], _sheet())
    activity = Activity.objects.get(title="Sinh hoạt trong lúc chuyển")
    assert activity.unit_path == Unit.objects.get(pk=tree.branch_a1.pk).path
    assert activity.unit_path.startswith(Unit.objects.get(pk=getattr(tree, into).pk).path)


def test_an_import_at_a_unit_moved_out_of_her_scope_meanwhile_writes_nothing(
        tree: Any, users: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ctip.imports.pipeline import ImportFailed
    from ctip.outreach.activity_import import apply_import

    _import_moving(monkeypatch, tree.branch_a1, tree.commune_b)
    with pytest.raises(ImportFailed):
        apply_import(users["commune_officer"], _sheet())  # commune A's officer
    assert not Activity.objects.filter(title="Sinh hoạt trong lúc chuyển").exists()


def test_a_handling_unit_and_its_path_are_checked_as_a_pair(tree: Any, users: Any) -> None:
    situation = cases.create_situation(actor=None, unit=tree.commune_a, category="missing",
                                       source="officer", description="Người nhà mất liên lạc")
    situation.handling_unit = tree.province  # the path left as the commune's
    with pytest.raises(held.UnitMoved) as refused:
        situation.save(update_fields=["handling_unit"])
    assert refused.value.field == "handling_unit"
    situation.handling_path = Unit.objects.get(pk=tree.province.pk).path
    situation.save(update_fields=["handling_unit", "handling_path"])


def test_a_unit_given_by_its_column_name_is_checked_too(tree: Any) -> None:
    activity = outreach.create_activity(actor=None, unit=tree.commune_a,
                                        format=Format.objects.get(code="meeting"), **MEETING)
    activity.unit_id = tree.commune_b.pk
    with pytest.raises(held.UnitMoved):
        activity.save(update_fields=["unit_id"])
    assert Activity.objects.get(pk=activity.pk).unit_id == tree.commune_a.pk


def test_a_record_whose_path_was_already_wrong_can_still_be_edited(tree: Any) -> None:
    """Left wrong by hand (``ctip units check`` names it): a save that leaves its place as it
    is passes; one that changes its unit must give the right path."""
    activity = outreach.create_activity(actor=None, unit=tree.commune_a,
                                        format=Format.objects.get(code="meeting"), **MEETING)
    Activity.objects.filter(pk=activity.pk).update(unit_path="/1/999/")
    fresh = Activity.objects.get(pk=activity.pk)
    fresh.notes = "Sửa ghi chú"
    fresh.save()
    assert Activity.objects.get(pk=activity.pk).notes == "Sửa ghi chú"
    fresh.unit = tree.commune_b
    with pytest.raises(held.UnitMoved):
        fresh.save()


def test_every_import_that_writes_at_units_holds_them() -> None:
    """Each kind of import resolving units names ``hold`` when it writes (decision 0102)."""
    import inspect

    from ctip.cases import situation_import
    from ctip.community import member_import
    from ctip.outreach import activity_import, commendation_import

    for module in (activity_import, situation_import, commendation_import, member_import):
        source = inspect.getsource(module)
        assert "resolve_units(" in source and "hold(" in source, module.__name__


def test_a_register_of_situations_imported_across_a_move_of_her_commune(
        tree: Any, users: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The situation register: her own commune moved after the rows' units were read."""
    from ctip.cases import situation_import
    from ctip.imports import pipeline as imports
    from tests.cases.test_situation_import import register, rows_of

    resolve = situation_import.resolve_units

    def resolved_then_moved(*args: Any, **kwargs: Any) -> Any:
        lookup = resolve(*args, **kwargs)
        if not Unit.objects.filter(pk=tree.commune_a.pk,
                                   parent=tree.other_province).exists():
            move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
        return lookup

    monkeypatch.setattr(situation_import, "resolve_units", resolved_then_moved)
    done = imports.apply(situation_import.KIND, users["commune_officer"],
                         register(rows_of(tree)))
    assert done.added == 3
    new = Unit.objects.get(pk=tree.commune_a.pk).path
    assert set(Situation.objects.values_list("unit_path", flat=True)) == {new}


def test_an_import_across_a_move_finds_the_campaign_of_the_place_the_unit_went(
        tree: Any, users: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The campaigns a row may name are looked up from the units' paths read under the
    import's lock: a commune moved meanwhile takes part in its new province's campaign, not
    in the one of the province it left (both called the same, as each year's month of action
    is)."""
    from ctip.outreach import activity_import
    from tests.outreach.test_activity_import import row, xlsx_file

    name = "Tháng hành động phòng, chống mua bán người 2026"
    campaigns = {unit.pk: outreach.create_campaign(
        actor=None, unit=unit, name=name, starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 7, 31)) for unit in (tree.province, tree.other_province)}
    _import_moving(monkeypatch, tree.commune_a, tree.other_province)
    activity_import.apply_import(users["commune_officer"], xlsx_file([
        row(unit="Chi hội ấp Mỹ Lộc", title="Sinh hoạt trong tháng hành động",
            campaign=name)]))
    activity = Activity.objects.get(title="Sinh hoạt trong tháng hành động")
    assert activity.campaign == campaigns[tree.other_province.pk]
    assert activity.unit_path.startswith(Unit.objects.get(pk=tree.other_province.pk).path)
