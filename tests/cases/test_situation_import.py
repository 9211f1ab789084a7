"""Situation registers kept before ctip, imported through the pipeline (``cases.situation_import``):
real-shaped files (title lines over a merged header, dates as text and as day numbers, a
totals row, a hidden sheet, TCVN3 and VNI text), their recorded state kept (no deadline started
in the past for a closed situation), identities only for who may see them, the same file twice
adds nothing, undone as a whole while the period is open, 404 outside the scope."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse
from django.utils import timezone

from ctip.accounts.policy import NotInScope
from ctip.audit.models import AuditEvent
from ctip.cases import crypto
from ctip.cases.models import Person, Situation, SituationEvent
from ctip.cases.rotation import _derived as rotation_derived
from ctip.cases.rotation import encrypted_columns, rotate_all
from ctip.cases.situation_import import KIND
from ctip.core.errors import ActionError
from ctip.core.legacy_fonts import TCVN3, VNI, from_unicode
from ctip.core.models import ImportJob
from ctip.imports import pipeline as imports

HEADER = ["STT", "Ngày tiếp nhận", "Đơn vị", "Địa chỉ", "Loại vụ việc", "Mức độ",
          "Nội dung", "Tình trạng", "Ngày kết thúc", "Kết quả xử lý"]
SERIAL_2025_03_10 = 45726  # the day number Excel stores for 10/03/2025


def register(rows: Sequence[Sequence[Any]], *, name: str = "so-theo-doi.xlsx",
             hidden_first: bool = False, header: Sequence[str] = HEADER,
             encoding: str | None = None) -> SimpleUploadedFile:
    """A register as communes keep it: a title line merged across the columns, the header,
    the rows, a totals line; optionally a hidden sheet before it; typed in a legacy font."""

    def typed(value: Any) -> Any:
        return from_unicode(value, encoding) if encoding and isinstance(value, str) else value

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    if hidden_first:
        sheet.title = "Nam 2019"
        sheet.append(list(header))
        sheet.append([1, "01/01/2019", "Xã Quảng Uyên", "", "Khác", "", "Cũ", "", "", ""])
        sheet.sheet_state = "hidden"
        sheet = workbook.create_sheet("So theo doi")
    sheet.append([typed("SỔ THEO DÕI TIẾP NHẬN, XỬ LÝ VỤ VIỆC")])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append([typed(h) for h in header])
    for number, values in enumerate(rows, start=1):
        sheet.append([number, *(typed(v) for v in values)])
    sheet.append([typed("Tổng cộng"), "", "", "", "", "", typed(f"{len(rows)} vụ việc"), "", "",
                  ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def rows_of(tree: Any) -> list[list[Any]]:
    return [
        ["15/02/2025", "27943", "Ấp Mỹ Lộc", "Nghi mua bán người", "Khẩn",
         "Người lạ rủ đi làm ở biên giới", "Đã xử lý", "20/02/2025",
         "Đã xác minh, báo công an xã"],
        [SERIAL_2025_03_10, tree.commune_a.name, "", "Bạo lực gia đình", "",
         "Chồng đánh vợ nhiều lần", "Đang xử lý", "", ""],
        [dt.date(2025, 4, 2), "Xã Đức Hòa", "", "mat tich", "cao",
         "Con gái đi khỏi nhà không liên lạc được", "xong", "", "Đã tìm thấy"],
    ]


def test_a_register_keeps_its_recorded_state(tree: Any, users: Any) -> None:
    officer = users["commune_officer"]
    upload = register(rows_of(tree), hidden_first=True)
    preview = imports.plan(KIND, officer, upload)
    assert preview.ok, preview.errors
    assert (preview.to_import, len(preview.rows), preview.totals_rows) == (3, 3, [6])
    assert not Situation.objects.exists()  # the preview writes nothing
    upload.seek(0)
    done = imports.apply(KIND, officer, upload)
    assert done.added == 3
    first, second, third = Situation.objects.order_by("pk")
    # received on the day of the register, closed as recorded: no deadline, no clock
    assert timezone.localdate(first.created_at) == dt.date(2025, 2, 15)
    assert first.state == Situation.State.CLOSED and first.due_at is None
    assert timezone.localdate(first.closed_at) == dt.date(2025, 2, 20)
    assert first.category == "suspected_trafficking" and first.urgency == "urgent"
    assert first.outcome == "Đã xác minh, báo công an xã"
    assert [e.kind for e in first.events.all()] == ["received", "closed"]
    assert timezone.localdate(first.events.first().at) == dt.date(2025, 2, 15)
    # still open: into the inbox today, its deadline from now, not from March 2025
    assert timezone.localdate(second.created_at) == dt.date(2025, 3, 10)
    assert second.state == Situation.State.RECEIVED and second.due_at > timezone.now()
    assert second.description == "Chồng đánh vợ nhiều lần"
    # closed without a closing day: closed the day it was received
    assert third.state == Situation.State.CLOSED
    assert timezone.localdate(third.closed_at) == dt.date(2025, 4, 2)
    # the hidden sheet of 2019 was not read
    assert not Situation.objects.filter(created_at__year=2019).exists()
    [event] = AuditEvent.objects.filter(action="situation.imported")
    assert event.changes["added"] == 3 and event.changes["closed"] == 2
    assert "Chồng" not in str(event.changes)  # no text of the situations in the audit


def test_the_same_register_twice_adds_nothing(tree: Any, users: Any) -> None:
    officer = users["commune_officer"]
    imports.apply(KIND, officer, register(rows_of(tree)))
    again = imports.plan(KIND, officer, register(rows_of(tree)))
    assert again.ok and (again.to_import, again.duplicates) == (0, 3)
    # the same row twice in one file: the second is a duplicate too
    twice = rows_of(tree)[:1] * 2
    twice[0][5] = "Một vụ việc mới"
    twice[1][5] = "một vu viec MOI"  # the same words, without accents, another case
    plan = imports.plan(KIND, officer, register(twice))
    assert (plan.to_import, plan.duplicates) == (1, 1)


def test_the_same_register_after_a_key_rotation_adds_nothing(tree: Any, users: Any,
                                                              settings: Any) -> None:
    """The import key is a keyed hash: ``ctip keys rotate`` recomputes it with the newest key,
    so once the old key is removed the register imported before still counts as imported."""
    officer = users["commune_officer"]
    imports.apply(KIND, officer, register(rows_of(tree)))
    recorded = Situation.objects.create(
        unit=tree.commune_a, unit_path=tree.commune_a.path, category="other",
        description="Ghi trong ctip", handling_unit=tree.commune_a,
        handling_path=tree.commune_a.path, code="T-ROT-1")
    before = dict(Situation.objects.values_list("pk", "import_key"))
    settings.CTIP_FIELD_KEYS = [crypto.generate_key(), settings.CTIP_FIELD_KEYS[0]]

    counts = rotate_all(batch_size=2)

    assert counts["cases.Situation"] == 4  # three re-keyed, the one recorded here re-encrypted
    settings.CTIP_FIELD_KEYS = settings.CTIP_FIELD_KEYS[:1]  # the old key removed
    after = dict(Situation.objects.values_list("pk", "import_key"))
    assert after[recorded.pk] == "" == before[recorded.pk]
    assert all(after[pk] and after[pk] != key for pk, key in before.items() if key)
    again = imports.plan(KIND, officer, register(rows_of(tree)))
    assert again.ok and (again.to_import, again.duplicates) == (0, 3)
    assert rotate_all()["cases.Situation"] == 0  # run again: nothing left to change


def test_every_keyed_hash_is_recomputed_by_a_rotation() -> None:
    """A text column holding a keyed hash (``*_key``) beside encrypted values is derived from
    them with the field key; a rotation that missed one would leave it unmatched once the old
    key is removed. (A record's ``record_key``, a random number, is not derived from a key.)"""
    for label, (_table, _columns) in encrypted_columns().items():
        model = apps.get_model(label)
        keyed = {f.column for f in model._meta.concrete_fields
                 if f.column.endswith("_key") and isinstance(f, models.CharField)}
        assert keyed <= set(rotation_derived(label)[1]), label


@pytest.mark.parametrize("encoding", [TCVN3, VNI])
def test_a_register_typed_in_a_legacy_font(tree: Any, users: Any, encoding: str) -> None:
    plan = imports.plan(KIND, users["commune_officer"], register(rows_of(tree),
                                                                 encoding=encoding))
    assert plan.ok, plan.errors
    assert plan.encoding == encoding and plan.totals_rows == [6]
    imports.apply(KIND, users["commune_officer"], register(rows_of(tree), encoding=encoding))
    assert "Chồng đánh vợ nhiều lần" in {s.description for s in Situation.objects.all()}


def test_bad_rows_are_reported_and_nothing_is_kept(tree: Any, users: Any) -> None:
    future = (timezone.localdate() + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    rows = [*rows_of(tree),
            ["31/02/2025", "27943", "", "Khác", "", "Ngày sai", "", "", ""],
            [future, "27943", "", "Khác", "", "Ngày mai", "", "", ""],
            ["01/03/2025", "27943", "", "Chuyện lạ", "", "Loại sai", "", "", ""],
            ["01/03/2025", "27943", "", "Khác", "", "Đóng thiếu kết quả", "Đã xử lý", "", ""],
            ["01/03/2025", "Xã Quảng Uyên", "", "Khác", "", "Ngoài phạm vi", "", "", ""]]
    plan = imports.plan(KIND, users["commune_officer"], register(rows))
    assert plan.error_rows == [6, 7, 8, 9, 10]
    messages = " ".join(e.message for e in plan.errors)
    assert "31/02/2025" in messages and "Chuyện lạ" in messages
    with pytest.raises(imports.ImportFailed):
        imports.apply(KIND, users["commune_officer"], register(rows))
    assert not Situation.objects.exists()


def test_identities_only_for_who_may_see_them_and_encrypted(tree: Any, users: Any) -> None:
    header = [*HEADER, "Họ tên người liên quan"]
    rows = [[*rows_of(tree)[1], "Nguyễn Thị Hoa"]]
    plan = imports.plan(KIND, users["commune_officer"], register(rows, header=header))
    [error] = plan.errors
    assert "danh tính" in error.message or "identit" in error.message
    assert not Person.objects.exists()
    admin = users["system_admin"]
    imports.apply(KIND, admin, register(rows, header=header))
    situation = Situation.objects.get()
    [person] = situation.persons.all()
    assert person.full_name == "Nguyễn Thị Hoa"
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name FROM cases_person")
        [(stored,)] = cursor.fetchall()
    assert "Hoa" not in stored  # encrypted as every identity
    [event] = AuditEvent.objects.filter(action="situation.imported")
    assert "Hoa" not in str(event.changes)


def test_undo_as_a_whole_once_and_not_after_a_step(tree: Any, users: Any) -> None:
    from ctip.cases.actions import start_verification, undo_situation_import

    officer = users["commune_officer"]
    imports.apply(KIND, officer, register(rows_of(tree)))
    event = AuditEvent.objects.get(action="situation.imported")
    with pytest.raises(NotInScope):
        undo_situation_import(actor=users["other_officer"], event_id=event.pk)
    open_one = Situation.objects.get(state=Situation.State.RECEIVED)
    start_verification(actor=officer, situation=open_one)
    with pytest.raises(ActionError):
        undo_situation_import(actor=officer, event_id=event.pk)
    SituationEvent.objects.filter(kind="verifying").delete()
    assert undo_situation_import(actor=officer, event_id=event.pk) == 3
    assert not Situation.objects.exists()
    with pytest.raises(ActionError):
        undo_situation_import(actor=officer, event_id=event.pk)


def test_undo_is_refused_in_a_locked_period(tree: Any, users: Any) -> None:
    from ctip.cases.actions import undo_situation_import
    from ctip.reports import actions
    from ctip.reports.models import ReportType

    officer = users["commune_officer"]
    imports.apply(KIND, officer, register(rows_of(tree)[:1]))
    event = AuditEvent.objects.get(action="situation.imported")
    report = actions.create_or_get_draft(
        actor=None, unit=tree.commune_a, report_type=ReportType.objects.get(code="monthly"),
        start=dt.date(2025, 2, 1), end=dt.date(2025, 2, 28))
    actions.update_narrative(actor=None, report=report, number="02/BC-HPN")
    report = actions.submit(actor=officer, report=report)
    actions.approve(actor=users["province_officer"], report=report)
    with pytest.raises(ActionError):
        undo_situation_import(actor=officer, event_id=event.pk)
    assert Situation.objects.count() == 1
    # and a register row received in the locked month is refused too
    plan = imports.plan(KIND, officer, register(
        [["16/02/2025", "27943", "", "Khác", "", "Tháng đã khóa", "", "", ""]]))
    assert plan.error_rows == [3]


def test_the_page_previews_imports_and_undoes(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    url = reverse("cases:situation_import")
    assert url in client.get(reverse("cases:situation_list")).content.decode()
    page = client.post(url, {"file": register(rows_of(tree))})
    assert page.status_code == 200 and page.context["plan"].ok
    assert not Situation.objects.exists()
    done = client.post(url, {"token": page.context["token"], "apply": "1"})
    assert done.status_code == 302 and Situation.objects.count() == 3
    assert ImportJob.objects.get().status == ImportJob.Status.DONE
    event = AuditEvent.objects.get(action="situation.imported")
    page = client.get(url).content.decode()
    assert f'name="event" value="{event.pk}"' in page
    # someone else's import, or a unit outside her scope: 404
    other = client_for(users["other_officer"])
    assert other.post(url, {"event": str(event.pk), "undo": "1"}).status_code == 404
    assert client_for(users["viewer"]).get(url).status_code == 404
    assert client.post(url, {"event": str(event.pk), "undo": "1"}).status_code == 302
    assert not Situation.objects.exists()
