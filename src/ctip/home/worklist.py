"""What waits for the viewer today: the staff home page's work list (issue 15.1).

One function per kind of work, each reading through the module's own selectors and the
viewer's scope, each returning nothing for a viewer without the capability; ``work_list``
puts them together. Lists show codes, units, states and deadlines only (never a narrative
or an identity), and are capped (``LIMIT``) with the total and a link to the full list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from ctip.accounts.policy import has_capability, scope_paths, scope_q
from ctip.cases.deadlines import due_soon_q, overdue_q
from ctip.cases.digest import deadline_text
from ctip.cases.models import FollowUp, Situation
from ctip.cases.selectors import home_tasks
from ctip.org.paths import is_within
from ctip.outreach.models import Activity
from ctip.outreach.selectors import activities_visible_to, campaign_totals_for, campaigns_running
from ctip.portal.selectors import cms_work
from ctip.reports import policy as report_policy
from ctip.reports import selectors as report_selectors

LIMIT = 8

#: How many of the newest activities of the whole table "recorded lately" looks through
#: before it asks the unit-path index.
RECENT_WINDOW = 500


@dataclass
class Capped:
    """The first ``LIMIT`` items and how many there are in all."""

    items: list[Any] = field(default_factory=list)
    total: int = 0

    @classmethod
    def of(cls, queryset: Any) -> Capped:
        total = queryset.count()
        return cls(list(queryset[:LIMIT]) if total else [], total)

    @property
    def more(self) -> int:
        return max(self.total - len(self.items), 0)

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass
class SituationWork:
    overdue: Capped
    due_soon: Capped
    new: int
    overdue_below: int = 0


def situation_work(viewer: Any, now: dt.datetime) -> SituationWork | None:
    """Open situations handled in the viewer's units: overdue, due soon, new."""
    if not has_capability(viewer, "situation.manage"):
        return None
    # handled at the units where she holds the role (her inboxes); what is late further
    # down is counted apart, as the inbox shows it, from the index of (handling path, state,
    # deadline) alone: a province's 50,000 situations are not read
    roots = scope_paths(viewer, "situation.manage")
    open_ = Situation.objects.exclude(state__in=[Situation.State.CLOSED,
                                                 Situation.State.REFERRED])
    handled = open_.filter(handling_path__in=roots)
    work = SituationWork(
        overdue=_first_situations(handled.filter(overdue_q(now))),
        due_soon=_first_situations(handled.filter(due_soon_q(now))),
        new=handled.filter(state__in=[Situation.State.RECEIVED,
                                      Situation.State.ESCALATED]).count(),
        overdue_below=open_.filter(scope_q(viewer, "situation.manage", "handling_path"),
                                   overdue_q(now)).exclude(handling_path__in=roots).count())
    for situation in [*work.overdue.items, *work.due_soon.items]:
        situation.deadline_words = deadline_text(situation.due_at, now)
    return work


def _first_situations(situations: Any) -> Capped:
    """The first ``LIMIT`` by deadline and how many there are: their keys picked (a subquery)
    from the index of (handling path, state, deadline) alone, then only those rows read."""
    total = situations.count()
    if not total:
        return Capped()
    keys = situations.order_by("due_at", "pk").values("pk")[:LIMIT]
    items = (Situation.objects.filter(pk__in=keys).select_related("handling_unit", "unit")
             .only("pk", "code", "category", "urgency", "state", "due_at", "created_at",
                   "handling_unit__name", "unit__name").order_by("due_at", "pk"))
    return Capped(list(items), total)


def reported_by_me(viewer: Any) -> Capped:
    """The situations the viewer reported, to follow their state (reporters without
    ``situation.view`` have no inbox)."""
    if not has_capability(viewer, "situation.report") or has_capability(
            viewer, "situation.view"):
        return Capped()
    return Capped.of(Situation.objects.filter(created_by=viewer)
                     .select_related("handling_unit")
                     .only("pk", "code", "category", "state", "due_at", "created_at",
                           "handling_unit__name").order_by("-created_at", "-pk"))


def follow_ups_due(viewer: Any, today: dt.date) -> Capped:
    """Follow-ups of open support cases in the viewer's ``case.manage`` scope due within a
    week (overdue ones included), by case code."""
    if not has_capability(viewer, "case.manage"):
        return Capped()
    return Capped.of(
        FollowUp.objects.filter(scope_q(viewer, "case.manage", "case__unit_path"),
                                done_on__isnull=True, case__closed_on__isnull=True,
                                due_on__lte=today + dt.timedelta(days=7))
        .select_related("case").only("pk", "due_on", "case__id", "case__code")
        .order_by("due_on", "pk"))


@dataclass
class ReportWork:
    to_prepare: list[Any]     # ``reports.selectors.Owed``: due soon, nothing submitted yet
    drafts: Capped            # drafts and returned reports to finish and submit
    to_approve: Capped        # submitted reports of the units below, awaiting review


def report_work(viewer: Any, today: dt.date) -> ReportWork | None:
    can_submit = report_policy.can_submit_for(viewer)
    can_approve = has_capability(viewer, "report.approve")
    if not (can_submit or can_approve):
        return None
    to_prepare: list[Any] = []
    drafts = Capped()
    if can_submit:
        to_prepare = report_selectors.reports_owed_by(viewer, today)[:LIMIT]
        drafts = Capped.of(
            report_selectors.reports_to_finish(viewer)
            .select_related("unit", "report_type").order_by("period_end", "pk"))
        for report in drafts.items:
            report.due = report.report_type.due_date(report.period_end)
    to_approve = Capped()
    if can_approve:
        to_approve = Capped.of(
            report_selectors.reports_to_review(viewer)
            .select_related("unit", "report_type").order_by("submitted_at", "pk"))
    return ReportWork(to_prepare=to_prepare, drafts=drafts, to_approve=to_approve)


def campaign_work(viewer: Any, today: dt.date) -> list[Any]:
    """The running campaigns the viewer takes part in, with her level's totals against its
    targets (the total line of ``outreach.selectors.campaign_progress_for``), at most three,
    in a fixed number of queries."""
    if not has_capability(viewer, "activity.view"):
        return []
    running = list(campaigns_running(viewer, today)[:3])
    return list(campaign_totals_for(viewer, running))


def recent_records(viewer: Any) -> Capped:
    """What was recorded lately in the viewer's units: the last activities recorded (the
    highest keys, which follow the order of recording), newest first. The keys are picked
    without a sort and only those rows are read: a province holds a million activities, which
    neither a sort on the time of recording nor a count should touch. The card shows no
    total, so none is counted."""
    if not has_capability(viewer, "activity.view"):
        return Capped()

    visible = activities_visible_to(viewer)
    # The newest keys of the whole table first (walked down its primary key, no sort): at a
    # province most are hers. Only when fewer than the card shows are among them (a unit
    # recording little, whose part of the unit-path index is small) are her keys picked from
    # that index, which at a province would mean reading a million entries.
    roots = scope_paths(viewer, "activity.view")
    newest = Activity.objects.order_by("-pk").values_list("pk", "unit_path")[:RECENT_WINDOW]
    keys = [pk for pk, path in newest if any(is_within(path, root) for root in roots)][:LIMIT]
    if len(keys) < LIMIT:
        keys = list(visible.order_by("-pk").values_list("pk", flat=True)[:LIMIT])
    items = list(visible.filter(pk__in=keys).select_related("unit")
                 .only("pk", "title", "date", "status", "created_at", "unit__name")
                 .order_by("-pk"))
    return Capped(items, len(items))


@dataclass
class WorkList:
    situations: SituationWork | None
    reported: Capped
    follow_ups: Capped
    reports: ReportWork | None
    campaigns: list[Any]
    recent: Capped
    bulletin: Any  # ``portal.selectors.CmsWork``: what waits for her in the CMS
    tasks: Any  # ``cases.selectors.HomeTasks``: break-glass flags, cases without a worker


def work_list(viewer: Any, now: dt.datetime | None = None) -> WorkList:
    now = now or timezone.now()
    today = timezone.localdate(now)
    return WorkList(
        situations=situation_work(viewer, now), reported=reported_by_me(viewer),
        follow_ups=follow_ups_due(viewer, today), reports=report_work(viewer, today),
        campaigns=campaign_work(viewer, today), recent=recent_records(viewer),
        bulletin=cms_work(viewer), tasks=home_tasks(viewer))
