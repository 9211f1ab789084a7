"""Where a situation is handled: the nearest unit, from the one where it happened upwards,
at which somebody can act on it.

A situation reported at a branch (chi hội) where nobody holds ``situation.manage`` would sit
in an inbox nobody reads while its deadline runs. ``handler_unit`` walks from the unit up the
tree and returns the first open unit where an active user holds, *at that unit*, a role
granting the capability (a role held higher up covers the unit too, but its holder reads the
inbox of her own unit: the nearest such unit is the one whose people are closest to the
situation). When no unit on the way holds one (a tree without users yet), the unit itself is
kept, as before. ``create_situation`` and ``escalate`` both use it, so a step up skips levels
where nobody could act.
"""

from __future__ import annotations

from ctip.accounts.capabilities import ROLE_CAPABILITIES
from ctip.accounts.models import RoleAssignment
from ctip.org.models import Unit

HANDLING_CAPABILITY = "situation.manage"


def roles_holding(capability: str) -> list[str]:
    return [str(role) for role, caps in ROLE_CAPABILITIES.items() if capability in caps]


def _ancestor_ids(unit: Unit) -> list[int]:
    """The ids on ``unit``'s path, nearest first (the unit itself included)."""
    return [int(part) for part in reversed(unit.path.strip("/").split("/")) if part]


def handler_unit(unit: Unit, *, above: bool = False) -> Unit:
    """The nearest open unit at or above ``unit`` (strictly above with ``above``) where an
    active user holds a role that handles situations; ``unit`` (its parent with ``above``)
    when there is none."""
    ids = _ancestor_ids(unit)
    if above:
        ids = ids[1:]
    if not ids:
        return unit
    staffed = set(
        RoleAssignment.objects.active()
        .filter(unit_id__in=ids, unit__closed_on__isnull=True, user__is_active=True,
                role__in=roles_holding(HANDLING_CAPABILITY))
        .values_list("unit_id", flat=True))
    for unit_id in ids:
        if unit_id in staffed:
            return Unit.objects.get(pk=unit_id)
    return unit.parent if above and unit.parent is not None else unit
