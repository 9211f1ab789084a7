"""A unit moved in the tree (``move_subtree``, and the children a merger or a split carries over):
the records handled there now and what happened there go with it; the audit events keep the
place at the time (decision 0008); and every stored path says which it is (decisions 0099,
0100).

Who may open a case, a person or a situation is decided from their stored path, so a path left
behind gave the province a commune had left its people, and kept them from the province it
joined. An approved period stays locked whichever path a record of it carries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse

from ctip.accounts.capabilities import Role
from ctip.cases import actions as cases
from ctip.cases.models import Service, SupportCase
from ctip.core.errors import ActionError
from ctip.org.models import Unit
from ctip.org.paths import MOVING, PLACES, TreePathField, place_of
from ctip.outreach.actions import update_activity
from ctip.reports import actions as reports
from ctip.reports.models import ReportType
from ctip.units.actions import move_subtree
from tests import access_world
from tests.cases.case_helpers import open_case
from tests.conftest import log_activity, login_client, make_user


def _path_fields() -> list[tuple[Any, TreePathField]]:
    return [(model, field) for model in apps.get_models() if model is not Unit
            for field in model._meta.concrete_fields if isinstance(field, TreePathField)]


def test_every_stored_path_says_whether_it_moves_with_its_unit() -> None:
    """A new model with a unit's path must choose: a record handled there now, a fact of the
    place at the time, or a path kept from another row by a trigger."""
    undecided = [f"{model._meta.label}.{field.name}" for model, field in _path_fields()
                 if place_of(field) not in PLACES]
    assert undecided == []


def _in(model: Any, field: TreePathField, path: str) -> int:
    return int(model._base_manager.filter(**{f"{field.name}__subtree": path}).count())


def test_a_move_carries_every_record_handled_there_and_keeps_every_fact(
        tree: Any, users: Any) -> None:
    inside, _outside = access_world.build(tree, users)
    case = inside.objects["case"]
    # an anonymisation asked for, and a flag opened by someone acting at the commune itself
    cases.request_anonymisation(actor=users["case_worker"], person=case.person,
                                reason="Chị yêu cầu xoá thông tin sau khi kết thúc hỗ trợ")
    onlooker = make_user("hotro.xa.khac", Role.CASE_WORKER, tree.commune_a)
    access_world._break_glass(cases.view_identity, onlooker, case)
    from ctip.outreach.actions import create_commendation

    create_commendation(actor=None, unit=tree.commune_a, recipient_kind="unit", level="commune",
                        reason="Làm tốt công tác phòng, chống mua bán người",
                        decided_on=dt.date(2026, 5, 2), decision_number="12/QĐ-HPN")
    report = inside.objects["report"]
    reports.update_narrative(actor=None, report=report, number="7/BC-HPN")
    reports.approve(actor=users["province_officer"],
                    report=reports.submit(actor=users["commune_officer"], report=report))
    old = Unit.objects.get(pk=tree.commune_a.pk).path
    before = {(model, field.name): _in(model, field, old) for model, field in _path_fields()}

    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)

    new = Unit.objects.get(pk=tree.commune_a.pk).path
    assert new != old
    for model, field in _path_fields():
        name = f"{model._meta.label}.{field.name}"
        if place_of(field) in MOVING:  # handled there now, or happened there
            assert before[model, field.name] > 0, f"{name}: nothing to move in this test"
            assert _in(model, field, old) == 0, f"{name} left behind at {old}"
            assert _in(model, field, new) >= before[model, field.name], name
        elif place_of(field) == "then":
            assert _in(model, field, old) >= before[model, field.name], f"{name} moved"
    from ctip.org.integrity import check_tree

    assert check_tree() == []  # every path copied from a moved record moved with it
    # a service's path is its case's, by the case's trigger
    moved = SupportCase.objects.get(pk=case.pk)
    assert moved.unit_path == new
    assert set(Service.objects.filter(case=moved).values_list("case_path", flat=True)) == {new}


def test_the_province_a_commune_joins_opens_its_people_and_the_one_it_left_does_not(
        tree: Any, users: Any) -> None:
    case = open_case(tree.commune_a, users["case_worker"])
    situation = cases.create_situation(actor=None, unit=tree.commune_a, category="missing",
                                       source="officer", description="Mất liên lạc với con")
    left = login_client(make_user("hotro.tinh", Role.CASE_WORKER, tree.province))
    joined = login_client(make_user("hotro.caobang", Role.CASE_WORKER, tree.other_province))
    pages = [reverse("cases:case_detail", args=[case.pk]),
             reverse("cases:person_detail", args=[case.person.pk]),
             reverse("cases:situation_detail", args=[situation.pk])]
    assert [left.get(p).status_code for p in pages] == [200, 200, 200]
    assert [joined.get(p).status_code for p in pages] == [404, 404, 404]

    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)

    assert [left.get(p).status_code for p in pages] == [404, 404, 404]
    assert [joined.get(p).status_code for p in pages] == [200, 200, 200]
    assert case.code in joined.get(reverse("cases:case_list")).content.decode()
    assert case.code not in left.get(reverse("cases:case_list")).content.decode()


def test_an_approved_period_stays_locked_after_its_unit_moves(tree: Any, users: Any,
                                                             formats: Any) -> None:
    """Before the move, the records of July carry the old path; after it, new ones carry the
    new path. The commune's approved July refuses both."""
    july = log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 10))
    report = reports.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    reports.update_narrative(actor=None, report=report, number="7/BC-HPN")
    reports.approve(actor=users["province_officer"],
                    report=reports.submit(actor=users["commune_officer"], report=report))

    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)

    branch, commune = (Unit.objects.get(pk=u.pk) for u in (tree.branch_a1, tree.commune_a))
    assert branch.path.startswith(Unit.objects.get(pk=tree.other_province.pk).path)
    locked = "7/BC-HPN"  # the refusal names the approved report
    with pytest.raises(ActionError, match=locked):  # a July activity recorded after the move
        log_activity(branch, formats["meeting"], date=dt.date(2026, 7, 20),
                     title="Sau khi chuyển")
    with pytest.raises(ActionError, match=locked):  # one recorded before, under the old path
        update_activity(actor=None, activity=july, notes="sửa sau khi chuyển")
    with pytest.raises(ActionError, match=locked):  # a case opened in June runs through July
        open_case(commune, users["case_worker"], opened_on=dt.date(2026, 6, 1))
    # outside the period, work goes on
    log_activity(branch, formats["meeting"], date=dt.date(2026, 8, 20))


def test_a_merger_hands_the_people_of_the_closed_unit_over_to_its_successor(
        tree: Any, users: Any, formats: Any) -> None:
    """A commune merged into another closes: the roles held there grant nothing, and nobody
    at the successor reached its people. Its persons, cases and situations, with what hangs on
    their path, are now the successor's; what happened there stays with the closed unit."""
    from ctip.audit.models import AuditEvent
    from ctip.units.actions import merge_units

    worker_b = make_user("hotro.tanan", Role.CASE_WORKER, tree.commune_b)
    case = open_case(tree.commune_b, worker_b)
    cases.request_anonymisation(actor=worker_b, person=case.person,
                                reason="Chị yêu cầu xoá thông tin sau khi kết thúc hỗ trợ")
    access_world._break_glass(cases.view_identity,
                              make_user("hotro.tanan2", Role.CASE_WORKER, tree.commune_b), case)
    cases.record_trafficking_event(actor=None, case=case, exploitation=["forced_marriage"],
                                   exploitation_country="CN")
    cases.add_service(actor=None, case=case, type="medical", provider="Trạm y tế",
                      date=dt.date(2026, 1, 12))
    situation = cases.create_situation(actor=None, unit=tree.commune_b, category="missing",
                                       source="officer", description="Mất liên lạc với con")
    held = log_activity(tree.commune_b, formats["meeting"], date=dt.date(2026, 7, 10))
    closed = Unit.objects.get(pk=tree.commune_b.pk).path
    successor = login_client(users["case_worker"])  # a case worker of commune A
    pages = [reverse("cases:case_detail", args=[case.pk]),
             reverse("cases:person_detail", args=[case.person.pk]),
             reverse("cases:situation_detail", args=[situation.pk])]
    assert [successor.get(p).status_code for p in pages] == [404, 404, 404]

    merge_units(actor=users["province_officer"], sources=[tree.commune_b], into=tree.commune_a)

    left = [f"{model._meta.label}.{field.name}" for model, field in _path_fields()
            if place_of(field) == "now" and model._base_manager.filter(
                **{field.name: closed}).exists()]
    assert left == []
    assert [successor.get(p).status_code for p in pages] == [200, 200, 200]
    assert case.code in successor.get(reverse("cases:case_list")).content.decode()
    moved = SupportCase.objects.get(pk=case.pk)
    assert (moved.unit_id, moved.person.unit_id) == (tree.commune_a.pk, tree.commune_a.pk)
    assert set(Service.objects.filter(case=moved).values_list("case_path", flat=True)) == {
        Unit.objects.get(pk=tree.commune_a.pk).path}
    # the closed commune's activities stay where they were held
    assert type(held).objects.get(pk=held.pk).unit_path == closed
    handed = AuditEvent.objects.get(action="unit.merged").changes["handed_over"]
    assert {k: handed[k] for k in ("cases.Person", "cases.SupportCase", "cases.Situation")} == {
        "cases.Person": 1, "cases.SupportCase": 1, "cases.Situation": 1}
    # and the paths copied from them, counted apart
    assert handed["cases.TraffickingEvent.unit_path"] == 1
    assert handed["cases.AnonymisationRequest.unit_path"] == 1


def test_a_merger_hands_over_everything_handled_at_the_closed_unit_and_keeps_what_happened(
        tree: Any, users: Any) -> None:
    """One record of every kind at the merged commune (the access matrix's set, outside
    everybody's scope): no record handled there now is left with it; its activities, its
    report and its audit events stay with it."""
    from ctip.units.actions import create_unit, merge_units

    _inside, outside = access_world.build(tree, users)
    closed = Unit.objects.get(pk=tree.other_commune.pk)
    into = create_unit(actor=None, parent=tree.other_province, name="Xã Hạnh Phúc",
                       unit_type=closed.unit_type)
    kept = {(model, field.name): _in(model, field, closed.path) for model, field in _path_fields()
            if place_of(field) in ("held", "then")}
    merge_units(actor=None, sources=[closed], into=into)
    for model, field in _path_fields():
        name = f"{model._meta.label}.{field.name}"
        still = model._base_manager.filter(**{field.name: closed.path}).count()
        if place_of(field) == "now" and model._meta.label != "reports.Report":
            assert still == 0, f"{name} left with the closed unit"
        elif place_of(field) in ("held", "then"):
            assert _in(model, field, closed.path) >= kept[model, field.name], name
    for kind in ("campaign", "speaker", "club", "case", "situation", "person"):
        obj = outside.objects[kind]
        assert type(obj).objects.get(pk=obj.pk).unit_id == into.pk, kind
    # a report is the closed unit's own account of its period: it stays with it
    report = outside.objects["report"]
    assert type(report).objects.get(pk=report.pk).unit_id == closed.pk
    activity = outside.objects["activity"]
    assert type(activity).objects.get(pk=activity.pk).unit_path == closed.path


def test_units_check_names_records_left_behind_by_an_old_move(tree: Any, users: Any) -> None:
    from ctip.org.integrity import check_tree

    case = open_case(tree.commune_a, users["case_worker"])
    assert check_tree() == []
    SupportCase.objects.filter(pk=case.pk).update(unit_path=tree.commune_b.path)
    assert check_tree() == ["cases.SupportCase: 1 record(s) whose unit_path is not their "
                            "unit's path (ctip units check --repair)"]
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("units", "check", "--repair", stdout=out)
    assert "repaired: cases.SupportCase.unit_path: 1" in out.getvalue()
    assert SupportCase.objects.get(pk=case.pk).unit_path == tree.commune_a.path
    assert check_tree() == []
    # a path copied from the case: a trafficking event's
    event = cases.record_trafficking_event(actor=None, case=case, exploitation=["forced_marriage"],
                                           exploitation_country="CN")
    type(event).objects.filter(pk=event.pk).update(unit_path=tree.commune_b.path)
    assert check_tree() == ["cases.TraffickingEvent: 1 record(s) whose unit_path is not their "
                            "case's (ctip units check --repair)"]
    call_command("units", "check", "--repair", stdout=out)
    assert type(event).objects.get(pk=event.pk).unit_path == tree.commune_a.path
    assert check_tree() == []


def test_after_a_move_nobody_stays_on_a_case_she_no_longer_covers_and_escalations_follow(
        tree: Any, users: Any) -> None:
    """A case worker of the province a commune left comes off its cases (they then need a
    worker there); a situation escalated to that province goes to the province it joined."""
    from ctip.cases.models import Situation
    from ctip.cases.selectors import cases_needing_worker

    above = make_user("hotro.tinh", Role.CASE_WORKER, tree.province)
    case = open_case(tree.commune_a, above)
    situation = cases.create_situation(actor=None, unit=tree.commune_a, category="missing",
                                       source="officer", description="Mất liên lạc với con")
    province_officer = make_user("caobang.tinh2", Role.PROVINCE_OFFICER, tree.other_province)
    cases.escalate(actor=None, situation=situation)
    assert Situation.objects.get(pk=situation.pk).handling_unit_id == tree.province.pk

    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)

    assert list(SupportCase.objects.get(pk=case.pk).workers.all()) == []
    manager = make_user("hotro.caobang2", Role.CASE_WORKER, tree.other_province)
    assert case.pk in {c.pk for c in cases_needing_worker(manager)}
    moved = Situation.objects.get(pk=situation.pk)
    assert moved.handling_unit_id == tree.other_province.pk
    assert moved.handling_path == Unit.objects.get(pk=tree.other_province.pk).path
    opened = login_client(province_officer).get(
        reverse("cases:situation_detail", args=[situation.pk]))
    assert opened.status_code == 200


def test_after_a_merger_the_closed_units_workers_come_off_its_cases(tree: Any,
                                                                   users: Any) -> None:
    from ctip.cases.selectors import cases_needing_worker
    from ctip.units.actions import merge_units

    worker_b = make_user("hotro.tanan", Role.CASE_WORKER, tree.commune_b)
    case = open_case(tree.commune_b, worker_b)
    merge_units(actor=users["province_officer"], sources=[tree.commune_b], into=tree.commune_a)
    assert list(SupportCase.objects.get(pk=case.pk).workers.all()) == []
    assert case.pk in {c.pk for c in cases_needing_worker(users["case_worker"])}


def test_a_move_under_a_parent_read_before_its_own_move_uses_its_path_now(
        tree: Any, users: Any) -> None:
    """The page that sends the move read the new parent earlier; it moved since: every path
    written starts with where it is now."""
    case = open_case(tree.branch_a1, users["case_worker"])
    read_earlier = Unit.objects.get(pk=tree.commune_b.pk)
    move_subtree(actor=None, unit=tree.commune_b, new_parent=tree.other_province)
    move_subtree(actor=None, unit=Unit.objects.get(pk=tree.branch_a1.pk),
                 new_parent=read_earlier)
    now = Unit.objects.get(pk=tree.commune_b.pk).path
    assert Unit.objects.get(pk=tree.branch_a1.pk).path.startswith(now)
    assert SupportCase.objects.get(pk=case.pk).unit_path.startswith(now)
    from ctip.org.integrity import check_tree

    assert check_tree() == []


def test_a_moved_communes_officers_keep_what_happened_there_and_the_province_it_left_loses_it(
        tree: Any, users: Any, formats: Any) -> None:
    """What happened at a unit goes with it when it moves (``"held"``): the commune's own
    officers reach their activities and exchanges from the unit's path now, so with the facts
    left at the old path they got 404 for a draft recorded the day before, and the province it
    left kept them. The roll-ups follow, and the two provinces' July figures with them."""
    from ctip.community.actions import create_exchange
    from ctip.reports import rollups
    from ctip.reports.indicators import compute
    from ctip.reports.periods import Period

    activity = log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 10),
                            title="Sinh hoạt trước khi chuyển tỉnh")
    from ctip.units.actions import update_unit

    border = update_unit(actor=None, unit=tree.commune_a, is_border=True)
    exchange = create_exchange(actor=None, unit=border, date=dt.date(2026, 7, 12),
                               counterpart_area="Xã biên giới bạn", participants=20)
    own = login_client(users["commune_officer"])
    left = login_client(users["province_officer"])
    joined = login_client(users["other_officer"])
    pages = [reverse("outreach:activity_detail", args=[activity.pk]),
             reverse("community:exchange_detail", args=[exchange.pk])]
    assert [own.get(p).status_code for p in pages] == [200, 200]
    assert [left.get(p).status_code for p in pages] == [200, 200]
    assert [joined.get(p).status_code for p in pages] == [404, 404]
    july = Period.month(2026, 7)

    def sessions() -> Any:  # the province it joins, July, from the roll-ups
        return compute(Unit.objects.get(pk=tree.other_province.pk), july, ["sessions"])[
            "sessions"]["total"]

    before = sessions()

    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)

    assert [own.get(p).status_code for p in pages] == [200, 200]
    assert [left.get(p).status_code for p in pages] == [404, 404]
    assert [joined.get(p).status_code for p in pages] == [200, 200]
    listed = reverse("outreach:activity_list")
    assert activity.title in joined.get(listed).content.decode()
    assert activity.title not in left.get(listed).content.decode()
    assert sessions() == before + 1
    assert not any(rollups.differences().values())  # the kept sums equal a rebuild


def _province_approves_july(tree: Any, users: Any, formats: Any) -> tuple[Any, Any]:
    """A July activity of commune A, and the province's July approved ("7/BC-TINH")."""
    july = log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 10))
    report = reports.create_or_get_draft(
        actor=None, unit=tree.province, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    reports.update_narrative(actor=None, report=report, number="7/BC-TINH")
    reports.approve(actor=None, report=reports.submit(actor=users["province_officer"],
                                                      report=report))
    return july, report


def _province_approves_july_then_commune_a_moves(tree: Any, users: Any,
                                               formats: Any) -> tuple[Any, Any]:
    """``_province_approves_july``, then commune A moves to the other province."""
    july, report = _province_approves_july(tree, users, formats)
    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
    return july, report


def test_a_period_approved_above_a_moved_unit_stays_locked_for_it(
        tree: Any, users: Any, formats: Any) -> None:
    """The province approved its July, commune A's activities with it; commune A then moves to
    another province. Its July stays approved: the move carries the province's lock to it, and
    the refusal names the report that approved it."""
    july, _report = _province_approves_july_then_commune_a_moves(tree, users, formats)

    branch = Unit.objects.get(pk=tree.branch_a1.pk)
    with pytest.raises(ActionError, match="7/BC-TINH"):
        update_activity(actor=None, activity=july, notes="sửa sau khi chuyển")
    with pytest.raises(ActionError, match="7/BC-TINH"):
        log_activity(branch, formats["meeting"], date=dt.date(2026, 7, 20), title="Bổ sung")
    # the province it left is no longer above it: its own July work goes on being locked by
    # its report, and nothing else of the other province's is locked
    log_activity(Unit.objects.get(pk=tree.other_commune.pk), formats["meeting"],
                 date=dt.date(2026, 7, 20))
    log_activity(branch, formats["meeting"], date=dt.date(2026, 8, 20))


def test_the_unit_now_above_a_moved_unit_lifts_the_period_carried_to_it(
        tree: Any, users: Any, formats: Any) -> None:
    """The report that approved the period is the old province's, which the province the
    commune joined may not open; the period kept locked for the commune is listed with the
    reports of the province now above it, which alone unlocks it, with a reason. The old
    province's report stays approved, and its own lock stays with it."""
    from ctip.reports.models import PeriodLock, Report

    july, report = _province_approves_july_then_commune_a_moves(tree, users, formats)
    carried = PeriodLock.objects.get(unit=tree.commune_a)
    joined = login_client(users["other_officer"])
    listed = joined.get(reverse("reports:report_list")).content.decode()
    assert "7/BC-TINH" in listed and "Xã Đức Hòa" in listed
    unlock = reverse("reports:lock_unlock", args=[carried.pk])
    reason = f"lock-{carried.pk}-reason"  # one form per period listed
    # the province it left, and the commune itself, cannot
    for other in (users["province_officer"], users["commune_officer"]):
        assert login_client(other).post(unlock, {reason: "Sửa số liệu"}).status_code == 404
    refused = joined.post(unlock, {reason: ""})
    assert refused.status_code == 400
    assert "Lý do mở khóa: Trường này là bắt buộc." in refused.content.decode()
    with pytest.raises(ActionError, match="7/BC-TINH"):  # still locked
        update_activity(actor=None, activity=july, notes="sửa trước khi mở khoá")

    assert joined.post(unlock, {reason: "Bổ sung hoạt động tháng 7"}).status_code == 302
    # pressed twice: told it is done, not a 404, and nothing more recorded
    again = joined.post(unlock, {reason: "Bổ sung hoạt động tháng 7"}, follow=True)
    assert again.status_code == 200 and "Kỳ này đã được mở khóa" in again.content.decode()
    assert PeriodLock.objects.filter(pk=carried.pk, unlocked_at__isnull=False).count() == 1

    update_activity(actor=None, activity=july, notes="bổ sung sau khi mở khoá")
    assert Report.objects.get(pk=report.pk).status == Report.Status.APPROVED
    assert PeriodLock.objects.active().filter(unit=tree.province, report=report).exists()
    assert "7/BC-TINH" not in joined.get(reverse("reports:report_list")).content.decode()


def test_what_happened_at_a_unit_moved_before_goes_to_it_on_upgrade_and_the_check_names_it(
        tree: Any, users: Any, formats: Any) -> None:
    """A unit moved before decision 0100 left its activities at the old path: ``ctip units
    check`` names them, and the migration that ships the decision gives them the unit's path."""
    import importlib

    from ctip.org.integrity import check_tree

    held = log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 10))
    stale = Unit.objects.get(pk=tree.commune_b.pk).path
    type(held).objects.filter(pk=held.pk).update(unit_path=stale)  # as a move used to leave it
    assert check_tree() == ["outreach.Activity: 1 record(s) whose unit_path is not their "
                            "unit's path (ctip units check --repair)"]
    migration = importlib.import_module(
        "ctip.outreach.migrations.0008_held_facts_go_with_their_unit")
    migration.Migration.operations[0].code(apps, None)
    assert type(held).objects.get(pk=held.pk).unit_path == Unit.objects.get(
        pk=tree.branch_a1.pk).path
    assert check_tree() == []


@pytest.mark.parametrize("sums_at", ["the old path", "the unit's path"])
def test_repairing_an_activity_left_at_an_old_path_leaves_the_sums_right(
        tree: Any, users: Any, formats: Any, sums_at: str) -> None:
    """An activity whose path is not its unit's: moved before decision 0100 (its sums went
    with it to the old path), or a path written by hand (the row trigger ignores a path
    changed without its unit: its sums stayed at the unit's). The repair cannot tell which, so
    the roll-ups are made again, and they equal a rebuild either way."""
    from io import StringIO

    from django.core.management import call_command

    from ctip.reports import rollups

    held = log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 10))
    type(held).objects.filter(pk=held.pk).update(unit_path=tree.other_commune.path)
    if sums_at == "the old path":
        rollups.rebuild()  # as an installation moved before decision 0100 has it
    call_command("units", "check", "--repair", stdout=StringIO())
    assert type(held).objects.get(pk=held.pk).unit_path == tree.branch_a1.path
    assert not any(rollups.differences().values())


def test_a_split_hands_the_people_of_the_closed_unit_to_the_part_chosen(
        tree: Any, users: Any, formats: Any) -> None:
    """A commune split in two closes; its branches go to the parts, and the records handled at
    the commune itself to the part the officer names on the split page (the second here): its
    case worker opens the case, the person and the situation, the other part's does not. Its
    activities stay with it, where the province still sees them."""
    from ctip.audit.models import AuditEvent

    worker_b = make_user("hotro.tanan", Role.CASE_WORKER, tree.commune_b)
    case = open_case(tree.commune_b, worker_b)
    situation = cases.create_situation(actor=None, unit=tree.commune_b, category="missing",
                                       source="officer", description="Mất liên lạc với con")
    held = log_activity(tree.commune_b, formats["meeting"], date=dt.date(2026, 7, 10))
    closed = Unit.objects.get(pk=tree.commune_b.pk).path
    officer = login_client(users["province_officer"])
    page = reverse("org:unit_split", args=[tree.commune_b.pk])
    form = {"names": "Xã Tân An Đông\nXã Tân An Tây", "effective_on": "01/09/2026",
            "reason": "Chia xã", f"child_{tree.branch_b1.pk}": "1"}
    refused = officer.post(page, {**form, "records_to": "3"})
    assert refused.status_code == 200
    assert "Chỉ có 2 đơn vị mới." in refused.content.decode()
    assert Unit.objects.get(pk=tree.commune_b.pk).closed_on is None
    assert officer.post(page, {**form, "records_to": "2"}).status_code == 302

    east, west = (Unit.objects.get(name=n) for n in ("Xã Tân An Đông", "Xã Tân An Tây"))
    pages = [reverse("cases:case_detail", args=[case.pk]),
             reverse("cases:person_detail", args=[case.person.pk]),
             reverse("cases:situation_detail", args=[situation.pk])]
    taking = login_client(make_user("hotro.tay", Role.CASE_WORKER, west))
    other = login_client(make_user("hotro.dong", Role.CASE_WORKER, east))
    assert [taking.get(p).status_code for p in pages] == [200, 200, 200]
    assert [other.get(p).status_code for p in pages] == [404, 404, 404]
    assert SupportCase.objects.get(pk=case.pk).unit_id == west.pk
    assert type(held).objects.get(pk=held.pk).unit_path == closed
    event = AuditEvent.objects.get(action="unit.split")
    assert event.changes["handed_over"]["cases.SupportCase"] == 1
    assert Unit.objects.get(pk=tree.branch_b1.pk).parent_id == east.pk


def test_the_move_page_says_what_goes_with_the_unit_before_she_confirms(
        tree: Any, users: Any, formats: Any) -> None:
    """Before she moves a commune, the officer reads what moves with it: its units below, how
    many activities were recorded there, that its people and cases go too (named, not
    counted: a count of people would bypass the figures' protection), and the periods approved
    above it that stay locked for it."""
    for day in (10, 11):
        log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, day),
                     title=f"Sinh hoạt ngày {day}")
    open_case(tree.commune_a, users["case_worker"])
    _province_approves_july(tree, users, formats)
    page = login_client(users["province_officer"]).get(
        reverse("org:unit_move", args=[tree.commune_a.pk])).content.decode()
    assert "3 hoạt động" in page  # the two above and the approved July's
    assert "01/07/2026–31/07/2026" in page and "Tỉnh Tây Ninh" in page
    assert "hồ sơ hỗ trợ" in page.lower()
    assert "1 hồ sơ" not in page and "1 người" not in page


def _commune_b_approves_july(users: Any, tree: Any) -> Any:
    report = reports.create_or_get_draft(
        actor=None, unit=tree.commune_b, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    reports.update_narrative(actor=None, report=report, number="7/BC-TANAN")
    return reports.approve(actor=users["province_officer"],
                           report=reports.submit(actor=None, report=report))


@pytest.mark.parametrize("how", ["split", "merge into another province"])
def test_the_records_handed_over_by_a_split_or_a_merger_keep_their_approved_period(
        tree: Any, users: Any, how: str) -> None:
    """Commune B approved its July; its own case goes to a part of its split, or to the
    commune it merges into in another province. The July of that case stays locked there,
    naming the report: a split or a merger is no way round an approval."""
    from ctip.units.actions import SplitPart, merge_units, split_unit

    case = open_case(tree.commune_b, make_user("hotro.tanan", Role.CASE_WORKER, tree.commune_b))
    _commune_b_approves_july(users, tree)

    def july_service(case: Any) -> Any:
        return cases.add_service(actor=None, case=SupportCase.objects.get(pk=case.pk),
                                 type="medical", provider="Trạm y tế",
                                 date=dt.date(2026, 7, 12))

    with pytest.raises(ActionError, match="7/BC-TANAN"):
        july_service(case)
    if how == "split":
        split_unit(actor=users["province_officer"], unit=tree.commune_b, records_to=1,
                   parts=[SplitPart("Xã Tân An Đông", children=[tree.branch_b1]),
                          SplitPart("Xã Tân An Tây")])
    else:
        merge_units(actor=None, sources=[tree.commune_b], into=tree.other_commune)
    assert SupportCase.objects.get(pk=case.pk).unit_id != tree.commune_b.pk  # handed over
    with pytest.raises(ActionError, match="7/BC-TANAN"):
        july_service(case)
    cases.add_service(actor=None, case=SupportCase.objects.get(pk=case.pk), type="medical",
                      provider="Trạm y tế", date=dt.date(2026, 8, 12))


def test_an_activity_of_the_old_provinces_campaign_stays_editable_after_the_move(
        tree: Any, users: Any, formats: Any) -> None:
    """An activity recorded under the campaign of the province its commune left keeps that
    campaign: an edit of its notes is not refused because the unit no longer lies under the
    campaign; a new activity there cannot join it."""
    from ctip.outreach.actions import create_campaign

    campaign = create_campaign(actor=None, unit=tree.province, name="Tháng hành động",
                               starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))
    held = log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 7, 10),
                        campaign=campaign)
    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
    edited = update_activity(actor=None, activity=held, notes="bổ sung sau khi chuyển")
    assert (edited.campaign_id, edited.notes) == (campaign.pk, "bổ sung sau khi chuyển")
    with pytest.raises(ActionError, match="Tháng hành động"):
        log_activity(Unit.objects.get(pk=tree.branch_a1.pk), formats["meeting"],
                     date=dt.date(2026, 7, 11), campaign=campaign, title="Buổi mới")


def test_the_periods_carried_to_moved_units_are_listed_a_page_at_a_time(
        tree: Any, users: Any, formats: Any, monkeypatch: Any) -> None:
    """A moved province brings years of approved periods: the reports page lists them a page at
    a time, and the move page names the latest few and counts the rest."""
    from ctip.reports import submission_views
    from ctip.units import selectors as unit_selectors

    for month, number in ((6, "6/BC-TINH"), (7, "7/BC-TINH")):
        report = reports.create_or_get_draft(
            actor=None, unit=tree.province, report_type=ReportType.objects.get(code="monthly"),
            start=dt.date(2026, month, 1), end=dt.date(2026, month, 30))
        reports.update_narrative(actor=None, report=report, number=number)
        reports.approve(actor=None, report=reports.submit(actor=users["province_officer"],
                                                          report=report))
    monkeypatch.setattr(unit_selectors, "APPROVED_SHOWN", 1)
    page = login_client(users["province_officer"]).get(
        reverse("org:unit_move", args=[tree.commune_a.pk])).content.decode()
    assert "01/07/2026–30/07/2026" in page and "01/06/2026" not in page
    assert "và 1 kỳ đã duyệt trước đó" in page
    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
    monkeypatch.setattr(submission_views, "CARRIED_PAGE_SIZE", 1)
    joined = login_client(users["other_officer"])
    first = joined.get(reverse("reports:report_list")).content.decode()
    second = joined.get(reverse("reports:report_list") + "?carried=2").content.decode()
    assert "6/BC-TINH" in first and "7/BC-TINH" not in first
    assert "7/BC-TINH" in second and "6/BC-TINH" not in second


def test_two_communes_merged_from_one_province_leave_one_copy_of_its_period(
        tree: Any, users: Any, formats: Any) -> None:
    """Commune A then commune B, both of the province that approved July, merge into a commune
    of another province: the successor holds one copy of that July, lifted in one go, and the
    merge page says what will lock it."""
    from ctip.reports.models import PeriodLock
    from ctip.units.actions import merge_units

    for unit, who in ((tree.commune_a, "hotro.a"), (tree.commune_b, "hotro.b")):
        open_case(unit, make_user(who, Role.CASE_WORKER, unit))
    _july, report = _province_approves_july(tree, users, formats)
    page = login_client(users["province_officer"]).get(
        reverse("org:unit_merge", args=[tree.commune_a.pk])).content.decode()
    assert "1 kỳ đã được duyệt của đơn vị hoặc cấp trên vẫn khóa" in page
    merge_units(actor=None, sources=[tree.commune_a], into=tree.other_commune)
    merge_units(actor=None, sources=[tree.commune_b], into=tree.other_commune)
    copies = PeriodLock.objects.active().filter(unit=tree.other_commune, report=report)
    assert copies.count() == 1
