"""A unit merged into another hands its people over (``org.signals.unit_merged``).

The merged unit closes, and the roles held there grant nothing. Its persons, support cases
and situations have become its successor's with the other records handled there
(``units.actions._hand_over``), so that the successor's case workers reach them and the levels
above the successor supervise them (decision 0099); here the paths copied from them
(referrals, trafficking events, break-glass flags, anonymisation requests) follow, and the
situations it handled go to the successor. A service's path follows its case by the case's
trigger. What happened there (activities, reports, the audit trail) stays with the closed
unit, where it happened.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, Value

from ctip.accounts.models import User
from ctip.audit.actions import record
from ctip.cases import routing
from ctip.cases.actions import end_uncovered_assignments
from ctip.cases.models import (
    AnonymisationRequest,
    BreakGlass,
    Referral,
    Situation,
    SupportCase,
    TraffickingEvent,
)
from ctip.org.models import Unit
from ctip.org.paths import is_within

# Paths copied from a case's or a situation's, with no unit of their own: those equal to the
# source's path become the successor's.
COPIED_PATHS: tuple[tuple[Any, str], ...] = (
    (Referral, "unit_path"), (TraffickingEvent, "unit_path"), (BreakGlass, "unit_path"),
    (BreakGlass, "actor_path"), (AnonymisationRequest, "unit_path"))


def after_restructuring(*, units: list[Any]) -> None:
    """Once units moved, merged or split (``org.signals.units_restructured``, inside the same
    transaction): nobody stays on a case her roles no longer cover (a worker of the province a
    commune left, of a unit closed by a merger): the case then shows to its unit's case
    managers as needing a worker; and an open situation handled by a unit that is no longer on
    its unit's way up (escalated to the province a commune left) goes to the unit at the same
    level on its new way up, or the nearest one above it where someone can act."""
    paths = {Unit.objects.get(pk=u.pk).path for u in units}
    within = Q()
    for path in paths:
        within |= Q(unit_path__subtree=path)
    for user in User.objects.filter(assigned_cases__in=SupportCase.objects.filter(within)
                                    ).distinct().order_by("pk"):
        end_uncovered_assignments(actor=None, user=user, why="unit_restructured")
    for situation in (Situation.objects.filter(within).exclude(state=Situation.State.CLOSED)
                      .select_related("unit", "handling_unit").order_by("pk")):
        handler = situation.handling_unit
        if is_within(situation.unit.path, handler.path) and handler.closed_on is None:
            continue
        ids = [int(p) for p in situation.unit.path.strip("/").split("/")]
        level = min(handler.depth, len(ids) - 1)
        new = routing.handler_unit(Unit.objects.get(pk=ids[level]))
        Situation.objects.filter(pk=situation.pk).update(handling_unit=new,
                                                         handling_path=new.path)
        record(actor=None, action="situation.rerouted", target=situation,
               unit_path=situation.unit.path,
               changes={"from": handler, "to": new, "why": "unit_restructured"})


def hand_over(*, actor: Any, source: Any, into: Any) -> dict[str, int]:
    """Move what hangs on the records handled at ``source`` itself (its children have moved
    with their records) to ``into``; record how many of each, without naming anyone."""
    # its persons, cases and situations went with the other records handled there
    # (``units.actions._hand_over``); the situations it handled: to the successor, or the
    # nearest unit above it where someone can act, so that none waits in an inbox nobody reads
    handler = routing.handler_unit(into)
    counts = {
        "situations_handled": Situation._base_manager.filter(handling_unit=source).update(
            handling_unit=handler, handling_path=Value(handler.path)),
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
