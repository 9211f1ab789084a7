"""A situation's deadline: the one definition the inbox, the digest, the indicators and the
synthetic data read.

When a situation is received, the rule in force (``DeadlineRule`` for its category and
urgency, else the urgency's default) fixes how long it may wait before it is escalated or
referred; the situation stores it (``Situation.deadline_us``, microseconds after it was
recorded) and the moment it falls due (``due_at`` = ``created_at`` + ``deadline_us``). When it
is escalated, the rule in force then fixes the next level's ``due_at``. Nothing recomputes a
stored deadline: changing a rule changes only the situations received (or escalated) after
it.

- the inbox, the lists, the home page and the digest show ``due_at`` and call ``is_overdue``
  / ``overdue_q``, ``is_due_soon`` / ``due_soon_q`` and ``due_within_q``: no other module
  compares a deadline with the clock;
- "escalated within the deadline" (``reports.indicators``) compares the first escalation,
  ``escalated_after_us`` (kept by the roll-up triggers), with the stored ``deadline_us``
  (``on_time_q``), so a situation the inbox showed as late is counted late;
- ``ctip synth`` fixes its situations' deadlines with ``rule_reader`` and ``fix``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import F, Min, Q
from django.utils import timezone

from ctip.cases.models import DeadlineRule, Urgency

DEFAULT_HOURS = {Urgency.URGENT: 24, Urgency.HIGH: 72, Urgency.NORMAL: 168}
HOUR_US = 3_600_000_000
DUE_SOON = dt.timedelta(hours=12)  # "due soon" in the inbox, the lists and the home page


def rule_reader() -> Callable[[str, str], int]:
    """Hours allowed for (category, urgency) by the rules in force now, read once."""
    rules = {(c, u): h for c, u, h in
             DeadlineRule.objects.values_list("category", "urgency", "hours")}

    def hours(category: str, urgency: str) -> int:
        found = rules.get((category, urgency))
        if found is not None:
            return found
        return DEFAULT_HOURS.get(urgency, DEFAULT_HOURS[Urgency.NORMAL])  # type: ignore[call-overload]

    return hours


def rule_hours(category: str, urgency: str) -> int:
    """Hours allowed for one (category, urgency) by the rule in force now."""
    return rule_reader()(category, urgency)


def fix(received_at: dt.datetime, hours: int) -> tuple[int, dt.datetime]:
    """``(deadline_us, due_at)`` of a situation received at ``received_at`` with ``hours``."""
    return hours * HOUR_US, received_at + dt.timedelta(hours=hours)


def due_after(category: str, urgency: str, start: dt.datetime | None = None) -> dt.datetime:
    """When a step taken at ``start`` (now) falls due under the rule in force now."""
    return (start or timezone.now()) + dt.timedelta(hours=rule_hours(category, urgency))


def is_overdue(due_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Whether a stored deadline has passed (the inbox's "Overdue")."""
    return due_at is not None and due_at < (now or timezone.now())


def overdue_q(now: dt.datetime | None = None) -> Q:
    return Q(due_at__lt=now or timezone.now())


def is_due_soon(due_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Not overdue yet, but due within ``DUE_SOON`` (the inbox's "Due soon")."""
    now = now or timezone.now()
    return due_at is not None and now <= due_at < now + DUE_SOON


def due_soon_q(now: dt.datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(due_at__gte=now, due_at__lt=now + DUE_SOON)


def not_due_soon_q(now: dt.datetime | None = None) -> Q:
    """No deadline, or one further away than ``DUE_SOON`` (the inbox's "New" and "Waiting")."""
    return Q(due_at__isnull=True) | Q(due_at__gte=(now or timezone.now()) + DUE_SOON)


def due_within_q(window: dt.timedelta, now: dt.datetime | None = None) -> Q:
    """Overdue, or due within ``window`` from now (the digest's list)."""
    return Q(due_at__lt=(now or timezone.now()) + window)


def next_turn(situations: Any, now: dt.datetime, near: Q) -> dt.datetime | None:
    """The first moment from ``now`` on at which one of ``situations`` (a queryset) becomes
    overdue, or one of those matching ``near`` becomes due soon: when a list showing them
    (the staff home's card) would read otherwise with no write; ``None`` when none will."""
    found = situations.aggregate(
        passes=Min("due_at", filter=Q(due_at__gte=now)),
        nears=Min("due_at", filter=near & Q(due_at__gte=now + DUE_SOON)))
    return min([m for m in (found["passes"], found["nears"] and found["nears"] - DUE_SOON)
                if m is not None], default=None)


def on_time_q() -> Q:
    """Situations whose first escalation came no later than the deadline fixed when they
    were received."""
    return Q(escalated_after_us__isnull=False, escalated_after_us__lte=F("deadline_us"))


def stored(situation: Any) -> dt.datetime | None:
    """The deadline fixed when the situation was received."""
    if situation.deadline_us is None:
        return None
    return situation.created_at + dt.timedelta(microseconds=situation.deadline_us)
