"""Excel exports of outreach activities, exactly as filtered on the list page.

A write-only workbook streamed from ``QuerySet.iterator()``: rows go to a temporary file as they
are read, so a large export holds one chunk of rows in memory, not the whole sheet.
"""

from __future__ import annotations

import tempfile
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ctip.audit.actions import record
from ctip.core import exports as sheets
from ctip.outreach.models import Activity

XLSX_CONTENT_TYPE = sheets.XLSX_CONTENT_TYPE
MAX_ROWS = 200_000
CHUNK = 2_000
DATE_FORMAT = "DD/MM/YYYY"
NUMBER_FORMAT = "#,##0"


def _columns() -> list[tuple[str, int]]:
    """Headings (in the user's language) and widths."""
    return [
        (_("Date"), 12), (_("Unit"), 28), (_("Unit above"), 24), (_("Format"), 28),
        (_("Title"), 45), (_("Status"), 12), (_("Campaign"), 30), (_("Topics"), 30),
        (_("Audiences"), 30), (_("Women"), 10), (_("Men"), 10), (_("Participants"), 13),
        (_("Views"), 10), (_("Shares"), 10), (_("Materials handed out"), 14),
        (_("Speakers"), 28), (_("Coordinating agencies"), 28), (_("Movement"), 28),
        (_("Notes"), 45),
    ]


FIRST_NUMBER_COLUMN = 10  # "Women", 1-based
# Topics, audiences and speakers: one name a line within the cell. Names hold commas
# ("Luật Phòng, chống mua bán người") but never a line break (``_text`` folds whitespace), and
# the import reads a line break as a separator too, so an export can be imported again.
LIST_SEPARATOR = "\n"
LIST_COLUMNS = (8, 9, 16)  # 1-based: topics, audiences, speakers


def _names(items: Any) -> str:
    return LIST_SEPARATOR.join(str(i) for i in items)


def _row(activity: Activity) -> list[Any]:
    unit = activity.unit
    return [
        activity.date, unit.name, unit.parent.name if unit.parent is not None else "",
        activity.format.name, activity.title, activity.get_status_display(),
        activity.campaign.name if activity.campaign is not None else "",
        _names(activity.topics.all()), _names(activity.audiences.all()),
        activity.participants_women, activity.participants_men, activity.participants_total,
        activity.online_views, activity.online_shares, activity.materials_handed_out,
        _names(activity.speakers.all()), activity.coordinating_agencies,
        activity.movement.name if activity.movement is not None else "", activity.notes,
    ]


def write_workbook(activities: QuerySet[Activity], *, totals: dict[str, int], filters: str,
                   out: IO[bytes]) -> int:
    """Write the activities as an .xlsx to ``out``; return the number of rows written.

    Line 1 states the filters, line 2 holds the (bold, frozen) headings, then one row per
    activity, then a bold totals row."""
    # slow to import, needed only for a workbook (decision 0072)
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    workbook = sheets.workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheets.sheet_title(_("Activities")))
    columns = _columns()
    for index, (_heading, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"

    exported = date_format(timezone.localtime(), "SHORT_DATETIME_FORMAT")
    stamp = _("Exported on %(when)s.") % {"when": exported}
    sheets.append(sheet, [f"{filters} {stamp}"], font=bold)
    sheets.append(sheet, [heading for heading, _width in columns], font=bold, alignment=wrap)

    rows = (activities.select_related("unit", "unit__parent", "format", "campaign", "movement")
            .prefetch_related("topics", "audiences", "speakers")
            .order_by("-date", "-pk"))
    count = 0
    for activity in rows.iterator(chunk_size=CHUNK):
        values = _row(activity)
        values[0] = sheets.cell(sheet, values[0], number_format=DATE_FORMAT)
        for column in LIST_COLUMNS:
            if LIST_SEPARATOR in values[column - 1]:  # several names: show one a line
                values[column - 1] = sheets.cell(sheet, values[column - 1], alignment=wrap)
        sheets.append(sheet, values)
        count += 1

    total_row: list[Any] = [None] * len(columns)
    total_row[0] = _("Total: %(n)d activities") % {"n": totals["sessions"]}
    for offset, key in enumerate(("women", "men", "participants", "views", "shares",
                                  "materials")):
        total_row[FIRST_NUMBER_COLUMN - 1 + offset] = totals[key]
    sheets.append(sheet, [
        sheets.cell(sheet, value, font=bold,
                    number_format=NUMBER_FORMAT if isinstance(value, int) else None)
        for value in total_row])
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{count + 2}"
    sheets.save(workbook, out)
    return count


def export_activities(*, actor: Any, activities: QuerySet[Activity], totals: dict[str, int],
                      filters: str) -> IO[bytes]:
    """Build the export in a temporary file (rewound, for the response to stream) and record
    who exported what."""
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (closed by the response)
    count = write_workbook(activities, totals=totals, filters=filters, out=out)
    out.seek(0)
    home = getattr(actor, "home_unit", None)
    record(actor=actor, action="activity.exported", target_label=filters[:255],
           unit_path=home.path if home is not None else "",
           changes={"rows": count, "filters": filters})
    return out
