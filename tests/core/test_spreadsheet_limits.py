"""Input that cannot exhaust the server: an uploaded spreadsheet is measured before it is parsed.

A zip bomb (a small .xlsx whose sheet unpacks to hundreds of megabytes) is refused from the
zip's directory, quickly and with little memory; a sheet within the size limit but with too many
cells in a row, too long a cell, or a DTD is refused while streaming; a CSV with an unclosed
quotation mark, a field over 128 KB or NUL characters gets a clear message from both importers,
never a server error.
"""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from ctip.core import spreadsheets
from ctip.core.spreadsheets import FileError, HeaderSpec, SheetReader, check_xlsx, read_table

SHEET = "xl/worksheets/sheet1.xml"
HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<sheetData>")
TAIL = b"</sheetData></worksheet>"
SPEC = HeaderSpec({"name": ["ten"], "code": ["ma"]}, ["name"], {"name": "Tên", "code": "Mã"})


def _base() -> bytes:
    book = Workbook()
    book.active.append(["Tên", "Mã"])
    book.active.append(["Chi hội", "1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_with_sheet(chunks: Iterator[bytes], **zip_options: Any) -> bytes:
    """A real workbook whose first sheet's XML is ``chunks``, written streaming."""
    source = zipfile.ZipFile(io.BytesIO(_base()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, **zip_options) as target:
        for info in source.infolist():
            if info.filename == SHEET:
                with target.open(SHEET, "w") as stream:
                    for chunk in chunks:
                        stream.write(chunk)
            else:
                target.writestr(info.filename, source.read(info.filename))
    return out.getvalue()


def bomb_rows(megabytes: int) -> Iterator[bytes]:
    yield HEAD
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>0</t></is></c></row>' * 1000
    for _ in range(megabytes * 1024 * 1024 // len(row)):
        yield row
    yield TAIL


def read(data: bytes, name: str = "f.xlsx") -> Any:
    return read_table(SheetReader(name, data, SPEC), SPEC, max_rows=100)


def test_a_zip_bomb_is_refused_quickly_with_little_memory() -> None:
    bomb = xlsx_with_sheet(bomb_rows(200), compresslevel=9)
    assert len(bomb) < 2 * 1024 * 1024  # a small upload...
    declared = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist())
    assert declared > 190 * 1024 * 1024  # ...that unpacks to hundreds of megabytes
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(FileError) as refused:
            read(bomb)
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "50 MB" in refused.value.message
    assert peak < 20 * 1024 * 1024, peak
    assert elapsed < 5, elapsed


def test_a_part_compressed_too_much_is_refused() -> None:
    # 20 MB unpacked (under the total) but a thousand times smaller packed
    data = xlsx_with_sheet(bomb_rows(20), compresslevel=9)
    with pytest.raises(FileError) as refused:
        check_xlsx(data)
    assert "100" in refused.value.message


def test_a_part_that_lies_about_its_size_is_not_unpacked_further() -> None:
    data = bytearray(xlsx_with_sheet(bomb_rows(3)))
    # declare 1,000 bytes for the sheet in the local header and the central directory
    name = SHEET.encode()
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = data.find(signature + b"")
        while at != -1:
            header_name_at = at + (46 if signature == b"PK\x01\x02" else 30)
            if data[header_name_at:header_name_at + len(name)] == name:
                if data[at + offset:at + offset + 4] != b"\xff\xff\xff\xff":
                    struct.pack_into("<I", data, at + offset, 1000)
            at = data.find(signature, at + 4)
    with pytest.raises(FileError):
        read(bytes(data))


def test_too_many_cells_in_a_row_too_long_a_cell_or_a_dtd() -> None:
    wide = xlsx_with_sheet(iter([HEAD, b'<row r="1">', b"<c><v>1</v></c>" * 1500, b"</row>",
                                 TAIL]))
    with pytest.raises(FileError) as refused:
        read(wide)
    assert "1000" in refused.value.message.replace(".", "").replace(",", "")

    long_text = b"x" * (spreadsheets.MAX_CELL_CHARS + 1)
    long_cell = xlsx_with_sheet(iter([HEAD, b'<row r="7"><c t="inlineStr"><is><t>', long_text,
                                      b"</t></is></c></row>", TAIL]))
    with pytest.raises(FileError) as refused:
        read(long_cell)
    assert "7" in refused.value.message and "32767" in refused.value.message.replace(".", "")

    laughs = xlsx_with_sheet(iter([
        b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        HEAD.split(b"\n", 1)[1], b'<row r="1"><c t="inlineStr"><is><t>&b;</t></is></c></row>',
        TAIL]))
    with pytest.raises(FileError):
        read(laughs)


def test_a_normal_workbook_still_reads() -> None:
    table = read(_base())
    assert [v[:2] for _n, v in table.rows] == [["Chi hội", "1"]]


@pytest.mark.parametrize("content", [
    b'Ten,Ma\n"Chi hoi,1\n' + b"x" * (140 * 1024) + b"\n",  # unclosed quote and a huge field
    b"Ten,Ma\nChi hoi," + b"y" * (140 * 1024) + b"\n",  # a field over 128 KB
    b'Ten,Ma\n"Chi hoi"x,1\n',  # a quote followed by other characters
    b"Ten,Ma\nChi\x00 hoi,1\n",  # NUL
    b"Ten,Ma\nChi h\xf4i,1\n",  # not UTF-8 (Latin-1)
])
def test_a_malformed_csv_gets_a_message(content: bytes) -> None:
    with pytest.raises(FileError) as refused:
        read(content, "f.csv")
    assert refused.value.message


HOSTILE_CSV = [
    ("unclosed", "Tên\n\"Chi hội\n".encode() + b"x" * (140 * 1024)),
    ("huge-field", "Tên,Mã đơn vị\nChi hội,".encode() + b"y" * (140 * 1024) + b"\n"),
    ("nul", "Tên,Mã\nChi\x00 hội,1\n".encode()),
]


@pytest.mark.parametrize(("url", "role"), [("outreach:activity_import", "commune_officer"),
                                           ("org:branch_import", "commune_officer")])
@pytest.mark.parametrize(("label", "content"), HOSTILE_CSV, ids=[h[0] for h in HOSTILE_CSV])
def test_both_importers_answer_a_hostile_csv_in_vietnamese(url: str, role: str, label: str,
                                                           content: bytes, users: Any,
                                                           client_for: Any) -> None:
    client = client_for(users[role])
    response = client.post(reverse(url), {"file": SimpleUploadedFile("x.csv", content)})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="alert"' in body
    assert any(word in body for word in ("dòng", "Dòng", "ký tự", "CSV")), label


def test_the_importers_refuse_a_bomb_in_vietnamese(users: Any, client_for: Any) -> None:
    bomb = xlsx_with_sheet(bomb_rows(60), compresslevel=9)
    client = client_for(users["commune_officer"])
    for url in ("outreach:activity_import", "org:branch_import"):
        response = client.post(reverse(url), {"file": SimpleUploadedFile("x.xlsx", bomb)})
        assert response.status_code == 200
        assert "50 MB" in response.content.decode()
