"""Importing branches and groups from .xlsx and .csv files."""

from __future__ import annotations

import csv
import dataclasses
import io
import unicodedata
from collections.abc import Sequence
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ctip.audit.models import AuditEvent, Outcome
from ctip.org.models import Unit, UnitType
from ctip.units import branch_import
from ctip.units.actions import create_unit, merge_units, update_unit
from ctip.units.branch_import import (
    ImportFailed,
    apply_import,
    cell_text,
    plan_import,
    read_file,
)

HEADER = ["Mã xã/phường", "Tên chi hội", "Ấp/khu phố", "Các tổ (cách nhau bởi ;)"]


def xlsx_file(rows: Sequence[Sequence[object]], name: str = "chi-hoi.xlsx",
              merge: str | None = None, header: Sequence[str] = HEADER,
              title_rows: int = 0) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for _ in range(title_rows):
        sheet.append(["Danh sách chi hội"])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=branch_import.XLSX_CONTENT_TYPE)


def csv_file(rows: Sequence[Sequence[object]], name: str = "chi-hoi.csv", delimiter: str = ",",
             bom: bool = True, header: Sequence[str] = HEADER) -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")
    return SimpleUploadedFile(name, data, content_type="text/csv")


def unit_count() -> int:
    return Unit.objects.count()


def children_names(unit: Unit) -> list[str]:
    return sorted(Unit.objects.filter(parent=unit).values_list("name", flat=True))


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# --- Creating -------------------------------------------------------------------------------


def test_valid_xlsx_creates_branches_and_groups(tree: Any, users: Any) -> None:
    actor = users["province_officer"]
    upload = xlsx_file([
        ["27943", "Chi hội ấp Tân Lập", "Ấp Tân Lập", "Tổ 1; Tổ 2"],
        ["27694", "Chi hội khu phố 5", "Khu phố 5", ""],
    ])
    plan = plan_import(actor, upload)
    assert plan.ok, plan.errors
    assert (plan.branches_to_create, plan.groups_to_create) == (2, 2)
    before = unit_count()

    result = apply_import(actor, upload)

    assert unit_count() == before + 4
    assert len(result.branches_created) == 2 and result.groups_created == 2
    branch = Unit.objects.get(name="Chi hội ấp Tân Lập")
    assert branch.parent == tree.commune_a
    assert branch.path == f"{tree.commune_a.path}{branch.pk}/"
    assert branch.depth == tree.commune_a.depth + 1
    assert branch.village == "Ấp Tân Lập"
    assert branch.unit_type.code == "branch"
    assert children_names(branch) == ["Tổ 1", "Tổ 2"]
    group = Unit.objects.get(parent=branch, name="Tổ 2")
    assert group.unit_type.code == "group"
    assert group.path == f"{branch.path}{group.pk}/"
    other = Unit.objects.get(name="Chi hội khu phố 5")
    assert other.parent == tree.commune_b and other.village == "Khu phố 5"

    [summary] = events("unit.branches_imported")
    assert summary.actor == actor
    assert summary.changes["file"] == "chi-hoi.xlsx"
    assert summary.changes["branches_created"] == 2
    assert summary.changes["groups_created"] == 2
    assert summary.changes["communes"] == ["27694", "27943"]
    assert summary.unit_path == tree.province.path  # the nearest unit above both communes


def test_reimporting_the_same_file_changes_nothing(tree: Any, users: Any) -> None:
    actor = users["commune_officer"]
    rows = [
        ["27943", "Chi hội ấp Tân Lập", "Ấp Tân Lập", "Tổ 1; Tổ 2"],
        # an existing branch, written without accents: reused, only the new group is added
        ["27943", "chi hoi ap my loc", "", "Tổ phụ nữ số 1; Tổ phụ nữ số 2"],
    ]
    first = apply_import(actor, xlsx_file(rows))
    assert len(first.branches_created) == 1 and first.branches_reused == 1
    assert first.groups_created == 3
    assert children_names(tree.branch_a1) == ["Tổ phụ nữ số 1", "Tổ phụ nữ số 2"]
    assert Unit.objects.filter(parent=tree.commune_a, name_folded="chi hoi ap my loc").count() == 1
    units, audit = unit_count(), AuditEvent.objects.count()

    plan = plan_import(actor, xlsx_file(rows))
    assert plan.ok
    assert (plan.branches_to_create, plan.branches_reused) == (0, 2)
    assert (plan.groups_to_create, plan.groups_existing) == (0, 4)
    second = apply_import(actor, xlsx_file(rows))

    assert (len(second.branches_created), second.branches_reused, second.groups_created) == (
        0, 2, 0)
    assert unit_count() == units
    assert AuditEvent.objects.count() == audit
    assert len(events("unit.branches_imported")) == 1


def test_reordered_columns_other_columns_and_header_variants(tree: Any, users: Any) -> None:
    header = ["STT", "Các tổ", "TEN CHI HOI", "Ghi chú", "ma xa / phuong", "Ấp / Khu phố"]
    upload = xlsx_file([[1, "Tổ A;Tổ B", "Chi hội ấp Hòa Bình", "ghi chú", "27943", "Ấp Hòa Bình"],
                        [2, None, None, "a row numbered in advance, otherwise empty"],
                        [3]],
                       header=header, title_rows=2)
    plan = plan_import(users["commune_officer"], upload)
    assert plan.ok, plan.errors
    [row] = plan.rows
    assert row.row == 4  # two title rows, the header, then the data
    assert row.source.commune_code == "27943"
    assert row.source.branch_name == "Chi hội ấp Hòa Bình"
    assert row.source.village == "Ấp Hòa Bình"
    assert row.new_groups == ["Tổ A", "Tổ B"]
    apply_import(users["commune_officer"], upload)
    branch = Unit.objects.get(name="Chi hội ấp Hòa Bình")
    assert branch.parent == tree.commune_a and branch.village == "Ấp Hòa Bình"


def test_numbers_typed_as_numbers(tree: Any, users: Any) -> None:
    create_unit(actor=None, parent=tree.province, name="Xã Mới",
                unit_type=UnitType.objects.get(code="commune"), gso_code="00412")
    upload = xlsx_file([
        [27943, "Chi hội số 1", "", ""],
        [27943.0, "Chi hội số 2", "", ""],
        [412, 7, "", ""],  # Excel drops the leading zeros of 00412; a name typed as a number
    ])
    plan = plan_import(users["province_officer"], upload)
    assert plan.ok, plan.errors
    assert [r.source.commune_code for r in plan.rows] == ["27943", "27943", "412"]
    assert plan.rows[2].commune is not None and plan.rows[2].commune.gso_code == "00412"
    apply_import(users["province_officer"], upload)
    assert Unit.objects.get(name="7").parent.gso_code == "00412"
    assert cell_text(27943.0) == "27943"
    assert cell_text(27943) == "27943"
    assert cell_text(12.5) == "12.5"
    assert cell_text(None) == ""


def test_decomposed_unicode_is_stored_composed(tree: Any, users: Any) -> None:
    name, village, group = "Chi hội ấp Phước Hòa", "Ấp Phước Hòa", "Tổ Đồng Tâm"
    nfd = [unicodedata.normalize("NFD", s) for s in (name, village, group)]
    assert nfd[0] != name
    apply_import(users["commune_officer"], xlsx_file([["27943", f"  {nfd[0]} ", nfd[1], nfd[2]]]))
    branch = Unit.objects.get(parent=tree.commune_a, name=name)
    assert unicodedata.is_normalized("NFC", branch.name)
    assert branch.village == village
    assert children_names(branch) == [group]
    # and the composed spelling is recognised as the same branch afterwards
    again = plan_import(users["commune_officer"], xlsx_file([["27943", name, village, group]]))
    assert (again.branches_reused, again.groups_to_create) == (1, 0)


@pytest.mark.parametrize(("delimiter", "bom"), [(",", True), (";", False), (";", True),
                                                ("\t", True)])
def test_csv_with_or_without_bom_and_semicolons(tree: Any, users: Any, delimiter: str,
                                                bom: bool) -> None:
    upload = csv_file([["27943", "Chi hội ấp Tân Hòa", "Ấp Tân Hòa", "Tổ 1; Tổ 2"],
                       ["", "", "", ""],
                       ["27943", "Chi hội ấp Tân Phú", "", ""]],
                      delimiter=delimiter, bom=bom)
    plan = plan_import(users["commune_officer"], upload)
    assert plan.ok, plan.errors
    assert [r.row for r in plan.rows] == [2, 4]  # the empty row is skipped, numbers kept
    assert plan.rows[0].source.commune_code == "27943"  # no BOM left in the header or values
    apply_import(users["commune_officer"], upload)
    branch = Unit.objects.get(parent=tree.commune_a, name="Chi hội ấp Tân Hòa")
    assert branch.village == "Ấp Tân Hòa"
    assert children_names(branch) == ["Tổ 1", "Tổ 2"]
    assert Unit.objects.filter(parent=tree.commune_a, name="Chi hội ấp Tân Phú").exists()


def test_groups_on_separate_lines_of_one_cell(tree: Any, users: Any) -> None:
    upload = csv_file([["27943", "Chi hội ấp Long An", "", "Tổ 1\nTổ 2;; Tổ 3 "]])
    plan = plan_import(users["commune_officer"], upload)
    assert plan.rows[0].new_groups == ["Tổ 1", "Tổ 2", "Tổ 3"]


# --- Refusing -------------------------------------------------------------------------------


def test_bad_rows_are_all_reported_and_nothing_is_saved(tree: Any, users: Any) -> None:
    actor = users["commune_officer"]
    upload = xlsx_file([
        ["27943", "Chi hội ấp Một", "", "Tổ 1"],            # row 2: good
        ["27943", "", "Ấp Hai", ""],                         # row 3: no branch name
        ["27943", "Chi hội ấp Ba", "", "Tổ 1; tô 1"],       # row 4: a group twice
        ["99999", "Chi hội ấp Bốn", "", ""],                 # row 5: unknown commune
        ["27943", "CHI HỘI ẤP MỘT", "", ""],                 # row 6: row 2 again
        ["27943", "x" * 201, "", ""],                        # row 7: name too long
        ["27a43", "Chi hội ấp Bảy", "", ""],                 # row 8: not a code
        ["", "Chi hội ấp Tám", "", ""],                      # row 9: no code
        ["27943", "Chi hội ấp Chín", "", ""],                # row 10: good
    ])
    before, audit = unit_count(), AuditEvent.objects.count()

    plan = plan_import(actor, upload)
    assert not plan.ok
    assert plan.error_rows == [3, 4, 5, 6, 7, 8, 9]
    by_row = {e.row: e for e in plan.errors}
    assert by_row[3].column == "Tên chi hội"
    assert by_row[4].value == "tô 1"
    assert by_row[5].value == "99999" and "99999" in by_row[5].message
    assert by_row[5].column == "Mã xã/phường"
    assert by_row[6].value == "CHI HỘI ẤP MỘT" and "2" in by_row[6].message
    assert "201" in by_row[7].message and by_row[7].value.endswith("…")
    assert by_row[8].value == "27a43"
    assert by_row[5].message in str(by_row[5]) and "Tên chi hội" in str(by_row[3])
    assert [r.has_error for r in plan.rows] == [False, True, True, True, True, True, True, True,
                                                False]

    with pytest.raises(ImportFailed) as failed:
        apply_import(actor, upload)
    assert sorted({e.row for e in failed.value.row_errors}) == [3, 4, 5, 6, 7, 8, 9]
    assert unit_count() == before
    assert not Unit.objects.filter(name="Chi hội ấp Một").exists()
    assert AuditEvent.objects.count() == audit  # nothing outside the scope was named


def test_commune_outside_the_scope_reads_like_an_unknown_one(tree: Any, users: Any) -> None:
    update_unit(actor=None, unit=tree.other_commune, gso_code="01234")
    actor = users["commune_officer"]  # manages commune A only
    upload = xlsx_file([
        ["27943", "Chi hội ấp Một", "", ""],
        ["27694", "Chi hội khu phố 9", "", ""],   # commune B: same province, not theirs
        ["01234", "Chi hội xóm Nà", "", ""],      # the other province
        ["55555", "Chi hội không có", "", ""],    # does not exist
    ])
    before = unit_count()
    plan = plan_import(actor, upload)
    assert plan.error_rows == [3, 4, 5]
    messages = {e.row: e.message for e in plan.errors}
    assert messages[3].replace("27694", "#") == messages[5].replace("55555", "#")
    assert messages[4].replace("01234", "#") == messages[5].replace("55555", "#")
    assert all("Phường Tân An" not in m and "Quảng Uyên" not in m for m in messages.values())
    assert plan.rows[1].commune is None and plan.rows[2].commune is None

    [refusal] = events("access.refused")
    assert refusal.outcome == Outcome.REFUSED and refusal.actor == actor
    assert refusal.changes["codes"] == ["01234", "27694"]

    with pytest.raises(ImportFailed):
        apply_import(actor, upload)
    assert unit_count() == before
    assert len(events("access.refused")) == 2  # the attempt to apply is recorded as well


def test_closed_commune_names_its_successor(tree: Any, users: Any) -> None:
    merge_units(actor=None, sources=[tree.commune_b], into=tree.commune_a)
    upload = xlsx_file([["27694", "Chi hội khu phố 9", "", ""]])
    plan = plan_import(users["province_officer"], upload)
    [error] = plan.errors
    assert error.row == 2 and error.value == "27694"
    assert "Phường Tân An" in error.message and "Xã Đức Hòa" in error.message
    with pytest.raises(ImportFailed):
        apply_import(users["province_officer"], upload)
    assert not Unit.objects.filter(name="Chi hội khu phố 9").exists()


def test_closed_branch_is_not_reused_and_its_successor_is_named(tree: Any, users: Any) -> None:
    merge_units(actor=None, sources=[tree.branch_a2], into=tree.branch_a1)
    plan = plan_import(users["commune_officer"],
                       xlsx_file([["27943", "Chi hội ấp Rạch Sen", "", "Tổ 9"]]))
    [error] = plan.errors
    assert error.row == 2 and "Chi hội ấp Mỹ Lộc" in error.message


def test_a_province_code_is_not_a_commune(tree: Any, users: Any) -> None:
    plan = plan_import(users["province_officer"], xlsx_file([["80", "Chi hội lạ", "", ""]]))
    [error] = plan.errors
    assert error.row == 2 and error.value == "80" and "Tỉnh Tây Ninh" in error.message


def test_merged_cells_give_row_errors_not_a_crash(tree: Any, users: Any) -> None:
    upload = xlsx_file([["27943", "Chi hội ấp Một", "", ""],
                        [None, "Chi hội ấp Hai", "", ""]], merge="A2:A3")
    plan = plan_import(users["commune_officer"], upload)
    [error] = plan.errors
    assert error.row == 3 and error.column == "Mã xã/phường" and error.value == ""


@pytest.mark.parametrize(("name", "data"), [
    ("chi-hoi.xlsx", b"PK\x03\x04 this is not really a zip"),
    ("chi-hoi.xlsx", b"hello, world"),
    ("chi-hoi.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100),
    ("chi-hoi.pdf", b"%PDF-1.4 something"),
    ("chi-hoi.csv", "Mã xã/phường,Tên chi hội\n27943,Chi hội\n".encode("utf-16-le")),
    ("chi-hoi.csv", b"M\xe3 x\xe3,T\xean chi h\xf4i\n27943,Chi h\xf4i\n"),  # Windows-1252
    ("chi-hoi.csv", b""),
    ("chi-hoi.csv", "Mã xã/phường,Tên chi hội\n".encode()),
])
def test_unreadable_files_give_one_clear_error(tree: Any, users: Any, name: str,
                                               data: bytes) -> None:
    upload = SimpleUploadedFile(name, data)
    plan = plan_import(users["commune_officer"], upload)
    [error] = plan.errors
    assert error.row is None and error.message
    assert plan.rows == []
    with pytest.raises(ImportFailed) as failed:
        apply_import(users["commune_officer"], SimpleUploadedFile(name, data))
    assert failed.value.row_errors == [error]


def test_missing_required_column_is_one_file_error(tree: Any, users: Any) -> None:
    upload = xlsx_file([["Chi hội ấp Một", "Ấp Một"]], header=["Tên chi hội", "Ấp/khu phố"])
    plan = plan_import(users["commune_officer"], upload)
    [error] = plan.errors
    assert error.row is None
    assert "Mã xã/phường" in error.message and "Tên chi hội" not in error.message


def test_a_column_twice_is_refused(tree: Any, users: Any) -> None:
    upload = csv_file([["27943", "Chi hội", "Chi hội 2"]],
                      header=["Mã xã/phường", "Tên chi hội", "Chi hội"])
    [error] = plan_import(users["commune_officer"], upload).errors
    assert error.row is None and "Chi hội" in error.message


def test_size_and_row_limits(tree: Any, users: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(branch_import, "KIND",
                        dataclasses.replace(branch_import.KIND, max_rows=3))
    rows = [["27943", f"Chi hội số {i}", "", ""] for i in range(4)]
    [error] = plan_import(users["commune_officer"], xlsx_file(rows)).errors
    assert error.row is None and "3" in error.message
    assert plan_import(users["commune_officer"], xlsx_file(rows[:3])).ok

    monkeypatch.setattr(branch_import, "KIND",
                        dataclasses.replace(branch_import.KIND, max_bytes=100))
    [error] = plan_import(users["commune_officer"], csv_file(rows)).errors
    assert error.row is None


def test_the_guide_sheet_first_does_not_matter(tree: Any, users: Any) -> None:
    data = branch_import.template_xlsx()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    workbook.active = 1  # saved while looking at the guide
    workbook["Chi hội"]["A2"] = "27943"
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = plan_import(users["commune_officer"], SimpleUploadedFile("t.xlsx", buffer.getvalue()))
    assert plan.ok, plan.errors
    assert plan.rows[0].source.branch_name == "Chi hội ấp Bình Minh"
    assert plan.rows[0].new_groups == ["Tổ phụ nữ số 1", "Tổ phụ nữ số 2"]


def test_read_file_reports_the_header_labels_as_written(tree: Any) -> None:
    parsed = read_file(csv_file([["27943", "Chi hội"]], header=["Mã xã", "Tên chi hội"]))
    assert parsed.columns == {"commune_code": "Mã xã", "branch_name": "Tên chi hội"}
    assert parsed.errors == []


# --- The pages ------------------------------------------------------------------------------


def test_upload_page_for_a_commune_officer(users: Any, client_for: Any) -> None:
    response = client_for(users["commune_officer"]).get(reverse("org:branch_import"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'type="file"' in body and 'enctype="multipart/form-data"' in body
    assert reverse("org:branch_import_template") in body
    tree_page = client_for(users["commune_officer"]).get(reverse("org:tree")).content.decode()
    assert reverse("org:branch_import") in tree_page


@pytest.mark.parametrize("role", ["speaker", "viewer"])
def test_without_unit_manage_the_page_does_not_exist(users: Any, client_for: Any,
                                                     role: str) -> None:
    client = client_for(users[role])
    for url in (reverse("org:branch_import"), reverse("org:branch_import_template")):
        assert client.get(url).status_code == 404
    response = client.post(reverse("org:branch_import"),
                           {"file": csv_file([["27943", "Chi hội lén", "", ""]]), "apply": "1"})
    assert response.status_code == 404
    assert not Unit.objects.filter(name="Chi hội lén").exists()
    refusals = [e for e in events("access.refused") if e.actor == users[role]]
    assert len(refusals) == 3
    assert all(e.outcome == Outcome.REFUSED for e in refusals)
    assert reverse("org:branch_import") not in client.get(reverse("org:tree")).content.decode()


def test_template_download_is_a_valid_workbook(users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    response = client.get(reverse("org:branch_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == branch_import.XLSX_CONTENT_TYPE
    assert "attachment" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Chi hội", "Hướng dẫn"]
    sheet = workbook["Chi hội"]
    assert [c.value for c in sheet[1]] == HEADER
    assert sheet.freeze_panes == "A2"
    assert sheet["B2"].value  # the example row
    guide_text = " ".join(str(c.value) for row in workbook["Hướng dẫn"].iter_rows() for c in row
                          if c.value)
    assert all(h in guide_text for h in HEADER)

    response = client.get(reverse("org:branch_import_template"), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert next(csv.reader(io.StringIO(response.content.decode("utf-8-sig")))) == HEADER


def test_the_template_example_row_is_caught_by_the_check(users: Any, client_for: Any) -> None:
    data = client_for(users["commune_officer"]).get(
        reverse("org:branch_import_template")).content
    plan = plan_import(users["commune_officer"], SimpleUploadedFile("mau.xlsx", data))
    [error] = plan.errors
    assert error.row == 2 and error.value == "99999"


def test_preview_then_apply_through_the_pages(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    rows = [["27943", "Chi hội ấp Cây Da", "Ấp Cây Da", "Tổ 1; Tổ 2"],
            ["27943", "Chi hội ấp Mỹ Lộc", "", "Tổ phụ nữ số 1"]]
    data = xlsx_file(rows).read()
    before = unit_count()

    response = client.post(reverse("org:branch_import"),
                           {"file": SimpleUploadedFile("chi-hoi.xlsx", data)})
    body = response.content.decode()
    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.ok and (plan.branches_to_create, plan.groups_to_create) == (1, 2)
    assert "Chi hội ấp Cây Da" in body and "Xã Đức Hòa" in body
    token = response.context["token"]
    assert 'name="apply"' in body and token in body
    assert unit_count() == before  # the check saves nothing

    # the token is the person's own, and cannot be tampered with
    response = client_for(users["province_officer"]).post(
        reverse("org:branch_import"), {"token": token, "apply": "1"})
    assert response.status_code == 200 and response.context["file_error"]
    response = client.post(reverse("org:branch_import"),
                           {"token": token[:-2] + "xx", "apply": "1"})
    assert response.context["file_error"]
    assert unit_count() == before

    response = client.post(reverse("org:branch_import"), {"token": token, "apply": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("org:tree")
    assert unit_count() == before + 3
    branch = Unit.objects.get(name="Chi hội ấp Cây Da")
    assert branch.parent == tree.commune_a and children_names(branch) == ["Tổ 1", "Tổ 2"]
    assert len(events("unit.branches_imported")) == 1
    # the same token again imports nothing more
    response = client.post(reverse("org:branch_import"), {"token": token, "apply": "1"})
    assert response.context["file_error"] and unit_count() == before + 3


def test_errors_are_shown_row_by_row_on_the_page(tree: Any, users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    upload = xlsx_file([["27943", "Chi hội ấp Một", "", ""],
                        ["88888", "Chi hội ấp Hai", "", ""],
                        ["27943", "", "", ""]])
    response = client.post(reverse("org:branch_import"), {"file": upload, "apply": "1"})
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["plan"].error_rows == [3, 4]
    assert 'id="import-errors"' in body
    assert '<td class="num">3</td>' in body and '<td class="num">4</td>' in body
    assert "88888" in body
    assert 'name="apply"' not in body
    assert not Unit.objects.filter(name="Chi hội ấp Một").exists()


def test_posting_without_a_file_and_a_corrupt_file(users: Any, client_for: Any) -> None:
    client = client_for(users["commune_officer"])
    response = client.post(reverse("org:branch_import"), {})
    assert response.status_code == 200 and response.context["file_error"]
    response = client.post(reverse("org:branch_import"),
                           {"file": SimpleUploadedFile("x.xlsx", b"PK\x03\x04broken")})
    assert response.status_code == 200
    assert response.context["plan"].file_errors
    assert 'role="alert"' in response.content.decode()
