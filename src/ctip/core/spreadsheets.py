"""Reading the spreadsheets people upload: Excel (.xlsx) or CSV, columns found by their header.

Shared by the importers (``units.branch_import``, ``outreach.activity_import``). Each importer
describes its columns with a ``HeaderSpec``; this module reads the file into rows of raw cell
values by column, and says clearly what is wrong with a file it cannot read:

- ``read_upload`` takes the bytes of an upload, refusing empty or too large files;
- ``check_xlsx`` looks at an .xlsx before anything parses it (see "Limits" below);
- ``SheetReader`` yields the rows of the first visible sheet whose header it recognises
  (hidden sheets are skipped) or of the CSV (whatever its encoding mark and delimiter) and,
  for .xlsx, lists its merged cells;
- ``read_table`` finds the header (a few title lines above it are fine, the columns may be in
  any order, other columns are ignored) and returns the data rows, up to a limit.

Limits. A compressed upload must not be able to exhaust the server (a 400 KB .xlsx can unpack
to gigabytes). Before openpyxl opens an .xlsx, ``check_xlsx`` reads the zip's central directory
(the number of parts, their declared unpacked sizes, each part's compression ratio; Python's
``zipfile`` never unpacks more than a part declares) and then streams every XML part through
expat, counting as it goes, without building anything: no DTD (so no entity expansion), at
most ``MAX_SHEET_ROWS`` rows a sheet, ``MAX_ROW_CELLS`` cells a row, ``MAX_CELL_CHARS``
characters a cell or shared string, ``MAX_XML_ELEMENTS`` elements a part. Only then does
openpyxl stream the rows (read-only), and the rows it yields are checked again. A CSV is read
strictly (an unclosed quotation mark is an error, not a field running to the end of the file),
with the same cell-length limit and no NUL characters. Every refusal is a ``FileError`` whose
message names the limit.

Text typed in the legacy TCVN3 or VNI fonts is found and converted to Unicode by ``read_table``
(``core.legacy_fonts``; ``Table.encoding`` says so); Unicode mixed with a legacy font is refused.

Text is compared through ``header_key`` (folded: no accents, lower case, no punctuation) and
cleaned by ``cell_text`` (NFC, no invisible characters, numbers without ``.0``).
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Protocol
from xml.parsers import expat

from django.utils.translation import gettext as _

from ctip.core.legacy_fonts import MIXED, TCVN3, VNI, convert_row, detect
from ctip.core.text import fold, nfc

logger = logging.getLogger(__name__)

MAX_COLUMNS = 50
HEADER_SCAN_ROWS = 10  # the header may sit below a few title lines
MAX_BLANK_RUN = 1000  # this many empty rows in a row end the data
VALUE_DISPLAY_LENGTH = 120
MAX_MERGED_RANGES = 20_000
TOTALS_LABELS = frozenset({"tong", "tong cong", "cong", "tong so", "tong hop", "total",
                           "totals", "grand total", "sum"})
LEGACY_SAMPLE_ROWS = 500  # rows looked at to tell a legacy font under a Unicode header
# Limits on what an uploaded spreadsheet may make the server do (checked before parsing).
MAX_ZIP_ENTRIES = 1_000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # all parts of an .xlsx together, once unpacked
MAX_COMPRESSION_RATIO = 100  # for a part of more than RATIO_FLOOR_BYTES unpacked
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_SHEET_ROWS = 100_000  # rows (even empty) in the XML of a sheet
MAX_ROW_CELLS = 1_000  # cells in one row of a sheet
MAX_CELL_CHARS = 32_767  # Excel's own limit for a cell
MAX_XML_ELEMENTS = 3_000_000  # elements in one part of an .xlsx
XML_CHUNK = 64 * 1024
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# control characters (NUL among them) are dropped from cells too; tab and line breaks stay
_INVISIBLE.update(dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127], None))
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3})([0-9]{1,7})"
                        rb"(?::([A-Z]{1,3})([0-9]{1,7}))?\"")


class Upload(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class FileError(Exception):
    """A problem with the whole file; reading stops. ``message`` is for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` as numbered in the spreadsheet (``None`` for the whole file)."""

    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        return _("Row %(row)d, column “%(column)s” (“%(value)s”): %(message)s") % {
            "row": self.row, "column": self.column, "value": self.value,
            "message": self.message,
        }


# --- Text of cells and headers --------------------------------------------------------------


def header_key(text: str) -> str:
    """``"Các tổ (cách nhau bởi ;)"`` → ``"cac to"``: how a header is compared."""
    key = _BRACKETS.sub(" ", fold(text))
    return " ".join(_NON_ALNUM.sub(" ", key).split())


def cell_text(value: object) -> str:
    """The text of a cell, NFC, without invisible characters; numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return nfc(str(value)).translate(_INVISIBLE)


def clean(text: str) -> str:
    """Stripped, with every run of white space one space."""
    return " ".join(text.split())


def shorten(text: str) -> str:
    """A value as shown in an error message: at most ``VALUE_DISPLAY_LENGTH`` characters."""
    if len(text) <= VALUE_DISPLAY_LENGTH:
        return text
    return text[: VALUE_DISPLAY_LENGTH - 1] + "…"


class HeaderSpec:
    """The columns of an import format.

    ``aliases``: for each field, the header names accepted, as ``header_key`` leaves them.
    ``required``: the fields a header row must hold. ``labels``: the column names of the
    template, used in messages about missing columns.
    """

    def __init__(self, aliases: Mapping[str, Iterable[str]], required: Sequence[str],
                 labels: Mapping[str, str]) -> None:
        self.aliases = {name: frozenset(names) for name, names in aliases.items()}
        self.required = tuple(required)
        self.labels = dict(labels)
        self._fields = {alias: name for name, names in self.aliases.items() for alias in names}

    def field(self, text: str) -> str | None:
        """The field a header cell names, if any."""
        return self._fields.get(header_key(text))

    def find_header(self, rows: Iterable[tuple[int, list[object]]]
                    ) -> tuple[int, list[str]] | None:
        """The first row, among the first non-empty ones, that holds every required column."""
        seen = 0
        for number, values in rows:
            texts = [clean(cell_text(v)) for v in values]
            if not any(texts):
                continue
            fields = {self.field(t) for t in texts}
            if all(f in fields for f in self.required):
                return number, texts
            seen += 1
            if seen >= HEADER_SCAN_ROWS:
                return None
        return None

    def columns(self, texts: list[str]) -> tuple[dict[str, int], dict[str, str],
                                                 list[RowError]]:
        """Position and label of each known column; an error for a column given twice."""
        index: dict[str, int] = {}
        labels: dict[str, str] = {}
        errors: list[RowError] = []
        for position, text in enumerate(texts):
            name = self.field(text)
            if name is None:
                continue  # other columns (row numbers, notes) are ignored
            if name in index:
                errors.append(RowError(None, text, "", _(
                    "The column “%(column)s” appears twice; keep only one.") % {"column": text}))
                continue
            index[name] = position
            labels[name] = text
        return index, labels, errors

    def missing_columns_error(self, found: set[str]) -> RowError:
        missing = [self.labels[f] for f in self.required if f not in found]
        return RowError(None, "", "", _(
            "Required columns are missing: %(columns)s. The first row must hold the column "
            "names of the template.") % {"columns": ", ".join(f"“{m}”" for m in missing)})


# --- Reading the file -----------------------------------------------------------------------


def too_big_message(max_bytes: int) -> str:
    return _("The file is larger than %(mb)d MB. Split it into smaller files.") % {
        "mb": max_bytes // (1024 * 1024)}


def read_upload(file: Upload, max_bytes: int) -> tuple[str, bytes]:
    """The base name and the bytes of an upload; ``FileError`` if empty or too large."""
    name = PurePath(str(getattr(file, "name", "") or "")).name[:200]
    if hasattr(file, "seek"):
        file.seek(0)
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > max_bytes:
        raise FileError(too_big_message(max_bytes))
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileError(too_big_message(max_bytes))
    if not data:
        raise FileError(_("The file is empty."))
    return name, data


def _damaged_xlsx() -> str:
    return _("The Excel file could not be read; it may be damaged. Open it in Excel, save it "
             "again as an Excel workbook (.xlsx) and upload it again.")


def _too_complex(max_mb: int = MAX_UNPACKED_BYTES // (1024 * 1024)) -> str:
    return _("The Excel file takes more than %(mb)d MB once unpacked, more than can be read. "
             "Delete unused sheets, pictures and empty rows, or split it into smaller files.") % {
        "mb": max_mb}


class _Refused(Exception):
    """Raised inside the expat handlers to stop reading at once."""


def check_xlsx(data: bytes) -> None:
    """Refuse, with a message naming the limit, an .xlsx that would make the server unpack or
    parse too much: checked from the zip's central directory, then by streaming each XML part
    through expat without keeping anything (see the module's "Limits")."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        logger.info("unreadable zip: %r", exc)
        raise FileError(_damaged_xlsx()) from exc
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_ZIP_ENTRIES:
            raise FileError(_(
                "The Excel file holds more than %(max)d parts (sheets, pictures, …), more than "
                "can be read. Copy the data into the template and upload that.")
                % {"max": MAX_ZIP_ENTRIES})
        if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
            raise FileError(_too_complex())
        for part in parts:
            if part.file_size <= RATIO_FLOOR_BYTES:
                continue
            ratio = part.file_size // max(part.compress_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                raise FileError(_(
                    "The Excel file is compressed in an unusual way: one of its parts grows "
                    "%(ratio)d times when unpacked, and at most %(max)d times is accepted. Open "
                    "it in Excel, delete the empty rows and columns, save it and upload it "
                    "again.") % {"ratio": ratio, "max": MAX_COMPRESSION_RATIO})
        for part in parts:
            name = part.filename.lower()
            if name.endswith((".xml", ".rels", ".vml")) and not part.is_dir():
                try:
                    with archive.open(part) as stream:
                        _scan_xml(stream, name)
                except FileError:
                    raise
                except (zipfile.BadZipFile, expat.ExpatError, OSError, ValueError,
                        EOFError, RuntimeError, NotImplementedError) as exc:
                    logger.info("unreadable xlsx part %s: %r", part.filename, exc)
                    raise FileError(_damaged_xlsx()) from exc


def _local(tag: str) -> str:
    return tag.rsplit(" ", 1)[-1].rsplit(":", 1)[-1]


def _scan_xml(stream: Any, name: str) -> None:
    """Count what an XML part holds as it streams; ``FileError`` past a limit."""
    sheet = "worksheets/" in name
    strings = name.endswith("sharedstrings.xml")
    state = {"elements": 0, "rows": 0, "cells": 0, "chars": 0, "text": 0, "row": 0}
    refusal: list[str] = []

    def refuse(message: str) -> None:
        refusal.append(message)
        raise _Refused

    def start(tag: str, attrs: dict[str, str]) -> None:
        state["elements"] += 1
        if state["elements"] > MAX_XML_ELEMENTS:
            refuse(_too_complex())
        local = _local(tag)
        if sheet:
            if local == "row":
                state["rows"] += 1
                state["cells"] = 0
                try:
                    state["row"] = int(attrs.get("r") or state["rows"])
                except ValueError:
                    state["row"] = state["rows"]
                if state["rows"] > MAX_SHEET_ROWS:
                    refuse(_("A sheet of the file has more than %(max)d rows (empty ones "
                             "count). Delete the empty rows, or split the file.")
                           % {"max": MAX_SHEET_ROWS})
            elif local == "c":
                state["cells"] += 1
                state["chars"] = 0
                if state["cells"] > MAX_ROW_CELLS:
                    refuse(_("Row %(row)d of the file has more than %(max)d cells. Delete the "
                             "unused columns, or copy the data into the template.")
                           % {"row": state["row"], "max": MAX_ROW_CELLS})
            elif local in {"v", "t"}:
                state["text"] = 1
        elif strings:
            if local == "si":
                state["chars"] = 0
            elif local == "t":
                state["text"] = 1

    def end(tag: str) -> None:
        if _local(tag) in {"v", "t"}:
            state["text"] = 0

    def text(data: str) -> None:
        if state["text"]:
            state["chars"] += len(data)
            if state["chars"] > MAX_CELL_CHARS:
                where = ({"row": state["row"]} if sheet else None)
                message = (_("Row %(row)d of the file has a cell longer than %(max)d "
                             "characters. Shorten it.") if where else
                           _("A cell of the file is longer than %(max)d characters. "
                             "Shorten it."))
                refuse(message % {"max": MAX_CELL_CHARS, **(where or {})})

    def no_dtd(*_args: Any) -> None:
        # an .xlsx has no DTD; one could expand entities without end
        refuse(_damaged_xlsx())

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    try:
        while chunk := stream.read(XML_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Refused:
        raise FileError(refusal[0]) from None


@dataclass(frozen=True)
class MergedRange:
    """A block of merged cells, 1-based and inclusive, as Excel numbers rows and columns."""

    min_col: int
    min_row: int
    max_col: int
    max_row: int

    @property
    def ref(self) -> str:
        from openpyxl.utils import get_column_letter  # slow to import, needed only here (0072)

        return (f"{get_column_letter(self.min_col)}{self.min_row}:"
                f"{get_column_letter(self.max_col)}{self.max_row}")


def _merged_ranges(sheet: Any) -> list[MergedRange]:
    """The merged cells of a read-only sheet. openpyxl does not give them in read-only mode, so
    the ``<mergeCell ref="A2:A5"/>`` elements are picked out of the sheet's XML as it streams
    (they follow the cell data). Best effort: a sheet that cannot be read this way has none."""
    # slow to import, needed only when a workbook is read (decision 0072)
    from openpyxl.utils import column_index_from_string

    found: list[MergedRange] = []
    try:
        source = sheet._get_source()
    except Exception as exc:  # not a read-only worksheet, or an unexpected openpyxl version
        logger.info("merged cells not read: %r", exc)
        return found
    tail = b""
    with source:
        while len(found) <= MAX_MERGED_RANGES:
            chunk = source.read(1 << 20)
            if not chunk:
                break
            data = tail + chunk
            end = 0
            for match in _MERGE_REF.finditer(data):
                first_col, first_row, last_col, last_row = match.groups()
                if last_col is None:
                    continue  # a single cell "merged" with itself
                found.append(MergedRange(
                    column_index_from_string(first_col.decode()), int(first_row),
                    column_index_from_string(last_col.decode()), int(last_row)))
                end = match.end()
            tail = data[max(end, len(data) - 256):]
    return found[:MAX_MERGED_RANGES]


class SheetReader:
    """The rows of an uploaded .xlsx or .csv as ``(row number, [cell values])``.

    For .xlsx the data sheet is the first one whose header ``spec`` recognises (people save the
    template with the guide sheet open); values are as Excel stores them (numbers, dates as
    ``datetime``, text). ``merged`` lists that sheet's merged cells once iteration has begun
    (only when ``with_merged``). CSV values are text. A file that cannot be read raises
    ``FileError`` with a message saying what to do.
    """

    def __init__(self, name: str, data: bytes, spec: HeaderSpec, *,
                 with_merged: bool = False) -> None:
        self.name = name
        self.data = data
        self.spec = spec
        self.with_merged = with_merged
        self.merged: list[MergedRange] = []

    def __iter__(self) -> Iterator[tuple[int, list[object]]]:
        suffix = PurePath(self.name).suffix.lower()
        data = self.data
        if data.startswith(_ZIP_MAGIC) and suffix not in {".ods", ".docx", ".zip"}:
            return self._xlsx_rows()
        if data.startswith(_OLE_MAGIC):
            raise FileError(_(
                "Old Excel files (.xls) and password-protected files cannot be read. In Excel, "
                "remove the password if there is one, save the file as an Excel workbook "
                "(.xlsx) and upload it again."))
        if suffix in {".xlsx", ".xlsm"}:
            raise FileError(_damaged_xlsx())
        if suffix in {".csv", ".txt", ""}:
            return self._csv_rows()
        raise FileError(_("This is not an Excel (.xlsx) or CSV file. Use the template."))

    # .xlsx

    def _xlsx_rows(self) -> Iterator[tuple[int, list[object]]]:
        check_xlsx(self.data)
        from openpyxl import load_workbook  # slow to import, needed only here (0072)

        try:
            workbook = load_workbook(io.BytesIO(self.data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            logger.info("unreadable xlsx: %r", exc)
            raise FileError(_damaged_xlsx()) from exc
        try:
            # A hidden sheet (an old copy, a list for drop-downs) is never what the person
            # sees and means to import.
            sheets = [s for s in workbook.worksheets
                      if getattr(s, "sheet_state", "visible") == "visible"]
            if not sheets:
                raise FileError(_("The file has no rows to import."))
            chosen = sheets[0]
            for sheet in sheets:
                head = list(self._sheet_rows(sheet, limit=HEADER_SCAN_ROWS * 5))
                if self.spec.find_header(head) is not None:
                    chosen = sheet
                    break
                encoding = detect(v for _n, values in head for v in values
                                  if isinstance(v, str))
                if encoding in {TCVN3, VNI} and self.spec.find_header(
                        [(n, convert_row(values, encoding)) for n, values in head]) is not None:
                    chosen = sheet
                    break
            if self.with_merged:
                self.merged = _merged_ranges(chosen)
            yield from self._sheet_rows(chosen)
        except FileError:
            raise
        except Exception as exc:
            logger.info("unreadable xlsx content: %r", exc)
            raise FileError(_damaged_xlsx()) from exc
        finally:
            workbook.close()

    @staticmethod
    def _sheet_rows(sheet: Any, limit: int | None = None) -> Iterator[tuple[int, list[object]]]:
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # the stored dimensions are often wrong; read what is there
        for number, values in enumerate(
            sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1
        ):
            if limit is not None and number > limit:
                return
            if number > MAX_SHEET_ROWS:  # checked before parsing too; kept while reading
                raise FileError(_(
                    "A sheet of the file has more than %(max)d rows (empty ones count). Delete "
                    "the empty rows, or split the file.") % {"max": MAX_SHEET_ROWS})
            row = list(values)
            _check_cells(number, row)
            yield number, row

    # .csv

    @staticmethod
    def _decode_csv(data: bytes) -> str:
        if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileError(_(
                "The file holds NUL characters, so it is not a text (CSV) file. In Excel, save "
                "it as “CSV UTF-8 (Comma delimited)”, or upload the .xlsx file instead."))
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            try:
                return data.decode("utf-16")
            except UnicodeDecodeError:
                pass
        else:
            try:
                return data.decode("utf-8-sig")
            except UnicodeDecodeError:
                pass
            # A CSV saved from a file typed in a legacy font holds one byte a character; read
            # that way, it is kept only when its text is recognised as TCVN3 or VNI (and is
            # then converted with the rows).
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = ""
            if text and detect(text.splitlines()[:HEADER_SCAN_ROWS * 50]) in {TCVN3, VNI}:
                return text
        raise FileError(_(
            "The CSV file is not in UTF-8, so its Vietnamese letters cannot be read. In Excel, "
            "save it as “CSV UTF-8 (Comma delimited)”, or upload the .xlsx file instead."))

    def _delimiter(self, text: str) -> str:
        """The delimiter that makes the most known column names out of the first lines (Excel
        writes ``;`` where the decimal separator is a comma)."""
        lines = [line for line in itertools.islice(text.splitlines(), 50) if line.strip()]
        lines = lines[:HEADER_SCAN_ROWS]
        best, best_score = ",", (-1, -1)
        for delimiter in (",", ";", "\t"):
            try:
                known = max((sum(1 for cell in row[:MAX_COLUMNS] if self.spec.field(cell))
                             for row in csv.reader(lines, delimiter=delimiter)), default=0)
            except csv.Error:  # the reading proper says what is wrong, and where
                known = 0
            score = (known, lines[0].count(delimiter) if lines else 0)
            if score > best_score:
                best, best_score = delimiter, score
        return best

    def _csv_rows(self) -> Iterator[tuple[int, list[object]]]:
        text = self._decode_csv(self.data)
        # strict: an unclosed quotation mark is an error, not a field to the end of the file
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self._delimiter(text),
                            strict=True)
        number = 0
        try:
            for number, values in enumerate(reader, start=1):
                row: list[object] = list(values[:MAX_COLUMNS])
                _check_cells(reader.line_num, row)
                yield number, row
        except csv.Error as exc:
            if "field limit" in str(exc):
                raise FileError(_cell_too_long(reader.line_num)) from exc
            raise FileError(_(
                "The CSV file could not be read near line %(line)d: a quotation mark is not "
                "closed, or is followed by other characters. Check that line, or save the file "
                "again from Excel.") % {"line": max(reader.line_num, number + 1)}
            ) from exc


def _cell_too_long(row: int) -> str:
    return _("Row %(row)d of the file has a cell longer than %(max)d characters. Shorten it.") % {
        "row": row, "max": MAX_CELL_CHARS}


def _check_cells(row: int, values: Sequence[object]) -> None:
    for value in values:
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise FileError(_cell_too_long(row))


# --- The table: header and data rows --------------------------------------------------------


@dataclass
class Table:
    """The data rows under the header: ``values`` are the raw cells of each row, by position;
    ``index`` gives the position of each known field, ``columns`` its header as written."""

    header_row: int = 0
    index: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    rows: list[tuple[int, list[object]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    encoding: str | None = None  # "TCVN3" or "VNI" when the text was converted to Unicode
    totals_rows: list[int] = field(default_factory=list)  # "Tổng cộng" lines left out

    def value(self, values: list[object], name: str) -> object:
        position = self.index.get(name)
        if position is None or position >= len(values):
            return None
        return values[position]

    def text(self, values: list[object], name: str) -> str:
        return cell_text(self.value(values, name))


def _subheader(spec: HeaderSpec, index: dict[str, int],
               values: list[object]) -> dict[str, tuple[int, str]] | None:
    """The columns a second header line names (``Nữ``, ``Nam``, ``Tổng`` under a merged
    ``Số người tham gia``), or ``None`` if the line is data: it is a header line when its cells
    under the required columns are empty and some cell names a known column."""
    texts = [clean(cell_text(v)) for v in values]
    if any(index[f] < len(texts) and texts[index[f]] for f in spec.required):
        return None
    found: dict[str, tuple[int, str]] = {}
    for position, text in enumerate(texts):
        name = spec.field(text) if text else None
        if name is not None:
            found.setdefault(name, (position, text))
    return found or None


def read_table(rows: Iterator[tuple[int, list[object]]] | Iterable[tuple[int, list[object]]],
               spec: HeaderSpec, *, max_rows: int, two_line_header: bool = False) -> Table:
    """Find the header among the first lines and collect the data rows after it.

    A row counts only if one of the known columns holds something (a pre-numbered "STT" column
    does not make a row). Raises ``FileError`` when there is no data or more than ``max_rows``
    rows; a missing or doubled column is reported in ``Table.errors``.
    """
    rows = iter(rows)
    table = Table()
    # Keep the rows read while looking for the header, then go on with the same iterator.
    head: list[tuple[int, list[object]]] = []
    filled = blank_run = 0
    for number, values in rows:
        if any(clean(cell_text(x)) for x in values):
            head.append((number, values))
            filled += 1
            blank_run = 0
            if filled >= HEADER_SCAN_ROWS:
                break
        else:
            blank_run += 1
            if blank_run >= MAX_BLANK_RUN:
                break
    header = spec.find_header(head)
    encoding = None
    if header is None:
        # A header typed in a legacy font ("Ngµy", "Ngaøy") is found once converted; the
        # rows still to be read are converted as they come.
        encoding = _legacy_encoding(head)
        if encoding:
            head = [(number, convert_row(values, encoding)) for number, values in head]
            rows = ((number, convert_row(values, encoding)) for number, values in rows)
            header = spec.find_header(head)
    if header is None:
        first = next((v for _n, v in head if any(clean(cell_text(x)) for x in v)), None)
        if first is None:
            raise FileError(_("The file has no rows to import."))
        found = {spec.field(clean(cell_text(v))) for v in first}
        table.errors.append(spec.missing_columns_error({f for f in found if f}))
        return table
    table.header_row, texts = header
    table.encoding = encoding
    table.index, table.columns, table.errors = spec.columns(texts)
    if table.errors:
        return table
    remaining = iter([item for item in head if item[0] > table.header_row])
    data: Iterator[tuple[int, list[object]]] = itertools.chain(remaining, rows)
    if two_line_header:
        following = next(data, None)
        extra = _subheader(spec, table.index, following[1]) if following else None
        if extra:
            # The lower line is the more precise: its names replace those above them.
            for name, (position, text) in extra.items():
                for other, at in list(table.index.items()):
                    if at == position and other != name:
                        del table.index[other], table.columns[other]
                table.index[name] = position
                table.columns[name] = text
            table.header_row = following[0] if following else table.header_row
        elif following is not None:
            data = itertools.chain([following], data)

    blank_run = 0
    for number, values in data:
        if not any(clean(table.text(values, name)) for name in table.index):
            blank_run += 1
            if blank_run >= MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        if len(table.rows) >= max_rows:
            raise FileError(_(
                "The file has more than %(max)d rows. Split it into smaller files.")
                % {"max": max_rows})
        table.rows.append((number, values))
    if not encoding:
        # A Unicode header (typed again, or the template's) over rows typed in a legacy font.
        encoding = _legacy_encoding(table.rows[:LEGACY_SAMPLE_ROWS])
        if encoding:
            table.encoding = encoding
            table.rows = [(number, convert_row(values, encoding))
                          for number, values in table.rows]
    while table.rows and _is_totals_row(table.rows[-1][1]):
        table.totals_rows.insert(0, table.rows.pop()[0])
    if not table.rows:
        raise FileError(_("The file has no rows to import."))
    return table


def _is_totals_row(values: Sequence[object]) -> bool:
    """A "Tổng cộng" / "Cộng" / "Total" line under the data (its sums are not a row)."""
    return any(isinstance(v, str) and header_key(v) in TOTALS_LABELS for v in values)


def _legacy_encoding(rows: Sequence[tuple[int, list[object]]]) -> str | None:
    """The legacy font encoding the text of ``rows`` is typed in, if any; ``FileError`` for
    Unicode and legacy text mixed (no cell can be converted safely)."""
    encoding = detect(v for _n, values in rows for v in values if isinstance(v, str))
    if encoding == MIXED:
        raise FileError(_(
            "The file mixes Unicode text with text typed in a legacy font (%(encodings)s), "
            "which cannot be told apart cell by cell. Convert the whole file to Unicode (for "
            "example with Unikey's converter) and upload it again.")
            % {"encodings": "TCVN3/VNI"})
    return encoding
