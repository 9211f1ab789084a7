"""Reads of outreach work, always through the viewer's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, StrIndex, Substr
from django.utils import timezone

from ctip.accounts.policy import NotInScope, scope_paths, scope_q
from ctip.catalogues.models import Movement, Topic
from ctip.community.models import Club
from ctip.core.collation import vi_order
from ctip.core.text import fold
from ctip.figures import rollups
from ctip.org.models import Unit
from ctip.org.paths import NarrowSubtree, is_within
from ctip.outreach.models import (
    Activity,
    Attachment,
    Campaign,
    CampaignTarget,
    Commendation,
    Material,
    Speaker,
)
from ctip.outreach.policy import can_keep_library, require_library


def activities_visible_to(viewer: Any) -> QuerySet[Activity]:
    return Activity.objects.filter(scope_q(viewer, "activity.view", "unit_path"))


def get_activity_for(viewer: Any, pk: int) -> Activity:
    activity = (activities_visible_to(viewer).select_related("unit", "format", "campaign",
                                                            "movement", "club", "created_by")
                .filter(pk=pk).first())
    if activity is None:
        raise NotInScope("activity.view")
    return activity


def activity_version(activity: Activity) -> str:
    """The version an edit was based on (the API's ``ETag``, the edit page's hidden field): it
    changes with every save, so a save based on an older one is caught, never applied over."""
    return f'"{activity.pk}-{int(activity.updated_at.timestamp() * 1_000_000)}"'


def get_attachment_for(viewer: Any, pk: int) -> Attachment:
    """An attachment of an activity the viewer may see."""
    attachment = (Attachment.objects.select_related("activity")
                  .filter(pk=pk, activity__in=activities_visible_to(viewer)).first())
    if attachment is None:
        raise NotInScope("activity.view")
    return attachment


def campaigns_visible_to(viewer: Any) -> QuerySet[Campaign]:
    """Campaigns issued in the viewer's subtree, or issued above it for a subtree that
    includes the viewer's units (a commune sees the province's campaign)."""
    roots = scope_paths(viewer, "activity.view")
    q = scope_q(viewer, "activity.view", "unit_path")
    for root in roots:
        ancestors = [f"/{'/'.join(root.strip('/').split('/')[:i])}/"
                     for i in range(1, root.count("/"))]
        q |= Q(unit_path__in=ancestors)
    return Campaign.objects.filter(q).select_related("unit")


def campaigns_for_activity(viewer: Any, activity: Any = None) -> QuerySet[Campaign]:
    """The campaigns an activity may name: those visible to ``viewer``, and the one it names
    already, even where she no longer sees it (her unit moved out of the area of the campaign
    it was recorded under, decision 0100): an edit must not drop it, nor be refused for it."""
    campaigns = campaigns_visible_to(viewer)
    if activity is None or activity.campaign_id is None:
        return campaigns
    return Campaign.objects.filter(
        Q(pk__in=campaigns.values("pk")) | Q(pk=activity.campaign_id)).select_related("unit")


def get_campaign_for(viewer: Any, pk: int) -> Campaign:
    campaign = campaigns_visible_to(viewer).filter(pk=pk).first()
    if campaign is None:
        raise NotInScope("activity.view")
    return campaign


def running_on(day: dt.date) -> Q:
    """A campaign that runs on ``day``: begun, not yet ended (both days included)."""
    return Q(starts_on__lte=day, ends_on__gte=day)


def running_campaign(unit: Unit, on: dt.date) -> Campaign | None:
    """The campaign in progress for ``unit`` on a date, if exactly one is clear."""
    ancestors = [f"/{'/'.join(unit.path.strip('/').split('/')[:i])}/"
                 for i in range(1, unit.path.count("/"))]
    return (Campaign.objects.filter(running_on(on), unit_path__in=ancestors, archived=False)
            .order_by("-unit_path", "-starts_on").first())


@dataclass
class ActivityFilter:
    start: dt.date | None = None
    end: dt.date | None = None
    unit: Unit | None = None
    format_ids: list[int] = field(default_factory=list)
    topic_ids: list[int] = field(default_factory=list)
    audience_ids: list[int] = field(default_factory=list)
    campaign_id: int | None = None
    status: str = ""


class _NotIndexed(Func):
    """A column as it is; on SQLite written ``+column``, which keeps the query planner from
    walking that column's own index for the comparison."""

    arity = 1
    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)


# A unit at this depth or below (a commune, a branch) holds a small share of the activities.
NARROW_DEPTH = 2


def filter_activities(activities: QuerySet[Activity], f: ActivityFilter) -> QuerySet[Activity]:
    day: Any = "date"
    if f.unit is not None:
        if f.unit.depth >= NARROW_DEPTH:
            activities = activities.filter(NarrowSubtree(f.unit.path))
        else:
            activities = activities.filter(unit_path__subtree=f.unit.path)
        if f.unit.depth >= NARROW_DEPTH and (f.start or f.end):
            # SQLite has no histograms: it takes a date range (a year: a fifth of five years)
            # for narrower than a unit-path range (a commune: one in a hundred) and walks the
            # date index, reading every activity of the year. Keep the period off that index
            # so the (unit_path, date) index serves the query. PostgreSQL is unaffected.
            activities = activities.alias(
                _period_day=_NotIndexed("date", output_field=DateField()))
            day = "_period_day"
    if f.start:
        activities = activities.filter(**{f"{day}__gte": f.start})
    if f.end:
        activities = activities.filter(**{f"{day}__lte": f.end})
    if f.format_ids:
        activities = activities.filter(format_id__in=f.format_ids)
    if f.campaign_id:
        activities = activities.filter(campaign_id=f.campaign_id)
    if f.status:
        activities = activities.filter(status=f.status)
    if f.topic_ids:
        activities = activities.filter(
            pk__in=Activity.topics.through.objects.filter(topic_id__in=f.topic_ids)
            .values("activity_id"))
    if f.audience_ids:
        activities = activities.filter(
            pk__in=Activity.audiences.through.objects.filter(audience_id__in=f.audience_ids)
            .values("activity_id"))
    return activities


TOTAL_FIELDS = {
    # the rows, not their keys: the planned activities' sums are then read from their partial
    # index alone on PostgreSQL too, whose index does not hold the key (decision 0065)
    "sessions": Count("*"),
    "women": Coalesce(Sum("participants_women"), 0),
    "men": Coalesce(Sum("participants_men"), 0),
    "participants": Coalesce(Sum("participants_total"), 0),
    "views": Coalesce(Sum("online_views"), 0),
    "shares": Coalesce(Sum("online_shares"), 0),
    "materials": Coalesce(Sum("materials_handed_out"), 0),
}


def totals(activities: QuerySet[Activity]) -> dict[str, int]:
    return activities.order_by().aggregate(**TOTAL_FIELDS)


#: What the list shows above its rows, and the roll-up column each is kept in
#: (``reports.models.ActivityMonth``; the materials handed out are not kept there).
LIST_TOTALS = {"sessions": "n", "women": "women", "men": "men", "participants": "total",
               "views": "views", "shares": "shares"}

def list_totals(activities: QuerySet[Activity], f: ActivityFilter) -> dict[str, int]:
    """The totals of the filtered list (``activities`` is ``f`` applied to the viewer's
    scope; the sessions are also the list's count). The done activities come from the roll-ups
    wherever they can answer: a unit down to a commune (the viewer's whole scope when it is one
    subtree, checked in scope by the form), a period of whole months or open-ended, and no
    filter the roll-ups do not keep (topic, audience, campaign). Only the planned activities
    are then summed from the records, through their own small index. Otherwise the records are
    summed."""
    done = _rolled_up(f)
    if done is None:
        return {k: v for k, v in totals(activities).items() if k in LIST_TOTALS}
    if f.status != Activity.Status.DONE:
        # A literal, not a bound parameter: SQLite then uses the partial index of the planned
        # activities (outreach migration 0005).
        # Only the sums the list shows: they are columns of that index, read from it alone.
        planned = activities.extra(  # noqa: S610 (a constant, no input)
            where=[f"outreach_activity.status = '{Activity.Status.PLANNED.value}'"]
        ).order_by().aggregate(**{k: TOTAL_FIELDS[k] for k in LIST_TOTALS})
        done = {k: v + planned[k] for k, v in done.items()}
    return done


def _rolled_up(f: ActivityFilter) -> dict[str, int] | None:
    """The done activities' totals from ``ActivityMonth``, or ``None`` when it cannot say."""
    whole = ((f.start is None or f.start.day == 1)
             and (f.end is None or (f.end + dt.timedelta(days=1)).day == 1))
    if (f.unit is None or not whole or f.topic_ids or f.audience_ids or f.campaign_id
            or f.status == Activity.Status.PLANNED):
        return None
    level = rollups.level_for(f.unit, by_child=False)
    if level is None:
        return None
    rows = rollups.table("activity_month").filter(level=level, path__subtree=f.unit.path)
    if f.start:
        rows = rows.filter(month__gte=f.start)
    if f.end:
        rows = rows.filter(month__lte=f.end)
    if f.format_ids:
        rows = rows.filter(format_id__in=f.format_ids)
    return rows.aggregate(**{name: Coalesce(Sum(column), 0)
                             for name, column in LIST_TOTALS.items()})


def child_segment(parent_path: str) -> Any:
    """An expression giving, for a row stamped with a unit path below ``parent_path``, the id
    of the child of the parent it falls under (as text)."""
    start = len(parent_path) + 1
    rest = Substr("unit_path", start)
    return Substr("unit_path", start, StrIndex(rest, Value("/")) - 1)


def rollup_by_child(activities: QuerySet[Activity], parent: Unit) -> dict[int, dict[str, int]]:
    """Totals per child unit of ``parent`` in one grouped query."""
    rows = (activities.filter(unit_path__subtree=parent.path).exclude(unit_path=parent.path)
            .order_by().annotate(child=child_segment(parent.path)).values("child")
            .annotate(**TOTAL_FIELDS))
    # django-stubs types a row as {"child"} alone: it cannot see the keys of **TOTAL_FIELDS.
    typed_rows = cast("QuerySet[Activity, dict[str, Any]]", rows)
    return {int(row.pop("child")): row for row in typed_rows}


@dataclass
class ProgressRow:
    unit: Unit
    sessions_target: int
    participants_target: int
    models_target: int
    sessions: int
    participants: int
    new_models: int

    @staticmethod
    def _ratio(done: int, target: int) -> float | None:
        return None if target == 0 else done / target

    @property
    def sessions_ratio(self) -> float | None:
        return self._ratio(self.sessions, self.sessions_target)

    @property
    def participants_ratio(self) -> float | None:
        return self._ratio(self.participants, self.participants_target)

    @property
    def models_ratio(self) -> float | None:
        return self._ratio(self.new_models, self.models_target)

    @property
    def level(self) -> str:
        """A colour class from the worst of the ratios: done, on track, behind, none."""
        ratios = [r for r in (self.sessions_ratio, self.participants_ratio, self.models_ratio)
                  if r is not None]
        if not ratios:
            return "none"
        worst = min(ratios)
        return "done" if worst >= 1 else "on-track" if worst >= 0.5 else "behind"


def campaign_progress(campaign: Campaign, parent: Unit) -> list[ProgressRow]:
    """Targets against actuals for each child unit of ``parent`` within the campaign."""
    children = list(Unit.objects.filter(parent=parent, closed_on__isnull=True)
                    .order_by(vi_order("name")))
    targets = {t.unit_id: t for t in CampaignTarget.objects.filter(
        campaign=campaign, unit__in=children)}
    # targets of units below a child count towards that child
    below = (CampaignTarget.objects.filter(campaign=campaign,
                                           unit__path__subtree=parent.path)
             .exclude(unit__in=children).exclude(unit=parent)
             .values_list("unit__path", "sessions", "participants", "new_models"))
    extra: dict[int, list[int]] = {}
    for path, s, p, m in below:
        child_id = int(path[len(parent.path):].split("/")[0])
        acc = extra.setdefault(child_id, [0, 0, 0])
        acc[0] += s
        acc[1] += p
        acc[2] += m
    actual = rollup_by_child(
        Activity.objects.filter(campaign=campaign, status=Activity.Status.DONE), parent)
    clubs = (Club.objects.filter(unit_path__subtree=parent.path, is_prevention_model=True,
                                 founded_on__gte=campaign.starts_on,
                                 founded_on__lte=campaign.ends_on)
             .exclude(unit_path=parent.path).order_by()
             .annotate(child=child_segment(parent.path)).values("child")
             .annotate(n=Count("pk")))
    models_by_child = {int(r["child"]): r["n"] for r in clubs}
    rows = []
    for child in children:
        target = targets.get(child.pk)
        add = extra.get(child.pk, [0, 0, 0])
        done = actual.get(child.pk, {})
        rows.append(ProgressRow(
            unit=child,
            sessions_target=(target.sessions if target else 0) or add[0],
            participants_target=(target.participants if target else 0) or add[1],
            models_target=(target.new_models if target else 0) or add[2],
            sessions=done.get("sessions", 0),
            participants=done.get("participants", 0),
            new_models=models_by_child.get(child.pk, 0),
        ))
    return rows


# =============================================================================================
# Campaign pages, topic library, coverage, speakers, movements, commendations.
# (Reads behind campaign_views.py and library_views.py; kept together, below the rest.)
# =============================================================================================

def progress_level(ratio: float | None) -> str:
    """The colour class of one ratio, on the same scale as ``ProgressRow.level``."""
    if ratio is None:
        return "none"
    return "done" if ratio >= 1 else "on-track" if ratio >= 0.5 else "behind"


@dataclass
class ProgressCell:
    target: int
    actual: int

    @property
    def ratio(self) -> float | None:
        return None if not self.target else self.actual / self.target

    @property
    def percent(self) -> int | None:
        ratio = self.ratio
        return None if ratio is None else int(ratio * 100 + 0.5)

    @property
    def level(self) -> str:
        return progress_level(self.ratio)


@dataclass
class ProgressLine:
    """One row of the progress page: a unit (or the parent's own work, ``unit=None``)."""

    unit: Unit | None
    sessions: ProgressCell
    participants: ProgressCell
    new_models: ProgressCell
    has_children: bool = False

    @property
    def cells(self) -> list[ProgressCell]:
        return [self.sessions, self.participants, self.new_models]

    @property
    def level(self) -> str:
        ratios = [c.ratio for c in self.cells if c.ratio is not None]
        return progress_level(min(ratios)) if ratios else "none"


@dataclass
class CampaignProgress:
    campaign: Campaign
    parent: Unit
    trail: list[Unit]          # from the top the viewer may see down to the parent's parent
    lines: list[ProgressLine]
    own: ProgressLine          # work recorded at the parent unit itself
    total: ProgressLine


def progress_root(viewer: Any, campaign: Campaign) -> Unit:
    """Where the progress page starts: the issuing unit, or the viewer's scope root inside
    the campaign's subtree when that is narrower (a commune sees its branches)."""
    roots = scope_paths(viewer, "activity.view")
    if any(is_within(campaign.unit_path, root) for root in roots):
        return campaign.unit
    inside = [root for root in roots if is_within(root, campaign.unit_path)]
    unit = Unit.objects.filter(path__in=inside).order_by("path").first()
    if unit is None:
        raise NotInScope("activity.view")
    return unit


def campaign_progress_for(viewer: Any, campaign: Campaign,
                          unit_id: int | None = None) -> CampaignProgress:
    """Targets against actuals under ``unit_id`` (default: ``progress_root``), in a constant
    number of grouped queries whatever the number of units."""
    top = progress_root(viewer, campaign)
    if unit_id is None or unit_id == top.pk:
        parent = top
    else:
        chosen = Unit.objects.filter(pk=unit_id, path__subtree=top.path).first()
        if chosen is None:
            raise NotInScope("activity.view")
        parent = chosen
    rows = campaign_progress(campaign, parent)
    with_children = set(Unit.objects.filter(parent__in=[r.unit for r in rows],
                                            closed_on__isnull=True)
                        .order_by().values_list("parent_id", flat=True).distinct())
    lines = [ProgressLine(unit=r.unit,
                          sessions=ProgressCell(r.sessions_target, r.sessions),
                          participants=ProgressCell(r.participants_target, r.participants),
                          new_models=ProgressCell(r.models_target, r.new_models),
                          has_children=r.unit.pk in with_children) for r in rows]
    done_here = totals(Activity.objects.filter(campaign=campaign, unit_path=parent.path,
                                               status=Activity.Status.DONE))
    models_here = Club.objects.filter(unit_path=parent.path, is_prevention_model=True,
                                      founded_on__gte=campaign.starts_on,
                                      founded_on__lte=campaign.ends_on).count()
    own = ProgressLine(unit=None, sessions=ProgressCell(0, done_here["sessions"]),
                       participants=ProgressCell(0, done_here["participants"]),
                       new_models=ProgressCell(0, models_here))
    own_target = CampaignTarget.objects.filter(campaign=campaign, unit=parent).first()

    def _sum(name: str, given: int) -> ProgressCell:
        cells = [getattr(line, name) for line in [*lines, own]]
        return ProgressCell(given or sum(c.target for c in cells), sum(c.actual for c in cells))

    total = ProgressLine(
        unit=parent,
        sessions=_sum("sessions", own_target.sessions if own_target else 0),
        participants=_sum("participants", own_target.participants if own_target else 0),
        new_models=_sum("new_models", own_target.new_models if own_target else 0))
    ids = parent.ancestor_ids()[:-1]
    above = Unit.objects.in_bulk(ids)
    trail = [above[i] for i in ids if i in above and is_within(above[i].path, top.path)]
    return CampaignProgress(campaign=campaign, parent=parent, trail=trail, lines=lines,
                            own=own, total=total)


def campaigns_listed(viewer: Any, *, archived: bool = False,
                     today: dt.date | None = None) -> QuerySet[Campaign]:
    """The campaigns the viewer may see: running ones first, then upcoming, then past."""
    today = today or timezone.localdate()
    return (campaigns_visible_to(viewer).filter(archived=archived)
            .annotate(phase=Case(
                When(running_on(today), then=Value(0)),
                When(starts_on__gt=today, then=Value(1)), default=Value(2),
                output_field=IntegerField()))
            .order_by("phase", "-starts_on", "name"))


def campaigns_running(viewer: Any, today: dt.date) -> QuerySet[Campaign]:
    """The campaigns the viewer may see that run on ``today``, in ``campaigns_listed``'s order
    (the running ones come first there, newest first). Without its phase, which every running
    campaign shares: the home page's card asks for this on every visit, and the ``CASE`` of
    three conditions was about a third of building its query."""
    return (campaigns_visible_to(viewer)
            .filter(running_on(today), archived=False)
            .order_by("-starts_on", "name"))


def campaign_targets_under(campaign: Campaign, parent: Unit) -> tuple[list[Unit],
                                                                      dict[int, CampaignTarget]]:
    """The open units one level below ``parent`` and their targets in ``campaign``."""
    units: list[Unit]
    units = list(Unit.objects.filter(parent=parent, closed_on__isnull=True)
                 .annotate(open_children=Count("children",
                                               filter=Q(children__closed_on__isnull=True)))
                 .order_by(vi_order("name")))
    targets = {t.unit_id: t for t in CampaignTarget.objects.filter(campaign=campaign,
                                                                     unit__in=units)}
    return units, targets


# --- Topic library ---------------------------------------------------------------------------

def topics_for(viewer: Any, *, query: str = "", kind: str = "",
               archived: bool = False) -> QuerySet[Topic]:
    """Topics of the library (shared by the whole programme), found with or without
    diacritics, with the number of their current materials."""

    require_library(viewer)
    topics = Topic.objects.filter(archived=archived)
    key = fold(query)
    if key:
        topics = topics.filter(name_folded__contains=key)
    if kind:
        topics = topics.filter(kind=kind)
    return topics.annotate(material_count=Count("materials",
                                                filter=Q(materials__archived=False))
                           ).order_by("kind", "name")


def get_topic_for(viewer: Any, pk: int) -> Topic:
    require_library(viewer)
    topic = Topic.objects.filter(pk=pk).first()
    if topic is None:
        raise NotInScope("activity.view")
    return topic


def materials_of(viewer: Any, topic: Topic, *, include_archived: bool = False
                 ) -> QuerySet[Material]:
    require_library(viewer)
    materials = topic.materials.all()
    return materials if include_archived else materials.filter(archived=False)


def get_material_for(viewer: Any, pk: int) -> Material:
    """A material the viewer may download: any current one; an archived one only for those
    who keep the library."""
    require_library(viewer)
    material = Material.objects.select_related("topic").filter(pk=pk).first()
    if material is None or (material.archived
                            and not can_keep_library(viewer)):
        raise NotInScope("activity.view")
    return material


@dataclass
class Coverage:
    unit: Unit
    start: dt.date
    end: dt.date
    children: list[Unit]
    topics: list[Topic]
    counts: dict[tuple[int, int], int]   # (topic id, child id or 0 for the unit itself) → n

    def count(self, topic: Topic, unit: Unit | None) -> int:
        return self.counts.get((topic.pk, unit.pk if unit is not None else 0), 0)

    def topic_total(self, topic: Topic) -> int:
        return sum(n for (t, _u), n in self.counts.items() if t == topic.pk)

    @property
    def has_own(self) -> bool:
        return any(u == 0 for (_t, u) in self.counts)


def topic_coverage(viewer: Any, unit: Unit, start: dt.date, end: dt.date) -> Coverage:
    """How many activities took up each topic in each child unit of ``unit`` (and in the unit
    itself) in a period: one grouped query over (topic, child unit)."""
    child = Case(When(unit_path=unit.path, then=Value("")),
                 default=child_segment(unit.path), output_field=CharField())
    rows = (activities_visible_to(viewer)
            .filter(unit_path__subtree=unit.path, date__gte=start, date__lte=end,
                    status=Activity.Status.DONE, topics__isnull=False)
            .order_by().annotate(child=child).values("child", "topics")
            .annotate(n=Count("pk")))
    counts = {(r["topics"], int(r["child"]) if r["child"] else 0): r["n"] for r in rows}
    used = {t for (t, _u) in counts}
    topics = list(Topic.objects.filter(Q(archived=False) | Q(pk__in=used))
                  .order_by("kind", "name"))
    children = list(Unit.objects.filter(parent=unit)
                    .filter(Q(closed_on__isnull=True) | Q(pk__in={u for (_t, u) in counts}))
                    .order_by("name"))
    return Coverage(unit=unit, start=start, end=end, children=children, topics=topics,
                    counts=counts)


def activities_by_topic(unit: Unit, start: dt.date, end: dt.date,
                        topic_ids: list[int]) -> dict[int, int]:
    """How many activities done in ``unit``'s subtree in a period took up each of the topics
    (counts of activities, not of people; an activity on two topics counts for each)."""
    if not topic_ids:
        return {}
    rows = (Activity.objects.filter(unit_path__subtree=unit.path, date__gte=start,
                                    date__lte=end, status=Activity.Status.DONE,
                                    topics__in=topic_ids)
            .order_by().values("topics").annotate(n=Count("pk")))
    return {r["topics"]: r["n"] for r in rows}


# --- Speakers --------------------------------------------------------------------------------

def speakers_visible_to(viewer: Any, capability: str = "activity.view") -> QuerySet[Speaker]:
    return Speaker.objects.filter(scope_q(viewer, capability, "unit_path")).select_related("unit")


def speaker_roster(viewer: Any, *, unit: Unit | None = None, active: bool | None = None,
                   query: str = "") -> QuerySet[Speaker]:
    """The roster, with the number of talks each speaker has given (done activities)."""
    speakers = speakers_visible_to(viewer)
    if unit is not None:
        speakers = speakers.filter(unit_path__subtree=unit.path)
    if active is not None:
        speakers = speakers.filter(active=active)
    key = fold(query)
    if key:
        speakers = speakers.filter(name_folded__contains=key)
    return speakers.annotate(
        talk_count=Count("activities", filter=Q(activities__status=Activity.Status.DONE))
    ).order_by("unit_path", "full_name")


def get_speaker_for(viewer: Any, pk: int, capability: str = "activity.view") -> Speaker:
    speaker = speakers_visible_to(viewer, capability).select_related("user").filter(
        pk=pk).first()
    if speaker is None:
        raise NotInScope(capability)
    return speaker


def talks_of(viewer: Any, speaker: Speaker) -> QuerySet[Activity]:
    """The activities where the speaker is listed, as far as the viewer may see them."""
    return (activities_visible_to(viewer).filter(speakers=speaker)
            .select_related("unit", "format").order_by("-date", "-pk"))


# --- Movements and commendations -------------------------------------------------------------

def movements_for(viewer: Any, *, archived: bool = False) -> list[Movement]:
    """The catalogue of movements, each with the activities (in the viewer's scope) and the
    clubs linked to it."""
    require_library(viewer)
    movements = list(Movement.objects.filter(archived=archived).order_by("kind", "name"))
    used = dict(activities_visible_to(viewer).filter(movement__in=movements).order_by()
                .values("movement").annotate(n=Count("pk")).values_list("movement", "n"))
    for movement in movements:
        movement.activity_count = used.get(movement.pk, 0)  # type: ignore[attr-defined]
    return movements


def get_movement_for(viewer: Any, pk: int) -> Movement:
    require_library(viewer)
    movement = Movement.objects.filter(pk=pk).first()
    if movement is None:
        raise NotInScope("activity.view")
    return movement


def commendations_visible_to(viewer: Any) -> QuerySet[Commendation]:
    return (Commendation.objects.filter(scope_q(viewer, "activity.view", "unit_path"))
            .select_related("unit", "club", "activity"))


def commendations_in(viewer: Any, *, start: dt.date | None = None,
                     end: dt.date | None = None, unit: Unit | None = None
                     ) -> QuerySet[Commendation]:
    commendations = commendations_visible_to(viewer)
    if start:
        commendations = commendations.filter(decided_on__gte=start)
    if end:
        commendations = commendations.filter(decided_on__lte=end)
    if unit is not None:
        commendations = commendations.filter(unit_path__subtree=unit.path)
    return commendations.order_by("-decided_on", "-pk")


def activities_manageable_by(viewer: Any) -> QuerySet[Activity]:
    """Activities in the subtrees where the viewer manages outreach work."""
    return Activity.objects.filter(scope_q(viewer, "activity.manage", "unit_path"))


def club_meetings(viewer: Any, club: Club, limit: int = 20) -> tuple[list[Activity], int]:
    """The latest meetings of a club (activities recorded with ``club``) the viewer can see,
    and how many there are in all: the list on the club's page (``community``, below, asks
    through ``community.selectors.meetings_of``)."""
    meetings = activities_visible_to(viewer).filter(club=club)
    latest = list(meetings.select_related("format", "unit").order_by("-date", "-id")[:limit])
    total = len(latest) if len(latest) < limit else meetings.count()
    return latest, total


def clubs_manageable_by(viewer: Any) -> Any:
    return (Club.objects.filter(scope_q(viewer, "activity.manage", "unit_path"))
            .order_by(vi_order("name")))


@dataclass
class CampaignTotal:
    """A running campaign's totals at the viewer's level against its targets (the total line
    of ``campaign_progress_for``, without the rows)."""

    campaign: Campaign
    parent: Unit
    total: ProgressLine


def campaign_totals_for(viewer: Any, campaigns: list[Campaign]) -> list[CampaignTotal]:
    """The total line of each campaign's progress page, for the home page's cards: in a fixed
    number of queries whatever the number of campaigns, units, targets and activities. The
    target is the level's own, or else the sum over its open child units of each child's own
    (or, without one, the sum of the targets below it); the actuals are the done activities
    of the campaign and the prevention models founded during it in the level's subtree."""

    if not campaigns:
        return []
    roots = scope_paths(viewer, "activity.view")
    parents: dict[int, Unit] = {}
    # a viewer below the issuing unit sees her own level (``progress_root``)
    below_issuer = [c for c in campaigns
                    if not any(is_within(c.unit_path, root) for root in roots)]
    units_inside = ({u.path: u for u in Unit.objects.filter(path__in=[
        root for root in roots if any(is_within(root, c.unit_path) for c in below_issuer)])}
        if below_issuer else {})
    for campaign in campaigns:
        if any(is_within(campaign.unit_path, root) for root in roots):
            parents[campaign.pk] = campaign.unit
            continue
        inside = sorted(p for p in units_inside if is_within(p, campaign.unit_path))
        if inside:
            parents[campaign.pk] = units_inside[inside[0]]
    return campaign_totals_at(campaigns, parents)


def campaign_totals_at(campaigns: list[Campaign], parents: dict[int, Unit]
                       ) -> list[CampaignTotal]:
    """The total line of each campaign at the level of its unit in ``parents`` (campaign id
    to unit; a campaign without one is left out), in five queries whatever the number of
    campaigns: the home page's cards and the dashboard's."""
    shown = [c for c in campaigns if c.pk in parents]
    if not shown:
        return []
    paths = {c.pk: parents[c.pk].path for c in shown}
    open_children = set(Unit.objects.filter(parent__in=[parents[c.pk] for c in shown],
                                            closed_on__isnull=True)
                        .values_list("pk", flat=True))
    own: dict[int, tuple[int, int, int]] = {}
    by_child: dict[tuple[int, int], tuple[int, int, int]] = {}
    below: dict[tuple[int, int], list[int]] = {}
    for campaign_id, path, s, p, m in (CampaignTarget.objects.filter(campaign__in=shown)
                                      .values_list("campaign_id", "unit__path", "sessions",
                                                   "participants", "new_models")):
        top = paths[campaign_id]
        if path == top:
            own[campaign_id] = (s, p, m)
        elif is_within(path, top):
            rest = path[len(top):].strip("/").split("/")
            child = int(rest[0])
            if len(rest) == 1:
                by_child[(campaign_id, child)] = (s, p, m)
            else:
                acc = below.setdefault((campaign_id, child), [0, 0, 0])
                acc[0] += s
                acc[1] += p
                acc[2] += m
    in_level = Q(pk__in=[])
    for c in shown:
        in_level |= Q(campaign=c, unit_path__subtree=paths[c.pk])
    activity_totals = {row["campaign"]: row for row in (
        Activity.objects.filter(in_level, status=Activity.Status.DONE).order_by()
        .values("campaign").annotate(sessions=Count("pk"),
                                     participants=Coalesce(Sum("participants_total"), 0)))}
    models = Club.objects.filter(is_prevention_model=True).order_by().aggregate(**{
        f"models_{c.pk}": Count("pk", filter=Q(unit_path__subtree=paths[c.pk],
                                               founded_on__gte=c.starts_on,
                                               founded_on__lte=c.ends_on))
        for c in shown})
    out = []
    for campaign in shown:
        targets = [0, 0, 0]
        for (campaign_id, child), given in by_child.items():
            if campaign_id == campaign.pk and child in open_children:
                for i in range(3):
                    targets[i] += given[i] or below.get((campaign_id, child), [0, 0, 0])[i]
        for (campaign_id, child), summed in below.items():
            if (campaign_id == campaign.pk and child in open_children
                    and (campaign_id, child) not in by_child):
                for i in range(3):
                    targets[i] += summed[i]
        given_here = own.get(campaign.pk, (0, 0, 0))
        done: Any = activity_totals.get(campaign.pk, {})
        cells = [ProgressCell(given_here[i] or targets[i], actual) for i, actual in enumerate((
            done.get("sessions", 0), done.get("participants", 0),
            models[f"models_{campaign.pk}"]))]
        out.append(CampaignTotal(campaign=campaign, parent=parents[campaign.pk],
                                 total=ProgressLine(parents[campaign.pk], sessions=cells[0],
                                                    participants=cells[1],
                                                    new_models=cells[2])))
    return out
