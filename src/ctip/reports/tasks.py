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
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from ctip.accounts.capabilities import ROLE_CAPABILITIES
from ctip.accounts.models import RoleAssignment
from ctip.audit.actions import record
from ctip.core import jobstate
from ctip.core.faults import pause
from ctip.core.leases import on_given_up
from ctip.core.mail import queue_mail
from ctip.reports import pdf, rollups
from ctip.reports.models import Export, ReportReminder
from ctip.reports.selectors import Owed, due_soon

logger = logging.getLogger("ctip.reports")


# the states in which a run of the build may still change its export (``core.jobstate``): a
# run that ends after another has finished it, or after it was given up, changes nothing
BUILDING = frozenset({Export.Status.QUEUED, Export.Status.RUNNING})


def _set(export: Export, states: frozenset[str], **values: Any) -> bool:
    return jobstate.advance(export, states, **values)


#: How long after asking for a PDF a press of "Export" again is taken for the same request.
PRESSED_AGAIN = dt.timedelta(minutes=2)


def request_export(*, actor: Any, report: Any) -> Export:
    """Queue a PDF build of ``report``; the task starts after the transaction commits. Her
    build of it asked for in the last ``PRESSED_AGAIN`` and still queued or running is the
    answer to "Export" pressed again (a double press, the page sent again): one build, not
    one per press. An older one may never finish (its task lost, its run hung): pressing
    again later starts a new build, as it always did. The report's row, locked, makes two
    presses at once take turns."""
    who = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        type(report).objects.select_for_update().filter(pk=report.pk).first()
        pending = (Export.objects.filter(report=report, requested_by=who, status__in=BUILDING,
                                         created_at__gte=timezone.now() - PRESSED_AGAIN)
                   .order_by("-pk").first())
        if pending is not None:
            return pending
        export = Export.objects.create(report=report, requested_by=who)
        record(actor=actor, action="report.export_requested", target=report,
               unit_path=report.unit_path, changes={"export": export.pk})
        transaction.on_commit(lambda: build_report_pdf.enqueue(export.pk, export.round))
    return export


def _file_name(export: Export) -> str:
    """The stored name of the export's PDF: the same on every run of the task, so a second
    run replaces the first one's file instead of adding another."""
    report = export.report
    name = f"bao-cao-{report.unit_id}-{report.period_start:%Y%m%d}-{export.pk}.pdf"
    return str(export.file.field.generate_filename(export, name))


def retry_export(*, actor: Any, export: Export, stalled: bool = False) -> bool:
    """Queue a failed export's build again, on the same row. One conditional UPDATE: a double
    click or two posts at once queue it once. ``stalled``: an export the page gave up waiting
    for (no worker alive) is taken back too; its old task, if a worker ever runs it, finds the
    PDF built and does nothing (``run_export``)."""
    states = [Export.Status.FAILED]
    if stalled:
        states += [Export.Status.QUEUED, Export.Status.RUNNING]
    with transaction.atomic():
        # a new round: a run of the earlier one still going changes nothing of this one
        changed = Export.objects.filter(pk=export.pk, status__in=states).update(
            status=Export.Status.QUEUED, round=F("round") + 1, progress=0, error="",
            finished_at=None, created_at=timezone.now())
        if not changed:
            return False
        record(actor=actor, action="report.export_retried", target=export.report,
               unit_path=export.report.unit_path, changes={"export": export.pk})
        job_round = Export.objects.values_list("round", flat=True).get(pk=export.pk)
        transaction.on_commit(lambda: build_report_pdf.enqueue(export.pk, job_round))
    return True


def run_export(export_id: int, job_round: int | None = None) -> Export:
    """Build the PDF of an export. Safe to run twice (a worker killed mid-build has its task
    run again, ``core.leases``): a finished export is left alone, and the file has one name
    per export, overwritten, never a second file. Two runs at once (a worker thought dead, or
    an export taken back from a stalled worker) keep one PDF: the file is written and the
    export marked done in one transaction that first locks its row and reads it again, so a
    run that ends after the other has finished writes nothing."""
    export = Export.objects.select_related("report__unit__parent", "report__report_type",
                                           "report__campaign").get(pk=export_id)
    if export.status == Export.Status.DONE and export.file and export.file.storage.exists(
            str(export.file.name)):
        return export
    if not jobstate.of_round(export, job_round):
        return export  # queued again since: the new round's task builds it
    # a finished export whose file is gone is built again
    states = BUILDING | ({Export.Status.DONE} if export.status == Export.Status.DONE else set())
    if not _set(export, states, status=Export.Status.RUNNING, progress=5, error=""):
        return export  # failed or given up meanwhile: a retry queues a run of its own
    try:
        def progress(percent: int) -> None:
            _set(export, BUILDING, progress=percent)

        content = pdf.render_pdf(export.report, progress=progress)
        with transaction.atomic():
            if not jobstate.still(export, {Export.Status.RUNNING}):
                return export  # another run finished it while this one built
            name = _file_name(export)
            storage = export.file.storage
            if storage.exists(name):  # a partial or finished file of an earlier run
                storage.delete(name)
            export.file.name = storage.save(name, ContentFile(content))
            pause("export.after_file")
            _set(export, BUILDING, file=export.file.name, status=Export.Status.DONE,
                 progress=100, finished_at=timezone.now())
    except Exception as exc:
        logger.exception("export %s failed", export_id)
        with translation.override(settings.LANGUAGE_CODE):
            message = _("The PDF could not be built: %(error)s") % {
                "error": str(exc) or exc.__class__.__name__}
        _fail(export, message)
    return export


def _fail(export: Export, message: str) -> None:
    """Mark a build failed and remove its file, unless another run has finished it (then its
    file is the finished one's)."""
    names = {_file_name(export), str(export.file.name or "")} - {""}
    if _set(export, BUILDING, file="", status=Export.Status.FAILED, error=message,
            finished_at=timezone.now()):
        storage = export.file.storage
        for name in names:  # what this run, or a killed one, wrote before the row said so
            if storage.exists(name):
                storage.delete(name)


@on_given_up("ctip.reports.tasks.build_report_pdf")
def _export_given_up(args: list[Any], kwargs: dict[str, Any]) -> None:
    """The worker died under every attempt: say so on the export's page."""
    # its failure is written only while it is pending in that round (``_fail``): if a build of
    # it under way holds its row, the write waits for it, then changes nothing if it finished
    export = jobstate.queued_for(Export, args, kwargs, "export_id")
    if export is None or export.status == Export.Status.DONE:
        return
    with translation.override(settings.LANGUAGE_CODE):  # a file the killed run wrote goes
        _fail(export, _("The background worker stopped while building the PDF."))


@task()
def build_report_pdf(export_id: int, job_round: int | None = None) -> str:
    """``job_round``: the round of the export it was queued for (``core.jobstate``; ``None``:
    queued before rounds were kept)."""
    return run_export(export_id, job_round).status


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
            due = owed.due
            emails = sorted({a.user.email for a in RoleAssignment.objects.active()
                             .filter(unit=unit, role__in=roles).select_related("user")
                             if a.user.email and a.user.is_active})
            name = (f"{report_type.name} — {owed.campaign.name}" if owed.campaign is not None
                    else report_type.name)
            subject = _("[ctip] %(type)s of %(unit)s is due on %(date)s") % {
                "type": name, "unit": unit.name, "date": f"{due:%d/%m/%Y}"}
            body = _("The %(type)s of %(unit)s for %(start)s–%(end)s is due on %(date)s and "
                     "has not been submitted yet.") % {
                "type": name, "unit": unit.name, "start": f"{start:%d/%m/%Y}",
                "end": f"{end:%d/%m/%Y}", "date": f"{due:%d/%m/%Y}"}
            # the reminder's row and its mail in one transaction: a run killed half-way and
            # run again neither repeats a mail nor loses one (queued: sent by the worker with
            # a timeout, retried on failure, core.mail)
            with transaction.atomic():
                reminder = _claim(owed, today)
                if reminder is None:
                    counts["already_reminded"] += 1
                    continue
                counts["reports"] += 1
                if emails:
                    queue_mail(subject=subject, body=body, to=emails)
                    counts["emails"] += len(emails)
                    ReportReminder.objects.filter(pk=reminder.pk).update(
                        recipients=len(emails))
            pause("reminders.after_first")
    record(actor=None, action="report.reminders_sent", target_label="report reminders",
           changes=counts)
    return counts


@task()
def send_report_reminders() -> dict[str, int]:
    return run_report_reminders()


@task()
def compact_rollups() -> dict[str, int]:
    """Fold the report roll-ups' deltas into one row per key (``rollups.compact``)."""
    return rollups.compact()
