"""Legacy spreadsheets (issue 18): TCVN3 and VNI text, old addresses in the unit column,
hidden sheets, totals rows, written dates; through the shared reader and the activity import.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ctip.core.legacy_fonts import MIXED, TCVN3, VNI, detect, from_unicode, to_unicode
from ctip.core.spreadsheets import HeaderSpec, read_table
from ctip.org.models import Unit
from ctip.outreach.activity_import import apply_import, parse_date, plan_import
from ctip.outreach.models import Activity
from ctip.units.actions import create_unit
from tests.conftest import unit_type

# The same words as typed with a TCVN3 font (.VnTime) and a VNI font (VNI-Times), as the cells
# of such files hold them, and in Unicode.
WORDS = [
    # (TCVN3, VNI, Unicode)
    ("Ngµy", "Ngaøy", "Ngày"),
    ("§¬n vÞ", "Ñôn vò", "Đơn vị"),
    ("H×nh thøc", "Hình thöùc", "Hình thức"),
    ("Tªn ho¹t ®éng", "Teân hoaït ñoäng", "Tên hoạt động"),
    ("X· Mü Léc, HuyÖn CÇn Giuéc, TØnh Long An", "Xaõ Myõ Loäc, Huyeän Caàn Giuoäc, Tænh Long An",
     "Xã Mỹ Lộc, Huyện Cần Giuộc, Tỉnh Long An"),
    ("Thµnh phè T©n An", "Thaønh phoá Taân An", "Thành phố Tân An"),
    ("Ng\xadêi d©n", "Ngöôøi daân", "Người dân"),
    ("TiÕng ViÖt rÊt hay", "Tieáng Vieät raát hay", "Tiếng Việt rất hay"),
    ("B¶o Th¾ng, Thñy, Kû, Th¼ng, Mü, TuÇn, Kh\xadng, Tr¨ng", "Baûo Thaéng, Thuûy, Kyû, "
     "Thaúng, Myõ, Tuaàn, Khöng, Traêng", "Bảo Thắng, Thủy, Kỷ, Thẳng, Mỹ, Tuần, Khưng, Trăng"),
]


@pytest.mark.parametrize(("tcvn3", "vni", "unicode"), WORDS)
def test_both_legacy_fonts_convert_to_unicode(tcvn3: str, vni: str, unicode: str) -> None:
    assert to_unicode(tcvn3, TCVN3) == unicode
    assert to_unicode(vni, VNI) == unicode
    assert to_unicode(unicode, TCVN3) == unicode  # Unicode text is never converted again
    assert from_unicode(unicode, VNI) == vni
    assert to_unicode(from_unicode(unicode, TCVN3), TCVN3) == unicode


def test_detection() -> None:
    assert detect(w[0] for w in WORDS) == TCVN3
    assert detect(w[1] for w in WORDS) == VNI
    assert detect(w[2] for w in WORDS) is None
    # Unicode that looks like neither: "hoà", "khoá", "quân", a ® sign
    assert detect(["Hoà Khánh", "khoá học", "quân đội", "ABC®", "25", ""]) is None
    assert detect([w[2] for w in WORDS] + [w[0] for w in WORDS]) == MIXED


ACTIVITY_HEADER = ["Ngày", "Đơn vị", "Hình thức", "Tên hoạt động", "Số nữ", "Số nam", "Tổng số"]
MEETING = "Sinh hoạt định kỳ chi, tổ hội, câu lạc bộ"


def _xlsx(rows: Sequence[Any], *, hidden_first: Sequence[Any] = (),
          name: str = "cu.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    if hidden_first:
        sheet.title = "Cu"
        for values in hidden_first:
            sheet.append(list(values))
        sheet.sheet_state = "hidden"
        sheet = workbook.create_sheet("Hoat dong")
    for values in rows:
        sheet.append(list(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def _encode_tcvn3(text: str) -> str:
    return from_unicode(text, TCVN3)


def _encode_vni(text: str) -> str:
    return from_unicode(text, VNI)


@pytest.fixture
def old_communes(tree: Any) -> dict[str, Unit]:
    """Communes of today with their official codes, for old addresses to land in."""
    commune = unit_type("commune")
    return {code: create_unit(actor=None, parent=tree.province, name=name, unit_type=commune,
                              gso_code=code)
            for code, name in (("28177", "Xã Mỹ Lộc"), ("27964", "Xã Đức Lập"),
                               ("27976", "Xã Mỹ Hạnh"))}


@pytest.mark.parametrize("encode", [_encode_tcvn3, _encode_vni], ids=["TCVN3", "VNI"])
def test_activity_file_typed_in_a_legacy_font_is_imported_in_unicode(
        tree: Any, users: Any, formats: Any, old_communes: Any, encode: Any) -> None:
    rows = [[encode(h) for h in ACTIVITY_HEADER],
            ["17/07/2025", encode("Xã Mỹ Lộc, Huyện Cần Giuộc, Tỉnh Long An"), encode(MEETING),
             encode("Tuyên truyền phòng, chống mua bán người"), 20, 5, 25]]
    upload = _xlsx(rows)
    plan = plan_import(users["province_officer"], upload)
    assert plan.ok, plan.errors
    assert plan.encoding in {TCVN3, VNI}
    apply_import(users["province_officer"], upload)
    activity = Activity.objects.get()
    assert activity.title == "Tuyên truyền phòng, chống mua bán người"
    assert activity.unit == old_communes["28177"] and activity.format == formats["meeting"]


def test_unicode_header_over_rows_typed_in_tcvn3(tree: Any, users: Any, formats: Any,
                                                old_communes: Any) -> None:
    rows = [ACTIVITY_HEADER,
            ["17/07/2025", "28177", _encode_tcvn3(MEETING), _encode_tcvn3("Nói chuyện"), 2, 1,
             3],
            ["18/07/2025", "28177", _encode_tcvn3(MEETING), _encode_tcvn3("Hội thi"), 2, 1, 3]]
    plan = plan_import(users["province_officer"], _xlsx(rows))
    assert plan.ok, plan.errors
    assert plan.encoding == TCVN3
    assert [r.title for r in plan.rows] == ["Nói chuyện", "Hội thi"]


def test_unicode_mixed_with_a_legacy_font_is_refused_naming_it(tree: Any, users: Any) -> None:
    rows = [[_encode_tcvn3(h) for h in ACTIVITY_HEADER],
            ["17/07/2025", "Xã Đức Hòa", "Sinh hoạt", "Tuyên truyền ở ấp Rạch Sen", 1, 1, 2],
            ["17/07/2025", _encode_tcvn3("Xã Đức Hòa"), "x", _encode_tcvn3("Hội thi ở ấp"), 1,
             1, 2]]
    plan = plan_import(users["province_officer"], _xlsx(rows))
    assert not plan.ok
    [error] = plan.file_errors
    assert "TCVN3" in error.message and "Unicode" in error.message
    assert not Activity.objects.exists()


def test_old_addresses_in_the_unit_column(tree: Any, users: Any, formats: Any,
                                         old_communes: Any) -> None:
    rows = [ACTIVITY_HEADER,
            ["17/07/2025", "X. My Loc, H. Can Giuoc, Long An", MEETING, "Buổi 1", 2, 1, 3],
            ["17/07/2025", "xa Duc Hoa Thuong, huyen Duc Hoa, tinh Long An", MEETING, "Buổi 2",
             2, 1, 3]]
    upload = _xlsx(rows)
    plan = plan_import(users["province_officer"], upload)
    assert plan.rows[0].unit == old_communes["28177"]
    assert plan.error_rows == [3]
    [error] = plan.row_errors
    assert "Đức Hòa Thượng" in error.message
    assert "Xã Đức Lập" in error.message and "27976" in error.message  # the candidates
    assert not Activity.objects.exists()  # nothing written while a row is unresolved


def test_old_address_outside_the_scope_is_unknown(tree: Any, users: Any, formats: Any,
                                                 old_communes: Any) -> None:
    rows = [ACTIVITY_HEADER,
            ["17/07/2025", "X. My Loc, H. Can Giuoc, Long An", MEETING, "Buổi 1", 2, 1, 3]]
    plan = plan_import(users["commune_officer"], _xlsx(rows))  # commune A only
    assert plan.error_rows == [2] and plan.rows[0].unit is None


def test_hidden_sheets_are_skipped_and_totals_rows_left_out(
        tree: Any, users: Any, formats: Any) -> None:
    hidden = [ACTIVITY_HEADER, ["01/01/2020", "27943", MEETING, "Bản cũ bị ẩn", 1, 1, 2]]
    rows = [["BÁO CÁO HOẠT ĐỘNG NĂM 2024"], ACTIVITY_HEADER,
            [45_490, "27943", MEETING, "Buổi 1", 2, 1, 3],  # a date as Excel's day number
            ["ngày 18 tháng 7 năm 2024", "27943", MEETING, "Buổi 2", 4, 1, 5],
            [None, None, None, "Tổng cộng", 6, 2, 8]]
    upload = _xlsx(rows, hidden_first=hidden)
    plan = plan_import(users["commune_officer"], upload)
    assert plan.ok, plan.errors
    assert [r.title for r in plan.rows] == ["Buổi 1", "Buổi 2"]
    assert [r.date for r in plan.rows] == [dt.date(2024, 7, 17), dt.date(2024, 7, 18)]
    assert plan.totals_rows == [5]
    apply_import(users["commune_officer"], upload)
    assert Activity.objects.count() == 2


def test_only_trailing_totals_rows_are_left_out() -> None:
    spec = HeaderSpec({"a": {"ten"}, "b": {"so"}}, ["a"], {"a": "Tên", "b": "Số"})
    rows: list[tuple[int, list[object]]] = [
        (1, ["Tên", "Số"]), (2, ["Cộng", 1]), (3, ["x", 2]), (4, ["Tổng cộng", 3]),
        (5, ["TOTAL", 3])]
    table = read_table(iter(rows), spec, max_rows=10)
    assert [n for n, _v in table.rows] == [2, 3] and table.totals_rows == [4, 5]


@pytest.mark.parametrize(("text", "expected"), [
    ("ngày 05 tháng 7 năm 2024", dt.date(2024, 7, 5)),
    ("Ngay 5 thang 7 nam 2024", dt.date(2024, 7, 5)),
    ("5 tháng 7, 2024", dt.date(2024, 7, 5)),
    ("05/07/2024", dt.date(2024, 7, 5)),
    ("5-7-2024", dt.date(2024, 7, 5)),
    (45_478, dt.date(2024, 7, 5)),
    (45_478.0, dt.date(2024, 7, 5)),
])
def test_dates_as_text_and_serials(text: object, expected: dt.date) -> None:
    assert parse_date(text) == expected


# --- Undoing an import as a whole -----------------------------------------------------------


def _imported(users: Any, titles: Sequence[str], date: str = "17/07/2026") -> Any:
    from ctip.audit.models import AuditEvent

    rows = [ACTIVITY_HEADER] + [[date, "27943", MEETING, t, 2, 1, 3] for t in titles]
    apply_import(users["commune_officer"], _xlsx(rows))
    return AuditEvent.objects.filter(action="activity.imported").latest("pk")


def test_an_import_is_undone_as_a_whole_once(tree: Any, users: Any, formats: Any) -> None:
    from ctip.audit.models import AuditEvent
    from ctip.core.errors import ActionError
    from ctip.outreach.actions import undo_activity_import

    kept = _imported(users, ["Giữ lại"])
    event = _imported(users, ["Buổi 1", "Buổi 2", "Buổi 3"])
    assert Activity.objects.count() == 4
    deleted = undo_activity_import(actor=users["commune_officer"], event_id=event.pk)
    assert deleted == 3
    assert list(Activity.objects.values_list("title", flat=True)) == ["Giữ lại"]
    [undone] = AuditEvent.objects.filter(action="activity.import_undone")
    assert undone.changes["event"] == event.pk and undone.changes["deleted"] == 3
    with pytest.raises(ActionError, match="đã được hoàn tác"):  # already undone
        undo_activity_import(actor=users["commune_officer"], event_id=event.pk)
    # the same file again is recorded again (nothing of it is left), and is idempotent
    assert kept.pk != event.pk


def test_undo_is_refused_outside_the_scope_and_in_a_locked_period(
        tree: Any, users: Any, formats: Any) -> None:
    from ctip.accounts.policy import NotInScope
    from ctip.core.errors import ActionError
    from ctip.outreach.actions import undo_activity_import
    from ctip.reports import actions
    from ctip.reports.models import ReportType

    event = _imported(users, ["Buổi 1"])
    with pytest.raises(NotInScope):
        undo_activity_import(actor=users["other_officer"], event_id=event.pk)
    with pytest.raises(NotInScope):
        undo_activity_import(actor=users["viewer"], event_id=event.pk)
    report = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2026, 7, 1), end=dt.date(2026, 7, 31))
    actions.update_narrative(actor=None, report=report, number="12/BC-HPN")
    report = actions.submit(actor=users["commune_officer"], report=report)
    actions.approve(actor=users["province_officer"], report=report)
    with pytest.raises(ActionError):
        undo_activity_import(actor=users["commune_officer"], event_id=event.pk)
    assert Activity.objects.count() == 1


def test_undo_from_the_import_page(tree: Any, users: Any, formats: Any,
                                   client_for: Any) -> None:
    from django.urls import reverse

    event = _imported(users, ["Buổi 1", "Buổi 2"])
    client = client_for(users["commune_officer"])
    page = client.get(reverse("outreach:activity_import")).content.decode()
    assert f'name="event" value="{event.pk}"' in page
    response = client.post(reverse("outreach:activity_import"),
                           {"event": str(event.pk), "undo": "1"})
    assert response.status_code == 302 and not Activity.objects.exists()
    page = client.get(reverse("outreach:activity_import")).content.decode()
    assert f'name="event" value="{event.pk}"' not in page
    other = client_for(users["other_officer"])
    assert other.post(reverse("outreach:activity_import"),
                      {"event": str(event.pk), "undo": "1"}).status_code == 404
    assert client.post(reverse("outreach:activity_import"),
                       {"event": "x", "undo": "1"}).status_code == 404


@pytest.mark.parametrize("encoding", [TCVN3, VNI])
def test_a_csv_saved_from_a_legacy_font_file(tree: Any, users: Any, formats: Any,
                                            encoding: str) -> None:
    lines = [",".join(ACTIVITY_HEADER),
             f'17/07/2025,27943,"{MEETING}","Tuyên truyền ở ấp Rạch Sen",2,1,3']
    data = "\r\n".join(from_unicode(line, encoding) for line in lines).encode("cp1252")
    plan = plan_import(users["commune_officer"], SimpleUploadedFile("cu.csv", data))
    assert plan.ok, plan.errors
    assert plan.encoding == encoding
    assert plan.rows[0].title == "Tuyên truyền ở ấp Rạch Sen"


def test_a_csv_in_another_one_byte_encoding_is_still_refused(tree: Any, users: Any) -> None:
    data = b"Ng\xe0y,\xd0\xf5n\r\n17/07/2025,S\xf5n\r\n"  # "Ngày,Đơn" in Windows-1258
    plan = plan_import(users["commune_officer"], SimpleUploadedFile("cu.csv", data))
    [error] = plan.file_errors
    assert "UTF-8" in error.message
