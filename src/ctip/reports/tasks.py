"""Background work of the reports app (django-tasks): building a report's PDF, reminders.

``build_report_pdf`` takes an ``Export`` id, re-fetches it and records its progress, so the page
can poll it. A failure leaves no file behind and keeps the reason on the row.
``send_report_reminders`` runs every morning from ``ctip worker`` (see ``core.scheduler``), and
``compact_rollups`` every ten minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from ctip.accounts.capabilities import ROLE_CAPABILITIES
from ctip.accounts.models import RoleAssignment
from ctip.audit.actions import record
from ctip.core.mail import queue_mail
from ctip.reports import pdf
from ctip.reports.models import Export, ReportReminder
from ctip.reports.submissions import Owed, due_soon

logger = logging.getLogger("ctip.reports")


def _set(export: Export, **values: Any) -> None:
    for key, value in values.items():
        setattr(export, key, value)
    export.save(update_fields=list(values))


def request_export(*, actor: Any, report: Any) -> Export:
    """Queue a PDF build of ``report``; the task starts after the transaction commits."""
    with transaction.atomic():
        export = Export.objects.create(report=report,
                                       requested_by=actor if getattr(actor, "pk", None) else None)
        record(actor=actor, action="report.export_requested", target=report,
               unit_path=report.unit_path, changes={"export": export.pk})
        transaction.on_commit(lambda: build_report_pdf.enqueue(export.pk))
    return export


def run_export(export_id: int) -> Export:
    export = Export.objects.select_related("report__unit__parent", "report__report_type",
                                           "report__campaign").get(pk=export_id)
    _set(export, status=Export.Status.RUNNING, progress=5, error="")
    name = ""
    try:
        content = pdf.render_pdf(export.report, progress=lambda p: _set(export, progress=p))
        report = export.report
        name = f"bao-cao-{report.unit_id}-{report.period_start:%Y%m%d}-{export.pk}.pdf"
        export.file.save(name, ContentFile(content), save=False)
        _set(export, file=export.file.name, status=Export.Status.DONE, progress=100,
             finished_at=timezone.now())
    except Exception as exc:
        logger.exception("export %s failed", export_id)
        if export.file:
            export.file.delete(save=False)
        export.file = ""
        with translation.override(settings.LANGUAGE_CODE):
            message = _("The PDF could not be built: %(error)s") % {
                "error": str(exc) or exc.__class__.__name__}
        _set(export, file="", status=Export.Status.FAILED, error=message,
             finished_at=timezone.now())
    return export


@task()
def build_report_pdf(export_id: int) -> str:
    return run_export(export_id).status


def _claim(owed: Owed, today: dt.date) -> ReportReminder | None:
    """Record today's reminder of ``owed``; ``None`` when it was already sent today."""
    try:
        with transaction.atomic():
            return ReportReminder.objects.create(
                unit=owed.unit, report_type=owed.report_type, period_start=owed.start,
                campaign=owed.campaign, sent_on=today)
    except IntegrityError:
        return None


def run_report_reminders(today: dt.date | None = None) -> dict[str, int]:
    """E-mail the people who submit each report due within three days and not yet submitted
    (those holding ``report.submit`` at the unit itself, not everyone above it): the periodic
    reports and the campaign reports. Each owed report is reminded at most once a day, however
    often the job runs (``ReportReminder``)."""
    today = today or timezone.localdate()
    roles = [r for r, caps in ROLE_CAPABILITIES.items() if "report.submit" in caps]
    counts = {"reports": 0, "emails": 0, "already_reminded": 0}
    with translation.override(settings.LANGUAGE_CODE):
        for owed in due_soon(today):
            unit, report_type, start, end = owed.unit, owed.report_type, owed.start, owed.end
            reminder = _claim(owed, today)
            if reminder is None:
                counts["already_reminded"] += 1
                continue
            counts["reports"] += 1
            due = owed.due
            emails = sorted({a.user.email for a in RoleAssignment.objects.active()
                             .filter(unit=unit, role__in=roles).select_related("user")
                             if a.user.email and a.user.is_active})
            if not emails:
                continue
            name = (f"{report_type.name} — {owed.campaign.name}" if owed.campaign is not None
                    else report_type.name)
            subject = _("[ctip] %(type)s of %(unit)s is due on %(date)s") % {
                "type": name, "unit": unit.name, "date": f"{due:%d/%m/%Y}"}
            body = _("The %(type)s of %(unit)s for %(start)s–%(end)s is due on %(date)s and "
                     "has not been submitted yet.") % {
                "type": name, "unit": unit.name, "start": f"{start:%d/%m/%Y}",
                "end": f"{end:%d/%m/%Y}", "date": f"{due:%d/%m/%Y}"}
            # queued: sent by the worker with a timeout, retried on failure (core.mail)
            queue_mail(subject=subject, body=body, to=emails)
            counts["emails"] += len(emails)
            ReportReminder.objects.filter(pk=reminder.pk).update(recipients=len(emails))
    record(actor=None, action="report.reminders_sent", target_label="report reminders",
           changes=counts)
    return counts


@task()
def send_report_reminders() -> dict[str, int]:
    return run_report_reminders()


@task()
def compact_rollups() -> dict[str, int]:
    """Fold the report roll-ups' deltas into one row per key (``rollups.compact``)."""
    from ctip.reports import rollups

    return rollups.compact()
