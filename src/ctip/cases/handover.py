"""A unit merged into another hands its people over (``org.signals.unit_merged``).

The merged unit closes, and the roles held there grant nothing. Its persons, support cases
and situations, and the paths copied from them, have become its successor's with the other
records handled there (``units.actions._hand_over``), so that the successor's case workers
reach them and the levels above the successor supervise them (decision 0099); here the
situations it handled go to the successor. A service's path follows its case by the case's
trigger. After every restructuring, ``after_restructuring`` takes people off cases they no
longer cover and re-routes escalations.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, Value

from ctip.accounts.models import User
from ctip.audit.actions import record
from ctip.cases import routing
from ctip.cases.actions import end_uncovered_assignments
from ctip.cases.models import Situation, SupportCase
from ctip.org.models import Unit
from ctip.org.paths import is_within


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


def hand_over(*, actor: Any, source: Any, into: Any) -> int:
    """The situations ``source`` handled go to ``into``, or the nearest unit above it where
    someone can act, so that none waits in an inbox nobody reads (its own records, and the
    paths copied from them, went over with the others: ``units.actions._hand_over``); how
    many, recorded without naming anyone."""
    handler = routing.handler_unit(into)
    moved = Situation._base_manager.filter(handling_unit=source).update(
        handling_unit=handler, handling_path=Value(handler.path))
    if moved:
        record(actor=actor, action="cases.handed_over", target=source, unit_path=into.path,
               changes={"into": into, "handler": handler, "situations_handled": moved})
    return moved
