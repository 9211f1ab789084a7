"""The indicator table (a unit's figures for a period, one column per unit below) and its
spreadsheets (XLSX, CSV), always suppressed."""

from __future__ import annotations

from collections.abc import Callable
from html import escape  # the standard library's: Django's wraps it for lazy text, per cell
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from ctip.accounts.access import requires
from ctip.core.htmx import render_page
from ctip.core.numbers import grouped_writer
from ctip.core.typing import AuthedRequest
from ctip.org.models import Unit
from ctip.reports import caching, exports, periods, privacy
from ctip.reports.views.base import XLSX, ancestors, attachment, bad, parse, period_selector, query


@require_http_methods(["GET"])
@requires("report.view")
def indicator_table(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    unit, period, codes, error = parse(request, unit_id)
    context: dict[str, Any] = {"unit": unit, "error": error, "trail": ancestors(request, unit),
                               **period_selector(request, unit)}
    if error or period is None:
        context["table_html"] = ""
        return render_page(request, "reports/indicators.html", context, "table", status=400)
    exact = privacy.exact_on_screen(request.user, unit)
    up_query = query(request, unit=unit.parent_id) if context["trail"] else ""

    def render() -> str:
        return render_to_string("reports/_indicator_table.html", _table_context(
            request, unit, period, codes, exact=exact, up_query=up_query), request=request)

    context["table_html"] = caching.fragment(
        "indicators", unit, [exact, query(request), up_query], render)
    return render_page(request, "reports/indicators.html", context, "table")


def _table_context(request: HttpRequest, unit: Unit, period: periods.Period,
                   codes: list[str] | None, *, exact: bool, up_query: str) -> dict[str, Any]:
    table = exports.build_table(unit, period, codes, hide=not exact)
    for col in table.columns:
        if not col.own and not col.total:
            col.url = f"{reverse('reports:indicators')}?{query(request, unit=col.unit.pk)}"
    write = grouped_writer()  # the language's number format looked up once, not per cell
    # Each cell written here as its <td>, escaped, not by the template: a province's table has
    # about 16,000 of them, and the template engine's loop over them was most of the time of
    # computing the table after a change (decision 0082).
    shown = [[_cell(cell, row, write) for cell in row.cells] for row in table.rows]
    for row, cells in zip(table.rows, shown, strict=True):
        row.shown_html = mark_safe("".join(cells))  # type: ignore[attr-defined]  # noqa: S308
    # Many units (a province's 96 communes): units as rows, indicators as columns, so the
    # table grows down, not across (issue 15.5).
    by_unit = ([(col, mark_safe("".join(cells[i] for cells in shown)))  # noqa: S308
                for i, col in enumerate(table.columns)]
               if len(table.columns) > UNITS_AS_COLUMNS else None)
    return {"unit": unit, "table": table, "by_unit": by_unit, "period": period,
            "protection": privacy.LEGEND, "export_query": query(request, unit=unit.pk),
            "up_query": up_query}


UNITS_AS_COLUMNS = 6


def _cell(cell: Any, row: exports.Row, write: Callable[[int], str]) -> str:
    """One cell as its ``<td>``, the text escaped: a figure, "—" for none, or the mark of a
    suppressed figure."""
    if cell is None:
        return '<td class="num">—</td>'
    if isinstance(cell, str):
        return f'<td class="num suppressed">{escape(cell)}</td>'
    if row.headline and row.indicator.measure == "percent":
        text = f"{number_format(cell, 1)} %"
    elif isinstance(cell, int):
        text = write(cell)
    else:
        text = number_format(cell, 0, force_grouping=True)
    return f'<td class="num">{escape(text)}</td>'


@require_http_methods(["GET"])
@requires("report.view")
def export_xlsx(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    unit, period, codes, error = parse(request, unit_id)
    if error or period is None:
        return bad(error)
    table = exports.build_table(unit, period, codes, hide=True)
    return attachment(exports.to_xlsx(table), XLSX,
                      f"chi-tieu-{unit.pk}-{period.start:%Y%m%d}.xlsx")


@require_http_methods(["GET"])
@requires("report.view")
def export_csv(request: AuthedRequest, unit_id: int | None = None) -> HttpResponse:
    unit, period, codes, error = parse(request, unit_id)
    if error or period is None:
        return bad(error)
    table = exports.build_table(unit, period, codes, hide=True)
    return attachment(exports.to_csv(table), "text/csv; charset=utf-8",
                 f"chi-tieu-{unit.pk}-{period.start:%Y%m%d}.csv")
