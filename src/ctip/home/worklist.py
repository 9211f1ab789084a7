"""What waits for the viewer today: the staff home page's work list (issue 15.1).

One function per kind of work, each reading through the module's own selectors and the
viewer's scope, each returning nothing for a viewer without the capability; ``values``
puts them together. Lists show codes, units, states and deadlines only (never a narrative
or an identity), and are capped (``LIMIT``) with the total and a link to the full list.

It gives the work list as plain values, what the page shows and nothing else, so the page
is rendered once per set of them and kept (``accounts.kept``, decision 0092). Its two
cards of activities (the campaigns' progress and what was recorded lately) depend only on her
scope, today's date and the activities, campaigns and units of her subtree: their values are
kept in the cache under the data version of her units, as the dashboard's fragments are
(``reports.caching``, decisions 0051 and 0059), and built again after any write there. The
duties (the situations to handle, the reports to prepare and review, the follow-ups due and the
case manager's tasks) are kept the same way, from tables whose every write a trigger marks,
until the clock changes them (``kept_duties``, decisions 0094 and 0095).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone, translation

from ctip.accounts.capabilities import ROLE_CAPABILITIES
from ctip.accounts.policy import grants_of, has_capability, scope_paths, scope_q
from ctip.cases.deadlines import DUE_SOON, due_soon_q, next_turn, overdue_q
from ctip.cases.digest import deadline_text, deadline_text_until
from ctip.cases.models import FollowUp, Situation
from ctip.cases.selectors import NEEDING_WORKER_SHOWN, home_tasks
from ctip.core.remembered import Remembered
from ctip.core.templatetags.shell import freeze, generation
from ctip.org.paths import is_within
from ctip.outreach.models import Activity
from ctip.outreach.selectors import activities_visible_to, campaign_totals_for, campaigns_running
from ctip.portal.selectors import cms_work
from ctip.reports import caching
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
    #: the moment after which the card would read otherwise with no write: a deadline passes
    #: or comes within ``DUE_SOON``, or the words of a deadline it shows change
    until: dt.datetime | None = None


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
    # the next deadline to pass (here or below) or to come near (here), and the next change
    # of the words of one shown
    turn = next_turn(open_.filter(scope_q(viewer, "situation.manage", "handling_path")), now,
                     near=Q(handling_path__in=roots))
    moments = [*(deadline_text_until(s.due_at, now) for s in
                 [*work.overdue.items, *work.due_soon.items] if s.due_at is not None),
               *([turn] if turn else [])]
    work.until = min(moments, default=None)
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


#: How far ahead a follow-up is due: on the home from a week before its day.
FOLLOW_UPS_AHEAD = dt.timedelta(days=7)


def follow_ups_due(viewer: Any, today: dt.date) -> Capped:
    """Follow-ups of open support cases in the viewer's ``case.manage`` scope due within a
    week (overdue ones included), by case code."""
    if not has_capability(viewer, "case.manage"):
        return Capped()
    return Capped.of(
        FollowUp.objects.filter(scope_q(viewer, "case.manage", "case__unit_path"),
                                done_on__isnull=True, case__closed_on__isnull=True,
                                due_on__lte=today + FOLLOW_UPS_AHEAD)
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


# --- The work list as plain values (the page kept per set of them) --------------------------

#: Seconds the activity cards are kept at most: a write that neither the roll-up triggers nor
#: the audit trail see (an administrator's SQL changing a title) is shown after this, as on
#: the dashboard (``caching.FRAGMENT_TIMEOUT``).
CARDS_TIMEOUT = caching.FRAGMENT_TIMEOUT

#: The shape of the cards' values (their names): changed with them, so that a cache shared by
#: the servers and kept over a new release never gives the page values it cannot read.
CARDS_SHAPE = 2

#: The cards and the duties this process read or made, by all they were made from
#: (``core.remembered``, decision 0101): the shared cache is not asked again for them.
_cards_remembered = Remembered("home:activity-cards:")
_duties_remembered = Remembered("home:duties:")


def _capped(capped: Capped, item: Any) -> dict[str, Any]:
    return {"items": [item(x) for x in capped.items], "total": capped.total,
            "more": capped.more}


def _situation(x: Any) -> dict[str, Any]:
    return {"pk": x.pk, "code": x.code, "category_label": str(x.get_category_display()),
            "state": x.state, "state_label": str(x.get_state_display()),
            "handling_unit": x.handling_unit.name,
            "deadline_words": str(getattr(x, "deadline_words", ""))}


def _report(x: Any) -> dict[str, Any]:
    return {"pk": x.pk, "report_type": x.report_type.name, "unit": x.unit.name,
            "period_label": x.period_label, "status_label": str(x.get_status_display()),
            "due": getattr(x, "due", None), "submitted_at": x.submitted_at}


def _campaign(p: Any) -> dict[str, Any]:
    """A campaign card's values, under the names ``outreach/_campaign_total.html`` reads."""
    cells = {name: {"actual": cell.actual, "target": cell.target, "percent": cell.percent}
             for name, cell in (("sessions", p.total.sessions),
                                ("participants", p.total.participants),
                                ("new_models", p.total.new_models))}
    return {"campaign": {"pk": p.campaign.pk, "name": p.campaign.name,
                         "starts_on": p.campaign.starts_on, "ends_on": p.campaign.ends_on},
            "parent": {"pk": p.parent.pk, "name": p.parent.name},
            "total": {"level": p.total.level, **cells}}


def _activity(a: Any) -> dict[str, Any]:
    return {"pk": a.pk, "title": a.title, "unit": a.unit.name, "date": a.date}


def activity_cards(viewer: Any, today: dt.date,
                   version_of: Callable[[str], str] = caching.data_version_at
                   ) -> dict[str, Any]:
    """The campaigns' progress and what was recorded lately, as plain values, kept in the
    cache under the data version of each of her units (``caching.data_version_at``): what they
    show comes from the activities (every write of a counted one appends a roll-up row), the
    campaigns, their targets, the prevention models and the units' names (every change of
    which is an audit event of a write) in her subtree or above it, and from nothing else but
    her scope and the date; the key holds them, and the language."""
    roots = scope_paths(viewer, "activity.view")
    if not roots:
        return {"campaigns": [], "recent": _capped(Capped(), _activity)}
    versions = tuple(version_of(root) for root in roots)
    keep = all(caching.settled(v) for v in versions)
    inputs = (CARDS_SHAPE, tuple(roots), versions, today.isoformat(), translation.get_language())
    cards: dict[str, Any] | None = _cards_remembered.read(inputs) if keep else None
    if cards is None:
        # each taken apart once, here, not by the page on every visit (``shell.Frozen``)
        cards = {"campaigns": freeze([_campaign(p) for p in campaign_work(viewer, today)]),
                 "recent": freeze(_capped(recent_records(viewer), _activity))}
        if keep:
            _cards_remembered.store(inputs, cards, CARDS_TIMEOUT)
    return cards


def _report_card(reports: ReportWork | None) -> dict[str, Any] | None:
    return None if reports is None else {
        "to_prepare": [{"report_type": o.report_type.name, "unit": o.unit.name,
                        "start": o.start, "end": o.end, "due": o.due}
                       for o in reports.to_prepare],
        "drafts": _capped(reports.drafts, _report),
        "to_approve": _capped(reports.to_approve, _report)}


#: The shape of the kept duties' values, as ``CARDS_SHAPE``.
DUTIES_SHAPE = 2

#: What of the code the duties follow, besides the rows: what each role may do, which units
#: report, when a deadline is near. A release that changes them never gets the cards an
#: earlier one kept in a shared cache.
_DUTY_RULES = hashlib.sha256(repr((
    sorted((role, sorted(capabilities)) for role, capabilities in ROLE_CAPABILITIES.items()),
    sorted(report_selectors.REPORTING_UNIT_TYPES), DUE_SOON, LIMIT, FOLLOW_UPS_AHEAD,
    NEEDING_WORKER_SHOWN)).encode()).hexdigest()


def _situation_card(situations: SituationWork | None) -> dict[str, Any] | None:
    return None if situations is None else {
        "overdue": _capped(situations.overdue, _situation),
        "due_soon": _capped(situations.due_soon, _situation),
        "new": situations.new, "overdue_below": situations.overdue_below}


def _follow_ups_card(viewer: Any, today: dt.date) -> dict[str, Any]:
    return _capped(follow_ups_due(viewer, today), lambda f: {
        "case_pk": f.case.pk, "case_code": f.case.code, "due_on": f.due_on})


def _tasks_card(viewer: Any) -> dict[str, Any] | None:
    tasks = home_tasks(viewer)
    return {"flags_to_review": tasks.flags_to_review, "anonymisations": tasks.anonymisations,
            "needing_worker": [{"pk": c.pk, "code": c.code, "unit": {"name": c.unit.name}}
                               for c in tasks.needing_worker]} if tasks else None


#: The capabilities of the duties ``kept_duties`` makes: a viewer with none of them has no card
#: to keep.
_KEPT_DUTIES = ("situation.manage", "report.submit", "report.approve", "case.manage",
                "breakglass.review")


def kept_duties(viewer: Any, now: dt.datetime,
                version_of: Callable[[str], str] = caching.data_version_at) -> dict[str, Any]:
    """The situations to handle, the reports to prepare and to review, the follow-ups due and
    the case manager's tasks (cases without a worker, anonymisations to decide, break-glass
    flags to review), as plain values, kept in the cache under the data version of each of her
    units (decisions 0094 and 0095) until the clock changes what they show.

    They come from the situations, reports, report types, campaigns, units, support cases, case
    workers, follow-ups, anonymisation requests and break-glass flags of her subtree or above
    it: every row written there, whatever wrote it, is marked by a trigger and moves the
    version (``reports.marks.CHANGES``); and from nothing else but her roles and units, the
    date and the language, which the key holds. The clock: a report's period and due date,
    and a follow-up's week, follow the date (in the key); a situation becomes late or due soon,
    and the words of its deadline change, at moments known when the card is made
    (``SituationWork.until``), after which it is made again."""
    if not any(has_capability(viewer, c) for c in _KEPT_DUTIES):
        # no duty of these kinds: nothing kept
        return {"situations": None, "reports": None, "follow_ups": _capped(Capped(), str),
                "tasks": None}
    grants = tuple(sorted({(g.role, g.unit_path) for g in grants_of(viewer)}))
    roots = sorted({path for _role, path in grants})
    today = timezone.localdate(now)
    # the versions first: values made while a write commits are kept under the older one
    versions = tuple(version_of(r) for r in roots)
    keep = all(caching.settled(v) for v in versions)
    inputs = (DUTIES_SHAPE, _DUTY_RULES, generation(), viewer.pk, grants, versions,
              today.isoformat(), translation.get_language())
    kept: dict[str, Any] | None = _duties_remembered.read(inputs) if keep else None
    # made for this moment: not before it (a server whose clock is behind another's, a request
    # that started earlier) and not after the clock changed them
    if kept is not None and kept["made"] <= now and (kept["until"] is None
                                                      or now < kept["until"]):
        return dict(kept["values"])
    situations = situation_work(viewer, now)
    duties = {"situations": freeze(_situation_card(situations)),
              "reports": freeze(_report_card(report_work(viewer, today))),
              "follow_ups": freeze(_follow_ups_card(viewer, today)),
              "tasks": freeze(_tasks_card(viewer))}
    if keep:
        kept = {"values": duties, "made": now, "until": situations and situations.until}
        _duties_remembered.store(inputs, kept, CARDS_TIMEOUT)
    return duties


def values(viewer: Any, now: dt.datetime) -> dict[str, Any]:
    """The work list as plain values (``accounts.kept.render_kept``): dictionaries, lists,
    texts, numbers and dates, under the names the page reads; a card with nothing to show is
    ``None`` or has a ``total`` of 0. The activity cards are kept (``activity_cards``,
    decision 0092), and the duties (``kept_duties``, decisions 0094 and 0095): every row they
    are made of is marked when written, whatever wrote it, and the moments the clock changes
    them are known. What she reported and the bulletin's reviews read tables no trigger marks
    (the reporter's situations are found by their author, not by a unit; the bulletin's
    workflow is Wagtail's), and are read on every visit: a duty must never wait on a kept
    card."""
    today = timezone.localdate(now)
    version_of = functools.cache(caching.data_version_at)  # each unit's once a request
    return {
        **kept_duties(viewer, now, version_of),
        "reported": _capped(reported_by_me(viewer), _situation),
        **activity_cards(viewer, today, version_of),
        "bulletin": cms_work(viewer),  # plain already: a dataclass of texts and counts
    }
