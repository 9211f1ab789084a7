"""The Excel export: exactly the filtered rows, in a workbook an officer can use as it is."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from openpyxl import load_workbook

from ctip.audit.models import AuditEvent
from ctip.catalogues.models import Topic
from ctip.outreach import actions, exports
from tests.conftest import log_activity

EXPORT = "outreach:activity_export"
LIST = "outreach:activity_list"
TITLE_COLUMN = 5  # 1-based: date, unit, unit above, format, title


@pytest.fixture
def logged(tree: Any, formats: Any, audiences: Any) -> dict[str, Any]:
    law = actions.create_topic(actor=None, name="Luật Phòng, chống mua bán người",
                               kind=Topic.Kind.LAW)
    return {
        "law": law,
        "rows": [
            log_activity(tree.branch_a1, formats["meeting"], title="Mỹ Lộc tháng 7",
                         date=dt.date(2026, 7, 10), topics=[law],
                         audiences=[audiences["members"], audiences["youth"]],
                         materials_handed_out=40, notes="<b>không</b> phải HTML"),
            log_activity(tree.group_a1, formats["meeting"], title="Tổ 1 tháng 8",
                         date=dt.date(2026, 8, 2), women=9, men=1),
            log_activity(tree.branch_a2, formats["zalo"], title="Bài Zalo", women=None,
                         men=None, date=dt.date(2026, 7, 3), online_views=1200,
                         online_shares=35),
            log_activity(tree.commune_a, formats["law-day"], title="Ngày pháp luật 2025",
                         date=dt.date(2025, 11, 9), women=100, men=60),
            log_activity(tree.commune_b, formats["meeting"], title="Tân An",
                         date=dt.date(2026, 7, 11)),
            log_activity(tree.other_commune, formats["meeting"], title="Cao Bằng",
                         date=dt.date(2026, 7, 11)),
        ],
    }


def workbook(response: Any) -> Any:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith("attachment")
    assert ".xlsx" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def data_rows(sheet: Any) -> list[tuple[Any, ...]]:
    """The activity rows: between the heading (line 2) and the totals (last line)."""
    return list(sheet.iter_rows(min_row=3, max_row=sheet.max_row - 1, values_only=True))


@pytest.mark.parametrize("params", [
    {},  # the menu link: this year
    {"start": ""},
    {"start": "01/07/2026", "end": "31/07/2026"},
    {"format": ["meeting", "zalo"], "start": "01/01/2026"},
    {"audience": "youth"},
    {"unit": "branch_a1"},
], ids=["this-year", "all-time", "july", "formats", "audience", "unit"])
def test_the_export_holds_exactly_the_filtered_rows(params: dict[str, Any], logged: Any,
                                                    tree: Any, users: Any,
                                                    client_for: Any) -> None:
    if params.get("unit") == "branch_a1":
        params = {"unit": tree.branch_a1.pk}
    client = client_for(users["commune_officer"])
    listing = client.get(reverse(LIST), params)
    expected = [a.title for a in listing.context["page"]]
    sums = listing.context["totals"]

    sheet = workbook(client.get(reverse(EXPORT), params)).active
    rows = data_rows(sheet)
    assert [r[TITLE_COLUMN - 1] for r in rows] == expected  # same rows, same order
    assert "Tân An" not in expected and "Cao Bằng" not in expected

    totals = [c.value for c in sheet[sheet.max_row]]
    assert str(sums["sessions"]) in totals[0]
    assert totals[9:14] == [sums["women"], sums["men"], sums["participants"], sums["views"],
                            sums["shares"]]
    # and they add up from the rows (the materials handed out, which the list does not show,
    # too)
    assert sum(r[11] or 0 for r in rows) == sums["participants"]
    assert sum(r[14] or 0 for r in rows) == totals[14]


def test_the_workbook_is_ready_to_use(logged: Any, tree: Any, users: Any,
                                      client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    params = {"unit": tree.branch_a1.pk, "start": "01/07/2026", "topic": logged["law"].pk}
    book = workbook(client.get(reverse(EXPORT), params))
    sheet = book.active
    # line 1 says what was filtered
    intro = sheet["A1"].value
    assert "01/07/2026" in intro and "Chi hội ấp Mỹ Lộc" in intro
    assert logged["law"].name in intro
    # line 2: bold headings, frozen
    assert sheet.freeze_panes == "A3"
    assert all(cell.font.b for cell in sheet[2] if cell.value)
    assert len([c for c in sheet[2] if c.value]) == 19
    assert sheet.column_dimensions["E"].width >= 30
    # one row: a real date shown dd/mm/yyyy, numbers as numbers
    (row,) = list(sheet.iter_rows(min_row=3, max_row=3))
    assert isinstance(row[0].value, dt.datetime)  # an Excel date, not text
    assert row[0].value.date() == dt.date(2026, 7, 10)
    assert row[0].number_format.lower() == "dd/mm/yyyy"
    assert row[1].value == "Chi hội ấp Mỹ Lộc" and row[2].value == "Xã Đức Hòa"
    assert row[9].value == 20 and row[10].value == 5 and row[11].value == 25
    assert row[14].value == 40
    assert row[7].value == logged["law"].name
    # names holding commas stay whole: one name a line within the cell
    assert row[8].value.split("\n") == ["Hội viên", "Thanh niên"]
    assert row[8].alignment.wrap_text
    assert row[18].value == "<b>không</b> phải HTML"  # text, as typed
    last = sheet[sheet.max_row]
    assert last[0].font.b and last[11].value == 25
    assert AuditEvent.objects.filter(action="activity.exported", actor=users["commune_officer"],
                                     changes__rows=1).exists()


def test_topic_names_with_commas_are_kept_apart(logged: Any, tree: Any, users: Any,
                                                client_for: Any, formats: Any) -> None:
    other = actions.create_topic(actor=None, name="Thủ đoạn lừa đảo, dụ dỗ đi làm ăn xa",
                                 kind=Topic.Kind.TRICK)
    log_activity(tree.branch_a1, formats["meeting"], title="Hai chủ đề",
                 date=dt.date(2026, 7, 20), topics=[logged["law"], other])
    client = client_for(users["commune_officer"])
    book = workbook(client.get(reverse(EXPORT), {"unit": tree.branch_a1.pk,
                                                  "start": "20/07/2026", "end": "20/07/2026"}))
    (row,) = data_rows(book.active)
    assert sorted(row[7].split("\n")) == sorted([logged["law"].name, other.name])


def test_the_export_link_carries_the_filters(logged: Any, users: Any,
                                             client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    response = client.get(reverse(LIST), {"format": ["meeting", "zalo"], "start": "01/07/2026",
                                          "page": "1"})
    link = response.context["export_url"]
    assert link.startswith(reverse(EXPORT) + "?")
    assert "format=meeting" in link and "format=zalo" in link and "page=" not in link
    assert "start=01%2F07%2F2026" in link
    assert link.replace("&", "&amp;") in response.content.decode()
    exported = [r[TITLE_COLUMN - 1] for r in data_rows(workbook(client.get(link)).active)]
    assert exported == [a.title for a in response.context["page"]]


def test_a_branch_head_exports_only_her_branch(logged: Any, users: Any,
                                               client_for: Any) -> None:
    sheet = workbook(client_for(users["branch_head"]).get(reverse(EXPORT), {"start": ""})).active
    assert {r[TITLE_COLUMN - 1] for r in data_rows(sheet)} == {"Mỹ Lộc tháng 7",
                                                               "Tổ 1 tháng 8"}


def test_out_of_scope_unit_answers_404(logged: Any, tree: Any, users: Any,
                                       client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(reverse(EXPORT),
                                                        {"unit": tree.commune_b.pk})
    assert response.status_code == 404


def test_too_many_rows_are_refused_with_a_message(logged: Any, users: Any, client_for: Any,
                                                  monkeypatch: Any) -> None:
    monkeypatch.setattr(exports, "MAX_ROWS", 3)
    client = client_for(users["commune_officer"])
    response = client.get(reverse(EXPORT), {"start": "01/01/2025"})
    assert response.status_code == 302
    assert response["Location"] == reverse(LIST) + "?start=01%2F01%2F2025"
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert {"4", "3"} <= set(re.findall(r"\d+", message))  # four rows match, three allowed
    assert not AuditEvent.objects.filter(action="activity.exported").exists()
    # within the limit it works
    assert client.get(reverse(EXPORT), {"format": "zalo"}).status_code == 200


def test_an_empty_export_still_has_headings_and_totals(logged: Any, users: Any,
                                                       client_for: Any) -> None:
    sheet = workbook(client_for(users["commune_officer"]).get(
        reverse(EXPORT), {"status": "planned"})).active
    assert sheet.max_row == 3  # filters, headings, totals
    assert sheet["J3"].value == 0
