"""Periodic reports up the hierarchy, the locks approval puts on a period, and exports.

A unit owes its parent a report of each type for each period. Submitting takes a snapshot of the
indicators of the unit's subtree; the parent approves it (which locks the unit's records for the
period) or returns it with a comment.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ctip.org.paths import TreePathField


class ReportType(models.Model):
    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("monthly")
        QUARTERLY = "quarterly", _("quarterly")
        HALF = "half", _("half-year")
        ANNUAL = "annual", _("annual")
        CAMPAIGN = "campaign", _("campaign")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    due_days_after_period = models.PositiveSmallIntegerField(
        _("due days after the period"), default=5,
        help_text=_("The report is due this many days after the period ends."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("report type")
        verbose_name_plural = _("report types")

    def __str__(self) -> str:
        return self.name

    def due_date(self, period_end: dt.date) -> dt.date:
        return period_end + dt.timedelta(days=self.due_days_after_period)


class Report(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned")
        APPROVED = "approved", _("approved")

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("unit"))
    unit_path = TreePathField(editable=False, place="now")
    report_type = models.ForeignKey(ReportType, on_delete=models.PROTECT,
                                    related_name="reports", verbose_name=_("report type"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    campaign = models.ForeignKey("outreach.Campaign", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("campaign"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    values = models.JSONField(_("indicator values"), default=dict, blank=True)
    # The cell keys of the person counts in ``values`` (same shape), taken with them, so that
    # the report is shown through ``reports.privacy`` with the same noise as the live tables.
    cell_keys = models.JSONField(default=dict, blank=True, editable=False)
    results = models.TextField(_("results"), blank=True)
    difficulties = models.TextField(_("difficulties"), blank=True)
    proposals = models.TextField(_("proposals"), blank=True)
    number = models.CharField(_("number"), max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    first_submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    return_comment = models.TextField(_("comment when returned"), blank=True)

    class Meta:
        ordering = ["-period_start", "unit_path"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            # one report per unit, type and period; a campaign report per unit and campaign
            # (two campaigns may start on the same day)
            models.UniqueConstraint(fields=["unit", "report_type", "period_start"],
                                    condition=Q(campaign__isnull=True),
                                    name="reports_report_unique_period"),
            models.UniqueConstraint(fields=["unit", "report_type", "campaign"],
                                    condition=Q(campaign__isnull=False),
                                    name="reports_report_unique_campaign"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")),
                                   name="reports_report_period"),
        ]

    def __str__(self) -> str:
        return f"{self.report_type} — {self.unit} ({self.period_label})"

    @property
    def period_label(self) -> str:
        return (f"{self.period_start:%d/%m/%Y}–{self.period_end:%d/%m/%Y}")

    @property
    def due_date(self) -> dt.date:
        return self.report_type.due_date(self.period_end)

    @property
    def is_on_time(self) -> bool | None:
        moment = self.first_submitted_at or self.submitted_at
        if moment is None:
            return None

        return timezone.localdate(moment) <= self.due_date


class ReportReminder(models.Model):
    """A reminder sent for a report owed by a unit, so a report is reminded once a day at
    most, however often the reminder job runs."""

    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    report_type = models.ForeignKey(ReportType, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    campaign = models.ForeignKey("outreach.Campaign", null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="+")
    sent_on = models.DateField()
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "report_type", "period_start", "sent_on"],
                                    condition=Q(campaign__isnull=True),
                                    name="reports_reminder_once_a_day"),
            models.UniqueConstraint(fields=["unit", "report_type", "campaign", "sent_on"],
                                    condition=Q(campaign__isnull=False),
                                    name="reports_reminder_campaign_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.report_type} · {self.unit_id} · {self.sent_on:%d/%m/%Y}"


class ReportAttachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="reports/%Y/")
    kind = models.CharField(max_length=10)
    size = models.PositiveIntegerField(default=0)
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.caption or str(self.file.name)


class PeriodLockQuerySet(models.QuerySet["PeriodLock"]):
    def active(self) -> PeriodLockQuerySet:
        return self.filter(unlocked_at__isnull=True)


class PeriodLock(models.Model):
    """The records of ``unit``'s subtree dated between ``start`` and ``end`` are frozen."""

    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    unit_path = TreePathField(editable=False, place="then")
    start = models.DateField()
    end = models.DateField()
    report = models.ForeignKey(Report, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="locks")
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    locked_at = models.DateTimeField()
    unlocked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    unlocked_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason for unlocking"), blank=True)

    objects = PeriodLockQuerySet.as_manager()

    class Meta:
        ordering = ["-locked_at"]
        indexes = [models.Index(fields=["start", "end"], name="reports_lock_period")]

    def __str__(self) -> str:
        return f"{self.unit_path} {self.start:%d/%m}–{self.end:%d/%m}"


class Export(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # an export queued again (it failed, or its worker stalled) starts a new round: a run of an
    # earlier one changes nothing of it (``core.jobstate``)
    round = models.PositiveIntegerField(default=1, db_default=1)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    file = models.FileField(upload_to="exports/%Y/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"


class ActivityMonth(models.Model):
    """Done activities summed per month and format, their paths cut to a province (level 1)
    or a commune (level 2). Appended to by database triggers, one row per change (``delta``),
    and folded into one row per key by ``rollups.compact``; readers sum the rows of a key.
    See ``reports.rollups``."""

    level = models.PositiveSmallIntegerField()
    path = TreePathField(db_index=False, place="derived")
    month = models.DateField()
    format = models.ForeignKey("outreach.Format", on_delete=models.DO_NOTHING,
                               db_constraint=False, db_index=False, related_name="+")
    n = models.IntegerField(default=0)
    women = models.BigIntegerField(default=0)
    men = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    views = models.BigIntegerField(default=0)
    shares = models.BigIntegerField(default=0)
    border = models.IntegerField(default=0)
    remote = models.IntegerField(default=0)
    minority = models.IntegerField(default=0)
    any_area = models.IntegerField(default=0)
    delta = models.BooleanField(default=True)

    class Meta:
        indexes = [
            # The path is compared byte-wise by the subtree look-up, which PostgreSQL serves
            # only with ``varchar_pattern_ops``.
            models.Index(fields=["level", "path", "month", "format"], name="reports_actmonth_key",
                         opclasses=["", "varchar_pattern_ops", "", ""]),
            models.Index(fields=["level", "path", "month", "format"], name="reports_actmonth_new",
                         condition=Q(delta=True)),
        ]

    def __str__(self) -> str:
        return f"{self.path} {self.month:%m/%Y} format {self.format_id}: {self.n}"


class SpeakerMonth(models.Model):
    """How many done activities a speaker was listed on in a month. Appended to by database
    triggers and compacted like ``ActivityMonth``; see ``reports.rollups``."""

    speaker = models.ForeignKey("outreach.Speaker", on_delete=models.DO_NOTHING,
                                db_constraint=False, db_index=False, related_name="+")
    month = models.DateField()
    n = models.IntegerField(default=0)
    delta = models.BooleanField(default=True)

    class Meta:
        indexes = [
            # with ``n``, so "active in the period" is summed from the index alone
            models.Index(fields=["speaker", "month", "n"], name="reports_spkmonth_key"),
            # led by the month, so the speakers active in a period are read from the period's
            # part of the index alone, not from every month of every speaker (decision 0075)
            models.Index(fields=["month", "speaker", "n"], name="reports_spkmonth_month"),
            models.Index(fields=["speaker", "month"], name="reports_spkmonth_new",
                         condition=Q(delta=True)),
        ]

    def __str__(self) -> str:
        return f"speaker {self.speaker_id} {self.month:%m/%Y}: {self.n}"


class WriteMark(models.Model):
    """The key of an audit event that wrote something (not a read), appended by a trigger on
    the audit trail in the event's own transaction, so that a data version finds the newest
    write by an index look-up; see ``reports.marks``."""

    id = models.BigIntegerField(primary_key=True)  # the audit event's
    # no index: read only by walking the newest keys down (``caching.data_version_at``)
    unit_path = TreePathField(blank=True, db_index=False, place="then")
    tree = models.BooleanField(default=False)  # a change of the tree (``marks.TREE_PREFIX``)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"write {self.id} at {self.unit_path or '-'}"


class ChangeMark(models.Model):
    """The unit path of a row written in a table a kept duty reads (situations, reports, report
    types, campaigns, units), appended by a trigger on that table in the write's own
    transaction, whatever made it: an action, a queryset ``update()``, SQL. A data version
    reads the newest (``reports.marks.CHANGES``, decision 0094)."""

    id = models.BigAutoField(primary_key=True)
    # no index: read only by walking the newest keys down (``caching.data_version_at``)
    unit_path = TreePathField(blank=True, db_index=False, place="then")
    down = models.BooleanField(default=False)  # concerns the units below too (``CHANGES``)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"change {self.id} at {self.unit_path or '-'}"
