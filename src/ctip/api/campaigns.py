"""Campaigns in scope, with their targets and progress below a unit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from ctip.api.auth import ApiRequest, needs
from ctip.api.schemas import MAX_ID, PathId
from ctip.outreach.selectors import campaign_progress_for, campaigns_listed, get_campaign_for

router = Router(tags=["campaigns"])


class CampaignOut(Schema):
    id: int
    name: str
    unit_id: int
    unit_name: str
    starts_on: dt.date
    ends_on: dt.date
    archived: bool


class Cell(Schema):
    target: int
    actual: int
    percent: int | None


class Line(Schema):
    unit_id: int | None = Field(None, description="None: the unit's own work")
    unit_name: str
    sessions: Cell
    participants: Cell
    new_models: Cell


class Progress(Schema):
    campaign: CampaignOut
    unit_id: int
    lines: list[Line]
    own: Line
    total: Line


def _campaign(c: Any) -> dict[str, Any]:
    return {"id": c.pk, "name": c.name, "unit_id": c.unit_id, "unit_name": c.unit.name,
            "starts_on": c.starts_on, "ends_on": c.ends_on, "archived": c.archived}


def _cell(cell: Any) -> dict[str, Any]:
    return {"target": cell.target, "actual": cell.actual, "percent": cell.percent}


def _line(line: Any, own_label: str = "") -> dict[str, Any]:
    return {"unit_id": line.unit.pk if line.unit else None,
            "unit_name": line.unit.name if line.unit else own_label,
            "sessions": _cell(line.sessions), "participants": _cell(line.participants),
            "new_models": _cell(line.new_models)}


class CampaignQuery(Schema):
    archived: bool = False


@router.get("/campaigns", response=list[CampaignOut], auth=needs("activity.view"))
def list_campaigns(request: ApiRequest, q: Query[CampaignQuery]) -> list[dict[str, Any]]:
    return [_campaign(c) for c in campaigns_listed(request.auth, archived=q.archived)[:1000]]


class ProgressQuery(Schema):
    unit: int | None = Field(None, ge=1, le=MAX_ID, description="default: the caller's top unit")


@router.get("/campaigns/{int:pk}", response=Progress, auth=needs("activity.view"),
            summary="A campaign with its targets and what was done, unit by unit")
def campaign_progress(request: ApiRequest, pk: PathId, q: Query[ProgressQuery]
                      ) -> dict[str, Any]:
    campaign = get_campaign_for(request.auth, pk)
    progress = campaign_progress_for(request.auth, campaign, q.unit)
    return {"campaign": _campaign(campaign), "unit_id": progress.parent.pk,
            "lines": [_line(line) for line in progress.lines],
            "own": _line(progress.own, str(_("Own work"))),
            "total": _line(progress.total)}
