"""Writes and reads of periodic reports: draft → submitted → returned/approved, and locks.

- A unit's report is prepared and submitted by a holder of ``report.submit`` over the unit;
  submitting takes a snapshot of the indicators of the unit's subtree.
- The parent reviews it: a holder of ``report.approve`` over the *parent* unit (so strictly
  above the reporting unit) approves it or returns it with a comment. Nobody approves a report
  she submitted herself.
- Approval locks the unit's records for the period (``PeriodLock``); only the parent lifts the
  lock (``unlock``, with a reason), which reopens the report for a corrected submission.

Every write is audited: ``report.submitted``, ``report.approved``, ``report.returned``,
``period.locked``, ``period.unlocked``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ctip.accounts.policy import NotInScope, has_capability, require, scope_paths, scope_q
from ctip.audit.actions import record
from ctip.core.errors import ActionError, RuleErrors
from ctip.core.text import nfc
from ctip.core.uploads import check_upload
from ctip.org.models import Unit
from ctip.org.paths import is_within
from ctip.outreach.models import Campaign
from ctip.reports.models import PeriodLock, Report, ReportAttachment, ReportType

# Units that owe their parent periodic reports (branches and groups report to their commune
# through its own report, not separately).
REPORTING_UNIT_TYPES = ("province", "district", "commune")
REMIND_DAYS_BEFORE = 3
EDITABLE = (Report.Status.DRAFT, Report.Status.RETURNED)


# --- Periods --------------------------------------------------------------------------------

def period_bounds(kind: str, year: int, n: int = 1) -> tuple[dt.date, dt.date]:
    """The first and last day of the ``n``-th month/quarter/half of ``year`` (or the year)."""
    if kind == ReportType.Kind.MONTHLY:
        first_month, months = n, 1
    elif kind == ReportType.Kind.QUARTERLY:
        first_month, months = 3 * (n - 1) + 1, 3
    elif kind == ReportType.Kind.HALF:
        first_month, months = 6 * (n - 1) + 1, 6
    else:
        first_month, months = 1, 12
    start = dt.date(year, first_month, 1)
    last_month = first_month + months - 1
    after = dt.date(year + 1, 1, 1) if last_month == 12 else dt.date(year, last_month + 1, 1)
    return start, after - dt.timedelta(days=1)


def parse_period(kind: str, text: str) -> tuple[dt.date, dt.date]:
    """The period of a report of ``kind`` written as people write it ("11/2026",
    "quý 3/2026", "6 tháng đầu năm 2026", "năm 2026", or "2026-Q3"): ``periods.read_period``.
    Raises ``ActionError`` on the field ``period`` with what was wrong."""
    from ctip.reports.periods import read_period_of_kind

    period = read_period_of_kind(kind, text)
    return period.start, period.end


def period_code(kind: str, start: dt.date) -> str:
    codes: dict[str, str] = {
        ReportType.Kind.MONTHLY: f"{start:%Y-%m}",
        ReportType.Kind.QUARTERLY: f"{start.year}-Q{(start.month - 1) // 3 + 1}",
        ReportType.Kind.HALF: f"{start.year}-H{(start.month - 1) // 6 + 1}",
        ReportType.Kind.ANNUAL: f"{start.year}",
    }
    return codes.get(kind, f"{start:%Y-%m-%d}")


def last_closed_period(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The latest period of ``kind`` that ended before ``today``."""
    month = today.month
    if kind == ReportType.Kind.MONTHLY:
        prev = today.replace(day=1) - dt.timedelta(days=1)
        return period_bounds(kind, prev.year, prev.month)
    if kind == ReportType.Kind.QUARTERLY:
        q = (month - 1) // 3
        return period_bounds(kind, today.year, q) if q else period_bounds(kind, today.year - 1, 4)
    if kind == ReportType.Kind.HALF:
        return (period_bounds(kind, today.year, 1) if month > 6
                else period_bounds(kind, today.year - 1, 2))
    return period_bounds(kind, today.year - 1)


def _period_object(report: Report) -> Any:
    from ctip.reports.periods import Period

    if report.campaign_id is not None:
        return Period.campaign(report.campaign)
    return Period.custom(report.period_start, report.period_end)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def compute_values(report: Report) -> dict[str, Any]:
    """The indicators of the report's unit subtree for its period, as stored in a snapshot."""
    return compute_snapshot(report)[0]


def compute_snapshot(report: Report) -> tuple[dict[str, Any], dict[str, Any]]:
    """``compute_values`` and the cell keys of its counts of people (``reports.privacy``)."""
    from ctip.reports import indicators

    values, keys = indicators.compute_values_and_keys(report.unit, _period_object(report))
    return _jsonable(values), _jsonable(keys)


# --- Reads ----------------------------------------------------------------------------------

def reports_visible_to(viewer: Any) -> QuerySet[Report]:
    return (Report.objects.filter(scope_q(viewer, "report.view", "unit_path"))
            .select_related("unit__parent", "report_type", "submitted_by", "reviewed_by"))


def get_report_for(viewer: Any, pk: int) -> Report:
    report = reports_visible_to(viewer).filter(pk=pk).first()
    if report is None:
        raise NotInScope("report.view")
    return report


def can_approve_for(user: Any, unit: Unit) -> bool:
    """Who reviews a unit's reports and lifts its period locks: a holder of ``report.approve``
    over the unit above it (a unit never approves its own)."""
    parent = unit.parent
    return parent is not None and has_capability(user, "report.approve", parent)


def can_review(user: Any, report: Report) -> bool:
    return can_approve_for(user, report.unit)


def reports_to_review(viewer: Any) -> QuerySet[Report]:
    """The submitted reports ``viewer`` may review: those of the units strictly below the
    units where she holds ``report.approve`` (``can_approve_for``)."""
    below = Q(pk__in=[])
    for root in scope_paths(viewer, "report.approve"):
        below |= Q(unit__parent__path__subtree=root)
    return Report.objects.filter(below, status=Report.Status.SUBMITTED)


# --- Writes ---------------------------------------------------------------------------------

def _text(value: str | None, limit: int, label: str, *, field: str | None = None) -> str:
    cleaned = nfc(value or "").strip()
    if len(cleaned) > limit:
        raise ActionError(_("%(field)s can have at most %(n)d characters.")
                          % {"field": label, "n": limit}, field=field)
    return cleaned


@transaction.atomic
def create_or_get_draft(*, actor: Any, unit: Unit, report_type: ReportType,
                        start: dt.date | None = None, end: dt.date | None = None,
                        campaign: Any = None) -> Report:
    """The unit's report of this type for the period, created as a draft if there is none."""
    require(actor, "report.submit", unit)
    errors = RuleErrors()
    if report_type.kind == ReportType.Kind.CAMPAIGN:
        if errors.check(campaign is not None, _("Choose the campaign this report is about."),
                        field="campaign"):
            errors.check(is_within(unit.path, campaign.unit_path),
                         _("%(unit)s does not take part in “%(campaign)s”.")
                         % {"unit": unit.name, "campaign": campaign.name}, field="campaign")
            start, end = campaign.starts_on, campaign.ends_on
    else:
        errors.check(campaign is None, _("Only a campaign report refers to a campaign."),
                     field="campaign")
        errors.check(start is not None and end is not None and end >= start,
                     _("Choose a valid period."), field="period")
    errors.check(unit.parent_id is not None, _("%(unit)s has no unit above it to report to.")
                 % {"unit": unit.name}, field="unit")
    errors.raise_if_any()
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


@transaction.atomic
def update_narrative(*, actor: Any, report: Report, results: str = "", difficulties: str = "",
                     proposals: str = "", number: str = "") -> Report:
    report = (Report.objects.select_for_update(of=("self",)).select_related("unit__parent")
              .get(pk=report.pk))
    require(actor, "report.submit", report.unit)
    _ensure_editable(report)
    errors = RuleErrors()
    values = {}
    for name, value, limit, label in (("results", results, 20000, _("Results")),
                                      ("difficulties", difficulties, 20000, _("Difficulties")),
                                      ("proposals", proposals, 20000, _("Proposals")),
                                      ("number", number, 40, _("Number"))):
        with errors.collect():
            values[name] = _text(value, limit, label, field=name)
    errors.raise_if_any()
    values["number"] = " ".join(values["number"].split())
    diff = {k: [getattr(report, k), v] for k, v in values.items() if getattr(report, k) != v}
    for key, value in values.items():
        setattr(report, key, value)
    report.save(update_fields=list(values))
    if diff:
        record(actor=actor, action="report.updated", target=report,
               unit_path=report.unit_path, changes={k: "…" for k in diff})
    return report


@transaction.atomic
def add_attachment(*, actor: Any, report: Report, upload: Any,
                   caption: str = "") -> ReportAttachment:
    report = (Report.objects.select_for_update(of=("self",)).select_related("unit__parent")
              .get(pk=report.pk))
    require(actor, "report.submit", report.unit)
    _ensure_editable(report)
    kind = check_upload(upload)
    attachment = ReportAttachment(report=report, kind=kind, size=upload.size,
                                  caption=_text(caption, 300, _("Caption")),
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
    require(actor, "report.submit", report.unit)
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


def _review_checks(actor: Any, report: Report) -> None:
    """Only a reviewer over the parent unit, never the submitter, and only a pending report."""
    if actor is None:
        return
    require(actor, "report.view", report.unit)  # outside her scope: it does not exist
    if not can_review(actor, report):
        raise ActionError(_("Only %(parent)s, the unit above, can review this report.")
                          % {"parent": report.unit.parent or _("the unit above")})
    if report.submitted_by_id is not None and report.submitted_by_id == actor.pk:
        raise ActionError(_("You submitted this report yourself; another officer of "
                            "%(parent)s must review it.") % {"parent": report.unit.parent})
    if report.status != Report.Status.SUBMITTED:
        raise ActionError(_("Only a submitted report can be reviewed; this one is %(status)s.")
                          % {"status": report.get_status_display()})


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
    _review_checks(actor, report)
    comment = _text(comment, 5000, _("Comment"))
    if not comment:
        raise ActionError(_("Say what needs correcting before returning the report."),
                          field="comment")
    report.status = Report.Status.RETURNED
    report.reviewed_by = actor if getattr(actor, "pk", None) else None
    report.reviewed_at = timezone.now()
    report.return_comment = comment
    report.save(update_fields=["status", "reviewed_by", "reviewed_at", "return_comment"])
    record(actor=actor, action="report.returned", target=report, unit_path=report.unit_path,
           changes={"comment": comment})
    return report


@transaction.atomic
def unlock(*, actor: Any, lock: PeriodLock, reason: str) -> PeriodLock:
    """Lift a lock (the parent only, with a reason); the report reopens for correction."""
    lock = (PeriodLock.objects.select_for_update(of=("self",))
            .select_related("unit__parent", "report").get(pk=lock.pk))
    if actor is not None:
        require(actor, "report.view", lock.unit)
        if not can_approve_for(actor, lock.unit):
            raise ActionError(_("Only %(parent)s, the unit above, can unlock this period.")
                              % {"parent": lock.unit.parent or _("the unit above")})
    if lock.unlocked_at is not None:
        raise ActionError(_("This period is already unlocked."))
    reason = _text(reason, 2000, _("Reason"))
    if not reason:
        raise ActionError(_("Give the reason for unlocking the period."), field="reason")
    lock.unlocked_by = actor if getattr(actor, "pk", None) else None
    lock.unlocked_at = timezone.now()
    lock.reason = reason
    lock.save(update_fields=["unlocked_by", "unlocked_at", "reason"])
    report = lock.report
    if report is not None and report.status == Report.Status.APPROVED:
        report.status = Report.Status.RETURNED
        report.return_comment = reason
        report.save(update_fields=["status", "return_comment"])
    record(actor=actor, action="period.unlocked", target=lock, unit_path=lock.unit_path,
           changes={"period": [lock.start, lock.end], "reason": reason,
                    "report": report.pk if report else None})
    return lock


# --- Completeness and timeliness ------------------------------------------------------------

@dataclass
class Counts:
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0

    def add(self, state: str) -> None:
        self.expected += 1
        if state in ("on_time", "late"):
            self.submitted += 1
        setattr(self, state, getattr(self, state) + 1)


@dataclass
class Row:
    unit: Unit
    report: Report | None
    state: str  # on_time / late / missing / pending
    below: Counts = field(default_factory=Counts)


def state_of(report: Report | None, due: dt.date, today: dt.date) -> str:
    moment = report.first_submitted_at if report is not None else None
    if moment is None:
        return "missing" if today > due else "pending"
    return "on_time" if timezone.localdate(moment) <= due else "late"


def reporting_units(root: Unit) -> QuerySet[Unit]:
    """The open units below ``root`` that owe reports."""
    return (Unit.objects.open().filter(path__subtree=root.path,
                                       unit_type__code__in=REPORTING_UNIT_TYPES)
            .exclude(pk=root.pk).select_related("unit_type"))


def campaign_units(campaign: Any) -> QuerySet[Unit]:
    """The open units that owe a report on ``campaign``: the reporting units of the subtree
    that takes part in it, below the unit that issued it (which receives the reports)."""
    return (Unit.objects.open().filter(path__subtree=campaign.unit_path,
                                       unit_type__code__in=REPORTING_UNIT_TYPES,
                                       parent__isnull=False)
            .exclude(path=campaign.unit_path).select_related("unit_type"))


def _reports_of(report_type: ReportType, start: dt.date, campaign: Any) -> QuerySet[Report]:
    if campaign is not None:
        return Report.objects.filter(report_type=report_type, campaign=campaign)
    return Report.objects.filter(report_type=report_type, period_start=start,
                                 campaign__isnull=True)


def completeness(root: Unit, report_type: ReportType, start: dt.date, end: dt.date,
                 today: dt.date | None = None, campaign: Any = None,
                 ) -> tuple[list[Row], dict[str, Counts], Counts]:
    """For each child unit of ``root``: its own state, and the counts of its subtree; plus the
    counts per level (unit type) and the total, for all the reporting units below ``root``.
    For a campaign report, only the units that take part in ``campaign`` owe one, and the
    period is the campaign's."""
    today = today or timezone.localdate()
    if campaign is not None:
        start, end = campaign.starts_on, campaign.ends_on
    due = report_type.due_date(end)
    units = list(reporting_units(root))
    if campaign is not None:
        taking_part = set(campaign_units(campaign).values_list("pk", flat=True))
        units = [u for u in units if u.pk in taking_part]
    reports = {r.unit_id: r for r in _reports_of(report_type, start, campaign)
               .filter(unit__in=units)}
    per_level: dict[str, Counts] = {}
    total = Counts()
    states = {}
    for unit in units:
        state = state_of(reports.get(unit.pk), due, today)
        states[unit.pk] = state
        per_level.setdefault(unit.unit_type.name, Counts()).add(state)
        total.add(state)
    rows = []
    for child in [u for u in units if u.parent_id == root.pk]:
        row = Row(child, reports.get(child.pk), states[child.pk])
        for unit in units:
            if is_within(unit.path, child.path) and unit.pk != child.pk:
                row.below.add(states[unit.pk])
        rows.append(row)
    rows.sort(key=lambda r: r.unit.name)
    return rows, per_level, total


class Owed(NamedTuple):
    """A report a unit still owes, due soon."""

    unit: Unit
    report_type: ReportType
    start: dt.date
    end: dt.date
    campaign: Any = None

    @property
    def due(self) -> dt.date:
        return self.report_type.due_date(self.end)


def due_soon(today: dt.date, days: int = REMIND_DAYS_BEFORE,
             paths: Iterable[str] | None = None) -> list[Owed]:
    """Each report due within ``days`` days (today included) and not yet submitted: the
    periodic reports of the last closed period, by every reporting unit that has a parent,
    and the campaign reports, by every reporting unit taking part in a campaign (not
    archived) whose report falls due in the window. ``paths``: only the units at those paths
    (a person's own units). A fixed number of queries, whatever the number of units, report
    types and campaigns."""
    from django.db.models import Q


    window_end = today + dt.timedelta(days=days)
    units = Unit.objects.open().filter(unit_type__code__in=REPORTING_UNIT_TYPES,
                                       parent__isnull=False)
    if paths is not None:
        units = units.filter(path__in=list(paths))
    types = list(ReportType.objects.filter(active=True))
    periods = {}
    for report_type in types:
        if report_type.kind == ReportType.Kind.CAMPAIGN:
            continue
        start, end = last_closed_period(report_type.kind, today)
        if today <= report_type.due_date(end) <= window_end:
            periods[report_type.pk] = (start, end)
    campaign_types = [t for t in types if t.kind == ReportType.Kind.CAMPAIGN]
    # due = ends_on + N days, so the campaigns that end N days before the window
    ending = Q(pk__in=[])
    for report_type in campaign_types:
        lag = dt.timedelta(days=report_type.due_days_after_period)
        ending |= Q(ends_on__gte=today - lag, ends_on__lte=window_end - lag)
    campaigns = (list(Campaign.objects.filter(ending, archived=False).order_by("pk"))
                 if campaign_types else [])
    if not periods and not campaigns:
        return []
    owing = list(units.select_related("unit_type"))
    if not owing:
        return []
    submitted = Q(pk__in=[])
    for type_id, (start, _end) in periods.items():
        submitted |= Q(report_type_id=type_id, period_start=start, campaign__isnull=True)
    if campaigns:
        submitted |= Q(report_type__in=campaign_types, campaign__in=campaigns)
    reports = Report.objects.filter(submitted, first_submitted_at__isnull=False)
    if paths is not None:
        reports = reports.filter(unit__in=[u.pk for u in owing])
    done = set(reports.values_list("report_type_id", "campaign_id", "unit_id"))
    owed: list[Owed] = []
    for report_type in types:
        if report_type.pk in periods:
            start, end = periods[report_type.pk]
            owed += [Owed(u, report_type, start, end) for u in owing
                     if (report_type.pk, None, u.pk) not in done]
    for report_type in campaign_types:
        lag = dt.timedelta(days=report_type.due_days_after_period)
        for campaign in campaigns:
            if not today - lag <= campaign.ends_on <= window_end - lag:
                continue
            # the reporting units of the subtree that takes part, below the issuing unit
            owed += [Owed(u, report_type, campaign.starts_on, campaign.ends_on, campaign)
                     for u in owing
                     if is_within(u.path, campaign.unit_path)
                     and u.path != campaign.unit_path
                     and (report_type.pk, campaign.pk, u.pk) not in done]
    return owed
