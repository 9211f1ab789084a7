"""Reads for situations and cases: the inbox of a unit, overdue items, follow-ups due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from ctip.cases.deadlines import due_soon_q, not_due_soon_q, overdue_q
from ctip.cases.models import FollowUp, Situation
from ctip.org.models import Unit


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


#: The encrypted texts an inbox row never shows: not read, so not decrypted (250 rows a page).
INBOX_UNREAD = ("description", "address", "reporter_contact")


def inbox_for(unit: Unit, now: dt.datetime | None = None, limit: int | None = None) -> Inbox:
    """What a unit must act on. Overdue items of the units directly below show too, so the
    parent notices when a commune misses a deadline. Each section lists at most ``limit``
    situations, the most urgent first, and ``counts`` says how many it holds in all: a fixed
    number of queries, and no more rows read than shown, however many are open."""
    now = now or timezone.now()
    box = Inbox(unit=unit)
    open_here = (Situation.objects.filter(handling_unit=unit)
                 .exclude(state=Situation.State.CLOSED))
    children = list(Unit.objects.filter(parent=unit).values_list("pk", flat=True))
    below = (Situation.objects.filter(overdue_q(now), handling_unit__in=children)
             .exclude(state__in=[Situation.State.CLOSED, Situation.State.REFERRED]))
    sections = inbox_sections(now)
    here = Q(handling_unit=unit)
    late_below = (Q(handling_unit__in=children) & overdue_q(now)
                  & ~Q(state=Situation.State.REFERRED))
    # every section's count in one pass over the unit's and its children's open situations,
    # read from the index of (handling unit, state, deadline) alone
    box.counts = (Situation.objects.filter(here | Q(handling_unit__in=children))
                  .filter(here | late_below)
                  .exclude(state=Situation.State.CLOSED).order_by().aggregate(
                      overdue_below=Count("pk", filter=late_below),
                      **{key: Count("pk", filter=here & where)
                         for key, where in sections.items()}))
    for key, where in sections.items():
        rows = (open_here.filter(where).select_related("unit", "handling_unit")
                .defer(*INBOX_UNREAD).order_by("due_at", "created_at"))
        setattr(box, key, list(rows[:limit] if limit is not None else rows))
    rows = below.select_related("unit", "handling_unit").defer(*INBOX_UNREAD).order_by("due_at")
    box.overdue_below = list(rows[:limit] if limit is not None else rows)
    box.follow_ups = list(
        FollowUp.objects.filter(case__unit=unit, done_on__isnull=True,
                                due_on__lte=timezone.localdate() + dt.timedelta(days=7))
        .select_related("case").order_by("due_on"))
    return box


def overdue_situations(now: dt.datetime | None = None) -> Any:
    now = now or timezone.now()
    return (Situation.objects.filter(overdue_q(now))
            .exclude(Q(state=Situation.State.CLOSED) | Q(state=Situation.State.REFERRED))
            .select_related("handling_unit"))
