"""Reads for situations and cases: the cases and persons a viewer's pages show (never their
identity: ``policy.identity_level`` gives it, and ``actions.view_identity`` records it), the
counts per unit, the inbox of a unit, overdue items, follow-ups due.

Who may see which rows is ``cases.policy``'s (``cases_visible_to``, ``persons_visible_to``,
``situations_visible_to``); the reads here build on those and raise ``NotInScope`` for a row
outside them, whether or not it exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ctip.accounts.policy import NotInScope, has_capability, scope_q
from ctip.cases.actions import IDENTITY_FIELDS
from ctip.cases.deadlines import due_soon_q, not_due_soon_q, overdue_q
from ctip.cases.models import AnonymisationRequest, FollowUp, Person, Situation, SupportCase
from ctip.cases.policy import (
    CASE_NARRATIVE,
    can_manage_case,
    can_manage_person,
    cases_visible_to,
    persons_visible_to,
    situations_visible_to,
)
from ctip.cases.review import flags_visible_to
from ctip.core.collation import vi_order
from ctip.org.models import Unit
from ctip.org.paths import is_within

PERSON_IDENTITY = tuple(f"person__{f}" for f in IDENTITY_FIELDS)
PERSON_LIGHT = ("pk", "code", "unit_id", "unit_path", "anonymised_at", "created_at", "sex")


@dataclass
class Inbox:
    unit: Unit
    new: list[Situation] = field(default_factory=list)
    due_soon: list[Situation] = field(default_factory=list)
    overdue: list[Situation] = field(default_factory=list)
    overdue_below: list[Situation] = field(default_factory=list)
    waiting: list[Situation] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    #: how many situations each section holds in all (its list may show fewer)
    counts: dict[str, int] = field(default_factory=dict)
    #: the page of each section's rows shown (1: the most urgent)
    pages: dict[str, int] = field(default_factory=dict)
    #: how many situations are open at each unit directly below (by key), where any is
    open_below: dict[int, int] = field(default_factory=dict)
    #: the names of the units directly below (by key), in the order of their names
    names_below: dict[int, str] = field(default_factory=dict)


def inbox_sections(now: dt.datetime) -> dict[str, Q]:
    """Each section of the inbox as a condition on the open situations handled at a unit:
    overdue, due within ``DUE_SOON``, new (received or escalated here), and waiting (referred
    to an agency, or being handled with no deadline near). Every open situation is in one."""
    referred = Q(state=Situation.State.REFERRED)
    not_timed = not_due_soon_q(now)
    fresh = Q(state__in=[Situation.State.RECEIVED, Situation.State.ESCALATED])
    return {
        "overdue": ~referred & overdue_q(now),
        "due_soon": ~referred & due_soon_q(now),
        "new": ~referred & not_timed & fresh,
        "waiting": referred | (not_timed & ~fresh),
    }


#: What an inbox row shows (code, category, urgency, state, deadline, the units' names):
#: nothing else is read, so no encrypted text is decrypted and no unit's other columns made.
INBOX_ROW = ("pk", "code", "category", "urgency", "state", "due_at", "created_at",
             "unit__name", "handling_unit__name")


def inbox_for(unit: Unit, now: dt.datetime | None = None, limit: int | None = None,
              pages: Mapping[str, int] | None = None, follow_ups: bool = True) -> Inbox:
    """What a unit must act on. Overdue items of the units directly below show too, so the
    parent notices when a commune misses a deadline. Each section lists at most ``limit``
    situations, the most urgent first, and ``counts`` says how many it holds in all: a fixed
    number of queries, and no more rows read than shown, however many are open. ``pages``
    asks for a later page of ``limit`` rows in a section (by its key: ``overdue``,
    ``overdue_below``...); a page past the last is the last, and ``Inbox.pages`` says which
    page each section shows. The follow-ups of the unit's open cases due within a week are
    paged the same way (key ``follow_ups``), unless ``follow_ups`` is false (a viewer who may
    not see the cases: nothing of them is read). A section with nothing in it, and the
    follow-ups' count when their first page is not full, cost no query: on PostgreSQL each
    query is a round trip to another process, which a busy machine makes wait its turn."""
    now = now or timezone.now()
    box = Inbox(unit=unit)
    box.names_below = dict(Unit.objects.filter(parent=unit).order_by(vi_order("name"))
                           .values_list("pk", "name"))
    children = list(box.names_below)
    below = (open_situations_at(children).filter(overdue_q(now))
             .exclude(state=Situation.State.REFERRED))
    sections = inbox_sections(now)
    late = overdue_q(now) & ~Q(state=Situation.State.REFERRED)
    # every section's count, the late ones of each unit below and the open ones there, in one
    # pass over the unit's and its children's open situations grouped by handling unit, read
    # from the partial index of the open situations alone
    grouped = (open_situations_at([unit.pk, *children]).order_by()
               .values("handling_unit")
               .annotate(open_=Count("pk"), late_=Count("pk", filter=late),
                         **{key: Count("pk", filter=where) for key, where in sections.items()})
               .values_list("handling_unit", "open_", "late_", *sections))
    box.counts = dict.fromkeys([*sections, "overdue_below"], 0)
    for unit_pk, open_, late_, *in_sections in grouped:
        if unit_pk == unit.pk:
            box.counts.update(zip(sections, in_sections, strict=True))
        else:
            box.counts["overdue_below"] += late_
            box.open_below[unit_pk] = open_
    wanted = {}
    for key, rows in [*inbox_rows(unit, now).items(), ("overdue_below", below)]:
        page = _page_of(box.counts[key], limit, (pages or {}).get(key, 1))
        box.pages[key] = page
        if box.counts[key]:
            wanted[key] = (rows, (page - 1) * (limit or 0))
    for key, shown in _most_urgent(wanted, limit).items():
        setattr(box, key, shown)
    # the follow-ups of the unit's open cases due within a week, paged like the sections
    # (key ``follow_ups``): the count, then a page of ``limit`` rows, the earliest first
    due = (FollowUp.objects.filter(case__unit=unit, case__closed_on__isnull=True,
                                   done_on__isnull=True,
                                   due_on__lte=timezone.localdate() + dt.timedelta(days=7))
           .select_related("case").order_by("due_on", "pk"))
    if not follow_ups:
        box.counts["follow_ups"], box.pages["follow_ups"] = 0, 1
    elif limit and (pages or {}).get("follow_ups", 1) <= 1 and len(
            first := list(due[:limit + 1])) <= limit:
        # the first page is all there is: its rows are the count
        box.follow_ups, box.pages["follow_ups"] = first, 1
        box.counts["follow_ups"] = len(first)
    elif limit:
        box.counts["follow_ups"] = due.count()
        page = _page_of(box.counts["follow_ups"], limit, (pages or {}).get("follow_ups", 1))
        box.pages["follow_ups"] = page
        box.follow_ups = list(due[(page - 1) * limit:page * limit])
    else:
        box.follow_ups = list(due)
        box.counts["follow_ups"], box.pages["follow_ups"] = len(box.follow_ups), 1
    return box


def _page_of(count: int, limit: int | None, asked: int) -> int:
    """The page of ``limit`` rows out of ``count`` to show when ``asked`` for one: a page past
    the last is the last (1 without a limit)."""
    if not limit:
        return 1
    return min(max(1, asked), max(1, -(-count // limit)))


#: The order of an inbox section: the nearest deadline first, then the oldest.
INBOX_ORDER = ("due_at", "created_at", "pk")


def open_situations_at(unit: Unit | int | list[int]) -> QuerySet[Situation]:
    """The situations handled at ``unit`` (or at any of the units keyed) that are not closed:
    the condition of the partial index of the open situations by handling unit, deadline and
    time of recording (``cases_sit_open_unit_due``), which holds them in the inbox's order."""
    where = Q(handling_unit__in=unit) if isinstance(unit, list) else Q(handling_unit=unit)
    return Situation.objects.filter(where).exclude(state=Situation.State.CLOSED)


def inbox_rows(unit: Unit, now: dt.datetime) -> dict[str, QuerySet[Situation]]:
    """Each section's situations handled at ``unit`` (``inbox_sections``), unordered."""
    return {key: open_situations_at(unit).filter(where)
            for key, where in inbox_sections(now).items()}


def inbox_keys(situations: QuerySet[Situation]) -> QuerySet[Situation, Any]:
    """The keys of ``situations`` in the inbox's order, to be sliced to a page: on one
    handling unit's open situations, read in that order from their partial index, stopping
    at the page's end."""
    return situations.order_by(*INBOX_ORDER).values("pk")


def _most_urgent(sections: Mapping[str, tuple[QuerySet[Situation], int]],
                 limit: int | None) -> dict[str, list[Situation]]:
    """``limit`` situations of each section from its offset, in the inbox's order, with their
    units, by the section's key. Each section's keys are picked first (a subquery) from the
    partial index of the open situations by (handling unit, deadline, time of recording)
    alone, then only those rows are read: a province handles thousands of open situations
    and its children's late ones run to thousands more, of which a section shows a page.
    The sections' rows are read together (``UNION ALL``, each row tagged with its section):
    one query, where a query a section was a round trip each to PostgreSQL."""
    parts = []
    for key, (situations, offset) in sections.items():
        keys = inbox_keys(situations)
        picked = keys[offset:offset + limit] if limit is not None else keys[offset:]
        parts.append(Situation.objects.filter(pk__in=picked)
                     .select_related("unit", "handling_unit").only(*INBOX_ROW)
                     .annotate(section=Value(key, output_field=CharField())).order_by())
    found: dict[str, list[Situation]] = {key: [] for key in sections}
    if parts:
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for situation in rows.order_by(*INBOX_ORDER):
            found[situation.section].append(situation)  # type: ignore[attr-defined]
    return found


def overdue_situations(now: dt.datetime | None = None) -> Any:
    now = now or timezone.now()
    return (Situation.objects.filter(overdue_q(now))
            .exclude(Q(state=Situation.State.CLOSED) | Q(state=Situation.State.REFERRED))
            .select_related("handling_unit"))


# --- Cases and persons, as the pages show them -----------------------------------------------

def cases_shown_to(viewer: Any) -> QuerySet[SupportCase]:
    """The viewer's cases without anything encrypted: no identity, no narrative."""
    return cases_visible_to(viewer).defer(*CASE_NARRATIVE, *PERSON_IDENTITY)


def get_case_shown_to(viewer: Any, pk: int) -> SupportCase:
    """A case of the viewer's with its narratives (shown to those who manage it), without the
    person's identity."""
    case = cases_visible_to(viewer).defer(*PERSON_IDENTITY).filter(pk=pk).first()
    if case is None:
        raise NotInScope("case.view")
    return case


def get_case_managed_by(viewer: Any, pk: int) -> SupportCase:
    case = get_case_shown_to(viewer, pk)
    if not can_manage_case(viewer, case):
        raise NotInScope("case.manage")
    return case


def persons_shown_to(viewer: Any) -> QuerySet[Person]:
    """``persons_visible_to`` loaded without their identity: code and unit only."""
    return persons_visible_to(viewer).only(*PERSON_LIGHT, "unit__name", "unit__path")


def get_person_shown_to(viewer: Any, pk: int) -> Person:
    person = persons_shown_to(viewer).filter(pk=pk).first()
    if person is None:
        raise NotInScope("case.view")
    return person


def get_person_managed_by(viewer: Any, pk: int) -> Person:
    person = get_person_shown_to(viewer, pk)
    if not can_manage_person(viewer, person):
        raise NotInScope("case.manage")
    return person


def with_identity(person: Person) -> Person:
    """The person with her identity loaded, for the few places that need it (after
    ``policy.identity_level`` has let them)."""
    return Person.objects.select_related("unit").get(pk=person.pk)


@dataclass
class CaseCounts:
    """Open and closed cases by kind, for a unit's children, the unit itself and in all: per
    kind [open, closed, key of the open, key of the closed] (the keys for
    ``reports.privacy``)."""

    children: list[Unit]
    rows: dict[str, dict[str, list[int]]]
    own: dict[str, list[int]]
    total: dict[str, list[int]]


def case_counts_below(unit: Unit) -> CaseCounts:
    """The cases of ``unit``'s subtree counted for each unit directly below it (numbers only:
    no code, no person). The caller has checked the viewer's scope over ``unit``."""
    children = list(Unit.objects.filter(parent=unit).order_by("closed_on", vi_order("name")))
    kinds = list(SupportCase.Kind)
    rows: dict[str, dict[str, list[int]]] = {c.path: {k.value: [0, 0, 0, 0] for k in kinds}
                                             for c in children}
    own = {k.value: [0, 0, 0, 0] for k in kinds}
    total = {k.value: [0, 0, 0, 0] for k in kinds}
    counts = (SupportCase.objects.filter(unit_path__subtree=unit.path).order_by()
              .values("unit_path", "kind")
              .annotate(open=Count("pk", filter=Q(closed_on__isnull=True)),
                        closed=Count("pk", filter=Q(closed_on__isnull=False)),
                        open_key=Coalesce(Sum("record_key", filter=Q(closed_on__isnull=True)),
                                          0),
                        closed_key=Coalesce(Sum("record_key",
                                                filter=Q(closed_on__isnull=False)), 0)))
    for row in counts:
        bucket = next((rows[c.path] for c in children if is_within(row["unit_path"], c.path)),
                      own)
        found = (row["open"], row["closed"], row["open_key"], row["closed_key"])
        for target in (bucket, total):
            for i, n in enumerate(found):
                target[row["kind"]][i] += n
    return CaseCounts(children, rows, own, total)


# --- Situations and cases by id, and what waits for the viewer -------------------------------

def get_situation_for(viewer: Any, pk: int) -> Situation:
    situation = situations_visible_to(viewer).filter(pk=pk).first()
    if situation is None:
        raise NotInScope("situation.view")
    return situation


def get_case_for(viewer: Any, pk: int) -> SupportCase:
    case = cases_visible_to(viewer).filter(pk=pk).first()
    if case is None:
        raise NotInScope("case.view")
    return case


def cases_needing_worker(viewer: Any) -> QuerySet[SupportCase]:
    """Open cases, in the units where ``viewer`` manages cases, with no case worker left (the
    last one's role was revoked or moved): the supervisor must assign someone."""
    return (SupportCase.objects.filter(scope_q(viewer, "case.manage", "unit_path"),
                                       closed_on__isnull=True, workers__isnull=True)
            .select_related("unit", "person").only("pk", "code", "kind", "opened_on",
                                                   "unit__name", "unit_path", "person__code"))


def anonymisations_to_decide(viewer: Any, *, with_reason: bool = False
                             ) -> QuerySet[AnonymisationRequest]:
    """Pending requests at the units where ``viewer`` manages cases, asked by someone else."""
    fields = ("reason",) if with_reason else ()
    return (AnonymisationRequest.objects
            .filter(scope_q(viewer, "case.manage", "unit_path"),
                    state=AnonymisationRequest.State.PENDING)
            .exclude(requested_by_id=viewer.pk)
            .select_related("person", "requested_by")
            .only("pk", "unit_path", "requested_at", "state", "requested_by_id",
                  "person__code", "person_id", "requested_by__username",
                  "requested_by__full_name", *fields))


@dataclass
class HomeTasks:
    """What waits for the viewer on her home page: flags to review, cases without a worker,
    anonymisations to approve."""

    flags_to_review: int = 0
    needing_worker: list[SupportCase] = field(default_factory=list)
    anonymisations: int = 0

    def __bool__(self) -> bool:
        return bool(self.flags_to_review or self.needing_worker or self.anonymisations)


#: How many open cases without a worker the home lists.
NEEDING_WORKER_SHOWN = 20


def home_tasks(viewer: Any) -> HomeTasks:
    tasks = HomeTasks()
    if has_capability(viewer, "breakglass.review"):
        tasks.flags_to_review = flags_visible_to(viewer).filter(
            reviewed_at__isnull=True).count()
    if has_capability(viewer, "case.manage"):
        # what the card shows (code, unit), no more: the person is not read
        tasks.needing_worker = list(
            cases_needing_worker(viewer).select_related(None).select_related("unit")
            .only("pk", "code", "opened_on", "unit__name").order_by("opened_on")
            [:NEEDING_WORKER_SHOWN])
        tasks.anonymisations = anonymisations_to_decide(viewer).count()
    return tasks
