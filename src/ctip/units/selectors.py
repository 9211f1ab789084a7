"""Reads of the organisation tree, always through the viewer's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ctip.accounts.models import RoleAssignment, User
from ctip.accounts.policy import NotInScope, scope_paths, scope_q
from ctip.core.collation import vi_order
from ctip.core.periods import approved_above
from ctip.core.text import fold
from ctip.org.models import AREA_FLAG_FIELDS, UNIT_AREA_FIELDS, Unit, flagged_q
from ctip.org.paths import records_handled_at


def units_visible_to(viewer: Any, capability: str = "unit.view") -> QuerySet[Unit]:
    return Unit.objects.filter(scope_q(viewer, capability)).select_related("unit_type")


def get_unit_for(viewer: Any, pk: int, capability: str = "unit.view") -> Unit:
    unit = units_visible_to(viewer, capability).filter(pk=pk).first()
    if unit is None:
        raise NotInScope(capability)
    return unit


def scope_roots(viewer: Any, capability: str = "unit.view") -> QuerySet[Unit]:
    return with_counts(Unit.objects.filter(path__in=scope_paths(viewer, capability)))


def with_counts(units: QuerySet[Unit]) -> QuerySet[Unit]:
    """Annotate each unit with the open units and the active users of its subtree (itself
    included), each one correlated subquery served by the path index."""
    open_below = (
        Unit.objects.filter(path__subtree=OuterRef("path"), closed_on__isnull=True)
        .order_by().values("closed_on").annotate(n=Count("pk")).values("n")
    )
    users_below = (
        User.objects.filter(
            is_active=True,
            home_unit__path__subtree=OuterRef("path"),
        )
        .order_by().values("is_active").annotate(n=Count("pk")).values("n")
    )
    return units.select_related("unit_type").annotate(
        unit_count=Coalesce(Subquery(open_below, output_field=IntegerField()), 0),
        user_count=Coalesce(Subquery(users_below, output_field=IntegerField()), 0),
        child_count=Count("children", filter=Q(children__closed_on__isnull=True)),
    )


def children_of(unit: Unit, include_closed: bool = False) -> QuerySet[Unit]:
    children = Unit.objects.filter(parent=unit)
    if not include_closed:
        children = children.filter(closed_on__isnull=True)
    return with_counts(children).order_by("unit_type__level", vi_order("name"))


def search_units(viewer: Any, query: str, limit: int = 50) -> list[Unit]:
    """Find units by name, with or without diacritics, within the viewer's scope."""
    key = fold(query)
    if not key:
        return []
    matches = list(
        units_visible_to(viewer)
        .filter(name_folded__contains=key)
        .order_by("depth", vi_order("name"))[:limit]
    )
    ancestor_ids = {a for u in matches for a in u.ancestor_ids()}
    names = dict(Unit.objects.filter(pk__in=ancestor_ids).values_list("pk", "name"))
    for unit in matches:
        unit.trail = [names[a] for a in unit.ancestor_ids()[:-1] if a in names]  # type: ignore[attr-defined]
    return matches


def ancestors_of(unit: Unit) -> list[Unit]:
    ids = unit.ancestor_ids()[:-1]
    found = Unit.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found]


def role_holders_at(unit: Unit) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.active().filter(unit=unit).select_related("user")


#: What each area means on a unit (border; remote or far-flung; ethnic minority).
AREA_FLAGS = {area: flagged_q(fields) for area, fields in AREA_FLAG_FIELDS.items()}


def in_area(unit: Unit, area: str = "border") -> bool:
    """Whether ``unit`` lies in the area: it or a unit above it carries the flag (a branch of
    a border commune is in the border area), as the indicators count it."""
    return Unit.objects.filter(AREA_FLAGS[area], pk__in=unit.ancestor_ids()).exists()


def area_q(area: str = "border", field: str = "path") -> Q:
    """Units in the area: flagged, or below a flagged unit."""
    q = Q(pk__in=[])
    for path in Unit.objects.filter(AREA_FLAGS[area]).values_list("path", flat=True):
        q |= Q(**{f"{field}__subtree": path})
    return q


def areas_of(unit: Unit, ancestors: list[Unit]) -> list[tuple[Any, Unit | None]]:
    """The area flags that apply to ``unit`` (``ancestors``: the units above it, top first),
    each with ``None`` when the unit carries it itself, else the nearest unit above that does
    (a flag applies below the flagged unit)."""
    out: list[tuple[Any, Unit | None]] = []
    for name in UNIT_AREA_FIELDS:
        label = Unit._meta.get_field(name).verbose_name  # type: ignore[union-attr]
        if getattr(unit, name):
            out.append((label, None))
            continue
        above = next((a for a in reversed(ancestors) if getattr(a, name)), None)
        if above is not None:
            out.append((label, above))
    return out


APPROVED_SHOWN = 5  # periods approved above a unit named on its move page


def _held(unit: Unit) -> list[tuple[str, int]]:
    """How many of what happened in ``unit``'s subtree (activities, exchanges,
    commendations) go with it."""
    return [(model._meta.verbose_name_plural, model._base_manager.filter(
                **{f"{name}__subtree": unit.path}).count())
            for model, name in records_handled_at(lambda m: m is not Unit, ("held",))]


def _units_below(unit: Unit) -> int:
    return (Unit.objects.filter(path__subtree=unit.path, closed_on__isnull=True)
            .exclude(pk=unit.pk).count())


def restructuring_size(unit: Unit) -> int:
    """How many rows a restructuring of ``unit`` rewrites, near enough to decide whether it
    runs in the request or in the background (``units.jobs``): the units below it and what
    happened there. The people, cases and situations are left out: they are far fewer, and
    whether a page answers at once must say nothing about how many people a unit holds."""
    return _units_below(unit) + sum(n for _label, n in _held(unit))


def what_goes_with(unit: Unit) -> dict[str, Any]:
    """What a restructuring of ``unit`` takes along (``units.actions``, decisions 0099 and
    0100), for the officer to read before she confirms: the open units below it, how many of
    what happened there (activities, exchanges, commendations: ``"held"``), and the periods
    approved above it, which stay locked for it wherever it goes. The people, cases and
    situations handled there go too; they are named, not counted: a count of people here
    would bypass the figures' disclosure control."""
    # its own and those above it, read once: a merger or a split takes both along, a move only
    # those above
    approved_with = approved_above(unit.path, own=True)
    approved = [lock for lock in approved_with
                if lock.unit_id != unit.pk and lock.unit_path != unit.path]
    held = _held(unit)
    return {
        "units_below": _units_below(unit),
        "held": [(label, n) for label, n in held if n],
        # the latest few by name (years of monthly, quarterly and yearly reports are many)
        "approved_above": approved[-APPROVED_SHOWN:],
        "approved_more": max(0, len(approved) - APPROVED_SHOWN),
        # a merger or a split: its own too, which go with the records it hands over
        "approved_with": len(approved_with),
    }
