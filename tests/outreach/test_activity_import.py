"""Importing activities from .xlsx and .csv files: check, then import, through the same rules
as the form (``create_activity``)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import unicodedata
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ctip.audit.models import AuditEvent, Outcome
from ctip.audit.verify import verify_chain
from ctip.catalogues.models import Topic
from ctip.imports import pipeline as imports
from ctip.imports.units import name_key
from ctip.org.models import Unit, UnitType
from ctip.outreach import activity_import
from ctip.outreach.actions import create_campaign, create_topic, set_archived
from ctip.outreach.activity_import import (
    TEMPLATE_HEADERS,
    ImportFailed,
    apply_import,
    parse_count,
    parse_date,
    plan_import,
)
from ctip.outreach.models import Activity
from ctip.reports import actions
from ctip.reports.models import ReportType
from ctip.units.actions import create_unit, update_unit
from tests.conftest import log_activity

FIELDS = list(TEMPLATE_HEADERS)
HEADER = list(TEMPLATE_HEADERS.values())
MEETING = "Sinh hoạt định kỳ chi, tổ hội, câu lạc bộ"
JULY_17 = dt.date(2026, 7, 17)


def row(**values: Any) -> list[Any]:
    """A row in template order; by default a valid meeting at commune A on 17/07/2026."""
    defaults = {"date": JULY_17, "unit": "27943", "format": MEETING,
                "title": "Sinh hoạt chuyên đề tháng 7", "women": 20, "men": 5, "total": 25}
    merged = defaults | values
    return [merged.get(f) for f in FIELDS]


def xlsx_file(rows: Sequence[Sequence[object]], *, header: Sequence[str] = HEADER,
              name: str = "hoat-dong.xlsx", merge: Sequence[str] = (),
              title_rows: int = 0, extra_header: Sequence[object] | None = None
              ) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for _ in range(title_rows):
        sheet.append(["Báo cáo hoạt động tuyên truyền"])
    sheet.append(list(header))
    if extra_header is not None:
        sheet.append(list(extra_header))
    for values in rows:
        sheet.append(list(values))
    for cells in merge:
        sheet.merge_cells(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(),
                              content_type=activity_import.XLSX_CONTENT_TYPE)


def csv_file(rows: Sequence[Sequence[object]], *, header: Sequence[str] = HEADER,
             delimiter: str = ",") -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("hoat-dong.csv", buffer.getvalue().encode("utf-8-sig"))


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


@pytest.fixture
def topics(db: Any) -> dict[str, Topic]:
    return {
        "law": create_topic(actor=None, name="Luật Phòng, chống mua bán người 2024",
                            kind=Topic.Kind.LAW),
        "tricks": create_topic(actor=None, name="Thủ đoạn lừa đảo việc nhẹ lương cao",
                               kind=Topic.Kind.TRICK),
        "hotline": create_topic(actor=None, name="Đường dây nóng 111", kind=Topic.Kind.HOTLINE),
    }


# --- Importing ------------------------------------------------------------------------------


def test_valid_file_imports_every_row_with_topics_and_audiences(
        tree: Any, users: Any, formats: Any, audiences: Any, topics: Any) -> None:
    actor = users["commune_officer"]
    campaign = create_campaign(actor=users["province_officer"], unit=tree.province,
                               name="Tháng hành động phòng, chống mua bán người 2026",
                               starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))
    upload = xlsx_file([
        row(topics="Luật Phòng, chống mua bán người 2024; Đường dây nóng 111",
            audiences="Phụ nữ; hoc sinh", campaign="tháng hành động phòng, chống mua bán "
            "người 2026", materials=40, agencies="Công an xã", notes="Ghi chú\ndòng hai"),
        row(date=dt.date(2026, 7, 18), unit="Chi hội ấp Mỹ Lộc", format="zalo",
            title="Bài đăng về thủ đoạn lừa đảo", women=None, men=None, total=None,
            views=1200, shares=35, topics="thu doan lua dao viec nhe luong cao"),
        row(date=dt.datetime(2026, 7, 20, 8, 30),  # noqa: DTZ001  (Excel cells are naive)
            unit="Xã Đức Hòa",
            format="Loa truyền thanh xã, phường", title="Phát thanh lưu động", women=None,
            men=None, total=3000),
    ])
    plan = plan_import(actor, upload)
    assert plan.ok, plan.errors
    assert (plan.to_import, plan.duplicates) == (3, 0)
    assert [r.status for r in plan.rows] == ["ok", "ok", "ok"]
    assert [r.row for r in plan.rows] == [2, 3, 4]
    assert plan.rows[0].participants == 25
    assert not Activity.objects.exists()  # the check saves nothing
    audit_before = AuditEvent.objects.count()

    result = apply_import(actor, upload)

    assert (result.imported, result.duplicates, result.rows) == (3, 0, 3)
    first = Activity.objects.get(title="Sinh hoạt chuyên đề tháng 7")
    assert first.unit == tree.commune_a and first.unit_path == tree.commune_a.path
    assert first.date == JULY_17 and first.format == formats["meeting"]
    assert first.status == Activity.Status.DONE and first.created_by == actor
    assert (first.participants_women, first.participants_men, first.participants_total) == (
        20, 5, 25)
    assert set(first.topics.all()) == {topics["law"], topics["hotline"]}
    assert set(first.audiences.all()) == {audiences["women"], audiences["pupils"]}
    assert first.campaign == campaign
    assert (first.materials_handed_out, first.coordinating_agencies) == (40, "Công an xã")
    assert first.notes == "Ghi chú\ndòng hai"
    post = Activity.objects.get(format=formats["zalo"])
    assert post.unit == tree.branch_a1
    assert (post.online_views, post.online_shares, post.participants_total) == (1200, 35, 0)
    assert list(post.topics.all()) == [topics["tricks"]]
    broadcast = Activity.objects.get(format=formats["loudspeaker"])
    assert broadcast.date == dt.date(2026, 7, 20) and broadcast.participants_total == 3000

    # one summary event, not one per row
    assert not events("activity.created")
    [summary] = events("activity.imported")
    assert AuditEvent.objects.count() == audit_before + 1
    assert summary.actor == actor
    assert summary.changes["file"] == "hoat-dong.xlsx"
    assert (summary.changes["rows"], summary.changes["imported"]) == (3, 3)
    assert summary.changes["duplicates_existing"] == 0
    assert summary.unit_path == tree.commune_a.path
    ids = sorted(Activity.objects.values_list("pk", flat=True))
    assert summary.changes["ids"] == [[ids[0], ids[-1]]]


def test_reordered_columns_other_names_title_rows_and_a_second_header_line(
        tree: Any, users: Any, formats: Any) -> None:
    header = ["STT", "Tên hoạt động", "HINH THUC", "Ghi chú", "Ngày tổ chức",
              "Số người tham gia", "", "", "Mã đơn vị"]
    sub = [None, None, None, None, None, "Nữ", "Nam", "Tổng số"]
    upload = xlsx_file([[1, "Nói chuyện chuyên đề", "meeting", "", "17/07/2026", 12, 3, 15,
                         27943],
                        [2]],  # a row numbered in advance, otherwise empty
                       header=header, extra_header=sub, title_rows=2,
                       merge=["F3:H3", "A3:A4"])
    plan = plan_import(users["commune_officer"], upload)
    assert plan.ok, plan.errors
    [planned] = plan.rows
    assert planned.row == 5  # two title rows, two header lines, then the data
    assert plan.columns["women"] == "Nữ" and plan.columns["unit"] == "Mã đơn vị"
    apply_import(users["commune_officer"], upload)
    activity = Activity.objects.get()
    assert (activity.participants_women, activity.participants_men) == (12, 3)
    assert activity.unit == tree.commune_a and activity.format == formats["meeting"]


def test_merged_cells_fill_down_descriptions_and_refuse_numbers(
        tree: Any, users: Any) -> None:
    upload = xlsx_file([
        row(title="Buổi 1"),
        row(date=None, unit=None, title="Buổi 2"),
        row(date=None, unit=None, title="Buổi 3"),
        row(title="Buổi 4", women=10, men=None, total=None),
        row(title="Buổi 5", women=None, men=None, total=None),
    ], merge=["A2:A4", "B2:B4", "E5:E6"])
    plan = plan_import(users["commune_officer"], upload)
    assert plan.error_rows == [5, 6]
    by_row = {r.row: r for r in plan.rows}
    assert [by_row[n].unit for n in (2, 3, 4)] == [tree.commune_a] * 3
    assert [by_row[n].date for n in (2, 3, 4)] == [JULY_17] * 3
    assert any("2" in remark for remark in by_row[3].remarks)
    errors = {e.row: e for e in plan.errors}
    assert errors[5].column == TEMPLATE_HEADERS["women"] and "E5:E6" in errors[5].message
    with pytest.raises(ImportFailed):
        apply_import(users["commune_officer"], upload)
    assert not Activity.objects.exists()

    # without the merged numbers, the three merged rows are imported
    good = xlsx_file([row(title="Buổi 1"), row(date=None, unit=None, title="Buổi 2"),
                      row(date=None, unit=None, title="Buổi 3")], merge=["A2:A4", "B2:B4"])
    assert apply_import(users["commune_officer"], good).imported == 3
    assert set(Activity.objects.values_list("unit", flat=True)) == {tree.commune_a.pk}


@pytest.mark.parametrize("value", ["17/07/2026", "17/7/2026", "17-07-2026", "17.07.2026",
                                   " 17/07/2026 ", "2026-07-17", "17/07/2026 00:00:00",
                                   46220, 46220.0,
                                   dt.datetime(2026, 7, 17, 9, 0)])  # noqa: DTZ001
def test_dates_as_text_day_numbers_or_date_cells(value: Any) -> None:
    assert parse_date(value) == JULY_17


@pytest.mark.parametrize("value", ["07/17/2026", "31/02/2026", "17/07/26", "tháng 7", "17",
                                   1234, 46220.5])
def test_text_that_is_not_a_date_is_refused(value: Any) -> None:
    with pytest.raises(activity_import._CellError):
        parse_date(value)


def test_date_typed_as_text_in_the_file(tree: Any, users: Any) -> None:
    upload = xlsx_file([row(date="17/07/2026"), row(date="31/02/2026", title="Sai ngày")])
    plan = plan_import(users["commune_officer"], upload)
    assert plan.rows[0].date == JULY_17 and plan.rows[0].status == "ok"
    [error] = plan.errors
    assert (error.row, error.column, error.value) == (3, TEMPLATE_HEADERS["date"], "31/02/2026")
    assert "dd/mm/yyyy" in error.message


@pytest.mark.parametrize(("value", "number"), [("25", 25), (" 25 ", 25), (25.0, 25),
                                               ("1.250", 1250), ("1,250", 1250),
                                               ("1 250", 1250), ("", None), (None, None),
                                               ("-3", -3)])
def test_numbers_as_numbers_or_text(value: Any, number: int | None) -> None:
    assert parse_count(value) == number


@pytest.mark.parametrize("value", ["25 người", "12.5", 12.5, "1.2.3", True, "9" * 12])
def test_text_that_is_not_a_whole_number_is_refused(value: Any) -> None:
    with pytest.raises(activity_import._CellError):
        parse_count(value)


def test_numbers_typed_as_text_in_the_file(tree: Any, users: Any) -> None:
    upload = xlsx_file([row(women="25", men="5", total="30", unit=27943.0),
                        row(title="Khác", women="hai mươi")])
    plan = plan_import(users["commune_officer"], upload)
    assert plan.rows[0].counts == {"women": 25, "men": 5, "total": 30, "views": None,
                                   "shares": None, "materials": None}
    assert plan.rows[0].unit == tree.commune_a
    [error] = plan.errors
    assert error.row == 3 and error.column == TEMPLATE_HEADERS["women"]
    assert error.value == "hai mươi"


def test_decomposed_unicode_is_matched_and_stored_composed(
        tree: Any, users: Any, formats: Any, topics: Any) -> None:
    def nfd(text: str) -> str:
        decomposed = unicodedata.normalize("NFD", text)
        assert decomposed != text
        return decomposed

    title, agencies = "Tuyên truyền ở ấp Mỹ Lộc", "Đồn Biên phòng"
    upload = xlsx_file([row(unit=nfd("Chi hội ấp Mỹ Lộc"), format=nfd(MEETING),
                            title=f"  {nfd(title)} ", agencies=nfd(agencies),
                            topics=nfd("Đường dây nóng 111"), notes=nfd("Ghi chú"))])
    apply_import(users["commune_officer"], upload)
    activity = Activity.objects.get()
    assert activity.unit == tree.branch_a1 and activity.format == formats["meeting"]
    assert activity.title == title and unicodedata.is_normalized("NFC", activity.title)
    assert activity.coordinating_agencies == agencies and activity.notes == "Ghi chú"
    assert list(activity.topics.all()) == [topics["hotline"]]
    # and the composed spelling of the same activity is a duplicate afterwards
    again = plan_import(users["commune_officer"],
                        xlsx_file([row(unit="Chi hội ấp Mỹ Lộc", title=title)]))
    assert again.duplicates == 1 and again.rows[0].existing_id == activity.pk


def test_unit_names_old_and_new_tone_placement_and_units_with_the_same_name(
        tree: Any, users: Any) -> None:
    assert name_key("Xã Đức Hoà") == name_key("xã  đức hòa")
    assert name_key("Ấp Tân An") != name_key("Ấp Tấn An")
    create_unit(actor=None, parent=tree.commune_b, name="Chi hội ấp Mỹ Lộc",
                unit_type=UnitType.objects.get(code="branch"))
    upload = xlsx_file([
        row(unit="Xã Đức Hoà"),                                  # old-style tone placement
        row(unit="Chi hội ấp Mỹ Lộc", title="Hai nơi"),         # two branches of that name
        row(unit="Xã Đức Hòa / Chi hội ấp Mỹ Lộc", title="Một"),
        row(unit="27694 / Chi hội ấp Mỹ Lộc", title="Hai"),
        row(unit="Chi hoi ap My Loc", title="Không dấu"),
    ])
    plan = plan_import(users["province_officer"], upload)
    by_row = {r.row: r for r in plan.rows}
    assert by_row[2].unit == tree.commune_a
    assert by_row[4].unit == tree.branch_a1
    assert by_row[5].unit is not None and by_row[5].unit.parent == tree.commune_b
    assert plan.error_rows == [3, 6]
    errors = {e.row: e.message for e in plan.errors}
    assert "Xã Đức Hòa / Chi hội ấp Mỹ Lộc" in errors[3]
    assert "Chi hội ấp Mỹ Lộc" in errors[6]  # a suggestion, from the units in scope only


def test_bad_rows_are_each_reported_with_their_row_and_nothing_is_saved(
        tree: Any, users: Any, topics: Any) -> None:
    actor = users["commune_officer"]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    upload = xlsx_file([
        row(title="Tốt"),                                                   # 2: good
        row(title="Ngày mai", date=tomorrow),                               # 3: future
        row(title="Đông quá", unit="Chi hội ấp Mỹ Lộc", women=None, men=None,
            total=100_000),                                                 # 4: absurd
        row(title="Cộng sai", women=20, men=5, total=30),                   # 5: 20+5≠30
        row(title="Không có đơn vị", unit="Chi hội không tồn tại"),         # 6: unknown unit
        row(title="Mã lạ", unit="55555"),                                   # 7: unknown code
        row(title="Hình thức lạ", format="Hát karaoke"),                    # 8: unknown format
        row(title="Chủ đề lạ", topics="Đường dây nóng 111; Chủ đề không có"),  # 9: topic
        row(title="Âm", women=-1, men=5, total=None),                       # 10: negative
        row(title=""),                                                      # 11: no title
        row(title="Tốt nữa", date=dt.date(2026, 7, 1)),                     # 12: good
    ])
    before, audit = Activity.objects.count(), AuditEvent.objects.count()
    plan = plan_import(actor, upload)
    assert not plan.ok
    assert plan.error_rows == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    by_row = {e.row: e for e in plan.errors}
    assert by_row[3].column == TEMPLATE_HEADERS["date"]
    assert tomorrow.strftime("%d/%m/%Y") in by_row[3].message
    assert by_row[4].column == TEMPLATE_HEADERS["total"]
    assert "100000" in by_row[4].message.replace(".", "").replace(",", "")
    assert "30" in by_row[5].message and "25" in by_row[5].message
    assert by_row[6].column == TEMPLATE_HEADERS["unit"]
    assert by_row[6].value == "Chi hội không tồn tại"
    assert by_row[7].value == "55555"
    assert by_row[8].column == TEMPLATE_HEADERS["format"] and "Hát karaoke" in by_row[8].message
    assert by_row[9].column == TEMPLATE_HEADERS["topics"]
    assert "Chủ đề không có" in by_row[9].message
    assert by_row[10].column == TEMPLATE_HEADERS["women"]
    assert by_row[11].column == TEMPLATE_HEADERS["title"]
    assert [r.status for r in plan.rows] == ["ok", *["error"] * 9, "ok"]
    assert all(str(e.row) in str(e) for e in plan.row_errors)

    with pytest.raises(ImportFailed) as failed:
        apply_import(actor, upload)
    assert failed.value.plan.error_rows == plan.error_rows
    assert Activity.objects.count() == before  # not even the good rows
    assert AuditEvent.objects.count() == audit
    assert not events("activity.imported")


def test_unit_outside_the_scope_reads_like_an_unknown_one(tree: Any, users: Any) -> None:
    update_unit(actor=None, unit=tree.other_commune, gso_code="01234")
    actor = users["commune_officer"]  # records for commune A only
    upload = xlsx_file([
        row(title="Của mình"),
        row(unit="27694", title="Phường bên cạnh"),   # commune B: same province, not hers
        row(unit="01234", title="Tỉnh khác"),          # another province
        row(unit="55555", title="Không có"),           # does not exist
        row(unit="Chi hội khu phố 3", title="Tên đơn vị ngoài phạm vi"),
        row(unit="Chi hội không có", title="Tên không có"),
    ])
    plan = plan_import(actor, upload)
    assert plan.error_rows == [3, 4, 5, 6, 7]
    messages = {e.row: e.message for e in plan.errors}
    assert messages[3].replace("27694", "#") == messages[5].replace("55555", "#")
    assert messages[4].replace("01234", "#") == messages[5].replace("55555", "#")
    assert (messages[6].replace("Chi hội khu phố 3", "#")
            == messages[7].replace("Chi hội không có", "#"))
    assert all("Phường Tân An" not in m and "Quảng Uyên" not in m for m in messages.values())
    [refusal] = events("access.refused")
    assert refusal.outcome == Outcome.REFUSED and refusal.actor == actor
    assert refusal.changes["codes"] == ["01234", "27694"]
    with pytest.raises(ImportFailed):
        apply_import(actor, upload)
    assert not Activity.objects.exists()


def test_duplicates_in_the_file_and_in_the_database_are_flagged_and_skipped(
        tree: Any, users: Any, formats: Any) -> None:
    actor = users["commune_officer"]
    existing = log_activity(tree.commune_a, formats["meeting"], actor=actor, date=JULY_17,
                            title="Sinh hoạt đã ghi")
    upload = xlsx_file([
        row(title="Sinh hoạt mới"),                              # 2: new
        row(title="SINH HOAT MOI", women=1, men=1, total=2),     # 3: row 2 again
        row(title="sinh hoạt đã ghi"),                           # 4: already recorded
        row(title="Sinh hoạt mới", date=dt.date(2026, 7, 16)),   # 5: another day: new
    ])
    plan = plan_import(actor, upload)
    assert plan.ok
    assert [r.status for r in plan.rows] == ["ok", "duplicate", "duplicate", "ok"]
    assert plan.rows[1].duplicate_of == 2 and plan.rows[2].existing_id == existing.pk
    assert (plan.to_import, plan.duplicates) == (2, 2)

    result = apply_import(actor, upload)
    assert (result.imported, result.duplicates) == (2, 2)
    assert Activity.objects.count() == 3
    assert Activity.objects.filter(title_folded="sinh hoat moi").count() == 2
    [summary] = events("activity.imported")
    assert summary.changes["duplicates_in_file"] == 1
    assert summary.changes["duplicates_existing"] == 1

    # importing the same file again adds nothing
    again = apply_import(actor, upload)
    assert (again.imported, again.duplicates) == (0, 4)
    assert Activity.objects.count() == 3
    assert len(events("activity.imported")) == 1


def test_campaigns_by_name_and_date(tree: Any, users: Any) -> None:
    officer = users["province_officer"]
    name = "Tháng hành động phòng, chống mua bán người"
    old = create_campaign(actor=officer, unit=tree.province, name=name,
                          starts_on=dt.date(2025, 7, 1), ends_on=dt.date(2025, 7, 31))
    new = create_campaign(actor=officer, unit=tree.province, name=name,
                          starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 7, 31))
    create_campaign(actor=users["other_officer"], unit=tree.other_province,
                    name="Kế hoạch Cao Bằng", starts_on=dt.date(2026, 1, 1),
                    ends_on=dt.date(2026, 12, 31))
    plan = plan_import(users["commune_officer"], xlsx_file([
        row(campaign=name),
        row(campaign=name, date=dt.date(2025, 7, 10), title="Năm trước"),
        row(campaign="Kế hoạch Cao Bằng", title="Của tỉnh khác"),
    ]))
    assert plan.rows[0].campaign == new and plan.rows[1].campaign == old
    assert plan.error_rows == [4]
    assert plan.errors[0].column == TEMPLATE_HEADERS["campaign"]


def test_archived_format_and_closed_unit_are_refused(tree: Any, users: Any, formats: Any,
                                                     topics: Any) -> None:
    set_archived(actor=None, obj=formats["contest"])
    set_archived(actor=None, obj=topics["law"])
    plan = plan_import(users["province_officer"], xlsx_file([
        row(format="contest"),
        row(title="Chủ đề lưu trữ", topics="Luật Phòng, chống mua bán người 2024"),
    ]))
    assert plan.error_rows == [2, 3]
    assert plan.errors[0].column == TEMPLATE_HEADERS["format"]


def test_a_change_between_check_and_import_fails_the_import(tree: Any, users: Any,
                                                            formats: Any) -> None:
    upload = xlsx_file([row(), row(title="Buổi hai")])
    assert plan_import(users["commune_officer"], upload).ok
    set_archived(actor=None, obj=formats["meeting"])
    with pytest.raises(ImportFailed) as failed:
        apply_import(users["commune_officer"], upload)
    assert failed.value.plan.error_rows == [2, 3]
    assert not Activity.objects.exists()


def test_csv_file(tree: Any, users: Any) -> None:
    upload = csv_file([[f if f is not None else "" for f in row(date="17/07/2026")]],
                      delimiter=";")
    assert apply_import(users["commune_officer"], upload).imported == 1
    assert Activity.objects.get().date == JULY_17


@pytest.mark.parametrize(("name", "data"), [
    ("hoat-dong.xlsx", b"PK\x03\x04 not a zip"),
    ("hoat-dong.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100),
    ("hoat-dong.csv", b""),
    ("hoat-dong.csv", "Tên hoạt động,Hình thức\nA,B\n".encode()),
])
def test_unreadable_files_give_one_clear_error(tree: Any, users: Any, name: str,
                                               data: bytes) -> None:
    plan = plan_import(users["commune_officer"], SimpleUploadedFile(name, data))
    [error] = plan.errors
    assert error.row is None and error.message and plan.rows == []


def test_row_limit(tree: Any, users: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(activity_import, "KIND",
                        dataclasses.replace(activity_import.KIND, max_rows=2))
    upload = xlsx_file([row(title=f"Buổi {i}") for i in range(3)])
    [error] = plan_import(users["commune_officer"], upload).errors
    assert error.row is None and "2" in error.message


# --- One check for the whole file: same rules, same errors, few queries ----------------------


def _approve_july(tree: Any, users: Any) -> None:
    """Commune A's July 2026 report approved: its subtree's July is locked."""
    report = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    actions.update_narrative(actor=None, report=report, number="12/BC-HPN")
    report = actions.submit(actor=users["commune_officer"], report=report)
    actions.approve(actor=users["province_officer"], report=report)


def _error_list(plan: Any) -> list[tuple[Any, ...]]:
    return [(e.row, e.column, e.value, e.message) for e in plan.errors]


def test_locked_period_is_refused_for_the_rows_in_it(tree: Any, users: Any) -> None:
    _approve_july(tree, users)
    actor = users["province_officer"]
    upload = xlsx_file([
        row(title="Trong kỳ đã duyệt"),                                    # 2: commune A, July
        row(title="Chi hội trong kỳ", unit="Chi hội ấp Mỹ Lộc"),            # 3: below it, July
        row(title="Tháng 8", date=dt.date(2026, 8, 3)),                     # 4: August: open
        row(title="Xã khác", unit="27694"),                                 # 5: commune B: open
    ])
    plan = plan_import(actor, upload)
    assert plan.error_rows == [2, 3]
    assert all(e.column == TEMPLATE_HEADERS["date"] and "12/BC-HPN" in e.message
               for e in plan.errors)
    assert [r.status for r in plan.rows] == ["error", "error", "ok", "ok"]
    with pytest.raises(ImportFailed) as failed:
        apply_import(actor, upload)
    assert _error_list(failed.value.plan) == _error_list(plan)
    assert not Activity.objects.exists()
    # the same rows without the locked ones go in
    result = apply_import(actor, xlsx_file([row(title="Tháng 8", date=dt.date(2026, 8, 3)),
                                            row(title="Xã khác", unit="27694")]))
    assert result.imported == 2


def test_the_check_and_the_import_report_the_same_errors(tree: Any, users: Any,
                                                         topics: Any) -> None:
    _approve_july(tree, users)
    Unit.objects.filter(pk=tree.branch_a2.pk).update(closed_on=dt.date(2026, 1, 1))
    actor = users["province_officer"]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    august = dt.date(2026, 8, 5)
    upload = xlsx_file([
        row(title="Tốt", date=august),                                      # 2: good
        row(title="Khóa sổ"),                                               # 3: locked July
        row(title="Đơn vị đã giải thể", unit=tree.branch_a2.name, date=august),  # 4: closed
        row(title="Ngày mai", date=tomorrow),                               # 5: future
        row(title="Cộng sai", date=august, women=20, men=5, total=30),      # 6: 20+5≠30
        row(title="Đông quá", date=august, unit="Chi hội ấp Mỹ Lộc", women=None, men=None,
            total=100_000),                                                 # 7: absurd
        row(title="Không có đơn vị", unit="Chi hội không tồn tại"),         # 8: unknown unit
        row(title="Chủ đề lạ", date=august, topics="Không có"),             # 9: topic
        row(title="Tốt", date=august),                                      # 10: row 2 again
    ])
    plan = plan_import(actor, upload)
    assert plan.error_rows == [3, 4, 5, 6, 7, 8, 9]
    assert plan.rows[-1].duplicate_of == 2
    with pytest.raises(ImportFailed) as failed:
        apply_import(actor, upload)
    assert _error_list(failed.value.plan) == _error_list(plan)
    assert [r.status for r in failed.value.plan.rows] == [r.status for r in plan.rows]
    assert not Activity.objects.exists()


@pytest.mark.parametrize("chunk", [None, 1], ids=["few-queries", "one-key-a-query"])
def test_duplicates_match_all_four_fields_exactly(tree: Any, users: Any, formats: Any,
                                                  monkeypatch: Any, chunk: int | None) -> None:
    """The look-up of recorded activities is one query (or a few, on a database limiting the
    parameters of a statement): a row is a duplicate only when unit, date, format and title
    all match one activity, not when each matches a different one."""
    monkeypatch.setattr(activity_import, "LOOKUP_CHUNK", chunk)
    actor = users["commune_officer"]
    first = log_activity(tree.commune_a, formats["meeting"], date=JULY_17, title="Buổi A")
    log_activity(tree.branch_a1, formats["zalo"], date=dt.date(2026, 7, 16), title="Buổi B",
                 women=None, men=None)
    upload = xlsx_file([
        row(title="Buổi A", date=dt.date(2026, 7, 16)),                   # 2: another day
        row(title="Buổi A", format="zalo", women=None, men=None, total=None),  # 3: format
        row(title="Buổi B", unit="Chi hội ấp Mỹ Lộc"),                    # 4: B's unit, A's day
        row(title="BUỔI A"),                                              # 5: the same as A
        row(title="Buoi A "),                                             # 6: row 5 again
    ])
    plan = plan_import(actor, upload)
    assert plan.ok, plan.errors
    assert [r.status for r in plan.rows] == ["ok", "ok", "ok", "duplicate", "duplicate"]
    assert plan.rows[3].existing_id == first.pk and plan.rows[4].duplicate_of == 5
    assert apply_import(actor, upload).imported == 3
    assert Activity.objects.count() == 5


def test_many_rows_are_saved_with_their_links_in_a_few_queries(
        tree: Any, users: Any, formats: Any, audiences: Any, topics: Any) -> None:
    actor = users["commune_officer"]
    names = [t.name for t in topics.values()]

    def rows(n: int) -> list[list[Any]]:
        return [row(title=f"Buổi {n}-{i}", date=JULY_17 - dt.timedelta(days=i % 20),
                    unit="Chi hội ấp Mỹ Lộc" if i % 2 else "27943",
                    topics="; ".join(names[: 1 + i % 3]),
                    audiences="Phụ nữ; Hội viên" if i % 2 else "")
                for i in range(n)]

    with CaptureQueriesContext(connection) as few:
        apply_import(actor, xlsx_file(rows(3)))
    with CaptureQueriesContext(connection) as many:
        result = apply_import(actor, xlsx_file(rows(120)))
    assert result.imported == 120
    # about ten queries a row once; now a handful for the file (and a few insert batches)
    assert len(many) < len(few) + 20, [q["sql"][:80] for q in many.captured_queries]

    imported = Activity.objects.filter(pk__in=result.created_ids)
    assert imported.count() == 120
    for i, activity in enumerate(imported.order_by("pk").prefetch_related("topics",
                                                                           "audiences")):
        assert activity.title == f"Buổi 120-{i}"
        assert {t.name for t in activity.topics.all()} == set(names[: 1 + i % 3])
        expected = {audiences["women"], audiences["members"]} if i % 2 else set()
        assert set(activity.audiences.all()) == expected
    through = Activity.topics.through.objects.filter(activity__in=imported)
    assert through.count() == sum(1 + i % 3 for i in range(120))


def test_the_audit_chain_stays_valid(tree: Any, users: Any, formats: Any) -> None:
    actor = users["commune_officer"]
    log_activity(tree.commune_a, formats["meeting"], actor=actor, date=JULY_17, title="Có")
    apply_import(actor, xlsx_file([row(title="Một"), row(title="Hai"), row(title="Có")]))
    with pytest.raises(ImportFailed):  # rolled back, with a refusal kept for the hidden unit
        apply_import(actor, xlsx_file([row(title="Ba"), row(unit="27694", title="Bốn")]))
    assert [e.action for e in AuditEvent.objects.order_by("pk")][-3:] == [
        "activity.created", "activity.imported", "access.refused"]
    result = verify_chain()
    assert result.ok, result.problems
    assert result.checked == AuditEvent.objects.count()
    call_command("audit", "verify")


# --- The pages ------------------------------------------------------------------------------


def test_check_then_import_through_the_pages(tree: Any, users: Any, client_for: Any,
                                             formats: Any) -> None:
    client = client_for(users["commune_officer"])
    log_activity(tree.commune_a, formats["meeting"], date=JULY_17, title="Đã có")
    page = client.get(reverse("outreach:activity_import"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'type="file"' in body and reverse("outreach:activity_import_template") in body

    data = xlsx_file([row(title="Buổi một"), row(title="Buổi hai", unit="Chi hội ấp Mỹ Lộc"),
                      row(title="Đã có")]).read()
    response = client.post(reverse("outreach:activity_import"),
                           {"file": SimpleUploadedFile("thang-7.xlsx", data)})
    body = response.content.decode()
    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.ok and (plan.to_import, plan.duplicates) == (2, 1)
    assert 'id="import-rows"' in body and "Buổi hai" in body and "Chi hội ấp Mỹ Lộc" in body
    assert 'name="apply"' in body and response.context["token"] in body
    assert Activity.objects.count() == 1  # the check saves nothing
    token = response.context["token"]

    # someone else cannot use the token, and a tampered one is refused
    other = client_for(users["province_officer"]).post(
        reverse("outreach:activity_import"), {"token": token, "apply": "1"})
    assert other.status_code == 200 and other.context["file_error"]
    tampered = client.post(reverse("outreach:activity_import"),
                           {"token": token[:-2] + "xx", "apply": "1"})
    assert tampered.context["file_error"]
    assert Activity.objects.count() == 1

    response = client.post(reverse("outreach:activity_import"), {"token": token, "apply": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:activity_list")
    assert Activity.objects.count() == 3
    assert Activity.objects.get(title="Buổi hai").unit == tree.branch_a1
    assert len(events("activity.imported")) == 1
    listing = client.get(response["Location"]).content.decode()
    assert "thang-7.xlsx" in listing
    # the file waiting for the import is gone: the token cannot import twice
    assert not list((imports.pending_dir()).glob("*.upload"))
    again = client.post(reverse("outreach:activity_import"), {"token": token, "apply": "1"})
    assert again.status_code == 200 and again.context["file_error"]
    assert Activity.objects.count() == 3


def test_errors_are_shown_row_by_row_on_the_page(tree: Any, users: Any,
                                                 client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    upload = xlsx_file([row(), row(title="Mã lạ", unit="88888"), row(title="", women="x")])
    response = client.post(reverse("outreach:activity_import"), {"file": upload})
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["plan"].error_rows == [3, 4]
    assert 'id="import-errors"' in body and "88888" in body
    assert '<td class="num">3</td>' in body and '<td class="num">4</td>' in body
    assert 'name="apply"' not in body and not response.context["token"]
    assert not Activity.objects.exists()


def test_posting_without_a_file_or_with_a_broken_one(users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    response = client.post(reverse("outreach:activity_import"), {})
    assert response.status_code == 200 and response.context["file_error"]
    response = client.post(reverse("outreach:activity_import"),
                           {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04broken")})
    assert response.context["plan"].file_errors
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize("role", ["speaker", "viewer"])
def test_without_activity_manage_the_pages_do_not_exist(tree: Any, users: Any,
                                                        client_for: Any, role: str) -> None:
    client = client_for(users[role])
    for url in (reverse("outreach:activity_import"),
                reverse("outreach:activity_import_template")):
        assert client.get(url).status_code == 404
    response = client.post(reverse("outreach:activity_import"),
                           {"file": xlsx_file([row(title="Lén")]), "apply": "1"})
    assert response.status_code == 404
    assert not Activity.objects.exists()
    refusals = [e for e in events("access.refused") if e.actor == users[role]]
    assert len(refusals) == 3


def test_template_download(tree: Any, users: Any, client_for: Any, topics: Any,
                           formats: Any) -> None:
    client = client_for(users["commune_officer"])
    response = client.get(reverse("outreach:activity_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == activity_import.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Hoạt động", "Hướng dẫn"]
    sheet = workbook["Hoạt động"]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.freeze_panes == "A2"
    assert isinstance(sheet["A2"].value, dt.datetime)  # a real date cell
    guide = " ".join(str(c.value) for line in workbook["Hướng dẫn"].iter_rows() for c in line
                     if c.value)
    assert all(h in guide for h in HEADER)
    assert MEETING in guide and "Phụ nữ" in guide
    assert topics["law"].name in guide

    # the example row is refused until it is replaced
    plan = plan_import(users["commune_officer"],
                       SimpleUploadedFile("mau.xlsx", response.content))
    [error] = plan.errors
    assert error.row == 2 and error.value == activity_import.EXAMPLE_UNIT_CODE
    # filled in, the template imports, whichever sheet was open when it was saved
    sheet["B2"] = "27943"
    workbook.active = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = plan_import(users["commune_officer"], SimpleUploadedFile("mau.xlsx",
                                                                    buffer.getvalue()))
    assert plan.ok, plan.errors
    assert plan.rows[0].unit == tree.commune_a


def test_old_pending_files_are_swept(tree: Any, users: Any, settings: Any) -> None:
    import os
    import time

    token = imports.stash(users["commune_officer"], "a.xlsx", b"data")
    [path] = imports.pending_dir().glob("*.upload")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert imports.unstash(users["commune_officer"], token) is not None
    old = time.time() - imports.TOKEN_MAX_AGE - 3600
    os.utime(path, (old, old))
    imports.stash(users["commune_officer"], "b.xlsx", b"data")
    assert not path.exists()
    assert imports.unstash(users["commune_officer"], token) is None
    assert Unit.objects.exists()


def test_a_refused_bulk_insert_falls_back_to_row_by_row(tree: Any, users: Any, audiences: Any,
                                                        topics: Any, monkeypatch: Any) -> None:
    def refuse(checked: Any) -> None:
        raise DatabaseError("simulated")

    monkeypatch.setattr(activity_import, "_insert", refuse)
    upload = xlsx_file([row(title="Một", topics="Đường dây nóng 111", audiences="Phụ nữ"),
                        row(title="Hai")])
    result = apply_import(users["commune_officer"], upload)
    assert result.imported == 2
    one = Activity.objects.get(title="Một")
    assert list(one.topics.all()) == [topics["hotline"]]
    assert list(one.audiences.all()) == [audiences["women"]]
    assert sorted(result.created_ids) == sorted(Activity.objects.values_list("pk", flat=True))
