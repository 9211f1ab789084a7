"""Reads of periodic reports: those a viewer may see or review, a report's figures, and
which units owe which report (completeness and timeliness, what falls due soon).

The reads a person triggers take the viewer and go through ``policy`` or her ``report.view``
scope; a report outside it raises ``NotInScope`` whether or not it exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from ctip.accounts.policy import NotInScope, scope_q
from ctip.org.models import Unit
from ctip.org.paths import is_within
from ctip.outreach.models import Campaign
from ctip.reports import indicators, policy
from ctip.reports.models import PeriodLock, Report, ReportType
from ctip.reports.periods import Period, last_closed_period

# Units that owe their parent periodic reports (branches and groups report to their commune
# through its own report, not separately).
REPORTING_UNIT_TYPES = ("province", "district", "commune")
REMIND_DAYS_BEFORE = 3
EDITABLE = (Report.Status.DRAFT, Report.Status.RETURNED)


# --- Reads ----------------------------------------------------------------------------------

def reports_visible_to(viewer: Any) -> QuerySet[Report]:
    return (Report.objects.filter(scope_q(viewer, "report.view", "unit_path"))
            .select_related("unit__parent", "report_type", "submitted_by", "reviewed_by"))


def carried_locks_for(viewer: Any) -> list[PeriodLock]:
    """The periods approved above a unit before it moved, kept locked for it
    (``core.periods.carry_locks``, decision 0100), that ``viewer`` may lift: she reviews the
    unit's reports (``policy.can_approve_for``). The report that approved them belongs to the
    unit it left, which she may not see; only the unit now above it lifts them."""
    return _carried(viewer, PeriodLock.objects.active())


def carried_lock(viewer: Any, pk: int) -> PeriodLock | None:
    """The active lock ``pk`` if it is such a copy ``viewer`` may lift."""
    return next(iter(_carried(viewer, PeriodLock.objects.active().filter(pk=pk))), None)


def lifted_carried_lock(viewer: Any, pk: int) -> PeriodLock | None:
    """The lock ``pk`` if it is such a copy ``viewer`` may lift and it was lifted already (a
    second press of the button): she is told so instead of a 404."""
    lifted = PeriodLock.objects.filter(pk=pk, unlocked_at__isnull=False)
    return next(iter(_carried(viewer, lifted)), None)


def _carried(viewer: Any, locks: QuerySet[PeriodLock]) -> list[PeriodLock]:
    """Of ``locks``, the copies carried to a moved unit (their report is another unit's) that
    ``viewer`` reviews."""
    locks = (locks.filter(scope_q(viewer, "report.view", "unit__path"), report__isnull=False)
             .exclude(report__unit=F("unit"))
             .select_related("unit__parent", "report__unit", "report__report_type")
             .order_by("start", "unit__path", "pk"))
    return [lock for lock in locks if policy.can_approve_for(viewer, lock.unit)]


def get_report_for(viewer: Any, pk: int) -> Report:
    report = reports_visible_to(viewer).filter(pk=pk).first()
    if report is None:
        raise NotInScope("report.view")
    return report


def reports_to_review(viewer: Any) -> QuerySet[Report]:
    """The submitted reports ``viewer`` may review (``policy.reviewable_q``)."""
    return Report.objects.filter(policy.reviewable_q(viewer), status=Report.Status.SUBMITTED)


def reports_to_finish(viewer: Any) -> QuerySet[Report]:
    """The drafts and returned reports of the units where ``viewer`` prepares reports."""
    return Report.objects.filter(policy.preparing_q(viewer, "unit_path"), status__in=EDITABLE)


def reports_owed_by(viewer: Any, today: dt.date) -> list[Owed]:
    """What ``viewer`` still owes, for the units where she holds the role (a commune officer
    prepares her commune's report, not each branch's): each report of the last closed period
    of its type, and of each campaign ended in the last year, that is not sent yet, from the
    day its period closes, whatever its due date, the earliest due first. A report does not
    leave her list when its day passes unsent, nor wait for the last days before it to appear;
    an older period's is on the submissions page. A report she has begun (a draft, or one
    returned to her) is not here: it is on ``reports_to_finish``."""
    owed = due_soon(today, paths=policy.preparing_roots(viewer), closed=True)
    if not owed:
        return []
    begun = {(type_id, unit_id, ("campaign", campaign_id) if campaign_id else start)
             for type_id, unit_id, start, campaign_id in reports_to_finish(viewer).filter(
                 unit__in={o.unit.pk for o in owed}).values_list(
                 "report_type_id", "unit_id", "period_start", "campaign_id")}
    # a campaign's report is the campaign's, whatever its dates became after it was begun
    return sorted((o for o in owed if (o.report_type.pk, o.unit.pk, ("campaign", o.campaign.pk)
                                       if o.campaign else o.start) not in begun),
                  key=lambda o: o.due)


# --- A report's figures ---------------------------------------------------------------------

def _period_object(report: Report) -> Any:
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
    values, keys = indicators.compute_values_and_keys(report.unit, _period_object(report))
    return _jsonable(values), _jsonable(keys)


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


# How long after it ended a campaign's report unsent is still asked for on the home page: a
# year, as the last closed period of the annual report (older ones: the submissions page).
CLOSED_CAMPAIGNS_KEPT = dt.timedelta(days=365)


class Owed(NamedTuple):
    """A report a unit still owes, for the period it covers (due soon, to come or past)."""

    unit: Unit
    report_type: ReportType
    start: dt.date
    end: dt.date
    campaign: Any = None

    @property
    def due(self) -> dt.date:
        return self.report_type.due_date(self.end)


def due_soon(today: dt.date, days: int = REMIND_DAYS_BEFORE,
             paths: Iterable[str] | None = None, *, closed: bool = False) -> list[Owed]:
    """Each report due within ``days`` days (today included) and not yet submitted: the
    periodic reports of the last closed period, by every reporting unit that has a parent,
    and the campaign reports, by every reporting unit taking part in a campaign (not
    archived) whose report falls due in the window. ``paths``: only the units at those paths
    (a person's own units). ``closed``: instead of the window, every report whose period has
    closed, whatever its due date, past or to come (the last closed period of each type, and
    every campaign not archived that ended in the last ``CLOSED_CAMPAIGNS_KEPT``). A fixed
    number of queries, whatever the number of units, report types and campaigns."""
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
        if closed or today <= report_type.due_date(end) <= window_end:
            periods[report_type.pk] = (start, end)
    campaign_types = [t for t in types if t.kind == ReportType.Kind.CAMPAIGN]
    # the days a campaign ends on for its report to be listed, both included, by report type:
    # due = ends_on + N days, so the campaigns that end N days before the window
    ends_within = {
        t.pk: ((today - CLOSED_CAMPAIGNS_KEPT, today - dt.timedelta(days=1)) if closed else
               (today - dt.timedelta(days=t.due_days_after_period),
                window_end - dt.timedelta(days=t.due_days_after_period)))
        for t in campaign_types}
    ending = Q(pk__in=[])
    for first, last in ends_within.values():
        ending |= Q(ends_on__range=(first, last))
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
        first, last = ends_within[report_type.pk]
        for campaign in campaigns:
            if not first <= campaign.ends_on <= last:
                continue
            # the reporting units of the subtree that takes part, below the issuing unit
            owed += [Owed(u, report_type, campaign.starts_on, campaign.ends_on, campaign)
                     for u in owing
                     if is_within(u.path, campaign.unit_path)
                     and u.path != campaign.unit_path
                     and (report_type.pk, campaign.pk, u.pk) not in done]
    return owed
