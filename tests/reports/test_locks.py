"""Approval locks a unit's records for the period; only the parent unlocks, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ctip.audit.models import AuditEvent
from ctip.core.errors import ActionError
from ctip.outreach.actions import delete_activity, update_activity
from ctip.reports import actions
from ctip.reports.locks import ensure_not_locked
from ctip.reports.models import PeriodLock, Report, ReportType
from tests.conftest import log_activity


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    """The assertions read the English messages (the Vietnamese catalogue may change)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield



@pytest.fixture
def approved(tree: Any, users: Any) -> Report:
    report = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    actions.update_narrative(actor=None, report=report, number="12/BC-HPN")
    report = actions.submit(actor=users["commune_officer"], report=report)
    return actions.approve(actor=users["province_officer"], report=report)


def test_locked_period_refuses_writes_with_the_reason(tree: Any, users: Any,
                                                      formats: Any) -> None:
    before = log_activity(tree.group_a1, formats["meeting"], date=dt.date(2026, 7, 10))
    august = log_activity(tree.branch_a1, formats["meeting"], date=dt.date(2026, 8, 10))
    report = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    actions.update_narrative(actor=None, report=report, number="12/BC-HPN")
    actions.submit(actor=users["commune_officer"], report=report)
    actions.approve(actor=users["province_officer"], report=report)
    officer = users["commune_officer"]

    with pytest.raises(ActionError) as refused:
        log_activity(tree.branch_a1, formats["meeting"], actor=officer,
                     date=dt.date(2026, 7, 20), title="Mới")
    message = str(refused.value)
    assert "01/07–31/07" in message and "12/BC-HPN" in message
    assert "Báo cáo tháng" in message and "Tỉnh Tây Ninh" in message
    with pytest.raises(ActionError, match="locked"):
        update_activity(actor=officer, activity=before, notes="sửa")
    with pytest.raises(ActionError, match="locked"):  # moving a record into the period
        update_activity(actor=officer, activity=august, date=dt.date(2026, 7, 5))
    with pytest.raises(ActionError, match="locked"):
        delete_activity(actor=officer, activity=before)
    # outside the subtree or the period, work goes on
    log_activity(tree.commune_b, formats["meeting"], date=dt.date(2026, 7, 20))
    update_activity(actor=officer, activity=august, notes="ok")


def test_unlock_by_the_parent_with_a_reason(tree: Any, users: Any, formats: Any,
                                            approved: Report) -> None:
    activity_date = dt.date(2026, 7, 20)
    lock = PeriodLock.objects.get(report=approved)
    with pytest.raises(ActionError, match="unit above"):
        actions.unlock(actor=users["commune_officer"], lock=lock, reason="sửa")
    with pytest.raises(ActionError, match="reason"):
        actions.unlock(actor=users["province_officer"], lock=lock, reason=" ")
    actions.unlock(actor=users["province_officer"], lock=lock,
                       reason="Xã cần bổ sung hoạt động")
    event = AuditEvent.objects.get(action="period.unlocked")
    assert event.changes["reason"] == "Xã cần bổ sung hoạt động"
    assert event.actor == users["province_officer"]
    activity = log_activity(tree.branch_a1, formats["meeting"], date=activity_date)
    update_activity(actor=users["commune_officer"], activity=activity, notes="sửa")
    delete_activity(actor=users["commune_officer"], activity=activity)
    report = Report.objects.get(pk=approved.pk)
    assert report.status == Report.Status.RETURNED  # reopened for a corrected submission
    with pytest.raises(ActionError, match="already unlocked"):
        actions.unlock(actor=users["province_officer"], lock=lock, reason="x")


def test_ensure_not_locked_covers_the_subtree_only(tree: Any, approved: Report) -> None:
    with pytest.raises(ActionError):
        ensure_not_locked(tree.group_a1.path, dt.date(2026, 7, 31))
    ensure_not_locked(tree.group_a1.path, dt.date(2026, 8, 1))
    ensure_not_locked(tree.province.path, dt.date(2026, 7, 15))
    ensure_not_locked(tree.commune_b.path, dt.date(2026, 7, 15))
    with pytest.raises(ActionError):
        ensure_not_locked(tree.commune_a.path, dt.date(2026, 8, 15), dt.date(2026, 7, 2))
