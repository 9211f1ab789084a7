"""One pipeline for every spreadsheet the Union brings: a kind declares, the pipeline runs.

A kind of import (activities, branches and groups, ...) is an ``ImportKind``: its columns
(template headers, accepted aliases, required ones), its limits, the capability it needs and
one function, ``run(ctx)``, that turns the rows of the file into calls of the app's actions —
checking every row and, when ``ctx.write``, writing them. Everything else is shared here and
the same for every kind:

- reading (``read_file``: upload limits, .xlsx/.csv, legacy fonts, hidden sheets, totals rows,
  merged cells filled down, through ``core.spreadsheets``) and the cell parsers (``parse_date``,
  ``parse_count``: Vietnamese formats, Excel day numbers);
- the preview (``plan``: the kind's run in a transaction rolled back) and the import
  (``apply``: the same run, kept only when no row failed; all or nothing);
- the choices an officer made in the preview among the candidates of an old address
  (``Choices``: remembered for every row of the file with the same value);
- the audit of units named outside the actor's scope (``record_hidden``);
- the background job (``ImportJob``, ``start_job``, ``run_job``): preview and import run in the
  worker with their progress on the job's row; the import marks its job done in the same
  transaction as its writes, so a job run twice (a killed worker, decision 0028) writes once.

Each kind's module registers its kind (``register``); its app's ``AppConfig.ready`` names that
module (``kinds.declare``), and ``kind(name)`` imports it the first time the kind is asked for
(decision 0072). The pipeline imports no app that uses it (decision 0053).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import pickle
import re
import secrets
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ctip.accounts.policy import NotInScope, scope_q
from ctip.audit.actions import record, record_refusal
from ctip.audit.models import AuditEvent
from ctip.core import jobstate
from ctip.core.errors import ActionError, busy
from ctip.core.faults import pause
from ctip.core.health import worker_running
from ctip.core.leases import on_given_up
from ctip.core.legacy_fonts import encoding_label
from ctip.core.models import ImportJob
from ctip.core.spreadsheets import (
    FileError,
    HeaderSpec,
    MergedRange,
    RowError,
    SheetReader,
    Table,
    Upload,
    cell_text,
    clean,
    read_table,
    read_upload,
    shorten,
)
from ctip.core.text import fold
from ctip.imports import (
    kinds,
    tasks,  # the module: its tasks import this one, and tests replace them
)
from ctip.org.models import PATH_SEPARATOR

logger = logging.getLogger(__name__)

MAX_INTEGER = 2_147_483_647  # the largest value of the count columns in every database
EARLIEST_SERIAL, LATEST_SERIAL = 36_526, 73_415  # Excel day numbers of 2000-01-01, 2100-12-31

_DMY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_WRITTEN_DATE = re.compile(r"(?:ngay\s*)?(\d{1,2})\s*thang\s*(\d{1,2})\s*,?\s*(?:nam\s*)?(\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"\s+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_GROUPED = re.compile(r"-?\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+")
_LIST_SEPARATORS = re.compile(r"[;\r\n]+")

Progress = Callable[[int], None]


# --- Parsing cells --------------------------------------------------------------------------


class CellError(Exception):
    """A cell that cannot be read; ``message`` is for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _date_error(text: str) -> CellError:
    return CellError(_("“%(value)s” is not a date. Write it as dd/mm/yyyy, for example "
                       "17/07/2026, or use a date cell.") % {"value": text})


def parse_date(value: object) -> dt.date | None:
    """A date cell of Excel, a day number, or text dd/mm/yyyy (also with . or -), yyyy-mm-dd
    or "ngày 17 tháng 7 năm 2026". ``None`` when empty; ``CellError`` otherwise."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # a date cell stored without its date format: Excel's day number
        if float(value).is_integer() and EARLIEST_SERIAL <= value <= LATEST_SERIAL:
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        raise _date_error(cell_text(value))
    text = clean(cell_text(value))
    if not text:
        return None
    bare = _TIME.sub("", text)
    written = _WRITTEN_DATE.fullmatch(fold(bare))
    if written:  # "ngày 17 tháng 7 năm 2026", "17 tháng 07, 2026"
        bare = "/".join(written.groups())
    match = _DMY.fullmatch(bare)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _YMD.fullmatch(bare)
        if not match:
            raise _date_error(text)
        year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise _date_error(text) from None


def parse_count(value: object) -> int | None:
    """A whole number: a number cell, or text such as ``25``, ``1.250`` or ``1,250``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CellError(_("Write a whole number."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("%(value)s is not a whole number.") % {"value": value})
        number = int(value)
    else:
        text = clean(cell_text(value)).replace("\u00a0", " ")
        if not text:
            return None
        if re.fullmatch(r"[-+]?\d+", text):
            number = int(text)
        elif _GROUPED.fullmatch(text):
            number = int(re.sub(r"[^\d-]", "", text))
        else:
            raise CellError(_("“%(value)s” is not a whole number.") % {"value": text})
    if number > MAX_INTEGER:
        raise CellError(_("%(value)d is too large.") % {"value": number})
    return number


def split_list(text: str) -> list[str]:
    """``"a; b\\nc"`` → ``["a", "b", "c"]``: a list typed in one cell."""
    return [clean(part) for part in _LIST_SEPARATORS.split(text) if clean(part)]


def code_variants(code: str) -> set[str]:
    """A code as typed, and with the leading zeros Excel drops from numbers (``412`` →
    ``00412``)."""
    bare = code.lstrip("0") or "0"
    return {code, bare} | {bare.zfill(width) for width in range(2, 6)}


def common_path(units: Iterable[Any]) -> str:
    """The path of the lowest unit above (or equal to) all ``units``; ``""`` if none."""
    return common_of([u.path for u in units])


def where_undone(event: Any, paths: Iterable[str]) -> str:
    """Where the undoing of the import ``event`` is recorded: above the rows it deletes, where
    they are now (they go with their unit, decision 0100), so the auditors of the units that
    hold them see it, and not those of a province a commune left; the import's own place
    when no row is left."""
    return common_of(paths) or event.unit_path


def common_of(paths: Iterable[str]) -> str:
    """``common_path`` of paths."""
    split = [p.strip(PATH_SEPARATOR).split(PATH_SEPARATOR) for p in paths]
    common: list[str] = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return f"/{'/'.join(common)}/" if common else ""


def id_runs(ids: Iterable[int]) -> list[list[int]]:
    """``[1, 2, 3, 7]`` → ``[[1, 3], [7, 7]]``: the ids created, compactly, for the audit."""
    runs: list[list[int]] = []
    for pk in sorted(ids):
        if runs and pk == runs[-1][1] + 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    return runs


def listed(model: Any, runs: Any) -> tuple[Any, int]:
    """The rows of ``model`` an import's audit event lists as id runs ``[[first, last], ...]``
    (``id_runs``; a filter, not a list: ten thousand ids would not fit in one query), and how
    many it listed."""
    where, count = Q(pk__in=[]), 0
    for run in runs if isinstance(runs, list) else []:
        if isinstance(run, list) and len(run) == 2 and all(isinstance(x, int) for x in run):
            where |= Q(pk__range=(run[0], run[1]))
            count += max(run[1] - run[0] + 1, 0)
    return model.objects.filter(where), count


def undoable(*, actor: Any, event_id: int, action: str, capability: str, model: Any
             ) -> tuple[Any, Any, int]:
    """What undoing one import needs: its audit event (``action``), the rows of ``model`` it
    lists and how many it listed. ``NotInScope`` when one of its rows lies outside the actor's
    scope for ``capability`` (or, with none left, the event does); ``ActionError`` when it was
    undone already.

    The rows decide, where they are now: they go with their unit when it moves (decisions
    0099 and 0100), while the event keeps the path of the time. Decided by the event, the
    commune that moved could no longer undo its own import, and the province it left could
    have, of rows no longer its own."""
    event = AuditEvent.objects.filter(pk=event_id, action=action).first()
    if event is None:
        raise NotInScope
    rows, count = listed(model, event.changes.get("ids"))
    if actor is not None:
        within = scope_q(actor, capability, "unit_path")
        if (rows.exclude(within).exists() if rows.exists()
                else not AuditEvent.objects.filter(pk=event.pk).filter(within).exists()):
            raise NotInScope
    if AuditEvent.objects.filter(action=action.replace(".imported", ".import_undone"),
                                 changes__event=event.pk).exists():
        raise ActionError(_("This import has already been undone."))
    return event, rows, count


def record_import(ctx: Context, action: str, units: Iterable[Any],
                  **changes: Any) -> None:
    """The one audit event of an import of a kind that writes one record a row (counts, ids,
    the choices made; never a cell's text)."""
    plan = ctx.plan
    assert isinstance(plan, CountedPlan)  # noqa: S101
    record(actor=ctx.actor, action=action, target_label=plan.file_name,
           unit_path=common_path(units),
           changes={"file": plan.file_name, "digest": plan.digest, "rows": len(plan.rows),
                    "added": plan.added, "duplicates": plan.duplicates,
                    "ids": id_runs(plan.ids), **changes,
                    "choices": {a.value: a.chosen for a in plan.ambiguities.values()
                                if a.chosen}})


# --- Choices among candidates ---------------------------------------------------------------


def choice_key(text: str) -> str:
    """How a cell's value is compared when a choice made for it is looked up: the same value
    written with or without accents, in another case or spacing, is the same choice."""
    return " ".join(fold(text).split())


class Choices:
    """What the officer chose, in the preview, for values that name several units: cell value
    → the id of the chosen unit. A choice holds for every row with that value."""

    def __init__(self, chosen: Mapping[str, str] | None = None) -> None:
        self.chosen = {choice_key(k): str(v).strip() for k, v in (chosen or {}).items()
                       if str(v).strip()}

    def get(self, text: str) -> str | None:
        return self.chosen.get(choice_key(text))

    def as_dict(self) -> dict[str, str]:
        return dict(self.chosen)

    def __bool__(self) -> bool:
        return bool(self.chosen)


@dataclass
class Ambiguity:
    """A value of the file that names several present units (a commune divided in 2025): the
    preview offers its candidates; ``rows`` are the rows that hold it."""

    value: str
    message: str
    candidates: list[tuple[str, str]]  # (unit id, label: name and official code)
    rows: list[int] = field(default_factory=list)
    chosen: str = ""


# --- The kind and the plan ------------------------------------------------------------------


@dataclass
class ParsedFile:
    """The rows of a file as raw cell values by field (``rows``), with what reading found."""

    name: str
    digest: str
    columns: dict[str, str] = field(default_factory=dict)
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    merged: dict[int, dict[str, MergedRange]] = field(default_factory=dict)  # row → cells
    filled: dict[int, dict[str, int]] = field(default_factory=dict)  # row → field → from row
    encoding: str | None = None  # the legacy font the text was converted from
    totals_rows: list[int] = field(default_factory=list)  # "Tổng cộng" lines left out


@dataclass
class ImportPlan:
    """What a file does (or did): every row with its outcome, every error. Kinds add fields."""

    file_name: str
    digest: str
    columns: dict[str, str] = field(default_factory=dict)
    rows: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    encoding: str | None = None
    totals_rows: list[int] = field(default_factory=list)
    ambiguities: dict[str, Ambiguity] = field(default_factory=dict)  # choice key → ambiguity

    @property
    def encoding_label(self) -> str:
        return encoding_label(self.encoding) if self.encoding else ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def file_errors(self) -> list[RowError]:
        return [e for e in self.errors if e.row is None]

    @property
    def row_errors(self) -> list[RowError]:
        return [e for e in self.errors if e.row is not None]

    @property
    def error_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row is not None})

    @property
    def open_ambiguities(self) -> list[Ambiguity]:
        return [a for a in self.ambiguities.values() if not a.chosen]


OK, DUPLICATE, ERROR = "ok", "duplicate", "error"


@dataclass
class PlannedRow:
    """A row of a kind that writes one record a row: its cells as text, its outcome (``OK``,
    ``DUPLICATE``: already recorded, skipped, or ``ERROR``), its errors, what it wrote."""

    row: int
    cells: dict[str, str]
    status: str = OK
    errors: list[RowError] = field(default_factory=list)
    written: Any = None


@dataclass
class CountedPlan(ImportPlan):
    """The plan of a kind that writes one record a row (``PlannedRow``): how many were (or
    would be) added, and the ids written, for the import's audit event and its undoing."""

    added: int = 0
    ids: list[int] = field(default_factory=list)

    @property
    def to_import(self) -> int:
        return sum(1 for r in self.rows if r.status == OK)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.rows if r.status == DUPLICATE)


def counted_plan(file_name: str, digest: str) -> CountedPlan:
    return CountedPlan(file_name=file_name, digest=digest)


def planned_rows(ctx: Context) -> list[PlannedRow]:
    """The rows of the file with their cells as clean text."""
    return [PlannedRow(row=number, cells={k: clean(cell_text(v)) for k, v in values.items()})
            for number, values in ctx.parsed.rows]


def fail(ctx: Context, planned: PlannedRow, name: str, message: str) -> None:
    """A row error on the column ``name`` (as the file names it)."""
    planned.status = ERROR
    planned.errors.append(RowError(planned.row, ctx.kind.label(ctx.plan, name),
                                   shorten(planned.cells.get(name, "")), message))


def unit_cell(ctx: Context, planned: PlannedRow, lookup: Any, name: str) -> Any:
    """The unit the row's cell ``name`` resolves to through ``lookup`` (``None`` when empty);
    a row error saying why when it names no one unit."""
    text = planned.cells.get(name, "")
    unit = lookup.units.get(text)
    if text and unit is None:
        fail(ctx, planned, name, lookup.errors.get(text, ""))
    return unit


def date_cell(ctx: Context, planned: PlannedRow, raw: dict[int, Any], name: str) -> Any:
    """The date of the row's cell ``name`` as read from the file (``None`` when empty or not a
    date; a row error then)."""
    try:
        return parse_date(raw[planned.row].get(name))
    except CellError as exc:
        fail(ctx, planned, name, exc.message)
        return None


def require_cells(ctx: Context, planned: PlannedRow) -> None:
    for name in ctx.kind.required:
        if not planned.cells.get(name):
            fail(ctx, planned, name, _("This cell is empty."))


def note_ambiguities(ctx: Context, rows: Sequence[PlannedRow], column: str,
                     ambiguous: Mapping[str, Ambiguity]) -> None:
    """Offer, once a value, the candidates of the unit cells naming several units."""
    for planned in rows:
        ambiguity = ambiguous.get(planned.cells.get(column, ""))
        if ambiguity is not None:
            kept = ctx.plan.ambiguities.setdefault(choice_key(ambiguity.value), ambiguity)
            kept.rows.append(planned.row)


def pick(ctx: Context, planned: PlannedRow, name: str, values: Mapping[str, str],
         default: str = "") -> str:
    """The code a cell names among ``values`` (folded label → code); a row error listing
    what is accepted otherwise. An empty cell is ``default``."""
    text = planned.cells.get(name, "")
    if not text:
        return default
    found = values.get(choice_key(text))
    if found is None:
        fail(ctx, planned, name, _("“%(value)s” is not one of: %(accepted)s.") % {
            "value": text, "accepted": ", ".join(sorted({k for k in values if k}))})
        return default
    return found


class ImportFailed(ActionError):  # noqa: N818  (a refusal, like ActionError)
    """The file has errors; nothing was saved. ``plan`` shows every row and error."""

    def __init__(self, plan: ImportPlan) -> None:
        n = len(plan.errors)
        super().__init__(
            ngettext("The file has %(n)d error; nothing was saved.",
                     "The file has %(n)d errors; nothing was saved.", n) % {"n": n}
        )
        self.plan = plan
        self.row_errors = plan.errors  # ``errors`` is the (field, message) list of a refusal


@dataclass
class Context:
    """What a kind's ``run`` gets: who imports, the file, the choices made, whether to write,
    and where to note units named outside the actor's scope (``hidden``)."""

    kind: ImportKind
    actor: Any
    parsed: ParsedFile
    plan: ImportPlan
    choices: Choices
    write: bool
    progress: Progress
    hidden: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ImportKind:
    """A kind of import, declared: see the module's docstring."""

    name: str  # the kind's slug: "activities", "branches"
    capability: str  # what the importer must hold where the rows go
    headers: Mapping[str, str]  # field → the template's column name (not translated)
    aliases: Mapping[str, frozenset[str]]  # field → header names accepted, folded
    required: tuple[str, ...]
    run: Callable[[Context], None]  # checks every row; writes through the actions if ctx.write
    new_plan: Callable[[str, str], ImportPlan] = ImportPlan
    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 10_000
    two_line_header: bool = False  # "Số người tham gia" merged over "Nữ", "Nam", "Tổng"
    filled_down: frozenset[str] = frozenset()  # fields a merged cell holds for its block
    merged_refused: frozenset[str] = frozenset()  # fields a merged cell may not hold
    summary: Callable[[Any], Iterable[str]] = lambda _plan: ()  # lines of a finished import
    page: str = ""  # the URL name of the kind's import page
    # The audit action of a finished import, and the action that undoes one as a whole
    # (``undo(actor=..., event_id=...)`` → how many records were deleted), if the kind has it.
    imported_action: str = ""
    undo: Callable[..., int] | None = None

    @cached_property
    def spec(self) -> HeaderSpec:
        return HeaderSpec(self.aliases, self.required, self.headers)

    def label(self, plan: ImportPlan, name: str) -> str:
        """The column as the file names it, or as the template does."""
        return plan.columns.get(name, self.headers[name])


_KINDS: dict[str, ImportKind] = {}


def register(import_kind: ImportKind) -> ImportKind:
    _KINDS[import_kind.name] = import_kind
    return import_kind


def kind(name: str) -> ImportKind:
    """The kind registered under ``name``, its module imported on first use; ``KeyError`` if
    none."""
    if name not in _KINDS:
        kinds.load(name)
    return _KINDS[name]


def load_kinds() -> dict[str, ImportKind]:
    """Every kind: each app names the modules that register its own when it is ready (its
    ``AppConfig.ready`` calls ``kinds.declare``); they are imported here."""
    kinds.load()
    return dict(_KINDS)


# --- Reading --------------------------------------------------------------------------------


def read_file(import_kind: ImportKind, file: Upload) -> ParsedFile:
    """The rows of the file as raw values by field; never raises for a bad file, reports it."""
    try:
        name, data = read_upload(file, import_kind.max_bytes)
    except FileError as exc:
        return ParsedFile(name="", digest="", errors=[RowError(None, "", "", exc.message)])
    return read_bytes(import_kind, name, data)


def read_bytes(import_kind: ImportKind, name: str, data: bytes) -> ParsedFile:
    parsed = ParsedFile(name=name, digest=hashlib.sha256(data).hexdigest())
    spec = import_kind.spec
    with_merged = bool(import_kind.filled_down or import_kind.merged_refused)
    reader = SheetReader(name, data, spec, with_merged=with_merged)
    try:
        table = read_table(reader, spec, max_rows=import_kind.max_rows,
                           two_line_header=import_kind.two_line_header)
    except FileError as exc:
        parsed.errors = [RowError(None, "", "", exc.message)]
        return parsed
    parsed.columns, parsed.errors, parsed.encoding = table.columns, table.errors, table.encoding
    parsed.totals_rows = table.totals_rows
    if parsed.errors:
        return parsed
    parsed.rows = [(number, {name: table.value(values, name) for name in table.index})
                   for number, values in table.rows]
    _apply_merges(import_kind, parsed, table, reader.merged)
    return parsed


def _apply_merges(import_kind: ImportKind, parsed: ParsedFile, table: Table,
                  merged: Sequence[MergedRange]) -> None:
    """Fill descriptive cells merged down a block of rows; mark merged counts (refused)."""
    if not merged or not parsed.rows:
        return
    field_at = {position + 1: name for name, position in table.index.items()}  # 1-based
    numbers = [number for number, _values in parsed.rows]
    by_number = dict(parsed.rows)
    for block in merged:
        if block.max_row <= table.header_row or (block.min_row == block.max_row
                                                 and block.min_col == block.max_col):
            continue
        first, last = bisect_left(numbers, block.min_row), bisect_right(numbers, block.max_row)
        inside = numbers[first:last]
        for column in range(block.min_col, block.max_col + 1):
            name = field_at.get(column)
            if name in import_kind.merged_refused:
                for number in inside:
                    parsed.merged.setdefault(number, {})[name] = block
            elif (name in import_kind.filled_down and column == block.min_col
                  and block.min_row in by_number and block.min_row > table.header_row):
                value = by_number[block.min_row].get(name)
                if value is None or value == "":
                    continue
                for number in inside:
                    if number != block.min_row and by_number[number].get(name) in (None, ""):
                        by_number[number][name] = value
                        parsed.filled.setdefault(number, {})[name] = block.min_row


# --- Preview and import ---------------------------------------------------------------------


def record_hidden(import_kind: ImportKind, actor: Any, plan: ImportPlan,
                  hidden: set[str]) -> None:
    """Codes that exist outside the actor's scope: an attempt to act there, so audited."""
    if actor is None or not hidden:
        return
    record_refusal(
        actor=actor, action="access.refused",
        target_label=f"{import_kind.name} import: {plan.file_name}"[:255],
        changes={"reason": f"out of scope ({import_kind.capability})", "codes": sorted(hidden),
                 "file": plan.file_name},
    )


def _no_progress(_percent: int) -> None:
    return None


def _run(import_kind: ImportKind, actor: Any, parsed: ParsedFile, choices: Choices, *,
         write: bool, progress: Progress) -> tuple[ImportPlan, set[str]]:
    plan = import_kind.new_plan(parsed.name, parsed.digest)
    plan.columns, plan.errors = parsed.columns, list(parsed.errors)
    plan.encoding, plan.totals_rows = parsed.encoding, parsed.totals_rows
    if parsed.errors:
        return plan, set()
    ctx = Context(kind=import_kind, actor=actor, parsed=parsed, plan=plan, choices=choices,
                  write=write, progress=progress)
    import_kind.run(ctx)
    return plan, ctx.hidden


def plan_parsed(import_kind: ImportKind, actor: Any, parsed: ParsedFile,
                choices: Choices | None = None, progress: Progress = _no_progress
                ) -> ImportPlan:
    """The preview: every row through the kind's checks, in a transaction rolled back. Saves
    nothing (apart from an audit event if the file names units outside the actor's scope)."""
    with transaction.atomic():
        plan, hidden = _run(import_kind, actor, parsed, choices or Choices(), write=False,
                            progress=progress)
        transaction.set_rollback(True)
    record_hidden(import_kind, actor, plan, hidden)
    return plan


def apply_parsed(import_kind: ImportKind, actor: Any, parsed: ParsedFile,
                 choices: Choices | None = None, progress: Progress = _no_progress,
                 on_success: Callable[[ImportPlan], None] | None = None) -> ImportPlan:
    """The import: the same checks, then the writes, in one transaction kept only when no row
    failed (``ImportFailed`` with every error otherwise; nothing is saved). ``on_success`` runs
    inside that transaction (a job marks itself done there)."""
    with transaction.atomic():
        plan, hidden = _run(import_kind, actor, parsed, choices or Choices(), write=True,
                            progress=progress)
        if plan.errors:
            transaction.set_rollback(True)
        elif on_success is not None:
            on_success(plan)
    record_hidden(import_kind, actor, plan, hidden)  # outside the transaction, so it is kept
    if plan.errors:
        raise ImportFailed(plan)
    return plan


def plan(import_kind: ImportKind, actor: Any, file: Upload, choices: Choices | None = None
         ) -> ImportPlan:
    return plan_parsed(import_kind, actor, read_file(import_kind, file), choices)


def apply(import_kind: ImportKind, actor: Any, file: Upload, choices: Choices | None = None
          ) -> ImportPlan:
    return apply_parsed(import_kind, actor, read_file(import_kind, file), choices)


# --- The file waiting between the preview and the import ------------------------------------
#
# The preview stores the bytes under a random name in ``MEDIA_ROOT/imports/`` (mode 0600) and
# the page carries a signed token naming that file, the person it belongs to and the digest of
# its bytes. So the person does not choose the file a second time, exactly the bytes that were
# checked are imported (the digest is verified again), a token is useless to anyone else, and
# files older than the token's life are swept away whenever a new one is stored.

TOKEN_SALT = "ctip.imports.pipeline"  # noqa: S105  (a salt, not a secret)
TOKEN_MAX_AGE = 60 * 60  # seconds between the preview and the import
PENDING_DIR = "imports"


def pending_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / PENDING_DIR


def _sweep(directory: Path) -> None:
    limit = time.time() - TOKEN_MAX_AGE - 300
    for path in [*directory.glob("*.upload"), *directory.glob("*.plan"),
                 *directory.glob("*.plan.*")]:  # and a plan whose writer stopped half-way
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < limit:
                path.unlink()


def stash(user: Any, name: str, data: bytes) -> str:
    """Keep the checked file; return the token that names it."""
    directory = pending_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    _sweep(directory)
    key = secrets.token_hex(16)
    fd = os.open(directory / f"{key}.upload", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return signing.dumps({"key": key, "user": user.pk, "name": name,
                          "digest": hashlib.sha256(data).hexdigest()}, salt=TOKEN_SALT)


def _stashed(key: str, digest: str) -> bytes | None:
    if len(key) != 32 or not key.isalnum():
        return None
    try:
        content = (pending_dir() / f"{key}.upload").read_bytes()
    except OSError:
        return None
    return content if hashlib.sha256(content).hexdigest() == digest else None


def unstash(user: Any, token: str) -> tuple[Path, SimpleUploadedFile] | None:
    """The file a token names, if the token is valid, recent and the user's own."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    key = str(data.get("key", ""))
    if data.get("user") != user.pk:
        return None
    content = _stashed(key, str(data.get("digest", "")))
    if content is None:
        return None
    return (pending_dir() / f"{key}.upload",
            SimpleUploadedFile(str(data.get("name") or "import.xlsx"), content))


# --- The preview as background work ---------------------------------------------------------
#
# The check of a file runs in the worker too: "Check the file" stores the file and creates its
# job (``previewing``); the worker reads the file, runs the kind's checks (rolled back, as in
# the request before), keeps the plan beside the file, signed with the server's key, and marks
# the job ``previewed``; the import page then shows that plan (``preview_of``). When no worker
# takes the queue, the web process runs the check itself, so a server without a worker works.
# The check writes nothing, so a worker killed during it runs it again from the start.

PLAN_SALT = "ctip.imports.pipeline.plan"


def _plan_path(key: str) -> Path:
    return pending_dir() / f"{key}.plan"


def _plan_bytes(job: ImportJob, parsed: ParsedFile, plan: ImportPlan) -> bytes:
    """The check to keep beside the file, signed: the plan to show, the file as read, so the
    import does not read the spreadsheet a second time (the slowest step of a large file),
    and the round it was made for."""
    data = pickle.dumps((parsed, plan, job.round), protocol=pickle.HIGHEST_PROTOCOL)
    signature = salted_hmac(PLAN_SALT, data, algorithm="sha256").hexdigest().encode()
    return signature + b"\n" + data


def _keep_plan(key: str, kept: bytes) -> None:
    path = _plan_path(key)
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(kept)
    os.replace(partial, path)  # whole or not at all, for the import that reads it


def _kept(job: ImportJob) -> tuple[ParsedFile, ImportPlan] | None:
    """The check the worker kept for a job's file; ``None`` if it is gone, not the one the
    server wrote (its signature is checked before it is read) or not of the job's file."""
    if len(job.stash_key) != 32 or not job.stash_key.isalnum():
        return None
    try:
        signature, _newline, data = _plan_path(job.stash_key).read_bytes().partition(b"\n")
    except OSError:
        return None
    expected = salted_hmac(PLAN_SALT, data, algorithm="sha256").hexdigest().encode()
    if not constant_time_compare(signature, expected):
        return None
    kept = pickle.loads(data)  # noqa: S301  (written by this server, its signature checked)
    if not (isinstance(kept, tuple) and len(kept) == 3 and isinstance(kept[0], ParsedFile)
            and isinstance(kept[1], ImportPlan) and kept[0].digest == job.digest
            and kept[2] == job.round):
        return None
    return kept[0], kept[1]


def preview_of(job: ImportJob) -> ImportPlan | None:
    """The plan of the check the worker kept for a job's file (``None`` if none)."""
    kept = _kept(job)
    return kept[1] if kept else None


def start_preview(import_kind: ImportKind, actor: Any, *, name: str = "", data: bytes = b"",
                  token: str = "", choices: Choices | None = None,
                  here: bool | None = None) -> ImportJob | None:
    """Check a file in the background: a new file (``name``, ``data``: stored), or the file a
    preview's ``token`` names, checked again with ``choices``. ``here``: run the check in this
    process (``None``: when no worker takes the queue). ``None`` if the token is not (or no
    longer) good, or its file is being imported."""
    if not token:
        token = stash(actor, name, data)
    pending = unstash(actor, token)
    if pending is None:
        return None
    path, upload = pending
    if here is None:
        here = not worker_running()
    if _being_imported(path.stem):
        return None  # its row is locked until the import ends: do not wait for it
    with transaction.atomic():
        found = _job_of_file(path.stem, {
                "kind": import_kind.name, "owner": actor, "file_name": upload.name or "",
                "digest": hashlib.sha256(upload.read()).hexdigest(),
                "status": ImportJob.Status.PREVIEWING, "result": {"token": token},
                "choices": (choices or Choices()).as_dict()})
        if found is None:
            return None  # its import has just started
        job, created = found
        if job.owner_id != actor.pk or job.kind != import_kind.name:
            return None
        if not created:
            if job.status == ImportJob.Status.PREVIEWING:
                return job  # its check is running: its page shows it, then offers a new one
            if job.status != ImportJob.Status.PREVIEWED:
                return None
            # a new round: a run of the earlier check still going changes nothing of this one
            _job_update(job, CHECKED, status=ImportJob.Status.PREVIEWING, round=job.round + 1,
                        progress=0, message="",
                        result={"token": token}, choices=(choices or Choices()).as_dict())
        if not here:
            # with the job: the worker sees both, or neither
            tasks.run_preview.enqueue(job.pk, job.round)
    if here:
        run_preview_job(job.pk, job.round)
    job.refresh_from_db()  # an immediate backend has already run it
    return job


def run_preview_job(job_id: int, job_round: int | None = None) -> str:
    """Check a job's file and keep the plan. Safe to run twice, and two runs at once change
    nothing of each other's: it writes nothing but the plan and the job's state, and those only
    while the job is being checked in the round the run was queued for (``core.jobstate``):
    a check that ends after the import was confirmed, or after she checked the file again
    with other choices, leaves them alone."""
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    if job.status != ImportJob.Status.PREVIEWING or not jobstate.of_round(job, job_round):
        return str(job.status)
    with translation.override(settings.LANGUAGE_CODE):
        if not _job_update(job, CHECKING, progress=5):
            return _now(job)
        data = _stashed(job.stash_key, job.digest)
        if data is None:
            _fail_job(job, CHECKING, _("The file of this import is no longer there. Choose "
                                       "it and check it again."))
            return _now(job)
        try:
            import_kind = kind(job.kind)
            pause("import.preview")
            parsed = read_bytes(import_kind, job.file_name, data)
            _job_update(job, CHECKING, progress=30)
            plan = plan_parsed(import_kind, job.owner, parsed, Choices(job.choices))
            kept = _plan_bytes(job, parsed, plan)
            with transaction.atomic():  # the plan kept only by the round's run
                if not jobstate.still(job, CHECKING):
                    return _now(job)
                _keep_plan(job.stash_key, kept)
                _job_update(job, CHECKING, status=ImportJob.Status.PREVIEWED, progress=100,
                            result={**job.result, "rows": len(plan.rows),
                                    "errors": len(plan.errors)})
        except Exception as exc:
            logger.exception("import preview %s failed", job_id)
            _fail_job(job, CHECKING, _("The check stopped (%(error)s). Nothing was "
                                       "saved.") % {
                "error": str(exc) or exc.__class__.__name__})
    return _now(job)


@on_given_up("ctip.imports.tasks.run_preview")
def _preview_given_up(args: list[Any], kwargs: dict[str, Any]) -> None:
    """The worker died under every attempt of a check, or stopped under it: say so on the
    job's page, unless the job has moved on (or into a new round) since."""
    # written only while it is pending in the task's round (``_fail_job``): if a run of it
    # holds its row, the write waits for it, then changes nothing if the run finished it
    job = jobstate.queued_for(ImportJob, args, kwargs, "job_id")
    if job is None or job.status != ImportJob.Status.PREVIEWING:
        return
    with translation.override(settings.LANGUAGE_CODE):
        _fail_job(job, CHECKING, _("The background worker stopped while checking the "
                                   "file. Nothing was saved; check the file again."))


def _being_imported(stash_key: str) -> bool:
    return ImportJob.objects.filter(stash_key=stash_key, status__in=IMPORTING).exists()


def _job_of_file(stash_key: str, defaults: dict[str, Any]) -> tuple[ImportJob, bool] | None:
    """The job of a stored file (made if there is none), its row locked to the end of the
    caller's transaction; ``None`` if an import under way holds it: the page answers at once
    instead of waiting for the whole import (``_being_imported`` is looked at first; this is
    for an import that starts between the two)."""
    try:
        with transaction.atomic():  # a savepoint: a refused lock leaves the caller's usable
            return ImportJob.objects.select_for_update(nowait=True).get_or_create(
                stash_key=stash_key, defaults=defaults)
    except OperationalError as exc:
        if not busy(exc):
            raise
        return None


# --- The import as background work ----------------------------------------------------------


def start_job(import_kind: ImportKind, actor: Any, token: str,
              choices: Choices | None = None) -> ImportJob | None:
    """Queue the import of the file a preview's token names; ``None`` if the token is not
    (or no longer) good. One job a file: a second press finds the first one's job."""
    pending = unstash(actor, token)
    if pending is None:
        return None
    path, upload = pending
    if _being_imported(path.stem):  # pressed again: its row is locked until the import ends
        job = ImportJob.objects.get(stash_key=path.stem)
        return job if job.owner_id == actor.pk and job.kind == import_kind.name else None
    with transaction.atomic():
        found = _job_of_file(path.stem, {
                "kind": import_kind.name, "owner": actor, "file_name": upload.name or "",
                "digest": hashlib.sha256(path.read_bytes()).hexdigest(),
                "choices": (choices or Choices()).as_dict()})
        if found is None:  # its import has just started
            job = ImportJob.objects.get(stash_key=path.stem)
            return job if job.owner_id == actor.pk and job.kind == import_kind.name else None
        job, created = found
        if job.owner_id != actor.pk or job.kind != import_kind.name:
            return None
        if job.status == ImportJob.Status.PREVIEWING:
            return None  # still being checked: nothing to confirm yet
        if job.status == ImportJob.Status.PREVIEWED:  # the check's job goes on as the import
            _job_update(job, CHECKED, status=ImportJob.Status.QUEUED, progress=0,
                        choices=(choices or Choices()).as_dict())
            created = True
        if created:
            # queued in the job's transaction: the worker sees both, or neither
            tasks.run_import.enqueue(job.pk, job.round)
    job.refresh_from_db()  # an immediate backend has already run it
    return job


# the states in which a run may still change its job (``core.jobstate``): the check's while
# it checks, the import's while it is queued or running
CHECKING = frozenset({ImportJob.Status.PREVIEWING})
IMPORTING = frozenset({ImportJob.Status.QUEUED, ImportJob.Status.RUNNING})
CHECKED = frozenset({ImportJob.Status.PREVIEWED})


def _job_update(job: ImportJob, states: frozenset[str], **values: Any) -> bool:
    """Change the job while it is in one of ``states``; ``False`` if another run (or the
    officer's confirmation) has moved it on since: nothing is changed then."""
    return jobstate.advance(job, states, **values)


def _now(job: ImportJob) -> str:
    """The job's status as it is now (another run may have moved it on)."""
    return str(ImportJob.objects.values_list("status", flat=True).get(pk=job.pk))


def _fail_job(job: ImportJob, states: frozenset[str], message: str,
              errors: Sequence[RowError] = ()) -> None:
    if _job_update(job, states, status=job.Status.FAILED, message=message,
                   finished_at=timezone.now(),
                   result={"errors": [str(e) for e in errors[:JOB_ERRORS_KEPT]],
                           "error_count": len(errors)}):
        key = job.stash_key
        transaction.on_commit(lambda: _remove_files(key))  # once the failure is kept


def _remove_files(key: str) -> None:
    for suffix in (".upload", ".plan"):
        with contextlib.suppress(OSError):
            (pending_dir() / f"{key}{suffix}").unlink()


JOB_ERRORS_KEPT = 200


def run_job(job_id: int, job_round: int | None = None) -> str:
    """Import a job's file. Safe to run twice (a worker killed mid-import has its task run
    again, decision 0028): the writes and the job's "done" are one transaction, so a killed
    run left nothing, and a finished job is left alone. Two runs at once (a worker thought
    dead, its task given to another) import it once: that transaction first locks the job's
    row and reads it again, so the second waits for the first and finds it finished."""
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    if job.status not in IMPORTING or not jobstate.of_round(job, job_round):
        return str(job.status)  # finished, or never confirmed
    with translation.override(settings.LANGUAGE_CODE):
        _import(job)
    return _now(job)


def _import(job: ImportJob) -> None:
    if not _job_update(job, IMPORTING, status=ImportJob.Status.RUNNING, progress=5):
        return  # another run has finished it
    data = _stashed(job.stash_key, job.digest)
    if data is None:
        _fail_job(job, IMPORTING, _("The file of this import is no longer there. Check it "
                                    "again and import it again; nothing was saved."))
        return
    try:
        import_kind = kind(job.kind)
        kept = _kept(job)  # the file as its check read it (the same bytes: digest)
        parsed = kept[0] if kept else read_bytes(import_kind, job.file_name, data)
        _job_update(job, IMPORTING, progress=30)
        pause("import.before_write")

        def done(plan: ImportPlan) -> None:
            # in the import's transaction: the job is done exactly when its rows are kept
            _job_update(job, IMPORTING, status=ImportJob.Status.DONE, progress=100,
                        finished_at=timezone.now(),
                        result={"rows": len(plan.rows),
                                "lines": list(import_kind.summary(plan))})
            pause("import.before_commit")  # the rows written, not yet committed

        with transaction.atomic():
            if not jobstate.still(job, {ImportJob.Status.RUNNING}):
                return  # another run finished it while this one read the file
            try:
                apply_parsed(import_kind, job.owner, parsed, Choices(job.choices),
                             on_success=done)
            except ImportFailed as exc:
                # its rows were rolled back; what it audited is kept, with the failure, in
                # the transaction a second run waits for: it finds the job failed
                _fail_job(job, IMPORTING, str(exc.message), exc.row_errors)
                return
    except Exception as exc:
        logger.exception("import job %s failed", job.pk)
        _fail_job(job, IMPORTING, _("The import stopped (%(error)s). Nothing was saved.") % {
            "error": str(exc) or exc.__class__.__name__})
        return
    _remove_files(job.stash_key)


@on_given_up("ctip.imports.tasks.run_import")
def _job_given_up(args: list[Any], kwargs: dict[str, Any]) -> None:
    """The worker died under every attempt, or stopped under it: say so on the job's page
    (nothing was saved: the writes and the job's "done" are one transaction)."""
    # written only while it is pending in the task's round (``_fail_job``): if a run of it
    # holds its row, the write waits for it, then changes nothing if the run finished it
    job = jobstate.queued_for(ImportJob, args, kwargs, "job_id")
    if job is None or job.finished:
        return
    with translation.override(settings.LANGUAGE_CODE):
        _fail_job(job, IMPORTING, _("The background worker stopped during the import. "
                                    "Nothing was saved; import the file again."))
