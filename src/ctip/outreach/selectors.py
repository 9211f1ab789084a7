"""Reads of outreach work, always through the viewer's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, StrIndex, Substr

from ctip.accounts.policy import NotInScope, scope_q
from ctip.org.models import Unit
from ctip.outreach.models import Activity, Campaign, CampaignTarget


def activities_visible_to(viewer: Any) -> QuerySet[Activity]:
    return Activity.objects.filter(scope_q(viewer, "activity.view", "unit_path"))


def get_activity_for(viewer: Any, pk: int) -> Activity:
    activity = (activities_visible_to(viewer).select_related("unit", "format", "campaign",
                                                            "movement", "club", "created_by")
                .filter(pk=pk).first())
    if activity is None:
        raise NotInScope("activity.view")
    return activity


def campaigns_visible_to(viewer: Any) -> QuerySet[Campaign]:
    """Campaigns issued in the viewer's subtree, or issued above it for a subtree that
    includes the viewer's units (a commune sees the province's campaign)."""
    from ctip.accounts.policy import scope_paths

    roots = scope_paths(viewer, "activity.view")
    q = scope_q(viewer, "activity.view", "unit_path")
    for root in roots:
        ancestors = [f"/{'/'.join(root.strip('/').split('/')[:i])}/"
                     for i in range(1, root.count("/"))]
        q |= Q(unit_path__in=ancestors)
    return Campaign.objects.filter(q).select_related("unit")


def get_campaign_for(viewer: Any, pk: int) -> Campaign:
    campaign = campaigns_visible_to(viewer).filter(pk=pk).first()
    if campaign is None:
        raise NotInScope("activity.view")
    return campaign


def running_campaign(unit: Unit, on: dt.date) -> Campaign | None:
    """The campaign in progress for ``unit`` on a date, if exactly one is clear."""
    ancestors = [f"/{'/'.join(unit.path.strip('/').split('/')[:i])}/"
                 for i in range(1, unit.path.count("/"))]
    return (Campaign.objects.filter(unit_path__in=ancestors, archived=False,
                                    starts_on__lte=on, ends_on__gte=on)
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


def filter_activities(activities: QuerySet[Activity], f: ActivityFilter) -> QuerySet[Activity]:
    if f.unit is not None:
        activities = activities.filter(unit_path__subtree=f.unit.path)
    if f.start:
        activities = activities.filter(date__gte=f.start)
    if f.end:
        activities = activities.filter(date__lte=f.end)
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
    "sessions": Count("pk"),
    "women": Coalesce(Sum("participants_women"), 0),
    "men": Coalesce(Sum("participants_men"), 0),
    "participants": Coalesce(Sum("participants_total"), 0),
    "views": Coalesce(Sum("online_views"), 0),
    "shares": Coalesce(Sum("online_shares"), 0),
    "materials": Coalesce(Sum("materials_handed_out"), 0),
}


def totals(activities: QuerySet[Activity]) -> dict[str, int]:
    return activities.order_by().aggregate(**TOTAL_FIELDS)


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
    return {int(row.pop("child")): row for row in rows}


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
    from ctip.community.models import Club

    children = list(Unit.objects.filter(parent=parent, closed_on__isnull=True)
                    .order_by("name"))
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
