"""Submit → return → resubmit → approve, the refusals on the way, and completeness."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ctip.accounts.capabilities import Role
from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent
from ctip.core.errors import ActionError
from ctip.reports import actions, selectors
from ctip.reports.models import PeriodLock, Report, ReportType
from ctip.units.actions import create_unit
from tests.conftest import make_user, unit_type

JULY = (dt.date(2026, 7, 1), dt.date(2026, 7, 31))

@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    """The assertions read the English messages (the Vietnamese catalogue may change)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield



def monthly() -> ReportType:
    return ReportType.objects.get(code="monthly")


def draft(unit: Any, actor: Any = None) -> Report:
    return actions.create_or_get_draft(actor=actor, unit=unit, report_type=monthly(),
                                           start=JULY[0], end=JULY[1])


def actions_on(report: Report) -> list[str]:
    return list(AuditEvent.objects.filter(target_type="reports.report",
                                          target_id=str(report.pk))
                .order_by("pk").values_list("action", flat=True))


def test_report_types_are_seeded(db: Any) -> None:
    kinds = set(ReportType.objects.values_list("kind", flat=True))
    assert kinds == {"monthly", "quarterly", "half", "annual", "campaign"}
    assert monthly().due_date(JULY[1]) == dt.date(2026, 8, 5)


def test_whole_flow_with_audit(tree: Any, users: Any, formats: Any) -> None:
    from tests.conftest import log_activity

    log_activity(tree.branch_a1, formats["meeting"])
    xa, tinh = users["commune_officer"], users["province_officer"]
    report = draft(tree.commune_a, xa)
    assert draft(tree.commune_a, xa).pk == report.pk  # get, not a second draft
    actions.update_narrative(actor=xa, report=report, results="Tổ chức 1 buổi sinh hoạt.",
                                 difficulties="", proposals="", number="12/BC-HPN")
    report = actions.submit(actor=xa, report=report)
    assert report.status == Report.Status.SUBMITTED
    assert report.values  # the indicator snapshot
    assert report.submitted_by == xa

    with pytest.raises(ActionError, match="comment|correct"):
        actions.return_report(actor=tinh, report=report, comment="  ")
    report = actions.return_report(actor=tinh, report=report,
                                       comment="Bổ sung số liệu chi hội.")
    assert report.status == Report.Status.RETURNED
    actions.update_narrative(actor=xa, report=report, results="Đã bổ sung.",
                                 number="12/BC-HPN")
    report = actions.submit(actor=xa, report=report)
    report = actions.approve(actor=tinh, report=report)
    assert report.status == Report.Status.APPROVED and report.reviewed_by == tinh
    lock = PeriodLock.objects.get(report=report)
    assert (lock.start, lock.end, lock.unit_path) == (*JULY, tree.commune_a.path)
    assert actions_on(report) == ["report.created", "report.updated", "report.submitted",
                                  "report.returned", "report.updated", "report.submitted",
                                  "report.approved"]
    assert AuditEvent.objects.filter(action="period.locked", target_id=str(lock.pk)).exists()
    # an approved report no longer changes
    with pytest.raises(ActionError, match="approved"):
        actions.update_narrative(actor=xa, report=report, results="x")


def test_submitting_twice_is_refused_with_the_reason(tree: Any, users: Any) -> None:
    xa = users["commune_officer"]
    report = actions.submit(actor=xa, report=draft(tree.commune_a, xa))
    with pytest.raises(ActionError, match="waiting for review"):
        actions.submit(actor=xa, report=report)
    actions.approve(actor=users["province_officer"], report=report)
    with pytest.raises(ActionError, match="approved"):
        actions.submit(actor=xa, report=report)


def test_approving_ones_own_report_is_refused(tree: Any, users: Any) -> None:
    tinh = users["province_officer"]
    report = actions.submit(actor=tinh, report=draft(tree.commune_b, tinh))
    with pytest.raises(ActionError, match="yourself"):
        actions.approve(actor=tinh, report=report)
    assert Report.objects.get(pk=report.pk).status == Report.Status.SUBMITTED
    assert not PeriodLock.objects.exists()


def test_reviewer_must_be_above_the_unit(tree: Any, users: Any) -> None:
    tinh = users["province_officer"]
    # the province's own report goes to the central Union, not to its own officers
    province_report = actions.create_or_get_draft(
        actor=tinh, unit=tree.province, report_type=monthly(), start=JULY[0], end=JULY[1])
    actions.submit(actor=users["system_admin"], report=province_report)
    with pytest.raises(ActionError, match="unit above"):
        actions.approve(actor=tinh, report=province_report)
    # an officer of another province does not even see the report
    report = actions.submit(actor=users["commune_officer"],
                                report=draft(tree.commune_a))
    with pytest.raises(NotInScope):
        actions.approve(actor=users["other_officer"], report=report)


def test_peer_commune_officer_cannot_approve(tree: Any, users: Any, client_for: Any) -> None:
    peer = make_user("xa_b", Role.COMMUNE_OFFICER, tree.commune_b)
    report = actions.submit(actor=users["commune_officer"], report=draft(tree.commune_a))
    with pytest.raises(NotInScope):
        actions.approve(actor=peer, report=report)
    response = client_for(peer).post(reverse("reports:report_approve", args=[report.pk]))
    assert response.status_code == 404
    assert Report.objects.get(pk=report.pk).status == Report.Status.SUBMITTED


def test_views_walk_the_flow(tree: Any, users: Any, client_for: Any) -> None:
    xa = client_for(users["commune_officer"])
    response = xa.post(reverse("reports:report_list"), {
        "unit": tree.commune_a.pk, "report_type": monthly().pk, "period": "2026-07"})
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get(unit=tree.commune_a)
    assert (report.period_start, report.period_end) == JULY
    xa.post(reverse("reports:report_edit", args=[report.pk]),
            {"results": "Kết quả tháng 7", "number": "12/BC-HPN"})
    assert xa.post(reverse("reports:report_submit", args=[report.pk])).status_code == 302
    again = xa.post(reverse("reports:report_submit", args=[report.pk]))
    assert again.status_code == 400
    assert "waiting for review" in again.content.decode()
    tinh = client_for(users["province_officer"])
    page = tinh.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert "Kết quả tháng 7" in page and reverse("reports:report_approve",
                                                   args=[report.pk]) in page
    refused = tinh.post(reverse("reports:report_return", args=[report.pk]), {"comment": ""})
    assert refused.status_code == 400
    assert tinh.post(reverse("reports:report_approve", args=[report.pk])).status_code == 302
    assert Report.objects.get(pk=report.pk).status == Report.Status.APPROVED
    assert tinh.post(reverse("reports:report_unlock", args=[report.pk]),
                     {"reason": "Sửa số liệu"}).status_code == 302
    assert not PeriodLock.objects.active().exists()


def _submit_at(report: Report, actor: Any, when: dt.datetime) -> None:
    actions.submit(actor=actor, report=report)
    Report.objects.filter(pk=report.pk).update(first_submitted_at=when, submitted_at=when)


def test_completeness_counts_on_time_late_missing(tree: Any, users: Any) -> None:
    commune_c = create_unit(actor=None, parent=tree.province, name="Xã Mỹ Hạnh",
                            unit_type=unit_type("commune"))
    tz = timezone.get_current_timezone()
    _submit_at(draft(tree.commune_a), None, dt.datetime(2026, 8, 4, 9, tzinfo=tz))
    _submit_at(draft(tree.commune_b), None, dt.datetime(2026, 8, 9, 9, tzinfo=tz))
    # due on 5 August: before it, an unsent report is not yet missing
    rows, per_level, total = selectors.completeness(tree.province, monthly(), *JULY,
                                                      today=dt.date(2026, 8, 3))
    state = {r.unit.pk: r.state for r in rows}
    assert state[commune_c.pk] == "pending"
    rows, per_level, total = selectors.completeness(tree.province, monthly(), *JULY,
                                                      today=dt.date(2026, 8, 20))
    state = {r.unit.pk: r.state for r in rows}
    assert state == {tree.commune_a.pk: "on_time", tree.commune_b.pk: "late",
                     commune_c.pk: "missing"}
    assert (total.expected, total.submitted, total.on_time, total.late, total.missing) == (
        3, 2, 1, 1, 1)
    assert per_level[unit_type("commune").name].expected == 3
    # the central Union sees the province's counts of its subtree
    rows, _levels, total = selectors.completeness(tree.central, monthly(), *JULY,
                                                    today=dt.date(2026, 8, 20))
    tay_ninh = next(r for r in rows if r.unit.pk == tree.province.pk)
    assert (tay_ninh.state, tay_ninh.below.on_time, tay_ninh.below.late,
            tay_ninh.below.missing) == ("missing", 1, 1, 1)


def test_status_page(tree: Any, users: Any, client_for: Any) -> None:
    tz = timezone.get_current_timezone()
    _submit_at(draft(tree.commune_a), None, dt.datetime(2026, 8, 4, 9, tzinfo=tz))
    client = client_for(users["province_officer"])
    page = client.get(reverse("reports:report_status"),
                      {"unit": tree.province.pk, "type": "monthly", "period": "2026-07"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Xã Đức Hòa" in html and "Phường Tân An" in html
    assert 'data-state="on_time"' in html
    # another province's officer cannot open Tây Ninh's page
    other = client_for(users["other_officer"]).get(
        reverse("reports:report_status"), {"unit": tree.province.pk, "type": "monthly",
                                           "period": "2026-07"})
    assert other.status_code == 404


def test_reminders_go_to_the_unit_submitters(tree: Any, users: Any, mailoutbox: Any) -> None:
    from ctip.reports.tasks import run_report_reminders

    users["commune_officer"].email = "xa@example.org"
    users["commune_officer"].save(update_fields=["email"])
    actions.submit(actor=None, report=draft(tree.commune_b))
    counts = run_report_reminders(today=dt.date(2026, 8, 3))  # July report due 5 August
    recipients = {r for m in mailoutbox for r in m.to}
    assert "xa@example.org" in recipients
    assert counts["emails"] >= 1
    mailoutbox.clear()
    run_report_reminders(today=dt.date(2026, 8, 20))  # nothing due in the next three days
    assert not any("xa@example.org" in m.to for m in mailoutbox)


def test_reminder_job_is_scheduled() -> None:
    from ctip.core.scheduler import JOBS

    job = next(j for j in JOBS if j.task == "ctip.reports.tasks.send_report_reminders")
    assert job.daily_at == dt.time(8, 0)
