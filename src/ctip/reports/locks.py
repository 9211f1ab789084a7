"""Approved periods are locked: no record of the unit's subtree dated in them may change.

An approved report locks its unit's records for the report's period (``PeriodLock``). Every
action that writes a dated fact calls ``ensure_not_locked`` with the fact's unit path and date
(both the old and the new date when a date changes). Only the parent unit can lift a lock
(``submissions.unlock``), and both are audited.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from ctip.core.errors import ActionError
from ctip.reports.models import PeriodLock


def ancestor_paths(unit_path: str) -> list[str]:
    """``/1/2/3/`` → ``["/1/", "/1/2/", "/1/2/3/"]``: the paths whose subtree holds it."""
    parts = [p for p in unit_path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def lock_for(unit_path: str, date: dt.date) -> PeriodLock | None:
    """The active lock covering a record of ``unit_path`` dated ``date``, if any."""
    if not unit_path or date is None:
        return None
    return (PeriodLock.objects.active()
            .filter(unit_path__in=ancestor_paths(unit_path), start__lte=date, end__gte=date)
            .select_related("unit__parent", "report__report_type").order_by("start").first())


def lock_message(lock: PeriodLock) -> str:
    parent = lock.unit.parent
    report = lock.report
    return _("%(unit)s: the period %(start)s–%(end)s is locked by the approved report "
             "“%(report)s”%(number)s; ask %(parent)s to unlock it.") % {
        "unit": lock.unit.name,
        "start": lock.start.strftime("%d/%m"),
        "end": lock.end.strftime("%d/%m"),
        "report": report.report_type.name if report is not None else "",
        "number": f" ({report.number})" if report is not None and report.number else "",
        "parent": parent.name if parent is not None else _("the unit above"),
    }


def ensure_not_locked(unit_path: str, date: dt.date, *more: dt.date | None) -> None:
    """Refuse a write to a record of ``unit_path`` dated ``date`` (or any of ``more``, e.g.
    the new date of an edited record) inside a locked period."""
    for day in dict.fromkeys(d for d in (date, *more) if d is not None):
        lock = lock_for(unit_path, day)
        if lock is not None:
            raise ActionError(lock_message(lock), field="date")
