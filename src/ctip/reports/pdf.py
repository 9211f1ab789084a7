"""A report as a PDF in the official layout of a Vietnamese administrative report.

Two-column header (the issuing Union organ, the organ above it and the number on the left, the
national motto on the right), place and date, title, body (narrative and indicator table),
recipients (Nơi nhận) and the signature block. The organs are named after the Union, not the
administrative unit ("Ban Thường vụ Hội LHPN xã Đức Hòa" under "Hội LHPN tỉnh Tây Ninh"), from
the installation's settings ``CTIP_REPORT_ISSUER``, ``CTIP_REPORT_ORGAN``, ``CTIP_REPORT_PLACE`` and
``CTIP_REPORT_SIGNATURE``. A report not yet approved is marked as a draft on every page and
beside its figures. The fixed phrases are part of the official form, so they are written in
Vietnamese in the template, not translated. The glyphs come from Be Vietnam Pro, shipped as
the ``fontpkg_be_vietnam_pro`` package, so the PDF never depends on the fonts of the machine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fontpkg_be_vietnam_pro
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from ctip.reports import indicators as ind
from ctip.reports import prevention, privacy
from ctip.reports.models import Report, ReportType
from ctip.reports.privacy import THRESHOLD

# Units that are administrative units: the Union there is named after the unit ("Hội LHPN xã
# Đức Hòa"). Other units (the central Union, branches, groups, departments) are Union bodies
# whose own name is the organ's.
ADMINISTRATIVE = frozenset({"province", "district", "commune"})
TYPE_WORDS = ("Thành phố", "Đặc khu", "Phường", "Tỉnh", "Huyện", "Quận", "Thị xã", "Xã")


def font_dir() -> Path:
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
        name = (report.campaign.name if report.campaign is not None
                else report.report_type.name)
        return f"BÁO CÁO\nKết quả thực hiện {name}"
    return ("BÁO CÁO\nKết quả công tác phòng, chống mua bán người "
            f"{when}")


def indicator_rows(report: Report, *, hide: bool = False, official: bool = True,
                   threshold: int = THRESHOLD) -> list[dict[str, Any]]:
    """The report's stored indicator values as rows to show: the headline value and, for an
    indicator with a breakdown, one part per breakdown key. ``official`` names them in
    Vietnamese (the PDF), otherwise in the UI language. With ``hide``, the counts of people
    are what ``privacy.protect_values`` publishes for the report's unit and period, from the
    cell keys stored with the snapshot (the same values as the live tables of that period).
    The stored values are not touched."""
    values = report.values or {}
    if hide:
        values = privacy.protect_values(values, report_keys(report), report_where(report))
    known = [i for i in ind.CATALOGUE if i.code in values]
    codes = {i.code for i in known}
    rows = []
    for n, indicator in enumerate(known + sorted(c for c in values if c not in codes),
                                  start=1):
        if isinstance(indicator, str):  # a code the catalogue no longer has
            code, value = indicator, values[indicator]
            if hide and value:  # nothing known of what it counts: never shown in the clear
                value = privacy.MARK
            rows.append({"number": n, "code": code, "name": code,
                         "value": ind.headline(value), "suppressed": value == privacy.MARK,
                         "parts": []})
            continue
        rows.append(_row(n, indicator, values[indicator.code], official=official))
    return rows


def report_where(report: Report) -> str:
    if report.unit_id is None or report.period_start is None:
        return "report"
    return privacy.where_of(report.unit, report.period_start, report.period_end)


def report_keys(report: Report) -> dict[str, Any]:
    """The cell keys stored with the snapshot; for a report taken before they were stored, keys
    derived from what each cell counts with a secret (the same noise every time)."""
    if report.cell_keys:
        return report.cell_keys
    return privacy.derived_keys(report.values or {}, report_where(report))


def _row(n: int, indicator: Any, value: Any, *, official: bool) -> dict[str, Any]:
    labels = ind.breakdown_labels(indicator, value) if isinstance(value, dict) else []
    labels = [(k, lbl, vi) for k, lbl, vi in labels if k in value]
    parts = [value.get(k) for k, *_ in labels]
    total = ind.headline(value)
    return {
        "number": n, "code": indicator.code,
        "name": indicator.name_vi if official else indicator.name,
        "value": total, "suppressed": isinstance(total, str),
        "percent": indicator.measure == "percent",
        # zero parts are left out (an empty line says nothing), unless protected
        "parts": [{"label": vi if official else label, "value": part,
                   "suppressed": isinstance(part, str)}
                  for (_k, label, vi), part in zip(labels, parts, strict=True)
                  if part != 0],
    }


def _in_sentence(name: str) -> str:
    """"Xã Đức Hòa" → "xã Đức Hòa": the unit type in lower case inside a phrase."""
    for word in TYPE_WORDS:
        if name.startswith(word + " "):
            return word.lower() + name[len(word):]
    return name


def organ(unit: Any) -> str:
    """The Union at ``unit``: "Hội LHPN tỉnh Tây Ninh"; a Union body keeps its own name."""
    if unit.unit_type.code not in ADMINISTRATIVE:
        return str(unit.name)
    return settings.CTIP_REPORT_ORGAN.format(unit=_in_sentence(unit.name))


def issuer(unit: Any) -> str:
    """The organ that issues the unit's report: "Ban Thường vụ Hội LHPN xã Đức Hòa"."""
    if unit.unit_type.code not in ADMINISTRATIVE:
        return str(unit.name)
    return settings.CTIP_REPORT_ISSUER.format(unit=_in_sentence(unit.name))


def place(unit: Any) -> str:
    """The place before the date: the setting, or the name of the unit's province."""
    if settings.CTIP_REPORT_PLACE:
        return str(settings.CTIP_REPORT_PLACE)
    node = unit
    while node is not None and node.unit_type.code != "province":
        node = node.parent
    name = str((node or unit).name)
    for word in TYPE_WORDS:
        if name.startswith(word + " "):
            return name[len(word) + 1:]
    return name


def recipients(report: Report) -> list[str]:
    parent = report.unit.parent
    rows = []
    if parent is not None:
        rows.append(f"Ban Thường vụ {organ(parent)}" if parent.unit_type.code in ADMINISTRATIVE
                    else str(parent.name))
    if report.unit.unit_type.code in ADMINISTRATIVE:
        rows.append(f"Đảng ủy, UBND {_in_sentence(report.unit.name)}")
    rows.append("Lưu: VT.")
    return rows


def prevention_lines(report: Report) -> list[dict[str, Any]]:
    """The signs and topics next to the report's prevention figures (``reports.prevention``),
    from its counts as the PDF publishes them (protected: it leaves the unit)."""
    if report.unit_id is None or report.period_start is None or report.period_end is None:
        return []
    shown = privacy.protect_values(report.values or {}, report_keys(report),
                                   report_where(report))
    linked = prevention.links(report.unit, report.period_start, report.period_end, shown)
    return [row for rows in linked.values() for row in rows]


def render_html(report: Report, on: dt.date | None = None) -> str:
    on = on or (timezone.localdate(report.submitted_at) if report.submitted_at
                else timezone.localdate())
    unit = report.unit
    return render_to_string("reports/report_pdf.html", {
        "report": report,
        "unit_name": issuer(unit).upper(),
        "parent_name": organ(unit.parent).upper() if unit.parent else "",
        "number": report.number,
        "place": place(unit),
        "signature": settings.CTIP_REPORT_SIGNATURE,
        # Figures that may still change are marked on every page and beside the table.
        "draft": report.status != Report.Status.APPROVED,
        "awaiting": report.status == Report.Status.SUBMITTED,
        "on": on,
        "title_lines": title_of(report).split("\n"),
        "rows": indicator_rows(report, hide=True),  # the PDF leaves the unit: protected
        "prevention": prevention_lines(report),
        "threshold": THRESHOLD, "legend": privacy.MARK_VI_LEGEND,
        "recipients": recipients(report),
        "fonts": font_faces(),
    })


def render_pdf(report: Report, progress: Callable[[int], None] | None = None) -> bytes:
    # WeasyPrint (seconds to import) only when a PDF is made
    from weasyprint import HTML

    html = render_html(report)
    if progress:
        progress(30)
    document = HTML(string=html, base_url=str(font_dir())).render()
    if progress:
        progress(80)
    return document.write_pdf()
