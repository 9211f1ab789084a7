"""Indicators for any subtree and period, through the disclosure-control layer, and the
status of the periodic reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from ctip.accounts.policy import NotInScope, scope_paths
from ctip.api.auth import ApiRequest, needs
from ctip.api.schemas import MAX_ID
from ctip.org.models import Unit
from ctip.outreach.selectors import get_campaign_for
from ctip.reports import exports, periods, privacy
from ctip.reports import indicators as ind
from ctip.reports.selectors import reports_visible_to
from ctip.units.selectors import get_unit_for

router = Router(tags=["reports"])


class IndicatorQuery(Schema):
    unit: int | None = Field(None, ge=1, le=MAX_ID, description="default: the caller's top unit")
    period: str = Field("year", max_length=20,
                        description="month, quarter, half, year, campaign or custom")
    year: int | None = Field(None, ge=2000, le=2100)
    month: int | None = Field(None, ge=1, le=12)
    quarter: int | None = Field(None, ge=1, le=4)
    half: int | None = Field(None, ge=1, le=2)
    campaign: int | None = Field(None, ge=1, le=MAX_ID)
    start: dt.date | None = None
    end: dt.date | None = None
    indicator: list[str] = Field(default_factory=list, max_length=100)


class Column(Schema):
    unit_id: int
    unit_name: str
    kind: str = Field(..., description="child, own (the unit's own records) or total")


class IndicatorRow(Schema):
    indicator: str
    key: str = Field(..., description="total, or the breakdown's key")
    label: str
    values: list[Any] = Field(..., description="one per column; counts of people are "
                                               "protected (perturbed, small ones marked)")


class IndicatorTable(Schema):
    unit_id: int
    start: dt.date
    end: dt.date
    period: str
    protected: bool
    protection: dict[str, Any]
    columns: list[Column]
    rows: list[IndicatorRow]


def _top_unit(viewer: Any, capability: str) -> Unit:
    unit = (Unit.objects.filter(path__in=scope_paths(viewer, capability))
            .order_by("depth", "name").first())
    if unit is None:
        raise NotInScope(capability)
    return unit


@router.get("/indicators", response=IndicatorTable, auth=needs("report.view"),
            summary="Indicators for a unit's subtree and a period, per child unit")
def indicators(request: ApiRequest, q: Query[IndicatorQuery]) -> dict[str, Any]:
    viewer = request.auth
    unit = (get_unit_for(viewer, q.unit, "report.view") if q.unit is not None
            else _top_unit(viewer, "report.view"))
    params = {k: v for k, v in q.dict().items() if v not in (None, [], "")}
    for day in ("start", "end"):
        if day in params:
            params[day] = params[day].strftime("%d/%m/%Y")
    period = periods.from_params(params, campaign_lookup=lambda pk: get_campaign_for(viewer,
                                                                                     pk))
    codes = q.indicator or None
    if codes:
        for code in codes:
            ind.get(code)
    # The API is a way out of the system, as a file is: counts of people are always protected.
    table = exports.build_table(unit, period, codes, hide=True)
    columns = [{"unit_id": c.unit.pk, "unit_name": c.unit.name,
                "kind": "total" if c.total else "own" if c.own else "child"}
               for c in table.columns]
    rows = [{"indicator": r.indicator.code, "key": r.key, "label": r.label_vi,
             "values": list(r.cells)} for r in table.rows]
    return {"unit_id": unit.pk, "start": period.start, "end": period.end,
            "period": str(period.label), "protected": True, "protection": privacy.LEGEND,
            "columns": columns, "rows": rows}


class ReportOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    report_type: str
    period_start: dt.date
    period_end: dt.date
    campaign_id: int | None
    status: str
    due_date: dt.date
    submitted_at: dt.datetime | None
    reviewed_at: dt.datetime | None
    on_time: bool | None


class ReportQuery(Schema):
    unit: int | None = Field(None, ge=1, le=MAX_ID)
    status: str | None = Field(None, max_length=20)
    year: int | None = Field(None, ge=2000, le=2100)
    limit: int = Field(200, ge=1, le=1000)


@router.get("/reports", response=list[ReportOut], auth=needs("report.view"),
            summary="Periodic reports in scope and their status")
def list_reports(request: ApiRequest, q: Query[ReportQuery]) -> list[dict[str, Any]]:
    reports = reports_visible_to(request.auth)
    if q.unit is not None:
        unit = get_unit_for(request.auth, q.unit, "report.view")
        reports = reports.filter(unit_path__subtree=unit.path)
    if q.status:
        reports = reports.filter(status=q.status)
    if q.year:
        reports = reports.filter(period_start__year=q.year)
    return [{"id": r.pk, "unit_id": r.unit_id, "unit_name": r.unit.name,
             "report_type": r.report_type.code, "period_start": r.period_start,
             "period_end": r.period_end, "campaign_id": r.campaign_id, "status": r.status,
             "due_date": r.due_date, "submitted_at": r.submitted_at,
             "reviewed_at": r.reviewed_at, "on_time": r.is_on_time}
            for r in reports[:q.limit]]
