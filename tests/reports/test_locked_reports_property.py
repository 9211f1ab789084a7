"""Property: whatever is written afterwards (creates, edits, deletes, status changes, with
dates inside and outside the locked month, through the real actions), an approved report
still equals the live figures of its period (issue 11, point 3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctip.cases import actions as cases
from ctip.cases.models import Agency, Service, SupportCase
from ctip.community import actions as community
from ctip.community.models import Club, ClubMember, ClubType
from ctip.core.errors import ActionError
from ctip.outreach import actions as outreach
from ctip.outreach.models import Activity
from ctip.reports.selectors import compute_values
from tests.cases.case_helpers import consent, open_case
from tests.conftest import log_activity
from tests.reports.facts import record_facts
from tests.reports.test_dated_writes import approve_july

DAYS = [dt.date(2026, 6, 30), dt.date(2026, 7, 1), dt.date(2026, 7, 15), dt.date(2026, 7, 31),
        dt.date(2026, 8, 1), dt.date(2026, 9, 10), dt.date(2026, 11, 20)]
KINDS = ["activity", "activity_edit", "activity_move", "activity_status", "activity_delete",
         "service", "service_status", "visit", "referral", "open_case", "close_case",
         "case_kind", "club", "club_status", "club_edit", "club_members", "club_member_add",
         "club_member_remove", "commendation", "escalate"]

operation = st.tuples(st.sampled_from(KINDS), st.sampled_from(DAYS), st.integers(0, 5))


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _pick(items: list[Any], n: int) -> Any:
    return items[n % len(items)] if items else None


def apply(kind: str, day: dt.date, n: int, tree: Any, formats: Any) -> None:
    units = [tree.commune_a, tree.branch_a1, tree.group_a1, tree.branch_a2, tree.commune_b]
    unit = _pick(units, n)
    activities = list(Activity.objects.order_by("pk"))
    cases_ = list(SupportCase.objects.filter(closed_on__isnull=True).order_by("pk"))
    services = list(Service.objects.filter(case__closed_on__isnull=True).order_by("pk"))
    clubs = list(Club.objects.order_by("pk"))
    if kind == "activity":
        log_activity(unit, formats["meeting"], date=day, title=f"Buổi {day} {n}",
                     women=10 + n, men=n)
    elif kind == "activity_edit" and activities:
        outreach.update_activity(actor=None, activity=_pick(activities, n),
                                 participants_women=3 + n, participants_men=1)
    elif kind == "activity_move" and activities:
        outreach.update_activity(actor=None, activity=_pick(activities, n), date=day)
    elif kind == "activity_status" and activities:
        activity = _pick(activities, n)
        status = "planned" if activity.status == "done" else "done"
        outreach.update_activity(actor=None, activity=activity, status=status)
    elif kind == "activity_delete" and activities:
        outreach.delete_activity(actor=None, activity=_pick(activities, n))
    elif kind == "service" and cases_:
        cases.add_service(actor=None, case=_pick(cases_, n), type="medical", provider="Trạm",
                          date=day, status="delivered" if n % 2 else "planned")
    elif kind == "service_status" and services:
        service = _pick(services, n)
        status = "delivered" if service.status != "delivered" else "cancelled"
        cases.set_service_status(actor=None, service=service, status=status,
                                 amount=1_000_000)
    elif kind == "visit" and cases_:
        cases.log_visit(actor=None, case=_pick(cases_, n), kind="visit", date=day)
    elif kind == "referral" and cases_:
        case = _pick(cases_, n)
        police = Agency.objects.get(code="cong-an-xa")
        if not case.person.consents.filter(purpose="referral", agency=police).exists():
            consent(case.person, "referral", agency=police)
        cases.refer(actor=None, case=case, agency=police, referred_on=day)
    elif kind == "open_case":
        open_case(unit, None, full_name=f"Người {n}", opened_on=day,
                  kind=_pick(["returned_victim", "high_risk", "being_identified"], n))
    elif kind == "close_case" and cases_:
        cases.close_case(actor=None, case=_pick(cases_, n), outcome="reintegrated",
                         reason="Ổn định", closed_on=day)
    elif kind == "case_kind" and cases_:
        case = _pick(cases_, n)
        cases.update_case(actor=None, case=case,
                          kind="high_risk" if case.kind != "high_risk" else "returned_victim")
    elif kind == "club":
        community.create_club(actor=None, unit=unit, name=f"CLB {day} {n}",
                              club_type=ClubType.objects.get(code="anti-trafficking"),
                              founded_on=day, is_prevention_model=bool(n % 2))
    elif kind == "club_status" and clubs:
        club = _pick(clubs, n)
        status = "dissolved" if club.status == "active" else "active"
        community.change_club_status(actor=None, club=club, status=status, changed_on=day,
                                     reason="Thay đổi")
    elif kind == "club_edit" and clubs:
        club = _pick(clubs, n)
        community.update_club(actor=None, club=club, founded_on=min(day, club.founded_on),
                              is_prevention_model=not club.is_prevention_model)
    elif kind == "club_members" and clubs:
        club = _pick(clubs, n)
        if not club.members.exists():
            community.update_club(actor=None, club=club, member_count=club.member_count + n + 1)
    elif kind == "club_member_add" and clubs:
        club = _pick(clubs, n)
        if club.status != "dissolved":
            community.add_member(actor=None, club=club, full_name=f"Thành viên {day} {n}")
    elif kind == "club_member_remove" and clubs:
        member = _pick(list(ClubMember.objects.order_by("pk")), n)
        if member is not None:
            community.remove_member(actor=None, member=member)
    elif kind == "commendation":
        outreach.create_commendation(actor=None, unit=unit, recipient_kind="unit",
                                     reason="Tốt", level="commune", decided_on=day)
    elif kind == "escalate":
        situation = cases.create_situation(actor=None, unit=unit, category="missing",
                                           source="officer", description="Mất liên lạc.")
        cases.escalate(actor=None, situation=situation)


def test_an_approved_report_equals_the_live_figures_after_any_writes(
        tree: Any, users: Any, formats: Any) -> None:
    record_facts(tree, users, formats)
    log_activity(tree.group_a1, formats["meeting"], date=dt.date(2026, 7, 3), title="Tổ 1")
    # opened before July, so that July's services and kinds are in play
    open_case(tree.branch_a1, None, full_name="Đặng Thị Lụa", opened_on=dt.date(2026, 3, 2))
    report = approve_july(tree, users)
    assert report.values["sessions"]["total"] >= 2

    @settings(max_examples=25, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(st.lists(operation, min_size=1, max_size=8))
    def writes_leave_it_unchanged(operations: list[tuple[str, dt.date, int]]) -> None:
        savepoint = transaction.savepoint()
        try:
            applied = 0
            for kind, day, n in operations:
                try:
                    apply(kind, day, n, tree, formats)
                    applied += 1
                except ActionError:
                    pass  # refused: the lock, or a rule of the fact
            assert compute_values(report) == report.values, operations
        finally:
            transaction.savepoint_rollback(savepoint)

    writes_leave_it_unchanged()
