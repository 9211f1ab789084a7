"""The indicator table (units across, indicators and their breakdowns down), with suppression
applied, and its exports: XLSX with Vietnamese headings and a frozen header, and CSV."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ctip.core import exports as sheets
from ctip.org.models import Unit
from ctip.reports import indicators as ind
from ctip.reports.periods import Period
from ctip.reports.privacy import DEFAULT_THRESHOLD, SAME_PEOPLE, mark, suppress


@dataclass
class Column:
    unit: Unit
    own: bool = False      # the unit's own records (not a child)
    total: bool = False
    url: str = ""          # drill-down link, set by the view


@dataclass
class Row:
    indicator: ind.Indicator
    key: str               # "total" for the headline row, else the breakdown key
    label: Any
    label_vi: str
    cells: list[Any]       # one per column, the total last
    headline: bool = False


@dataclass
class IndicatorTable:
    unit: Unit
    period: Period
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    suppressed: bool = False
    threshold: int = DEFAULT_THRESHOLD


def _cell(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return value.get(key, 0)
    return value if key == "total" else None


def _percent_rows(indicator: ind.Indicator, values: list[Any], threshold: int,
                  hide: bool) -> list[Row]:
    """A percentage, then its numerator and denominator. When suppressing, the two counts go
    through ``suppress`` (across units) and a percentage is hidden with its counts."""
    labels = ind.breakdown_labels(indicator)
    counts = [[_cell(v, key) or 0 for v in values] for key, *_ in labels]
    shown = suppress(counts, threshold, total_row=False, total_col=True) if hide else counts
    pct = [_cell(v, "total") for v in values]
    if hide:
        pct = [mark(threshold) if any(isinstance(r[j], str) for r in shown) else p
               for j, p in enumerate(pct)]
    rows = [Row(indicator, "total", indicator.name, indicator.name_vi, pct, headline=True)]
    rows += [Row(indicator, key, label, vi, shown[i]) for i, (key, label, vi) in
             enumerate(labels)]
    return rows


def build_table(unit: Unit, period: Period, codes: list[str] | None = None, *,
                hide: bool, threshold: int = DEFAULT_THRESHOLD) -> IndicatorTable:
    """Every indicator asked for, for each child of ``unit`` (and its own records), and the
    total; person counts suppressed when ``hide``."""
    total, per_child = ind.compute_with_children(unit, period, codes)
    columns = [Column(u, own=u.pk == unit.pk) for u, _v in per_child]
    columns.append(Column(unit, total=True))
    table = IndicatorTable(unit, period, columns, suppressed=hide, threshold=threshold)
    indicators = ind.resolve(codes)
    if hide:  # hide first what other indicators must hide with (``SAME_PEOPLE``)
        indicators.sort(key=lambda i: i.code not in SAME_PEOPLE)
    forced: dict[str, list[tuple[str, int]]] = {}  # indicator: [(part, column)]
    for indicator in indicators:
        values = [v[indicator.code] for _u, v in per_child] + [total[indicator.code]]
        if indicator.measure == "percent":
            table.rows += _percent_rows(indicator, values, threshold,
                                        hide and indicator.is_person_count)
            continue
        labels = ind.breakdown_labels(indicator, total[indicator.code])
        keys = [key for key, *_ in labels]
        matrix = [[_cell(v, key) for v in values] for key in [*keys, "total"]]
        force = [(keys.index(k), j) for k, j in forced.get(indicator.code, []) if k in keys]
        if hide and (indicator.is_person_count or force):
            matrix = suppress(matrix, threshold, total_row=bool(keys), total_col=True,
                              force=force, primary=indicator.is_person_count)
        if hide and indicator.code in SAME_PEOPLE:
            host, key = SAME_PEOPLE[indicator.code]
            forced.setdefault(host, []).extend(
                (key, j) for j, cell in enumerate(matrix[-1]) if isinstance(cell, str))
        table.rows.append(Row(indicator, "total", indicator.name, indicator.name_vi,
                              matrix[-1], headline=True))
        table.rows += [Row(indicator, key, label, vi, matrix[i])
                       for i, (key, label, vi) in enumerate(labels)]
    order = {i.code: n for n, i in enumerate(ind.resolve(codes))}
    table.rows.sort(key=lambda r: order[r.indicator.code])  # stable: parts stay in order
    return table


# --- Files -------------------------------------------------------------------------------------

def headings_vi(table: IndicatorTable) -> list[str]:
    heads = ["Mã chỉ tiêu", "Chỉ tiêu", "Phân tổ"]
    for col in table.columns:
        if col.total:
            heads.append("Tổng cộng")
        elif col.own:
            heads.append(f"{col.unit.name} (trực tiếp)")
        else:
            heads.append(col.unit.name)
    return heads


def _plain(value: Any) -> Any:
    return "" if value is None else value


def table_lines(table: IndicatorTable) -> list[list[Any]]:
    lines = []
    for row in table.rows:
        lines.append([row.indicator.code, row.indicator.name_vi,
                      "" if row.headline else row.label_vi,
                      *[_plain(c) for c in row.cells]])
    return lines


def title_vi(table: IndicatorTable) -> str:
    # the period by its dates: the labels are UI strings, translated later
    period = f"từ {table.period.start:%d/%m/%Y} đến {table.period.end:%d/%m/%Y}"
    note = (f" — số dưới {table.threshold} người được ẩn (< {table.threshold})"
            if table.suppressed else "")
    return f"Chỉ tiêu phòng, chống mua bán người — {table.unit.name} — {period}{note}"


def to_xlsx(table: IndicatorTable) -> bytes:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    wb = sheets.workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # noqa: S101  (a new workbook has one sheet)
    ws.title = "Chỉ tiêu"
    sheets.append(ws, [title_vi(table)])
    ws["A1"].font = Font(bold=True, size=13)
    heads = headings_vi(table)
    sheets.append(ws, heads)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col in range(1, len(heads) + 1):
        cell = ws.cell(row=2, column=col)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for line, row in zip(table_lines(table), table.rows, strict=True):
        sheets.append(ws, line)
        r = ws.max_row
        if row.headline:
            for col in range(1, len(line) + 1):
                ws.cell(row=r, column=col).font = Font(bold=True)
        fmt = ("0.0" if row.indicator.measure == "percent" and row.headline
               else "#,##0")
        for col in range(4, len(line) + 1):
            cell = ws.cell(row=r, column=col)
            if isinstance(cell.value, int | float):
                cell.number_format = fmt
            else:
                cell.alignment = Alignment(horizontal="right")
    ws.freeze_panes = "D3"
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 48
    ws.column_dimensions["C"].width = 34
    for col in range(4, len(heads) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 16
    return sheets.save(wb)


def to_csv(table: IndicatorTable) -> bytes:
    return sheets.csv_bytes(table_lines(table), header=headings_vi(table))


def ctdc_csv(rows: list[dict[str, Any]]) -> bytes:
    from ctip.reports.privacy import CTDC_COLUMNS

    return sheets.csv_bytes(([row.get(c) for c in CTDC_COLUMNS] for row in rows),
                            header=CTDC_COLUMNS, bom=False)
