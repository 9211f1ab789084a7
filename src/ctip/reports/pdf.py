"""A report as a PDF in the official layout of a Vietnamese administrative report.

Two-column header (the Union unit and the number on the left, the national motto on the right),
place and date, title, body (narrative and indicator table), recipients (Nơi nhận) and the
signature block. The fixed phrases are part of the official form, so they are written in
Vietnamese in the template, not translated. The glyphs come from Be Vietnam Pro, shipped as
the ``fontpkg_be_vietnam_pro`` package, so the PDF never depends on the fonts of the machine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from ctip.reports.models import Report, ReportType

PLACE = "Tây Ninh"


def font_dir() -> Path:
    import fontpkg_be_vietnam_pro

    return Path(fontpkg_be_vietnam_pro.ROOT) / "files"


def font_faces() -> list[dict[str, str]]:
    base = font_dir()
    faces = [("normal", "normal", "Regular"), ("bold", "normal", "Bold"),
             ("normal", "italic", "Italic"), ("bold", "italic", "BoldItalic")]
    return [{"weight": w, "style": s, "url": (base / f"BeVietnamPro-{n}.ttf").as_uri()}
            for w, s, n in faces]


def title_of(report: Report) -> str:
    kind = report.report_type.kind
    start = report.period_start
    if kind == ReportType.Kind.MONTHLY:
        when = f"tháng {start.month} năm {start.year}"
    elif kind == ReportType.Kind.QUARTERLY:
        when = f"quý {(start.month - 1) // 3 + 1} năm {start.year}"
    elif kind == ReportType.Kind.HALF:
        when = (f"6 tháng đầu năm {start.year}" if start.month == 1
                else f"6 tháng cuối năm {start.year}")
    elif kind == ReportType.Kind.ANNUAL:
        when = f"năm {start.year}"
    else:
        name = report.campaign.name if report.campaign_id else report.report_type.name
        return f"BÁO CÁO\nKết quả thực hiện {name}"
    return ("BÁO CÁO\nKết quả công tác phòng, chống mua bán người "
            f"{when}")


def indicator_rows(report: Report) -> list[dict[str, Any]]:
    values = report.values or {}
    try:
        from ctip.reports.indicators import CATALOGUE
    except ImportError:  # the catalogue is not available: show the codes
        CATALOGUE = []  # noqa: N806
    names = {i.code: getattr(i, "name_vi", "") or i.name for i in CATALOGUE}
    order = [i.code for i in CATALOGUE if i.code in values] + sorted(
        c for c in values if c not in names)
    return [{"number": n, "code": code, "name": names.get(code, code), "value": values[code]}
            for n, code in enumerate(order, start=1)]


def recipients(report: Report) -> list[str]:
    parent = report.unit.parent
    rows = []
    if parent is not None:
        rows.append(f"Ban Thường vụ {parent.name}")
    rows += [f"Đảng ủy, UBND {report.unit.name}", "Lưu: VT."]
    return rows


def render_html(report: Report, on: dt.date | None = None) -> str:
    on = on or (timezone.localdate(report.submitted_at) if report.submitted_at
                else timezone.localdate())
    return render_to_string("reports/report_pdf.html", {
        "report": report,
        "unit_name": report.unit.name.upper(),
        "parent_name": report.unit.parent.name.upper() if report.unit.parent else "",
        "number": report.number,
        "place": PLACE,
        "on": on,
        "title_lines": title_of(report).split("\n"),
        "rows": indicator_rows(report),
        "recipients": recipients(report),
        "fonts": font_faces(),
    })


def render_pdf(report: Report, progress: Callable[[int], None] | None = None) -> bytes:
    from weasyprint import HTML

    html = render_html(report)
    if progress:
        progress(30)
    document = HTML(string=html, base_url=str(font_dir())).render()
    if progress:
        progress(80)
    return document.write_pdf()
