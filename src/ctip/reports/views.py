"""Indicator tables, dashboards and their exports.

Suppression rule: every export is suppressed (counts of people below the threshold show as
"< 5", with complementary suppression); on screen a table is suppressed when the viewer does
not hold ``case.view`` over the unit. A unit outside the viewer's ``report.view`` scope answers
404; a bad period or an unknown indicator gives a plain message (status 400).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.accounts.policy import NotInScope, has_capability, scope_paths
from ctip.audit.actions import record
from ctip.cases import rights  # the module: its renderer is looked up when a PDF is made
from ctip.core import exports as sheets
from ctip.core.errors import ActionError
from ctip.core.htmx import render_page
from ctip.core.typing import AuthedRequest
from ctip.org.models import Unit
from ctip.org.paths import is_within
from ctip.outreach.models import Campaign
from ctip.outreach.selectors import (
    campaign_progress,
    campaign_totals_at,
    campaigns_visible_to,
    get_campaign_for,
)
from ctip.reports import caching, charts, ctdc, exports, periods, prevention, privacy
from ctip.reports import indicators as ind
from ctip.units.selectors import get_unit_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD_PARAMS = ("period", "year", "month", "quarter", "half", "campaign", "start", "end")
DASHBOARD_CODES = ["sessions", "participants", "models", "club_members", "services"]


def _unit(request: HttpRequest, unit_id: int | None = None,
          capability: str = "report.view") -> Unit:
    if unit_id is not None:
        return get_unit_for(request.user, unit_id, capability)
    raw = request.GET.get("unit", "")
    if raw:
        try:
            pk = int(raw)
        except ValueError:
            raise NotInScope(capability) from None
        return get_unit_for(request.user, pk, capability)
    roots = scope_paths(request.user, capability)
    unit = Unit.objects.filter(path__in=roots).order_by("depth", "name").first()
    if unit is None:
        raise NotInScope(capability)
    return unit


def _campaign_lookup(request: HttpRequest) -> Any:
    def lookup(pk: int) -> Any:
        try:
            return get_campaign_for(request.user, pk)
        except NotInScope:
            raise ActionError(_("There is no such campaign."), field="campaign") from None

    return lookup


def _codes(request: HttpRequest) -> list[str] | None:
    codes = [c for c in request.GET.getlist("indicator") if c]
    if not codes:
        return None
    for code in codes:
        ind.get(code)
    return codes


def _query(request: HttpRequest, **changes: Any) -> str:
    params = {k: request.GET.get(k) for k in PERIOD_PARAMS if request.GET.get(k)}
    params.update({k: v for k, v in changes.items() if v is not None})
    pairs = list(params.items())
    pairs += [("indicator", c) for c in request.GET.getlist("indicator") if c]
    return urlencode(pairs)


def _selector(request: HttpRequest, unit: Unit) -> dict[str, Any]:
    campaigns = []
    if request.user.is_authenticated:
        campaigns = list(campaigns_visible_to(request.user).filter(archived=False)
                         .order_by("-starts_on")[:30])
    return {"kinds": [("month", _("Month")), ("quarter", _("Quarter")),
                      ("half", _("Half-year")), ("year", _("Year")),
                      ("campaign", _("Campaign")), ("custom", _("Custom dates"))],
            "params": {k: request.GET.get(k, "") for k in PERIOD_PARAMS},
            "campaigns": campaigns, "catalogue": ind.CATALOGUE,
            "chosen": request.GET.getlist("indicator")}


def _ancestors(request: HttpRequest, unit: Unit) -> list[Unit]:
    roots = scope_paths(request.user, "report.view")
    ids = unit.ancestor_ids()[:-1]
    found = Unit.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found
            and any(is_within(found[i].path, r) for r in roots)]


def _parse(request: HttpRequest, unit_id: int | None = None
           ) -> tuple[Unit, periods.Period | None, list[str] | None, str]:
    unit = _unit(request, unit_id)
    try:
        period = periods.from_params(request.GET, campaign_lookup=_campaign_lookup(request))
        codes = _codes(request)
    except ActionError as exc:
        return unit, None, None, exc.message
    return unit, period, codes, ""


@require_http_methods(["GET"])
@requires("report.view")
def indicator_table(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    unit, period, codes, error = _parse(request, unit_id)
    context: dict[str, Any] = {"unit": unit, "error": error, "trail": _ancestors(request, unit),
                               **_selector(request, unit)}
    if error or period is None:
        context["table_html"] = ""
        return render_page(request, "reports/indicators.html", context, "table", status=400)
    exact = privacy.exact_on_screen(request.user, unit)
    up_query = _query(request, unit=unit.parent_id) if context["trail"] else ""

    def render() -> str:
        from django.template.loader import render_to_string

        return render_to_string("reports/_indicator_table.html", _table_context(
            request, unit, period, codes, exact=exact, up_query=up_query), request=request)

    context["table_html"] = caching.fragment(
        "indicators", unit, [exact, _query(request), up_query], render)
    return render_page(request, "reports/indicators.html", context, "table")


def _table_context(request: HttpRequest, unit: Unit, period: periods.Period,
                   codes: list[str] | None, *, exact: bool, up_query: str) -> dict[str, Any]:
    table = exports.build_table(unit, period, codes, hide=not exact)
    for col in table.columns:
        if not col.own and not col.total:
            col.url = f"{reverse('reports:indicators')}?{_query(request, unit=col.unit.pk)}"
    for row in table.rows:
        row.shown = [_display(cell, row) for cell in row.cells]  # type: ignore[attr-defined]
    # Many units (a province's 96 communes): units as rows, indicators as columns, so the
    # table grows down, not across (issue 15.5).
    by_unit = ([(col, [row.shown[i] for row in table.rows])  # type: ignore[attr-defined]
                for i, col in enumerate(table.columns)]
               if len(table.columns) > UNITS_AS_COLUMNS else None)
    return {"unit": unit, "table": table, "by_unit": by_unit, "period": period,
            "protection": privacy.LEGEND, "export_query": _query(request, unit=unit.pk),
            "up_query": up_query}


UNITS_AS_COLUMNS = 6


def _display(cell: Any, row: exports.Row) -> dict[str, Any]:
    from django.utils.formats import number_format

    if cell is None:
        return {"text": "—", "suppressed": False}
    if isinstance(cell, str):
        return {"text": cell, "suppressed": True}
    if row.headline and row.indicator.measure == "percent":
        return {"text": f"{number_format(cell, 1)} %", "suppressed": False}
    return {"text": number_format(cell, 0, force_grouping=True), "suppressed": False}


def _bad(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _file(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET"])
@requires("report.view")
def export_xlsx(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    unit, period, codes, error = _parse(request, unit_id)
    if error or period is None:
        return _bad(error)
    table = exports.build_table(unit, period, codes, hide=True)
    return _file(exports.to_xlsx(table), XLSX, f"chi-tieu-{unit.pk}-{period.start:%Y%m%d}.xlsx")


@require_http_methods(["GET"])
@requires("report.view")
def export_csv(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    unit, period, codes, error = _parse(request, unit_id)
    if error or period is None:
        return _bad(error)
    table = exports.build_table(unit, period, codes, hide=True)
    return _file(exports.to_csv(table), "text/csv; charset=utf-8",
                 f"chi-tieu-{unit.pk}-{period.start:%Y%m%d}.csv")


def _wide_unit(request: HttpRequest, unit_id: int | None, capability: str
               ) -> tuple[Unit | None, HttpResponse | None]:
    """The unit of a person-level file: a whole province or a unit above, in scope."""
    unit = _unit(request, unit_id, capability)
    if unit.unit_type.code not in ("province", "central"):
        return None, _bad(_("The person-level files are made for a whole province only."))
    return unit, None


def _release(request: AuthedRequest, unit_id: int | None) -> tuple[Any, Any, Any]:
    unit, refused = _wide_unit(request, unit_id, "report.view")
    if refused is not None or unit is None:
        return None, None, refused
    try:
        k = int(request.GET.get("k", ctdc.K))
    except ValueError:
        return None, None, _bad(_("k must be a whole number."))
    if k < ctdc.K:
        return None, None, _bad(_("k cannot be below %(k)s.") % {"k": ctdc.K})
    if k > 1000:
        return None, None, _bad(_("k cannot be above %(k)s.") % {"k": 1000})
    return unit, ctdc.public_release(unit, k), None


@require_http_methods(["GET"])
@requires("report.view")
def ctdc_csv(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    """The public release file: every victim of the subtree in CTDC's columns, k-anonymous
    (k ≥ 11) over persons by global recoding (``reports.ctdc.anonymise``); audited with what
    was generalised and lost."""
    unit, release, refused = _release(request, unit_id)
    if refused is not None:
        return refused
    record(actor=request.user, action="report.public_release", target=unit,
           unit_path=unit.path, changes=_release_summary(release))
    return _file(exports.ctdc_csv(release.rows), "text/csv; charset=utf-8",
                 f"ctdc-cong-bo-{unit.gso_code or unit.pk}.csv")


def _release_summary(release: Any) -> dict[str, Any]:
    return {"k": release.k, "persons": release.persons, "released": len(release.rows),
            "suppressed": release.suppressed, "loss": round(release.loss, 4),
            "levels": release.levels}


@require_http_methods(["GET"])
@requires("report.view")
def public_release(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    """What the public release file generalised and how much it lost, with its link."""
    unit, release, refused = _release(request, unit_id)
    if refused is not None:
        return refused
    return render_page(request, "reports/public_release.html", {
        "unit": unit, "release": release, "levels": release.describe(),
        "loss_percent": round(100 * release.loss, 1),
        "csv_url": reverse("reports:unit_ctdc_csv", args=[unit.pk])
        + (f"?k={release.k}" if release.k != ctdc.K else ""),
        "share": has_capability(request.user, "data.share", unit),
        "contribution_url": reverse("reports:unit_ctdc_contribution_csv", args=[unit.pk]),
        "htcds_url": reverse("reports:unit_htcds_export_json", args=[unit.pk]),
    })


@require_http_methods(["GET"])
@requires("data.share")
def ctdc_contribution(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    """The CTDC contribution file: one de-identified row per person who consented to
    sharing for statistics or research; for a holder of ``data.share``; audited."""
    unit, refused = _wide_unit(request, unit_id, "data.share")
    if refused is not None or unit is None:
        return refused or _bad("")
    rows = ctdc.contribution_rows(unit)
    record(actor=request.user, action="report.ctdc_contribution", target=unit,
           unit_path=unit.path, changes={"persons": len(rows)})
    return _file(exports.ctdc_csv(rows), "text/csv; charset=utf-8",
                 f"ctdc-dong-gop-{unit.gso_code or unit.pk}.csv")


@require_http_methods(["GET"])
@requires("data.share")
def htcds_json(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    """The same persons as the contribution file, in HTCDS 2.0 field names (JSON)."""
    unit, refused = _wide_unit(request, unit_id, "data.share")
    if refused is not None or unit is None:
        return refused or _bad("")
    document = ctdc.htcds_document(unit)
    record(actor=request.user, action="report.htcds_export", target=unit,
           unit_path=unit.path, changes={"persons": len(document["persons"])})
    return _file(sheets.json_bytes(document), "application/json",
                 f"htcds-{unit.gso_code or unit.pk}.json")


def _number(value: Any) -> int:
    return value if isinstance(value, int) else 0


# --- Dashboards ------------------------------------------------------------------------------

def _campaigns_for(unit: Unit, period: periods.Period, request: HttpRequest) -> list[Any]:
    if request.GET.get("period") == "campaign" and request.GET.get("campaign"):
        return list(Campaign.objects.filter(pk=request.GET["campaign"]))
    ancestors = [f"/{'/'.join(unit.path.strip('/').split('/')[:i])}/"
                 for i in range(1, unit.path.count("/"))]
    return list(Campaign.objects.filter(Q(unit_path__in=ancestors), archived=False,
                                        starts_on__lte=period.end, ends_on__gte=period.start)
                .order_by("-starts_on")[:3])


def dashboard_context(request: HttpRequest, unit: Unit, period: periods.Period, *,
                      exact: bool = False, campaign_rows: bool = True) -> dict[str, Any]:
    """The dashboard; counts of people (the services) through ``privacy.protect_values``
    unless ``exact`` (on screen, for a viewer who may open the records). Each campaign with
    its progress by unit (``campaign_rows``, the PDF) or its total line at the unit with a
    link to the progress page (the screen)."""

    months = ind.monthly(unit, period)
    trend = charts.column_chart([(m.label[:2], v["sessions"]) for m, v in months])
    total, total_keys, keyed = ind.compute_keyed(unit, period, DASHBOARD_CODES)
    if exact:
        per_child = [(u, v) for u, v, _k in keyed]
    else:
        total = privacy.protect_values(total, total_keys,
                                       privacy.where_of(unit, period.start, period.end))
        per_child = [(u, privacy.protect_values(v, k, privacy.where_of(
            u, period.start, period.end, own=u.pk == unit.pk))) for u, v, k in keyed]
    labels = ind.breakdown_labels(ind.get("sessions"), total["sessions"])
    by_format = [(str(label), total["sessions"].get(key, 0)) for key, label, _vi in labels
                 if total["sessions"].get(key, 0)]
    columns = ["sessions", "participants", "models", "club_members", "services"]
    maxima = {c: max((_number(ind.headline(v[c])) for u, v in per_child
                      if u.pk != unit.pk), default=0) for c in columns}
    child_rows = [{"unit": u, "own": u.pk == unit.pk,
                   "url": None if u.pk == unit.pk else
                   f"{reverse('reports:dashboard')}?{_query(request, unit=u.pk)}",
                   "cells": [(ind.headline(v[c]),
                              charts.scale_class(_number(ind.headline(v[c])), maxima[c]))
                             for c in columns]} for u, v in per_child]
    campaigns: list[dict[str, Any]] = []
    running = _campaigns_for(unit, period, request)
    if not campaign_rows:
        campaigns = [{"campaign": t.campaign, "total": t, "rows": []}
                     for t in campaign_totals_at(running, {c.pk: unit for c in running})]
    for campaign in running if campaign_rows else []:
        rows = campaign_progress(campaign, unit)
        bars = charts.bar_chart([(r.unit.name, round(100 * r.sessions_ratio)
                                  if r.sessions_ratio is not None else None) for r in rows])
        campaigns.append({"campaign": campaign, "rows": rows, "chart": bars, "total": None})
    is_province = unit.unit_type.code == "province"
    return {**prevention_context(unit, period, exact=exact),
            "unit": unit, "period": period, "months": months, "trend": trend,
            "by_format": by_format, "format_chart": charts.bar_chart(by_format),
            "total": total, "child_rows": child_rows,
            "child_heads": [ind.get(c).name for c in columns],
            "campaigns": campaigns, "is_province": is_province,
            "protected": not exact, "protection": privacy.LEGEND,
            "children_label": _("Communes") if is_province else _("Units below")}


PREVENTION_YEARS = 5


def prevention_context(unit: Unit, period: periods.Period, *, exact: bool) -> dict[str, Any]:
    """Persons trafficked by recruitment method, recruiter, country and exploitation, in each
    of the five years up to the period's (the trend prevention aims by). Every cell is a count
    of people, through ``privacy.protect_values`` from its own records unless ``exact``.
    Under the recruitment methods, types of exploitation and means of control, the signs that
    warn of each and the topics that teach it, with the activities of the period
    (``reports.prevention``), from the period's cells as shown."""
    years = list(range(period.end.year - PREVENTION_YEARS + 1, period.end.year + 1))
    codes = list(ind.TRAFFICKING_CODES)
    per_year = []
    for year in years:
        span = periods.Period.year(year)
        values, keys = ind.compute_values_and_keys(unit, span, codes)
        if not exact:
            values = privacy.protect_values(values, keys,
                                            privacy.where_of(unit, span.start, span.end))
        per_year.append(values)
    if (period.start, period.end) == (span.start, span.end):
        shown = per_year[-1]
    else:
        shown, keys = ind.compute_values_and_keys(unit, period, list(prevention.LINKED))
        if not exact:
            shown = privacy.protect_values(shown, keys,
                                           privacy.where_of(unit, period.start, period.end))
    linked = prevention.links(unit, period.start, period.end, shown)
    tables = []
    for code in codes:
        indicator = ind.get(code)
        seen: dict[str, Any] = {}
        for values in per_year:
            seen.update(values[code])
        rows = [(_("All persons"), [values[code]["total"] for values in per_year])]
        rows += [(label, [values[code].get(key, 0) for values in per_year])
                 for key, label, _vi in ind.breakdown_labels(indicator, seen)
                 if any(values[code].get(key, 0) != 0 for values in per_year)]
        tables.append({"indicator": indicator, "rows": rows, "links": linked.get(code),
                       "linked": code in linked})
    return {"prevention_years": years, "prevention": tables, "prevention_period": period}


@require_http_methods(["GET"])
@requires("report.view")
def dashboard(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    unit, period, _codes_, error = _parse(request, unit_id)
    context: dict[str, Any] = {"unit": unit, "error": error, "trail": _ancestors(request, unit),
                               **_selector(request, unit)}
    if error or period is None:
        return render_page(request, "reports/dashboard.html", context, status=400)
    exact = privacy.exact_on_screen(request.user, unit)

    def body() -> str:
        from django.template.loader import render_to_string

        return render_to_string("reports/_dashboard_body.html", dashboard_context(
            request, unit, period, exact=exact, campaign_rows=False), request=request)

    context.update(period=period, is_province=unit.unit_type.code == "province",
                   body=caching.fragment("dashboard", unit, [exact, _query(request)], body),
                   pdf_query=_query(request, unit=unit.pk))
    return render_page(request, "reports/dashboard.html", context)


@require_http_methods(["GET"])
@requires("report.view")
def dashboard_pdf(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    from django.template.loader import render_to_string


    unit, period, _codes_, error = _parse(request, unit_id)
    if error or period is None:
        return _bad(error)
    context = dashboard_context(request, unit, period)  # a file: always protected
    html = render_to_string("reports/dashboard_print.html", context, request=request)
    try:
        pdf = rights.render_pdf(html)
    except rights.PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return _file(pdf, "application/pdf", f"bang-dieu-khien-{unit.pk}.pdf")
