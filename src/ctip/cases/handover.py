"""A unit merged into another hands its people over (``org.signals.unit_merged``).

The merged unit closes, and the roles held there grant nothing; its persons, support cases
and situations, with every path copied from theirs (referrals, trafficking events, break-glass
flags, anonymisation requests), become its successor's, so that the successor's case workers
reach them and the levels above the successor supervise them (decision 0099). A service's
path follows its case by the case's trigger. What happened there (activities, reports, the
audit trail) stays with the closed unit, where it happened.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Value

from ctip.audit.actions import record
from ctip.cases.models import (
    AnonymisationRequest,
    BreakGlass,
    Person,
    Referral,
    Situation,
    SupportCase,
    TraffickingEvent,
)

# Paths copied from a case's or a situation's, with no unit of their own: those equal to the
# source's path become the successor's.
COPIED_PATHS: tuple[tuple[Any, str], ...] = (
    (Referral, "unit_path"), (TraffickingEvent, "unit_path"), (BreakGlass, "unit_path"),
    (BreakGlass, "actor_path"), (AnonymisationRequest, "unit_path"))


def hand_over(*, actor: Any, source: Any, into: Any) -> dict[str, int]:
    """Move the records handled at ``source`` itself (not below it: its children have moved
    with their records) to ``into``; record how many of each, without naming anyone."""
    to = {"unit": into, "unit_path": Value(into.path)}
    counts = {
        "persons": Person._base_manager.filter(unit=source).update(**to),
        "cases": SupportCase._base_manager.filter(unit=source).update(**to),
        "situations": Situation._base_manager.filter(unit=source).update(**to),
        "situations_handled": Situation._base_manager.filter(handling_unit=source).update(
            handling_unit=into, handling_path=Value(into.path)),
    }
    for model, name in COPIED_PATHS:
        moved = model._base_manager.filter(**{name: source.path}).update(
            **{name: Value(into.path)})
        key = f"{model._meta.model_name}_{name}"
        counts[key] = counts.get(key, 0) + moved
    if any(counts.values()):
        record(actor=actor, action="cases.handed_over", target=source, unit_path=into.path,
               changes={"into": into, **counts})
    return counts
