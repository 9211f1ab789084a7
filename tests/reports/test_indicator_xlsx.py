"""The indicator table's spreadsheet looks as an officer expects it: a bold title, a shaded
heading row that wraps, bold headline rows, numbers with a thousands separator and a
percentage with one decimal, the protected marks aligned right like the numbers."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from ctip.reports import exports, privacy
from ctip.reports.periods import Period
from tests.conftest import log_activity


def test_the_sheet_keeps_its_styles(tree: Any, formats: Any) -> None:
    for women in (3, 1200):  # a small count (protected: the mark) and a large one
        log_activity(tree.commune_a, formats["meeting"], women=women, men=0,
                     title=f"Sinh hoạt {women}")
    table = exports.build_table(tree.province, Period.year(2026), hide=True)
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(table))).active
    assert sheet is not None
    assert sheet["A1"].font.b and sheet["A1"].font.sz == 13
    width = len(exports.headings_vi(table))
    for cell in sheet[2][:width]:
        assert cell.font.b and cell.fill.fgColor.rgb.endswith("DDEBF7")
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top"
    assert sheet.freeze_panes == "D3"
    marks = numbers = 0
    for line, row in zip(sheet.iter_rows(min_row=3), table.rows, strict=True):
        assert all(bool(c.font.b) == row.headline for c in line[:width])
        for cell in line[3:width]:
            if isinstance(cell.value, int | float):
                numbers += 1
                assert cell.number_format == (
                    "0.0" if row.headline and row.indicator.measure == "percent"
                    else "#,##0")
            elif cell.value == privacy.MARK:
                marks += 1
                assert cell.alignment.horizontal == "right"
    assert marks and numbers
