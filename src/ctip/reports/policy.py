"""Who may do what with periodic reports: one function per rule, called by the pages, the
actions, the home page's work list and the API alike.

- A unit's report is prepared and submitted by a holder of ``report.submit`` over the unit
  (``can_submit_for``).
- The unit above reviews it and lifts its period lock: a holder of ``report.approve`` over the
  *parent* unit, so strictly above the reporting unit (``can_approve_for``). Nobody approves a
  report she submitted herself (``submitted_it``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from ctip.accounts.policy import NotInScope, has_capability, scope_paths, scope_q
from ctip.org.models import Unit
from ctip.reports.models import Report


def can_submit_for(user: Any, unit: Unit | None = None) -> bool:
    """Who prepares, edits and submits a unit's reports: a holder of ``report.submit`` over
    the unit (without ``unit``: over some unit, to offer the form at all)."""
    if unit is None:
        return has_capability(user, "report.submit")
    return has_capability(user, "report.submit", unit)


def preparing_q(user: Any, field: str) -> Q:
    """``can_submit_for`` as a query: the rows whose ``field`` (a tree path) lies where
    ``user`` prepares reports."""
    return scope_q(user, "report.submit", field)


def preparing_roots(user: Any) -> list[str]:
    """The paths of the units where ``user`` holds ``report.submit`` (not those below)."""
    return list(scope_paths(user, "report.submit"))


def require_submit(actor: Any, unit: Unit) -> None:
    """``can_submit_for`` for a write: ``NotInScope`` otherwise (``None``, the system, may)."""
    if actor is not None and not can_submit_for(actor, unit):
        raise NotInScope("report.submit")


def can_approve_for(user: Any, unit: Unit) -> bool:
    """Who reviews a unit's reports (approves or returns them) and lifts its period locks: a
    holder of ``report.approve`` over the unit above it (a unit never approves its own)."""
    parent = unit.parent
    return parent is not None and has_capability(user, "report.approve", parent)


def submitted_it(user: Any, report: Report) -> bool:
    """Whether ``user`` submitted ``report`` herself (and so may not review it)."""
    return report.submitted_by_id is not None and report.submitted_by_id == getattr(user, "pk",
                                                                                    None)


def reviewable_q(user: Any) -> Q:
    """``can_approve_for`` as a query on reports: those of the units strictly below the units
    where ``user`` holds ``report.approve``."""
    below = Q(pk__in=[])
    for root in scope_paths(user, "report.approve"):
        below |= Q(unit__parent__path__subtree=root)
    return below
