"""Reads for situations and cases: the inbox of a unit, overdue items, follow-ups due."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from ctip.cases.deadlines import is_due_soon, is_overdue, overdue_q
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


def inbox_for(unit: Unit, now: dt.datetime | None = None) -> Inbox:
    """What a unit must act on. Overdue items of the units directly below show too, so the
    parent notices when a commune misses a deadline."""
    now = now or timezone.now()
    box = Inbox(unit=unit)
    open_here = (Situation.objects.filter(handling_unit=unit)
                 .exclude(state=Situation.State.CLOSED).order_by("due_at", "created_at"))
    for situation in open_here:
        if situation.state == Situation.State.REFERRED:
            box.waiting.append(situation)
        elif is_overdue(situation.due_at, now):
            box.overdue.append(situation)
        elif is_due_soon(situation.due_at, now):
            box.due_soon.append(situation)
        elif situation.state in (Situation.State.RECEIVED, Situation.State.ESCALATED):
            box.new.append(situation)
        else:
            box.waiting.append(situation)
    box.overdue_below = list(
        Situation.objects.filter(overdue_q(now), handling_unit__parent=unit)
        .exclude(state__in=[Situation.State.CLOSED, Situation.State.REFERRED])
        .select_related("handling_unit").order_by("due_at"))
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
