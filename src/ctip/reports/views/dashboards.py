"""The dashboard of a unit for a period (its trend, formats, units below, campaigns and the
prevention tables) on screen and as a PDF."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.cases import rights  # the module: its renderer is looked up when a PDF is made
from ctip.core.htmx import render_page
from ctip.core.typing import AuthedRequest
from ctip.org.models import Unit
from ctip.outreach.models import Campaign
from ctip.outreach.selectors import campaign_progress, campaign_totals_at
from ctip.reports import caching, charts, periods, prevention, privacy
from ctip.reports import indicators as ind
from ctip.reports.views.base import ancestors, attachment, bad, parse, period_selector, query

DASHBOARD_CODES = ["sessions", "participants", "models", "club_members", "services"]


def _number(value: Any) -> int:
    return value if isinstance(value, int) else 0



def _campaigns_for(unit: Unit, period: periods.Period, request: HttpRequest) -> list[Any]:
    if request.GET.get("period") == "campaign" and request.GET.get("campaign"):
        return list(Campaign.objects.filter(pk=request.GET["campaign"]))
    above = [f"/{'/'.join(unit.path.strip('/').split('/')[:i])}/"
             for i in range(1, unit.path.count("/"))]
    return list(Campaign.objects.filter(Q(unit_path__in=above), archived=False,
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
                   f"{reverse('reports:dashboard')}?{query(request, unit=u.pk)}",
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
    unit, period, _codes_, error = parse(request, unit_id)
    context: dict[str, Any] = {"unit": unit, "error": error, "trail": ancestors(request, unit),
                               **period_selector(request, unit)}
    if error or period is None:
        return render_page(request, "reports/dashboard.html", context, status=400)
    exact = privacy.exact_on_screen(request.user, unit)

    def body() -> str:
        return render_to_string("reports/_dashboard_body.html", dashboard_context(
            request, unit, period, exact=exact, campaign_rows=False), request=request)

    context.update(period=period, is_province=unit.unit_type.code == "province",
                   body=caching.fragment("dashboard", unit, [exact, query(request)], body),
                   pdf_query=query(request, unit=unit.pk))
    return render_page(request, "reports/dashboard.html", context)


@require_http_methods(["GET"])
@requires("report.view")
def dashboard_pdf(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    unit, period, _codes_, error = parse(request, unit_id)
    if error or period is None:
        return bad(error)
    context = dashboard_context(request, unit, period)  # a file: always protected
    html = render_to_string("reports/dashboard_print.html", context, request=request)
    try:
        pdf = rights.render_pdf(html)
    except rights.PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    return attachment(pdf, "application/pdf", f"bang-dieu-khien-{unit.pk}.pdf")
