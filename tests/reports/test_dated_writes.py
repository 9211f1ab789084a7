"""Approved periods never change: every kind of dated write into a locked period is refused
with the period and who unlocks it; referrals, services and visits cannot be dated before
their situation or case began (issue 11, point 3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ctip.cases import actions as cases
from ctip.cases.models import Agency, Service, Situation
from ctip.community import actions as community
from ctip.community.models import ClubType
from ctip.core.errors import ActionError
from ctip.outreach.actions import create_commendation
from ctip.reports import actions as report_actions
from ctip.reports.models import Report, ReportType
from tests.cases.case_helpers import consent, open_case

JULY = (dt.date(2026, 7, 1), dt.date(2026, 7, 31))


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def approve_july(tree: Any, users: Any) -> Report:
    report = report_actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=JULY[0], end=JULY[1])
    report_actions.update_narrative(actor=None, report=report, number="7/BC-HPN")
    report = report_actions.submit(actor=users["commune_officer"], report=report)
    return report_actions.approve(actor=users["province_officer"], report=report)


def refused(call: Any, field: str | None = None) -> str:
    with pytest.raises(ActionError) as caught:
        call()
    if field is not None:
        assert caught.value.field == field
    return str(caught.value)


def assert_locked(message: str) -> None:
    assert "01/07–31/07/2026" in message, message
    assert "7/BC-HPN" in message
    assert "Tỉnh Tây Ninh" in message and "approves reports" in message  # who unlocks


def test_the_reviewed_referral_and_service_are_refused(tree: Any, users: Any) -> None:
    """A referral dated 20 July for a situation received now (December), a medical service
    dated 10 July for a case opened in October: both before their subject began."""
    approve_july(tree, users)
    police = Agency.objects.get(code="cong-an-xa")
    situation = cases.create_situation(
        actor=None, unit=tree.commune_a, category="missing", source="officer",
        description="Mất liên lạc.")
    message = refused(lambda: cases.refer(actor=None, situation=situation, agency=police,
                                          referred_on=dt.date(2026, 7, 20)), "referred_on")
    assert "before the situation" in message and situation.code in message
    case = open_case(tree.commune_a, users["case_worker"], opened_on=dt.date(2026, 10, 1))
    message = refused(lambda: cases.add_service(
        actor=None, case=case, type="medical", provider="Trạm y tế", date=dt.date(2026, 7, 10),
        status="delivered"), "date")
    assert "before the case" in message and "01/10/2026" in message
    for later in (dt.date(2026, 10, 1), dt.date(2026, 11, 3)):
        cases.add_service(actor=None, case=case, type="medical", provider="Trạm y tế",
                          date=later, status="delivered")
    refused(lambda: cases.log_visit(actor=None, case=case, kind="visit",
                                    date=dt.date(2026, 9, 30)), "date")
    future = timezone.localdate() + dt.timedelta(days=3)
    refused(lambda: cases.refer(actor=None, situation=situation, agency=police,
                                referred_on=future), "referred_on")


def test_every_case_write_into_the_locked_month_is_refused(tree: Any, users: Any) -> None:
    police = Agency.objects.get(code="cong-an-xa")
    case = open_case(tree.commune_a, users["case_worker"], opened_on=dt.date(2026, 1, 10))
    consent(case.person, "referral", agency=police)
    june_service = cases.add_service(actor=None, case=case, type="medical", provider="Trạm",
                                     date=dt.date(2026, 6, 2), status="planned")
    follow_up = cases.add_follow_up(actor=None, case=case, due_on=timezone.localdate(),
                                    what="Gọi điện")
    approve_july(tree, users)
    worker = users["case_worker"]
    july = dt.date(2026, 7, 10)
    for call, field in [
        (lambda: cases.add_service(actor=worker, case=case, type="medical", provider="Trạm",
                                   date=july, status="delivered"), "date"),
        # a service delivered in June counts in July's "victims supported"
        (lambda: cases.set_service_status(actor=worker, service=june_service,
                                          status="delivered"), "date"),
        (lambda: cases.log_visit(actor=worker, case=case, kind="visit", date=july), "date"),
        (lambda: cases.refer(actor=worker, case=case, agency=police, referred_on=july),
         "referred_on"),
        (lambda: cases.complete_follow_up(actor=worker, follow_up=follow_up, done_on=july),
         "done_on"),
        (lambda: cases.close_case(actor=worker, case=case, outcome="reintegrated",
                                  reason="Ổn định", closed_on=july), "closed_on"),
        # the kind splits every count of the case since January
        (lambda: cases.update_case(actor=worker, case=case, kind="high_risk"), "kind"),
        # a case opened in June is active in July
        (lambda: open_case(tree.commune_a, worker, full_name="Lò Thị Hoa",
                           opened_on=dt.date(2026, 6, 1)), "opened_on"),
    ]:
        assert_locked(refused(call, field))
    assert Service.objects.get(pk=june_service.pk).status == "planned"
    # outside the period, and edits that change no figure, go on
    cases.update_case(actor=worker, case=case, needs="Cần việc làm")
    cases.add_service(actor=worker, case=case, type="medical", provider="Trạm",
                      date=dt.date(2026, 8, 3), status="delivered")
    cases.log_visit(actor=worker, case=case, kind="visit", date=dt.date(2026, 8, 4))
    cases.refer(actor=worker, case=case, agency=police, referred_on=dt.date(2026, 8, 5))
    other = open_case(tree.commune_b, None, full_name="Võ Thị Út", opened_on=july)
    cases.add_service(actor=None, case=other, type="medical", provider="Trạm", date=july,
                      status="delivered")


def test_situation_steps_in_a_locked_period_are_refused(tree: Any, users: Any) -> None:
    situation = cases.create_situation(
        actor=None, unit=tree.branch_a1, category="recruitment", source="member",
        description="Tuyển dụng đáng ngờ.")
    # received in July (the review's data was loaded earlier)
    Situation.objects.filter(pk=situation.pk).update(
        created_at=dt.datetime(2026, 7, 3, 9, tzinfo=dt.UTC))
    situation.refresh_from_db()
    approve_july(tree, users)
    # escalating it now would change July's "escalated within the deadline"
    assert_locked(refused(lambda: cases.escalate(actor=None, situation=situation)))
    # a referral today (not locked) stays possible: urgent help is never blocked
    cases.refer(actor=None, situation=situation, agency=Agency.objects.get(code="cong-an-xa"),
                referred_on=timezone.localdate())


def test_community_and_commendation_writes_in_the_locked_month(tree: Any, users: Any) -> None:
    law = ClubType.objects.get(code="anti-trafficking")
    club = community.create_club(actor=None, unit=tree.branch_a1, name="CLB Phụ nữ ấp",
                                 club_type=law, founded_on=dt.date(2026, 2, 1))
    exchange_unit = tree.commune_a
    exchange_unit.is_border = True
    exchange_unit.save(update_fields=["is_border"])
    approve_july(tree, users)
    officer = users["commune_officer"]
    for call, field in [
        (lambda: community.create_club(actor=officer, unit=tree.branch_a2, name="CLB mới",
                                       club_type=law, founded_on=dt.date(2026, 7, 5)),
         "founded_on"),
        (lambda: community.change_club_status(actor=officer, club=club, status="paused",
                                              changed_on=dt.date(2026, 7, 20), reason="Nghỉ"),
         "changed_on"),
        (lambda: community.update_club(actor=officer, club=club, is_prevention_model=True),
         None),
        (lambda: community.create_exchange(actor=officer, unit=exchange_unit,
                                           date=dt.date(2026, 7, 9), counterpart_area="Svay"),
         "date"),
        (lambda: create_commendation(actor=officer, unit=tree.commune_a,
                                     recipient_kind="unit", reason="Tốt", level="commune",
                                     decided_on=dt.date(2026, 7, 30)), "decided_on"),
    ]:
        assert_locked(refused(call, field))
    community.update_club(actor=officer, club=club, results="Sinh hoạt đều")  # not counted
    community.change_club_status(actor=officer, club=club, status="paused",
                                 changed_on=dt.date(2026, 8, 20), reason="Nghỉ hè")


def test_the_form_keeps_what_was_typed_and_names_the_lock(tree: Any, users: Any,
                                                          client_for: Any) -> None:
    case = open_case(tree.commune_a, users["case_worker"], opened_on=dt.date(2026, 1, 10))
    approve_july(tree, users)
    client = client_for(users["case_worker"])
    response = client.post(reverse("cases:service_add", args=[case.pk]), {
        "type": "medical", "provider": "Trạm y tế xã Đức Hòa", "date": "2026-07-10",
        "amount": "", "status": "delivered"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "01/07–31/07/2026" in " ".join(errors["date"])
    body = response.content.decode()
    assert "Trạm y tế xã Đức Hòa" in body and "2026-07-10" in body
    assert not case.services.exists()
