"""Activities: the list with the page's filters (cursor pagination), read, create (idempotent,
by the client's UUID), update and delete (by version: ``If-Match`` with the ``ETag`` read; a
stale version is 409 with the current record). The writes are ``outreach.actions``'; the reads
``outreach.selectors``'; the permission policy decides as for the pages."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import ValidationError as Invalid

from ctip.accounts.policy import forget
from ctip.api.auth import ApiRequest, needs
from ctip.api.errors import Problem, refusal_errors, validation_errors
from ctip.api.schemas import MAX_ID, Count, Id, Input, PathId, SentBefore, sent_before
from ctip.catalogues.models import Audience, Movement, Topic
from ctip.community.selectors import clubs_visible_to
from ctip.core.errors import ActionError, NotInScope
from ctip.core.idempotency import submit_once
from ctip.org.held import UnitMoved
from ctip.outreach import actions
from ctip.outreach.activity_forms import loggable_units
from ctip.outreach.models import Activity, Campaign, Format, Speaker
from ctip.outreach.selectors import (
    ActivityFilter,
    activities_visible_to,
    activity_version,
    campaigns_for_activity,
    campaigns_visible_to,
    filter_activities,
    get_activity_for,
)
from ctip.units.selectors import get_unit_for

router = Router(tags=["activities"])
SCOPE = "outreach.activity"
RECORDS = ("activity.manage", "activity.log_own")
BATCH_MAX = 200


class ActivityOut(Schema):
    id: int
    version: str
    unit_id: int
    unit_name: str
    date: dt.date
    status: str
    title: str
    format_id: int
    campaign_id: int | None
    movement_id: int | None
    club_id: int | None
    topic_ids: list[int]
    audience_ids: list[int]
    speaker_ids: list[int]
    participants_women: int | None
    participants_men: int | None
    participants_total: int
    online_views: int
    online_shares: int
    materials_handed_out: int
    coordinating_agencies: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None = Field(None, description="Pass as ?cursor= for the next page")


class ActivityFields(Input):
    date: dt.date
    status: Activity.Status = Activity.Status.DONE
    title: str = Field(..., max_length=300)
    format_id: Id
    unit_id: Id
    campaign_id: Id | None = None
    movement_id: Id | None = None
    club_id: Id | None = None
    topic_ids: list[Id] = Field(default_factory=list, max_length=50)
    audience_ids: list[Id] = Field(default_factory=list, max_length=50)
    speaker_ids: list[Id] = Field(default_factory=list, max_length=50)
    participants_women: Count | None = None
    participants_men: Count | None = None
    participants_total: Count | None = None
    online_views: Count = 0
    online_shares: Count = 0
    materials_handed_out: Count = 0
    coordinating_agencies: str = Field("", max_length=300)
    notes: str = Field("", max_length=5000)


class ActivityCreate(ActivityFields):
    uuid: UUID = Field(..., description="Made by the client, once per entry: a retry with "
                                             "the same UUID answers with the first record")


class ActivityUpdate(ActivityFields):
    pass


class ActivityQuery(Schema):
    start: dt.date | None = None
    end: dt.date | None = None
    unit: int | None = Field(None, ge=1, le=MAX_ID, description="a unit and the units below it")
    format: list[str] = Field(default_factory=list, description="format codes")
    topic: int | None = Field(None, ge=1, le=MAX_ID)
    campaign: int | None = Field(None, ge=1, le=MAX_ID)
    audience: str | None = Field(None, max_length=50, description="audience code")
    status: Activity.Status | None = None
    cursor: str | None = Field(None, max_length=100)
    limit: int = Field(50, ge=1, le=500)


version_of = activity_version


def out(activity: Activity) -> dict[str, Any]:
    return {
        **{f: getattr(activity, f) for f in (
            "id", "unit_id", "date", "status", "title", "format_id", "campaign_id",
            "movement_id", "club_id", "participants_women", "participants_men",
            "participants_total", "online_views", "online_shares", "materials_handed_out",
            "coordinating_agencies", "notes", "created_at", "updated_at")},
        "version": version_of(activity),
        "unit_name": activity.unit.name,
        "topic_ids": sorted(t.pk for t in activity.topics.all()),
        "audience_ids": sorted(a.pk for a in activity.audiences.all()),
        "speaker_ids": sorted(s.pk for s in activity.speakers.all()),
    }


def _encode(activity: Activity) -> str:
    return base64.urlsafe_b64encode(f"{activity.date.isoformat()}|{activity.pk}".encode()
                                    ).decode()


def _after(activities: QuerySet[Activity], cursor: str) -> QuerySet[Activity]:
    try:
        day, _sep, pk = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        date, number = dt.date.fromisoformat(day), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ActionError(_("The cursor is not valid: start again from the first page."),
                          field="cursor") from None
    return activities.filter(Q(date__lt=date) | Q(date=date, pk__lt=number))


@router.get("/activities", response=ActivityPage, auth=needs("activity.view"),
            summary="Activities in scope, newest first, with the list page's filters")
def list_activities(request: ApiRequest, q: Query[ActivityQuery]) -> dict[str, Any]:
    viewer = request.auth
    if q.start and q.end and q.start > q.end:
        raise ActionError(_("The start is after the end."), field="start")
    f = ActivityFilter(start=q.start, end=q.end, status=q.status or "")
    if q.unit is not None:
        f.unit = get_unit_for(viewer, q.unit, "activity.view")
    if q.format:
        f.format_ids = list(Format.objects.filter(code__in=q.format[:50])
                            .values_list("pk", flat=True)) or [0]
    if q.topic is not None:
        f.topic_ids = [q.topic]
    if q.campaign is not None:
        f.campaign_id = campaigns_visible_to(viewer).filter(pk=q.campaign).values_list(
            "pk", flat=True).first() or 0
    if q.audience:
        f.audience_ids = list(Audience.objects.filter(code=q.audience)
                              .values_list("pk", flat=True)) or [0]
    activities = filter_activities(activities_visible_to(viewer), f).order_by("-date", "-pk")
    if q.cursor:
        activities = _after(activities, q.cursor)
    rows = list(activities.select_related("unit")
                .prefetch_related("topics", "audiences", "speakers")[:q.limit + 1])
    more = len(rows) > q.limit
    rows = rows[:q.limit]
    return {"items": [out(a) for a in rows],
            "next_cursor": _encode(rows[-1]) if more else None}


def _etag(response: HttpResponse, activity: Activity) -> None:
    response["ETag"] = version_of(activity)


@router.get("/activities/{int:pk}", response=ActivityOut, auth=needs("activity.view"))
def get_activity(request: ApiRequest, response: HttpResponse, pk: PathId) -> dict[str, Any]:
    activity = get_activity_for(request.auth, pk)
    _etag(response, activity)
    return out(activity)


def _one(model: Any, pk: int | None, field: str, queryset: Any = None) -> Any:
    if pk is None:
        return None
    found = (queryset if queryset is not None else model.objects).filter(pk=pk).first()
    if found is None:
        raise ActionError(_("No such choice (%(id)s).") % {"id": pk}, field=field)
    return found


def _many(model: Any, pks: list[int], field: str) -> list[Any]:
    found = list(model.objects.filter(pk__in=set(pks)))
    if len(found) != len(set(pks)):
        missing = sorted(set(pks) - {o.pk for o in found})
        raise ActionError(_("No such choice (%(id)s).") % {"id": ", ".join(map(str, missing))},
                          field=field)
    return found


def _values(viewer: Any, body: ActivityFields, seen: dict[Any, Any] | None = None,
            current: Activity | None = None) -> dict[str, Any]:
    """The action's arguments from a body, each reference checked like the form's. ``seen``
    keeps what was looked up for the items before in the same batch (a device's queue names the
    same unit, format and campaign again and again); a refusal is never kept. ``current``: the
    activity replaced, whose own campaign is accepted even where she no longer sees it (her
    unit moved out of its area, decision 0100)."""
    campaigns = campaigns_for_activity(viewer, current)
    memo: dict[Any, Any] = {} if seen is None else seen

    def once(key: Any, find: Any) -> Any:
        if key not in memo:
            memo[key] = find()
        return memo[key]

    unit = once(("unit", body.unit_id),
                lambda: loggable_units(viewer).filter(pk=body.unit_id).first())
    if unit is None:
        raise ActionError(_("You cannot record activities for this unit."), field="unit_id")
    return {
        "unit": unit, "date": body.date, "status": body.status, "title": body.title,
        "format": once(("format", body.format_id),
                       lambda: _one(Format, body.format_id, "format_id")),
        "campaign": once(("campaign", body.campaign_id),
                         lambda: _one(Campaign, body.campaign_id, "campaign_id", campaigns)),
        "movement": once(("movement", body.movement_id),
                         lambda: _one(Movement, body.movement_id, "movement_id")),
        "club": once(("club", body.club_id),
                     lambda: _one(None, body.club_id, "club_id", clubs_visible_to(viewer))),
        **{name: once((name, tuple(sorted(set(pks)))), lambda model=model, pks=pks,
                      field=field: _many(model, pks, field))
           for name, model, pks, field in (("topics", Topic, body.topic_ids, "topic_ids"),
                                           ("audiences", Audience, body.audience_ids,
                                            "audience_ids"),
                                           ("speakers", Speaker, body.speaker_ids,
                                            "speaker_ids"))},
        **{f: getattr(body, f) for f in (
            "participants_women", "participants_men", "participants_total", "online_views",
            "online_shares", "materials_handed_out", "coordinating_agencies", "notes")},
    }


@router.post("/activities", response={200: ActivityOut | SentBefore, 201: ActivityOut},
             auth=needs(*RECORDS),
             summary="Record an activity (201); the same uuid again answers 200 with it, or with "
                     "`saved: true` when it is no longer yours to see")
def create_activity(request: ApiRequest, response: HttpResponse,
                    body: ActivityCreate) -> Status[dict[str, Any]]:
    viewer = request.auth

    def create() -> Activity:
        return actions.create_activity(actor=viewer, **_values(viewer, body))

    done = submit_once(key=body.uuid, actor=viewer, scope=SCOPE, create=create,
                       content=body.model_dump(mode="json"))
    if done.obj is None:
        raise Problem(409, "gone", _("This entry was recorded before and has since been "
                                     "deleted."), uuid=str(body.uuid))
    if done.replayed:
        response["Idempotent-Replayed"] = "true"
    try:
        activity = get_activity_for(viewer, done.obj.pk)
    except NotInScope:
        if not done.replayed:
            raise
        # saved when it was first sent; its unit has since left her scope (as in the batch):
        # answered as sent, never as "not found", which a client would take for not saved
        return Status(200, sent_before(body.uuid))
    _etag(response, activity)
    return Status(200 if done.replayed else 201, out(activity))


def _locked(request: ApiRequest, pk: int) -> Activity:
    """The activity, locked for the write, if the caller sent its current version."""
    activity = get_activity_for(request.auth, pk)
    wanted = request.headers.get("If-Match", "")
    if not wanted:
        raise Problem(428, "version-required",
                      _("Send the version you changed in the If-Match header (the ETag)."))
    locked = Activity.objects.select_for_update().select_related("unit").get(pk=activity.pk)
    if wanted.strip() != version_of(locked) and wanted.strip() != "*":
        raise Problem(409, "stale", _("Someone changed this activity after you read it."),
                      _("Nothing was saved. Compare with the current record and send again "
                        "with its version."), current=out(locked),
                      headers={"ETag": version_of(locked)})
    return locked


@router.put("/activities/{int:pk}", response=ActivityOut, auth=needs(*RECORDS),
            summary="Replace an activity's values; needs If-Match: <ETag>")
def update_activity(request: ApiRequest, response: HttpResponse, pk: PathId,
                    body: ActivityUpdate) -> dict[str, Any]:
    viewer = request.auth
    with transaction.atomic():
        activity = _locked(request, pk)
        values = _values(viewer, body, current=activity)
        if values.pop("unit") != activity.unit:
            raise ActionError(_("An activity cannot move to another unit: delete it and "
                                "record it there."), field="unit_id")
        actions.update_activity(actor=viewer, activity=activity, topics=values.pop("topics"),
                                audiences=values.pop("audiences"),
                                speakers=values.pop("speakers"), **values)
    activity = get_activity_for(viewer, pk)
    _etag(response, activity)
    return out(activity)


@router.delete("/activities/{int:pk}", response={204: None}, auth=needs(*RECORDS),
               summary="Delete an activity; needs If-Match: <ETag>")
def delete_activity(request: ApiRequest, pk: PathId) -> Status[None]:
    with transaction.atomic():
        activity = _locked(request, pk)
        actions.delete_activity(actor=request.auth, activity=activity)
    return Status(204, None)


class BatchIn(Input):
    items: list[dict[str, Any]] = Field(..., min_length=1, max_length=BATCH_MAX)


class BatchItem(Schema):
    uuid: str | None
    status: int = Field(..., description="201 created, 200 sent before, 422 refused")
    record: ActivityOut | None = None
    problem: dict[str, Any] | None = None


@router.post("/activities/batch", response=list[BatchItem], auth=needs(*RECORDS),
             summary=f"Record up to {BATCH_MAX} activities (a device's queue) in one request")
def create_batch(request: ApiRequest, body: BatchIn) -> list[dict[str, Any]]:
    """Each item is one create as ``POST /activities`` (its own transaction and ``uuid``): an
    item refused does not stop the others, and the whole batch sent again creates nothing."""
    viewer = request.auth
    answers = []
    seen: dict[Any, Any] = {}
    for raw in body.items:
        key = raw.get("uuid") if isinstance(raw.get("uuid"), str) else None
        try:
            item = ActivityCreate.model_validate(raw)
        except Invalid as exc:
            answers.append({"uuid": key, "status": 422,
                            "problem": validation_errors(exc.errors())})
            continue

        def submit(item: ActivityCreate = item) -> Any:
            return submit_once(key=item.uuid, actor=viewer, scope=SCOPE,
                               create=lambda: actions.create_activity(
                                   actor=viewer, **_values(viewer, item, seen)),
                               content=item.model_dump(mode="json"))

        try:
            try:
                done = submit()
            except UnitMoved:
                # a unit of the batch moved since an item before read it: read again, once,
                # with her scope (``org.held``)
                seen.clear()
                forget(viewer)
                done = submit()
        except ActionError as exc:
            answers.append({"uuid": key, "status": 422, "problem": {
                "detail": str(exc.message),
                "errors": refusal_errors(exc)}})
            continue
        try:
            activity = get_activity_for(viewer, done.obj.pk)
        except NotInScope:
            # saved when it was first sent; its unit has since left her scope: the entry is
            # kept (the phone may forget it), its record is no longer hers to see, and the
            # items after it go on
            answers.append({"uuid": key, "status": 200})
            continue
        answers.append({"uuid": key, "status": 200 if done.replayed else 201,
                        "record": out(activity)})
    return answers
