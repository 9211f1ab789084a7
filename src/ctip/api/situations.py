"""Situations: report one (idempotent, by the client's UUID), list and read those in scope
with their state. No identity and no free text is served: the description, the address and
the contact are written, never read back through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from ctip.api.auth import ApiRequest, needs
from ctip.api.errors import Problem
from ctip.api.schemas import MAX_ID, Id, Input, PathId
from ctip.cases import actions
from ctip.cases.forms.situations import default_source, reportable_units
from ctip.cases.models import Category, Situation, Urgency
from ctip.cases.policy import situations_visible_to
from ctip.cases.selectors import get_situation_for
from ctip.core.errors import ActionError
from ctip.core.idempotency import submit_once
from ctip.units.selectors import get_unit_for

router = Router(tags=["situations"])
SCOPE = "cases.situation"


class SituationOut(Schema):
    id: int
    code: str
    category: str
    urgency: str
    state: str
    source: str
    unit_id: int
    handling_unit_id: int
    occurred_on: dt.date | None
    created_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None


class SituationIn(Input):
    uuid: UUID = Field(..., description="Made by the client, once per report")
    unit_id: Id
    category: Category
    urgency: Urgency = Urgency.NORMAL
    description: str = Field(..., min_length=1, max_length=20_000)
    address: str = Field("", max_length=500)
    occurred_on: dt.date | None = None
    reporter_contact: str = Field("", max_length=300)
    source: Situation.Source | None = Field(None, description="who reported it; by default "
                                            "an officer, or a member for a branch head")


FIELDS = ("id", "code", "category", "urgency", "state", "source", "unit_id",
          "handling_unit_id", "occurred_on", "created_at", "due_at", "closed_at")


def out(situation: Situation) -> dict[str, Any]:
    return {f: getattr(situation, f) for f in FIELDS}


class SituationQuery(Schema):
    state: Situation.State | None = None
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(100, ge=1, le=500)
    before: int | None = Field(None, ge=1, le=MAX_ID, description="the last id of the page "
                                                                  "before (newest first)")


@router.get("/situations", response=list[SituationOut],
            auth=needs("situation.view", "situation.report"))
def list_situations(request: ApiRequest, q: Query[SituationQuery]) -> list[dict[str, Any]]:
    situations = situations_visible_to(request.auth).order_by("-pk")
    if q.state:
        situations = situations.filter(state=q.state)
    if q.unit is not None:
        unit = get_unit_for(request.auth, q.unit)
        situations = situations.filter(unit_path__subtree=unit.path)
    if q.before is not None:
        situations = situations.filter(pk__lt=q.before)
    return [out(s) for s in situations[:q.limit]]


@router.get("/situations/{int:pk}", response=SituationOut,
            auth=needs("situation.view", "situation.report"))
def get_situation(request: ApiRequest, pk: PathId) -> dict[str, Any]:
    return out(get_situation_for(request.auth, pk))


@router.post("/situations", response={200: SituationOut, 201: SituationOut},
             auth=needs("situation.report"),
             summary="Report a situation (201); the same uuid again answers 200 with it")
def report_situation(request: ApiRequest, response: HttpResponse,
                     body: SituationIn) -> Status[dict[str, Any]]:
    viewer = request.auth

    def create() -> Situation:
        # checked only for a new report: one saved when first sent is answered as sent even if
        # she can no longer report for its unit (moved, another role), never refused
        unit = reportable_units(viewer).filter(pk=body.unit_id).first()
        if unit is None:
            raise ActionError(_("You cannot report situations for this unit."),
                              field="unit_id")
        return actions.create_situation(
            actor=viewer, unit=unit, category=body.category, urgency=body.urgency,
            description=body.description, address=body.address, occurred_on=body.occurred_on,
            reporter_contact=body.reporter_contact,
            source=body.source or default_source(viewer))

    done = submit_once(key=body.uuid, actor=viewer, scope=SCOPE, create=create,
                       content=body.model_dump(mode="json"))
    if done.obj is None:
        raise Problem(409, "gone", _("This report was recorded before and is gone."))
    if done.replayed:
        response["Idempotent-Replayed"] = "true"
    # the reporter keeps seeing what she reported (``situations_visible_to``)
    return Status(200 if done.replayed else 201, out(done.obj))
