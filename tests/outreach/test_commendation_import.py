"""Commendations (khen thưởng) imported through the pipeline (``outreach.commendation_import``):
a real-shaped list (title line, a decision merged down its rows, dates as text and as day
numbers, a totals row, a hidden sheet, TCVN3 text), every row through ``create_commendation``,
the same file twice adds nothing, undone as a whole while the period is open, 404 outside the
scope."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent
from ctip.core.errors import ActionError
from ctip.core.legacy_fonts import TCVN3, from_unicode
from ctip.imports import pipeline as imports
from ctip.outreach.actions import undo_commendation_import
from ctip.outreach.commendation_import import KIND
from ctip.outreach.models import Commendation
from tests.community.test_clubs import new_club

HEADER = ["TT", "Đơn vị", "Đối tượng khen", "Tên tập thể, cá nhân", "Thành tích", "Cấp khen",
          "Ngày quyết định", "Số QĐ"]
SERIAL_2025_05_19 = 45796  # the day number Excel stores for 19/05/2025


def commendation_list(rows: Sequence[Sequence[Any]], *, merge_decision: bool = False,
                      encoding: str | None = None) -> SimpleUploadedFile:
    """A list as communes keep it: a hidden sheet, a title line merged over the header, the
    rows (the decision's day and number merged down its rows), a totals line."""

    def typed(value: Any) -> Any:
        return from_unicode(value, encoding) if encoding and isinstance(value, str) else value

    workbook = openpyxl.Workbook()
    hidden = workbook.active
    assert hidden is not None
    hidden.title = "Nháp"
    hidden.append([typed(h) for h in HEADER])
    hidden.append([1, "27943", "Cá nhân", "Nháp", "Nháp", "Xã", "01/01/2024", "1"])
    hidden.sheet_state = "hidden"
    sheet = workbook.create_sheet("Khen thuong")
    sheet.append([typed("DANH SÁCH KHEN THƯỞNG NĂM 2025")])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    sheet.append([typed(h) for h in HEADER])
    for number, values in enumerate(rows, start=1):
        sheet.append([number, *(typed(v) for v in values)])
    if merge_decision and len(rows) > 1:
        for column in (6, 7, 8):  # level, day and number of one decision for all its rows
            sheet.merge_cells(start_row=3, start_column=column, end_row=2 + len(rows),
                              end_column=column)
    sheet.append([typed("Cộng"), "", "", "", f"{len(rows)}", "", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("khen-thuong.xlsx", buffer.getvalue())


def rows_of(tree: Any) -> list[list[Any]]:
    return [
        ["27943", "Tập thể", "", "Làm tốt công tác phòng, chống mua bán người", "Tỉnh",
         "19/05/2025", "125/QĐ-HPN"],
        [tree.commune_a.name, "Câu lạc bộ", "clb gia dinh hanh phuc",
         "Mô hình tiêu biểu", "tinh", SERIAL_2025_05_19, "125/QĐ-HPN"],
        ["27943", "Cá nhân", "Nguyễn Thị Lan", "Tuyên truyền viên giỏi", "Tỉnh",
         dt.date(2025, 5, 19), "125/QĐ-HPN"],
    ]


def test_a_list_is_imported_through_the_action_once(tree: Any, users: Any) -> None:
    club = new_club(tree.commune_a)
    officer = users["commune_officer"]
    preview = imports.plan(KIND, officer, commendation_list(rows_of(tree)))
    assert preview.ok, preview.errors
    assert preview.to_import == 3 and preview.totals_rows == [6]
    assert not Commendation.objects.exists()
    imports.apply(KIND, officer, commendation_list(rows_of(tree)))
    unit, by_club, person = Commendation.objects.order_by("pk")
    assert (unit.recipient_kind, unit.level, unit.decided_on) == (
        "unit", "province", dt.date(2025, 5, 19))
    assert by_club.club == club and by_club.decided_on == dt.date(2025, 5, 19)
    assert person.person_name == "Nguyễn Thị Lan" and person.decision_number == "125/QĐ-HPN"
    assert AuditEvent.objects.filter(action="commendation.created").count() == 3
    [event] = AuditEvent.objects.filter(action="commendation.imported")
    assert event.changes["added"] == 3
    # the same list again, even without accents, adds nothing
    rows = rows_of(tree)
    rows[2][2], rows[2][3] = "NGUYEN THI LAN", "tuyen truyen vien gioi"
    again = imports.plan(KIND, officer, commendation_list(rows))
    assert again.ok and (again.to_import, again.duplicates) == (0, 3)


def test_merged_decision_cells_and_a_legacy_font(tree: Any, users: Any) -> None:
    new_club(tree.commune_a)
    rows = rows_of(tree)
    for row in rows[1:]:
        row[4:7] = ["", "", ""]  # what the merged cells leave in the rows below the first
    upload = commendation_list(rows, merge_decision=True, encoding=TCVN3)
    plan = imports.plan(KIND, users["commune_officer"], upload)
    assert plan.ok, plan.errors
    assert plan.encoding == TCVN3
    upload.seek(0)
    imports.apply(KIND, users["commune_officer"], upload)
    assert set(Commendation.objects.values_list("decision_number", "level")) == {
        ("125/QĐ-HPN", "province")}
    assert Commendation.objects.get(recipient_kind="person").person_name == "Nguyễn Thị Lan"


def test_bad_rows_are_reported_and_nothing_is_kept(tree: Any, users: Any) -> None:
    rows = [*rows_of(tree)[:1],
            ["27943", "Câu lạc bộ", "CLB không có", "Tốt", "Tỉnh", "19/05/2025", "1"],
            ["27943", "Cá nhân", "", "Tốt", "Tỉnh", "19/05/2025", "1"],
            ["27943", "Cá nhân", "Lê Thị Hoa", "Tốt", "Huyện", "19/05/2025", "1"],
            ["27943", "Cá nhân", "Lê Thị Hoa", "Tốt", "Tỉnh", "2099-01-01", "1"],
            ["Xã Quảng Uyên", "Tập thể", "", "Tốt", "Tỉnh", "19/05/2025", "1"]]
    plan = imports.plan(KIND, users["commune_officer"], commendation_list(rows))
    assert plan.error_rows == [4, 5, 6, 7, 8]
    text = " ".join(e.message for e in plan.errors)
    assert "CLB không có" in text and "Huyện" in text
    with pytest.raises(imports.ImportFailed):
        imports.apply(KIND, users["commune_officer"], commendation_list(rows))
    assert not Commendation.objects.exists()


def test_undo_as_a_whole_while_the_period_is_open(tree: Any, users: Any) -> None:
    from ctip.reports import actions
    from ctip.reports.models import PeriodLock, ReportType

    officer = users["commune_officer"]
    new_club(tree.commune_a)
    imports.apply(KIND, officer, commendation_list(rows_of(tree)))
    event = AuditEvent.objects.get(action="commendation.imported")
    with pytest.raises(NotInScope):
        undo_commendation_import(actor=users["other_officer"], event_id=event.pk)
    report = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2025, 5, 1), end=dt.date(2025, 5, 31))
    actions.update_narrative(actor=None, report=report, number="05/BC-HPN")
    report = actions.submit(actor=officer, report=report)
    actions.approve(actor=users["province_officer"], report=report)
    with pytest.raises(ActionError):
        undo_commendation_import(actor=officer, event_id=event.pk)
    assert Commendation.objects.count() == 3
    actions.unlock(actor=users["province_officer"], lock=PeriodLock.objects.get(report=report),
                       reason="Sửa số liệu")
    assert undo_commendation_import(actor=officer, event_id=event.pk) == 3
    assert not Commendation.objects.exists()
    with pytest.raises(ActionError):
        undo_commendation_import(actor=officer, event_id=event.pk)


def test_the_page_from_the_commendations_list(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    url = reverse("outreach:commendation_import")
    assert url in client.get(reverse("outreach:commendation_list")).content.decode()
    new_club(tree.commune_a)
    page = client.post(url, {"file": commendation_list(rows_of(tree))})
    assert page.context["plan"].ok, page.context["plan"].errors
    done = client.post(url, {"token": page.context["token"], "apply": "1"})
    assert done.status_code == 302 and Commendation.objects.count() == 3
    event = AuditEvent.objects.get(action="commendation.imported")
    assert f'name="event" value="{event.pk}"' in client.get(url).content.decode()
    assert client_for(users["other_officer"]).post(
        url, {"event": str(event.pk), "undo": "1"}).status_code == 404
    assert client_for(users["viewer"]).get(url).status_code == 404
    assert client.post(url, {"event": str(event.pk), "undo": "1"}).status_code == 302
    assert not Commendation.objects.exists()


def test_after_the_commune_moves_it_undoes_its_import_and_the_province_it_left_cannot(
        tree: Any, users: Any) -> None:
    """The import's audit event keeps the path of the time; its commendations go with their
    commune when it moves (decision 0100). Who may undo it is decided by the rows where they
    are now: the commune's officer still can, the province it left no longer can."""
    from ctip.units.actions import move_subtree

    officer = users["commune_officer"]
    new_club(tree.commune_a)
    imports.apply(KIND, officer, commendation_list(rows_of(tree)))
    event = AuditEvent.objects.get(action="commendation.imported")
    move_subtree(actor=None, unit=tree.commune_a, new_parent=tree.other_province)
    again = type(officer).objects.get(pk=officer.pk)  # her grants as the next request reads them
    left = type(officer).objects.get(pk=users["province_officer"].pk)
    with pytest.raises(NotInScope):
        undo_commendation_import(actor=left, event_id=event.pk)
    assert undo_commendation_import(actor=again, event_id=event.pk) == 3
    assert not Commendation.objects.exists()
    # recorded where the rows were, for the auditors of the province it joined, not the old one
    undone = AuditEvent.objects.get(action="commendation.import_undone")
    assert undone.unit_path.startswith(type(tree.commune_a).objects.get(
        pk=tree.other_province.pk).path)
