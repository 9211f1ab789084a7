"""The indicator table (units across, indicators and their breakdowns down), with the counts of
people protected by ``reports.privacy`` where asked, and its exports: XLSX with Vietnamese
headings and a frozen header, and CSV."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ctip.core import exports as sheets
from ctip.org.models import Unit
from ctip.reports import caching, privacy
from ctip.reports import indicators as ind
from ctip.reports.ctdc import CTDC_COLUMNS
from ctip.reports.periods import Period
from ctip.reports.privacy import THRESHOLD


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
    threshold: int = THRESHOLD


def _cell(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return value.get(key, 0)
    return value if key == "total" else None


def build_table(unit: Unit, period: Period, codes: list[str] | None = None, *,
                hide: bool, threshold: int = THRESHOLD) -> IndicatorTable:
    """Every indicator asked for, for each child of ``unit`` (and its own records), and the
    total; with ``hide``, every cell of every count of people is what ``privacy.protect_values``
    publishes for it (each cell from its own records: totals are not added up)."""
    total, total_keys, per_child = caching.figures(unit, period, codes)
    columns = [Column(u, own=u.pk == unit.pk) for u, _v, _k in per_child]
    columns.append(Column(unit, total=True))
    table = IndicatorTable(unit, period, columns, suppressed=hide, threshold=threshold)
    cells = [(u, v, k, u.pk == unit.pk) for u, v, k in per_child]
    cells.append((unit, total, total_keys, False))
    if hide:
        cells = [(u, privacy.protect_values(v, k, privacy.where_of(
                     u, period.start, period.end, own=own)), k, own)
                 for u, v, k, own in cells]
    values = [v for _u, v, _k, _own in cells]
    for indicator in ind.resolve(codes):
        column_values = [v[indicator.code] for v in values]
        labels = ind.breakdown_labels(indicator, total[indicator.code])
        table.rows.append(Row(indicator, "total", indicator.name, indicator.name_vi,
                              [_cell(v, "total") for v in column_values], headline=True))
        table.rows += [Row(indicator, key, label, vi, [_cell(v, key) for v in column_values])
                       for key, label, vi in labels]
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
    note = f" — {privacy.MARK_VI_LEGEND}" if table.suppressed else ""
    return f"Chỉ tiêu phòng, chống mua bán người — {table.unit.name} — {period}{note}"


@functools.cache
def _styles() -> SimpleNamespace:
    """The styles of the sheet, made once: a cell keeps the index of its style in the workbook,
    so one object serves every cell (building a ``Font`` per cell was a fifth of an export's
    time); made at the first export, not when the module loads (decision 0072)."""
    # slow to import, needed only for a workbook (decision 0072)
    from openpyxl.styles import Alignment, Font, PatternFill

    return SimpleNamespace(
        title=Font(bold=True, size=13), bold=Font(bold=True),
        heading_fill=PatternFill("solid", fgColor="DDEBF7"),
        heading_alignment=Alignment(wrap_text=True, vertical="top"),
        right=Alignment(horizontal="right"))


def to_xlsx(table: IndicatorTable) -> bytes:
    # slow to import, needed only for a workbook (decision 0072)
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    style = _styles()
    wb = sheets.workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # noqa: S101  (a new workbook has one sheet)
    ws.title = "Chỉ tiêu"
    sheets.append(ws, [title_vi(table)])
    ws["A1"].font = style.title
    heads = headings_vi(table)
    sheets.append(ws, heads)
    for col in range(1, len(heads) + 1):
        cell = ws.cell(row=2, column=col)
        cell.font = style.bold
        cell.fill = style.heading_fill
        cell.alignment = style.heading_alignment
    for line, row in zip(table_lines(table), table.rows, strict=True):
        sheets.append(ws, line)
        r = ws.max_row
        if row.headline:
            for col in range(1, len(line) + 1):
                ws.cell(row=r, column=col).font = style.bold
        fmt = ("0.0" if row.indicator.measure == "percent" and row.headline
               else "#,##0")
        for col in range(4, len(line) + 1):
            cell = ws.cell(row=r, column=col)
            if isinstance(cell.value, int | float):
                cell.number_format = fmt
            else:
                cell.alignment = style.right
    ws.freeze_panes = "D3"
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 48
    ws.column_dimensions["C"].width = 34
    for col in range(4, len(heads) + 1):
        ws.column_dimensions[get_column_letter(col)].width = 16
    return sheets.save(wb)


def to_csv(table: IndicatorTable) -> bytes:
    lines = list(table_lines(table))
    if table.suppressed:  # the legend travels with the file
        lines.append(["Ghi chú", privacy.MARK_VI_LEGEND])
    return sheets.csv_bytes(lines, header=headings_vi(table))


def ctdc_csv(rows: list[dict[str, Any]]) -> bytes:
    """Rows in CTDC's columns (``reports.ctdc``), as CTDC publishes them: no byte order mark,
    missing values as the number -99."""
    return sheets.csv_bytes(([row.get(c) for c in CTDC_COLUMNS] for row in rows),
                            header=CTDC_COLUMNS, bom=False)
