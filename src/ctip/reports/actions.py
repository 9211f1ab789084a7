"""Writes of periodic reports: draft → submitted → returned/approved, and locks.

- A unit's report is prepared and submitted by whoever ``policy.can_submit_for`` the unit;
  submitting takes a snapshot of the indicators of the unit's subtree.
- The unit above reviews it (``policy.can_approve_for``): approves it or returns it with a
  comment. Nobody approves a report she submitted herself.
- Approval locks the unit's records for the period (``PeriodLock``); only the unit above lifts
  the lock (``unlock``, with a reason), which reopens the report for a corrected submission.

Every write is audited: ``report.submitted``, ``report.approved``, ``report.returned``,
``period.locked``, ``period.unlocked``.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ctip.accounts.policy import require
from ctip.audit.actions import record
from ctip.core.errors import ActionError
from ctip.core.rules import Rules
from ctip.core.text import nfc
from ctip.core.uploads import check_upload
from ctip.org.models import Unit
from ctip.org.paths import is_within
from ctip.reports.models import PeriodLock, Report, ReportAttachment, ReportType
from ctip.reports.policy import can_approve_for, require_submit, submitted_it
from ctip.reports.selectors import compute_snapshot

# --- Writes ---------------------------------------------------------------------------------

def _text(value: str | None, limit: int, label: Any, *, field: str | None = None) -> str:
    cleaned = nfc(value or "").strip()
    if len(cleaned) > limit:
        raise ActionError(_("%(field)s can have at most %(n)d characters.")
                          % {"field": label, "n": limit}, field=field)
    return cleaned


# The rules of a new report, declared once (decision 0050): ``create_or_get_draft`` runs them,
# and the new report's form runs those whose inputs are valid when one of its fields fails.
DRAFT_RULES = Rules()


@DRAFT_RULES.rule("unit", field="unit")
def _reports_upwards(unit: Unit) -> None:
    if unit.parent_id is None:
        raise ActionError(_("%(unit)s has no unit above it to report to.")
                          % {"unit": unit.name})


@DRAFT_RULES.rule("report_type", "campaign", field="campaign")
def _campaign_chosen(report_type: ReportType, campaign: Any) -> None:
    if report_type.kind == ReportType.Kind.CAMPAIGN and campaign is None:
        raise ActionError(_("Choose the campaign this report is about."))
    if report_type.kind != ReportType.Kind.CAMPAIGN and campaign is not None:
        raise ActionError(_("Only a campaign report refers to a campaign."))


@DRAFT_RULES.rule("unit", "report_type", "campaign", field="campaign")
def _takes_part(unit: Unit, report_type: ReportType, campaign: Any) -> None:
    if (report_type.kind == ReportType.Kind.CAMPAIGN and campaign is not None
            and not is_within(unit.path, campaign.unit_path)):
        raise ActionError(_("%(unit)s does not take part in “%(campaign)s”.")
                          % {"unit": unit.name, "campaign": campaign.name})


@DRAFT_RULES.rule("report_type", "start", "end", field="period")
def _period(report_type: ReportType, start: dt.date | None, end: dt.date | None) -> None:
    if report_type.kind != ReportType.Kind.CAMPAIGN and (
            start is None or end is None or end < start):
        raise ActionError(_("Choose a valid period."))


@transaction.atomic
def create_or_get_draft(*, actor: Any, unit: Unit, report_type: ReportType,
                        start: dt.date | None = None, end: dt.date | None = None,
                        campaign: Any = None) -> Report:
    """The unit's report of this type for the period, created as a draft if there is none."""
    require_submit(actor, unit)
    DRAFT_RULES.check({"unit": unit, "report_type": report_type, "campaign": campaign,
                       "start": start, "end": end})
    if campaign is not None:
        start, end = campaign.starts_on, campaign.ends_on
    assert start is not None and end is not None  # noqa: S101  (checked just above)
    # a campaign report is one per campaign (two campaigns may start on the same day)
    lookup = ({"campaign": campaign} if campaign is not None
              else {"period_start": start, "campaign__isnull": True})
    report, created = Report.objects.get_or_create(
        unit=unit, report_type=report_type, **lookup,
        defaults={"unit_path": unit.path, "period_start": start, "period_end": end,
                  "campaign": campaign,
                  "created_by": actor if getattr(actor, "pk", None) else None})
    if created:
        record(actor=actor, action="report.created", target=report, unit_path=unit.path,
               changes={"type": report_type.code, "period": [start, end]})
    return report


def _ensure_editable(report: Report) -> None:
    if report.status == Report.Status.SUBMITTED:
        raise ActionError(_("This report was submitted on %(date)s and is waiting for review; "
                            "it cannot be changed now.")
                          % {"date": timezone.localtime(report.submitted_at)
                             .strftime("%d/%m/%Y %H:%M")})
    if report.status == Report.Status.APPROVED:
        raise ActionError(_("This report is approved; ask %(parent)s to unlock the period "
                            "to change it.") % {"parent": report.unit.parent})


# The rules of a report's narrative and of its attachments, declared once (decision 0050):
# the actions run them, and the report page's forms run those whose inputs are valid when one
# of their fields fails.
NARRATIVE_RULES = Rules()
for _name, _limit, _label in (("results", 20000, gettext_lazy("Results")),
                              ("difficulties", 20000, gettext_lazy("Difficulties")),
                              ("proposals", 20000, gettext_lazy("Proposals"))):
    NARRATIVE_RULES.cleans(_name, partial(_text, limit=_limit, label=_label, field=_name))


@NARRATIVE_RULES.rule("number", field="number")
def _number(number: str) -> dict[str, str]:
    return {"number": " ".join(_text(number, 40, _("Number"), field="number").split())}


@transaction.atomic
def update_narrative(*, actor: Any, report: Report, results: str = "", difficulties: str = "",
                     proposals: str = "", number: str = "") -> Report:
    report = (Report.objects.select_for_update(of=("self",)).select_related("unit__parent")
              .get(pk=report.pk))
    require_submit(actor, report.unit)
    _ensure_editable(report)
    values = NARRATIVE_RULES.check({"results": results, "difficulties": difficulties,
                                    "proposals": proposals, "number": number})
    diff = {k: [getattr(report, k), v] for k, v in values.items() if getattr(report, k) != v}
    for key, value in values.items():
        setattr(report, key, value)
    report.save(update_fields=list(values))
    if diff:
        record(actor=actor, action="report.updated", target=report,
               unit_path=report.unit_path, changes={k: "…" for k in diff})
    return report


ATTACHMENT_RULES = Rules()


@ATTACHMENT_RULES.rule("upload", field="upload")
def _upload(upload: Any) -> dict[str, str]:
    return {"kind": check_upload(upload)}


ATTACHMENT_RULES.cleans("caption", partial(_text, limit=300, label=gettext_lazy("Caption"),
                                           field="caption"))


@transaction.atomic
def add_attachment(*, actor: Any, report: Report, upload: Any,
                   caption: str = "") -> ReportAttachment:
    report = (Report.objects.select_for_update(of=("self",)).select_related("unit__parent")
              .get(pk=report.pk))
    require_submit(actor, report.unit)
    _ensure_editable(report)
    values = ATTACHMENT_RULES.check({"upload": upload, "caption": caption})
    attachment = ReportAttachment(report=report, kind=values["kind"], size=upload.size,
                                  caption=values["caption"],
                                  uploaded_by=actor if getattr(actor, "pk", None) else None)
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    record(actor=actor, action="report.attachment_added", target=report,
           unit_path=report.unit_path, changes={"file": upload.name, "size": upload.size})
    return attachment


@transaction.atomic
def submit(*, actor: Any, report: Report) -> Report:
    report = Report.objects.select_for_update(of=("self",)).select_related(
        "unit__parent", "report_type", "campaign").get(pk=report.pk)
    require_submit(actor, report.unit)
    _ensure_editable(report)
    now = timezone.now()
    report.values, report.cell_keys = compute_snapshot(report)
    report.status = Report.Status.SUBMITTED
    report.submitted_by = actor if getattr(actor, "pk", None) else None
    report.submitted_at = now
    report.first_submitted_at = report.first_submitted_at or now
    report.save(update_fields=["values", "cell_keys", "status", "submitted_by", "submitted_at",
                               "first_submitted_at"])
    record(actor=actor, action="report.submitted", target=report, unit_path=report.unit_path,
           changes={"period": [report.period_start, report.period_end],
                    "on_time": report.is_on_time, "indicators": len(report.values)})
    return report


def _require_reviewer(actor: Any, unit: Unit, refusal: str) -> None:
    """Only the unit above (``policy.can_approve_for``) reviews a unit's reports and lifts its
    locks; outside her ``report.view`` scope the report does not exist."""
    if actor is None:
        return
    require(actor, "report.view", unit)
    if not can_approve_for(actor, unit):
        raise ActionError(refusal % {"parent": unit.parent or _("the unit above")})


# The rules of a review (decision 0050): the actions run them after ``_require_reviewer``,
# on the report as locked; the return and unlock forms run those whose inputs are valid when
# their text fails (``given``: the viewer and the report or the lock).
REVIEW_RULES = Rules()


@REVIEW_RULES.rule("actor", "report")
def _not_own(actor: Any, report: Report) -> None:
    """Never the submitter (the system, ``actor`` None, reviews nothing it could submit)."""
    if actor is not None and submitted_it(actor, report):
        raise ActionError(_("You submitted this report yourself; another officer of "
                            "%(parent)s must review it.") % {"parent": report.unit.parent})


@REVIEW_RULES.rule("actor", "report")
def _pending(actor: Any, report: Report) -> None:
    if actor is not None and report.status != Report.Status.SUBMITTED:
        raise ActionError(_("Only a submitted report can be reviewed; this one is %(status)s.")
                          % {"status": report.get_status_display()})


def _said(value: str | None, limit: int, label: Any, missing: str, field: str) -> str:
    text = _text(value, limit, label, field=field)
    if not text:
        raise ActionError(missing, field=field)
    return text


RETURN_RULES = REVIEW_RULES + Rules()
RETURN_RULES.cleans("comment", lambda comment: _said(
    comment, 5000, _("Comment"), _("Say what needs correcting before returning the report."),
    "comment"))


def _review_checks(actor: Any, report: Report, rules: Rules = REVIEW_RULES,
                   **values: Any) -> dict[str, Any]:
    """Only a reviewer over the parent unit, never the submitter, and only a pending report;
    then the review's other ``rules`` on ``values``."""
    if actor is not None:
        _require_reviewer(actor, report.unit,
                          _("Only %(parent)s, the unit above, can review this report."))
    return rules.check({"actor": actor, "report": report, **values})


@transaction.atomic
def approve(*, actor: Any, report: Report) -> Report:
    report = Report.objects.select_for_update(of=("self",)).select_related(
        "unit__parent", "report_type").get(pk=report.pk)
    _review_checks(actor, report)
    now = timezone.now()
    who = actor if getattr(actor, "pk", None) else None
    report.status = Report.Status.APPROVED
    report.reviewed_by, report.reviewed_at = who, now
    report.return_comment = ""
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "return_comment"])
    lock = PeriodLock.objects.create(unit=report.unit, unit_path=report.unit_path,
                                     start=report.period_start, end=report.period_end,
                                     report=report, locked_by=who, locked_at=now)
    record(actor=actor, action="report.approved", target=report, unit_path=report.unit_path)
    record(actor=actor, action="period.locked", target=lock, unit_path=report.unit_path,
           changes={"period": [lock.start, lock.end], "report": report.pk})
    return report


@transaction.atomic
def return_report(*, actor: Any, report: Report, comment: str) -> Report:
    report = Report.objects.select_for_update(of=("self",)).select_related(
        "unit__parent", "report_type").get(pk=report.pk)
    comment = _review_checks(actor, report, RETURN_RULES, comment=comment)["comment"]
    report.status = Report.Status.RETURNED
    report.reviewed_by = actor if getattr(actor, "pk", None) else None
    report.reviewed_at = timezone.now()
    report.return_comment = comment
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "return_comment"])
    record(actor=actor, action="report.returned", target=report, unit_path=report.unit_path,
           changes={"comment": comment})
    return report


UNLOCK_RULES = Rules()


@UNLOCK_RULES.rule("lock")
def _still_locked(lock: PeriodLock) -> None:
    if lock.unlocked_at is not None:
        raise ActionError(_("This period is already unlocked."))


UNLOCK_RULES.cleans("reason", lambda reason: _said(
    reason, 2000, _("Reason"), _("Give the reason for unlocking the period."), "reason"))


@transaction.atomic
def unlock(*, actor: Any, lock: PeriodLock, reason: str) -> PeriodLock:
    """Lift a lock (the parent only, with a reason); the report reopens for correction. A lock
    carried to a unit that moved away (``core.periods.carry_locks``) is lifted by the unit now
    above it, and the report it names, of the unit it left, stays approved."""
    lock = (PeriodLock.objects.select_for_update(of=("self",))
            .select_related("unit__parent", "report").get(pk=lock.pk))
    _require_reviewer(actor, lock.unit,
                      _("Only %(parent)s, the unit above, can unlock this period."))
    reason = UNLOCK_RULES.check({"lock": lock, "reason": reason})["reason"]
    lock.unlocked_by = actor if getattr(actor, "pk", None) else None
    lock.unlocked_at = timezone.now()
    lock.reason = reason
    lock.save(update_fields=["unlocked_by", "unlocked_at", "reason"])
    report = lock.report
    if (report is not None and report.unit_id == lock.unit_id
            and report.status == Report.Status.APPROVED):
        report.status = Report.Status.RETURNED
        report.return_comment = reason
        report.save(update_fields=["status", "return_comment"])
    record(actor=actor, action="period.unlocked", target=lock, unit_path=lock.unit_path,
           changes={"period": [lock.start, lock.end], "reason": reason,
                    "report": report.pk if report else None})
    return lock


