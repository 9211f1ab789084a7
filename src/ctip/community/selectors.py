"""Reads of clubs, prevention models and cross-border exchanges, always through the viewer.

Scope follows ``activity.view``: a club or an exchange is visible when the unit path stamped on
it lies in one of the viewer's subtrees. The same rule decides which prevention models a person
may name as the origin of a replica, so a province officer links models across communes while a
commune officer links within her commune (or wherever else she holds ``activity.view``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from ctip.accounts.policy import NotInScope, scope_paths, scope_q
from ctip.community.models import Club, ClubMemberCount, ClubStatusChange, Exchange
from ctip.core.text import fold
from ctip.org.models import PATH_SEPARATOR, Unit
from ctip.org.paths import is_within
from ctip.units.selectors import area_q

COMMUNE_TYPE = "commune"
# A guard against corrupt data: no lineage is anywhere near this deep.
MAX_LINEAGE_DEPTH = 200


# --- Scope ----------------------------------------------------------------------------------

def clubs_visible_to(viewer: Any, capability: str = "activity.view") -> QuerySet[Club]:
    return Club.objects.filter(scope_q(viewer, capability, "unit_path"))


def get_club_for(viewer: Any, pk: int, capability: str = "activity.view") -> Club:
    club = (clubs_visible_to(viewer, capability)
            .select_related("unit", "club_type", "replicated_from__unit",
                            "integrated_into__unit", "created_by")
            .filter(pk=pk).first())
    if club is None:
        raise NotInScope(capability)
    return club


def manageable_units(viewer: Any) -> QuerySet[Unit]:
    """Open units where the viewer may record clubs and exchanges."""
    return (Unit.objects.open().filter(scope_q(viewer, "activity.manage"))
            .select_related("unit_type"))


def border_units(viewer: Any) -> QuerySet[Unit]:
    """Open units in border areas (flagged, or below a flagged unit) where the viewer may
    record exchanges."""
    return manageable_units(viewer).filter(area_q("border"))


def filter_units(viewer: Any) -> QuerySet[Unit]:
    """Units offered in the filters of the registers: the viewer's roots and one level below
    (the province and its communes, a commune and its branches). Deeper units keep their own
    registers through a link from the club's page."""
    roots = scope_paths(viewer, "activity.view")
    if not roots:
        return Unit.objects.none()
    deepest = max(root.count(PATH_SEPARATOR) - 2 for root in roots) + 1
    return (Unit.objects.filter(scope_q(viewer, "activity.view"), depth__lte=deepest)
            .select_related("unit_type"))


def origin_choices(viewer: Any, *, exclude_pk: int | None = None) -> QuerySet[Club]:
    """Prevention models the viewer may name as the origin of a replica: any she can see,
    in any commune of her scope, not only where she may edit. ``exclude_pk``: the club being
    edited, which can copy neither itself nor one of its own replicas."""
    models = (clubs_visible_to(viewer).filter(is_prevention_model=True)
              .select_related("unit").order_by("name_folded", "pk"))
    if exclude_pk is not None:
        models = models.exclude(pk__in=list(family_below(exclude_pk)))
    return models


def search_origins(viewer: Any, query: str, *, exclude_pk: int | None = None,
                   keep_pk: int | None = None, limit: int = 50) -> list[Club]:
    """Prevention models matching ``query`` (by name or unit, with or without accents), and
    the one already chosen (``keep_pk``) so a search never drops the selection."""
    choices = origin_choices(viewer, exclude_pk=exclude_pk)
    models = choices
    key = fold(query)
    if key:
        models = models.filter(Q(name_folded__contains=key)
                               | Q(unit__name_folded__contains=key))
    found = list(models[:limit])
    if keep_pk is not None and all(m.pk != keep_pk for m in found):
        kept = choices.filter(pk=keep_pk).first()
        if kept is not None:
            found.insert(0, kept)
    return found


def integration_choices(viewer: Any, *, exclude_pk: int | None = None) -> QuerySet[Club]:
    clubs = (clubs_visible_to(viewer).exclude(status=Club.Status.DISSOLVED)
             .select_related("unit").order_by("name_folded", "pk"))
    if exclude_pk is not None:
        clubs = clubs.exclude(pk=exclude_pk)
    return clubs


# --- Communes -------------------------------------------------------------------------------

def _ids_of(path: str) -> list[int]:
    return [int(p) for p in path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR) if p]


def communes_of(units: Iterable[Unit]) -> dict[int, Unit]:
    """For each unit, the commune it lies in (itself if it is one), in one query. A unit that
    lies in no commune (a province department, the province itself) stands for itself."""
    units = list(units)
    ancestor_ids = {i for u in units for i in _ids_of(u.path)}
    communes = {u.pk: u for u in Unit.objects.filter(pk__in=ancestor_ids,
                                                      unit_type__code=COMMUNE_TYPE)}
    result = {}
    for unit in units:
        found = [communes[i] for i in _ids_of(unit.path) if i in communes]
        result[unit.pk] = found[-1] if found else unit
    return result


def commune_of(unit: Unit) -> Unit:
    return communes_of([unit])[unit.pk]


# --- Registry -------------------------------------------------------------------------------

@dataclass
class ClubFilter:
    unit: Unit | None = None
    club_type_id: int | None = None
    status: str = ""
    models_only: bool = False
    query: str = ""


def filter_clubs(clubs: QuerySet[Club], f: ClubFilter, *, with_status: bool = True
                 ) -> QuerySet[Club]:
    if f.unit is not None:
        clubs = clubs.filter(unit_path__subtree=f.unit.path)
    if f.club_type_id:
        clubs = clubs.filter(club_type_id=f.club_type_id)
    if f.models_only:
        clubs = clubs.filter(is_prevention_model=True)
    if f.query and fold(f.query):
        clubs = clubs.filter(name_folded__contains=fold(f.query))
    if with_status and f.status:
        clubs = clubs.filter(status=f.status)
    return clubs


def status_counts(clubs: QuerySet[Club]) -> dict[str, int]:
    """Clubs by status, and in all, in one aggregate query."""
    return clubs.order_by().aggregate(
        total=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in Club.Status.values},
    )


def newest_by(model: type[ClubStatusChange] | type[ClubMemberCount], end: dt.date
              ) -> QuerySet[Any]:
    """The rows of a club's dated history (``ClubStatusChange``, ``ClubMemberCount``) that are
    each club's newest on or before ``end`` (the later day; on the same day, the later row):
    one set for all clubs, not a look-up per club."""
    newer = model.objects.filter(club=OuterRef("club"), on__lte=end).filter(
        Q(on__gt=OuterRef("on")) | Q(on=OuterRef("on"), pk__gt=OuterRef("pk")))
    return model.objects.filter(on__lte=end).filter(~Exists(newer))


def active_on(end: dt.date, club: str = "") -> Q:
    """A club (a filter over clubs, or over rows whose relation ``club`` names one, with its
    ``__``) founded by ``end`` and active then as its dated history says: a club never changed
    is active; otherwise its newest change by then is to active."""
    not_active = (newest_by(ClubStatusChange, end).exclude(status=Club.Status.ACTIVE)
                  .values("club_id"))
    return Q(**{f"{club}founded_on__lte": end}) & ~Q(**{f"{club}pk__in": not_active})


def period_aggregates(start: dt.date, end: dt.date) -> dict[str, Any]:
    """The one definition of what the reports count of clubs over a period (aggregates over a
    club queryset; grouped or not):

    - ``active``: founded by and active on the last day of the period (as the history says);
    - ``new``: founded within the period; ``replicated``: of those, replicas of another model;
    - ``dissolved``: dissolved within the period;
    - ``members_unrecorded``: the members of the clubs active on the last day that have no
      count recorded by then (made outside the actions): their current count. The members of
      the others are their counts then, ``recorded_members``; the two add up to the members
      of the clubs active on the last day.

    Each reads the history as sets (decision 0064): the clubs whose newest change by the end
    is not to active, and those dissolved within the period, each one query however many
    clubs there are.
    """
    active_at_end = active_on(end)
    founded_in = Q(founded_on__gte=start, founded_on__lte=end)
    dissolved_in = Q(pk__in=ClubStatusChange.objects.filter(
        status=Club.Status.DISSOLVED, on__gte=start, on__lte=end).values("club_id"))
    recorded = ClubMemberCount.objects.filter(on__lte=end).values("club_id")
    return {
        "active": Count("pk", filter=active_at_end),
        "new": Count("pk", filter=founded_in),
        "replicated": Count("pk", filter=founded_in & Q(replicated_from__isnull=False)),
        "dissolved": Count("pk", filter=dissolved_in),
        "members_unrecorded": Coalesce(
            Sum("member_count", filter=active_at_end & ~Q(pk__in=recorded)), 0),
    }


def recorded_members(end: dt.date) -> QuerySet[ClubMemberCount]:
    """The count each club active on ``end`` had then (its newest recorded by then), for the
    clubs that have one: ``SUM(count)`` of these rows, filtered and grouped over ``club__…``
    fields, is the rest of ``period_aggregates``' members."""
    return newest_by(ClubMemberCount, end).filter(active_on(end, club="club__"))


def model_counts(unit_path: str, start: dt.date, end: dt.date, *,
                 clubs: QuerySet[Club] | None = None,
                 models_only: bool = True) -> dict[str, int]:
    """Prevention models in a subtree over a period, in one aggregate query (for reports),
    as ``period_aggregates`` defines them. Pass ``clubs=clubs_visible_to(viewer)`` to keep a
    person's scope."""
    clubs = (clubs if clubs is not None else Club.objects.all())
    clubs = clubs.filter(unit_path__subtree=unit_path)
    if models_only:
        clubs = clubs.filter(is_prevention_model=True)
    aggregates = period_aggregates(start, end)
    aggregates.pop("members_unrecorded")
    return clubs.order_by().aggregate(**aggregates)


MeetingsFinder = Callable[[Any, Club, int], tuple[list[Any], int]]
_meetings: list[MeetingsFinder] = []


def find_meetings_with(finder: MeetingsFinder) -> None:
    """Set the function giving a club's latest meetings the viewer can see and how many there
    are in all. The meetings are activities, which ``outreach`` records above the clubs: it
    registers ``outreach.selectors.club_meetings`` here (``OutreachConfig.ready``)."""
    _meetings[:] = [finder]


def meetings_of(viewer: Any, club: Club, limit: int = 20) -> tuple[list[Any], int]:
    """The latest meetings of a club (activities recorded with ``club``) the viewer can see,
    and how many there are in all."""
    return _meetings[0](viewer, club, limit) if _meetings else ([], 0)


# --- Lineage --------------------------------------------------------------------------------

def ancestor_ids(club: Club) -> list[int]:
    """The models ``club`` descends from, nearest first, one query per generation."""
    found: list[int] = []
    parent = club.replicated_from_id
    while parent is not None and parent not in found and len(found) < MAX_LINEAGE_DEPTH:
        if parent == club.pk:
            break
        found.append(parent)
        parent = Club.objects.filter(pk=parent).order_by().values_list(
            "replicated_from_id", flat=True).first()
    return found


def integration_ancestor_ids(club: Club) -> list[int]:
    """The clubs ``club`` is merged into, directly or through another one."""
    found: list[int] = []
    parent = club.integrated_into_id
    while parent is not None and parent not in found and len(found) < MAX_LINEAGE_DEPTH:
        found.append(parent)
        parent = Club.objects.filter(pk=parent).order_by().values_list(
            "integrated_into_id", flat=True).first()
    return found


def family_below(root_id: int) -> dict[int, int | None]:
    """Every replica below a model, directly or through other replicas, with the model each
    one copies (``None`` for the root): one query per generation."""
    parent_of: dict[int, int | None] = {root_id: None}
    frontier = [root_id]
    while frontier and len(parent_of) < 100_000:
        rows = list(Club.objects.filter(replicated_from_id__in=frontier).order_by()
                    .values_list("pk", "replicated_from_id"))
        frontier = []
        for pk, parent in rows:
            if pk not in parent_of:
                parent_of[pk] = parent
                frontier.append(pk)
    return parent_of


@dataclass
class SpreadNode:
    club: Club | None  # None: outside the viewer's scope, shown without details
    commune: Unit | None
    children: list[SpreadNode] = field(default_factory=list)
    is_current: bool = False
    generation: int = 0


@dataclass
class CommuneSpread:
    commune: Unit
    first_on: dt.date
    models: int
    is_origin: bool


@dataclass
class Spread:
    root: SpreadNode
    size: int
    hidden: int
    by_commune: list[CommuneSpread]


def spread_of(viewer: Any, club: Club) -> Spread:
    """The lineage tree of ``club``: up to its origin, then every replica below it.

    The family is fetched by id sets, one query per generation up and down, then one query
    for the rows and one for the communes. Models outside the viewer's scope keep their place
    in the tree but show nothing about themselves.
    """
    root_id = ([club.pk, *ancestor_ids(club)])[-1]
    parent_of = family_below(root_id)
    family = {c.pk: c for c in Club.objects.filter(pk__in=list(parent_of))
              .select_related("unit", "club_type")}
    communes = communes_of(c.unit for c in family.values())
    roots = [] if viewer is None else scope_paths(viewer, "activity.view")

    def visible(c: Club) -> bool:
        return viewer is None or any(is_within(c.unit_path, r) for r in roots)

    nodes = {}
    for pk, c in family.items():
        shown = visible(c)
        nodes[pk] = SpreadNode(club=c if shown else None,
                               commune=communes[c.unit_id] if shown else None,
                               is_current=pk == club.pk)
    ordered = sorted(family.values(), key=lambda c: (c.founded_on, c.pk))
    for c in ordered:
        up = parent_of[c.pk]
        if up is not None and up in nodes:
            nodes[up].children.append(nodes[c.pk])
    root = nodes[root_id]
    stack = [(root, 0)]
    while stack:
        node, generation = stack.pop()
        node.generation = generation
        stack.extend((child, generation + 1) for child in node.children)

    by_commune: dict[int, CommuneSpread] = {}
    for c in ordered:
        node = nodes[c.pk]
        if node.commune is None:
            continue
        entry = by_commune.get(node.commune.pk)
        if entry is None:
            by_commune[node.commune.pk] = CommuneSpread(node.commune, c.founded_on, 1,
                                                        c.pk == root_id)
        else:
            entry.models += 1
            entry.is_origin = entry.is_origin or c.pk == root_id
    hidden = sum(1 for n in nodes.values() if n.club is None)
    return Spread(root=root, size=len(nodes), hidden=hidden,
                  by_commune=sorted(by_commune.values(),
                                    key=lambda e: (e.first_on, e.commune.name)))


# --- Exchanges ------------------------------------------------------------------------------

def exchanges_visible_to(viewer: Any, capability: str = "activity.view") -> QuerySet[Exchange]:
    return Exchange.objects.filter(scope_q(viewer, capability, "unit_path"))


def get_exchange_for(viewer: Any, pk: int, capability: str = "activity.view") -> Exchange:
    exchange = (exchanges_visible_to(viewer, capability)
                .select_related("unit", "created_by").filter(pk=pk).first())
    if exchange is None:
        raise NotInScope(capability)
    return exchange


@dataclass
class ExchangeFilter:
    unit: Unit | None = None
    start: dt.date | None = None
    end: dt.date | None = None


def filter_exchanges(exchanges: QuerySet[Exchange], f: ExchangeFilter) -> QuerySet[Exchange]:
    if f.unit is not None:
        exchanges = exchanges.filter(unit_path__subtree=f.unit.path)
    if f.start:
        exchanges = exchanges.filter(date__gte=f.start)
    if f.end:
        exchanges = exchanges.filter(date__lte=f.end)
    return exchanges


def exchange_totals(exchanges: QuerySet[Exchange]) -> dict[str, int]:
    return exchanges.order_by().aggregate(
        exchanges=Count("pk"), participants=Coalesce(Sum("participants"), 0))
