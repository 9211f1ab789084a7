"""The one guard every write of a dated fact passes: approved periods never change.

An approved periodic report locks its unit's records for the report's period
(``reports.models.PeriodLock``); only an officer of the unit above holding ``report.approve``
lifts the lock (``reports.actions.unlock``). The lock lives in ``reports``, but the apps
that hold the facts (outreach, community, cases, org) sit *below* reports and must not import
it, so the lock look-up is here, in ``core``, and reads the model through the app registry.

Every action that writes a dated fact calls ``guard`` with the fact's unit path and

- ``dates``: the days that place the fact in a period (its date, and when an edit changes the
  date, the old and the new one; when it is deleted, its date), and
- ``spans``: ``(first, last)`` ranges of days whose figures the write changes: a support case
  opened on 10 January counts as active in every month from January to today, so opening it
  now changes every period of that range.

Any of those days inside an active lock of the fact's unit or of a unit above it is refused
with an ``ActionError`` naming the period, the approved report and who may unlock it.
``check_date`` holds the other rules of a dated fact: not in the future, not before the
situation or case it belongs to began. ``tests/test_period_guard.py`` finds every public
action of ``ctip.*.actions`` that writes a model with a date and fails when one does not reach
``guard``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ctip.core.errors import ActionError

#: The names the guard test accepts as "this action passes the guard".
GUARDS = frozenset({"guard", "ensure_not_locked"})


def _locks() -> Any:
    return apps.get_model("reports", "PeriodLock").objects.active()


def _over(paths: Iterable[str]) -> Q:
    """The locks of these paths: by the path the lock was approved at (a record left at an old
    path, which ``ctip units check`` names), or by its unit's path now, which the records that
    go with the unit carry (``org.paths.PLACES``); the locks approved above a unit before it
    moved are copied to it (``carry_locks``)."""
    paths = list(paths)
    return Q(unit_path__in=paths) | Q(unit__path__in=paths)


def ancestor_paths(unit_path: str) -> list[str]:
    """``/1/2/3/`` → ``["/1/", "/1/2/", "/1/2/3/"]``: the paths whose subtree holds it."""
    parts = [p for p in unit_path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def lock_over(unit_path: str, first: dt.date, last: dt.date | None = None) -> Any:
    """The active lock of ``unit_path`` or a unit above it that covers a day from ``first`` to
    ``last`` (``first`` alone when ``last`` is None), earliest first; None when there is none."""
    if not unit_path or first is None:
        return None
    last = first if last is None else last
    if last < first:
        first, last = last, first
    return (_locks().filter(_over(ancestor_paths(unit_path)), start__lte=last, end__gte=first)
            .select_related("unit__parent", "report__report_type").order_by("start").first())


def locks_over(unit_paths: Iterable[str], first: dt.date, last: dt.date) -> list[Any]:
    """Every active lock of the given paths or units above them overlapping ``first`` to
    ``last``, read at once (the Excel import checks its rows against them in memory)."""
    paths = {p for path in unit_paths for p in ancestor_paths(path)}
    if not paths:
        return []
    return list(_locks().filter(_over(paths), start__lte=last, end__gte=first)
                .select_related("unit__parent", "report__report_type").order_by("start"))


def lock_covers(lock: Any, unit_path: str) -> bool:
    """``_over`` in memory, for a lock read with its unit (``locks_over``)."""
    above = set(ancestor_paths(unit_path))
    return lock.unit_path in above or lock.unit.path in above


def approved_above(unit_path: str, own: bool = False) -> list[Any]:
    """The active locks of the units above ``unit_path`` (and its own, with ``own``), earliest
    first, with their unit and report: what a move would carry along (``carry_locks``)."""
    above = ancestor_paths(unit_path)[slice(None) if own else slice(None, -1)]
    if not above:
        return []
    return list(_locks().filter(_over(above)).select_related("unit", "report__report_type")
                .order_by("start", "pk"))


def carry_locks(unit: Any, old_path: str, new_path: str, own: bool = False) -> int:
    """``unit`` moves from ``old_path`` to ``new_path`` with everything that happened there
    (``org.paths.MOVING``). The periods approved above its old place (the province it leaves
    approved its July with the commune's figures in it) stay approved for it: every active lock
    of a unit above the old place that does not also cover the new one is copied to ``unit``,
    naming the same report. With ``own``, the old place's own locks too: the records of a unit
    merged or split are handed to ``unit`` (at ``new_path``), and the periods approved for
    them stay approved there. How many (decision 0100)."""
    model = apps.get_model("reports", "PeriodLock")
    now = timezone.now()
    carried: list[Any] = []
    # a copy ``unit`` holds already (a second unit merged into the same successor from the
    # same province) is not made again: one lift must do
    held = {(lock.report_id, lock.start, lock.end)
            for lock in _locks().filter(unit=unit).only("report_id", "start", "end")}
    for lock in approved_above(old_path, own):
        if not lock_covers(lock, new_path) and (lock.report_id, lock.start,
                                                lock.end) not in held:
            held.add((lock.report_id, lock.start, lock.end))
            carried.append(model(unit=unit, unit_path=new_path, start=lock.start,
                                 end=lock.end, report_id=lock.report_id,
                                 locked_by_id=lock.locked_by_id, locked_at=now))
    model.objects.bulk_create(carried)
    return len(carried)


def lock_for(unit_path: str, date: dt.date) -> Any:
    """The active lock covering a record of ``unit_path`` dated ``date``, if any."""
    return lock_over(unit_path, date)


def lock_message(lock: Any) -> str:
    """What the person is told: the unit, the period, the approved report and who unlocks."""
    parent = lock.unit.parent
    report = lock.report
    return _("%(unit)s: the period %(start)s–%(end)s is locked by the approved report "
             "“%(report)s”%(number)s; ask %(parent)s to unlock it.") % {
        "unit": lock.unit.name,
        "start": lock.start.strftime("%d/%m"),
        "end": lock.end.strftime("%d/%m/%Y"),
        "report": report.report_type.name if report is not None else "",
        "number": f" ({report.number})" if report is not None and report.number else "",
        "parent": (_("an officer of %(unit)s who approves reports") % {"unit": parent.name}
                   if parent is not None else _("the unit above")),
    }


def _day(value: dt.date | dt.datetime | None) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def guard(*, unit_path: str | Iterable[str],
          dates: Iterable[dt.date | dt.datetime | None] = (),
          spans: Iterable[tuple[dt.date | dt.datetime | None, dt.date | None]] = (),
          field: str | None = "date") -> None:
    """Refuse the write when one of ``dates``, or a day of one of ``spans``, lies in an active
    lock of ``unit_path`` (or of each of several paths: a fact moving between units) or of a
    unit above it. ``None`` dates are skipped; a span without an end runs to today."""
    paths = [unit_path] if isinstance(unit_path, str) else list(dict.fromkeys(unit_path))
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in dict.fromkeys(_day(d) for d in dates):
        if day is not None:
            ranges.append((day, day))
    for first, last in spans:
        start = _day(first)
        if start is not None:
            ranges.append((start, _day(last) or max(timezone.localdate(), start)))
    for path in paths:
        for first, last in dict.fromkeys(ranges):
            lock = lock_over(path, first, last)
            if lock is not None:
                raise ActionError(lock_message(lock), field=field)


def ensure_not_locked(unit_path: str, date: dt.date, *more: dt.date | None) -> None:
    """``guard`` for one path and a few days (the old and the new date of an edited record)."""
    guard(unit_path=unit_path, dates=(date, *more))


def check_date(value: dt.date, *, field: str, label: str,
               not_before: dt.date | dt.datetime | None = None, subject: str = "",
               future: bool = False) -> None:
    """The rules of a fact's date: not in the future (unless ``future``), and not before
    ``not_before`` (the day the situation was received or the case opened), named ``subject``
    in the message."""
    if value is None:
        return
    if not future and value > timezone.localdate():
        raise ActionError(_("%(field)s %(date)s is in the future.")
                          % {"field": label, "date": value.strftime("%d/%m/%Y")}, field=field)
    start = _day(not_before)
    if start is not None and value < start:
        raise ActionError(_("%(field)s %(date)s is before %(subject)s (%(start)s).")
                          % {"field": label, "date": value.strftime("%d/%m/%Y"),
                             "subject": subject, "start": start.strftime("%d/%m/%Y")},
                          field=field)
