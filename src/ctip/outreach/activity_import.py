"""Importing outreach activities from an Excel (.xlsx) or CSV file.

One activity a row: date, unit, format, title, women, men, total, topics, audiences, campaign,
online views and shares, materials handed out, coordinating agencies and notes. Columns are
found by their header (Vietnamese or English, with or without accents, in any order; a second
header line under a merged "Số người tham gia" is understood).

``plan_import`` is the dry run and ``apply_import`` the import. Both run the very same code,
inside one transaction: every row goes through the checks of ``outreach.actions.create_activity``
in the same order — the period lock, the actor's scope and the unit being open
(``check_can_record``), then ``validate_activity``, the function the form and the API use — so
the preview can never disagree with the rules: future dates for done activities, negative or
implausible numbers, women + men ≠ total, closed units, archived formats, campaigns the unit is
not part of... Every error is reported at once. What ``create_activity`` asks of the database
per row is asked once for the whole file: the duplicates in one look-up, the period locks in
one, the scope once per unit. The dry run stops there; the import, when no row failed, inserts
the activities with ``bulk_create`` and their topics and audiences with bulk inserts of the
link tables, in one transaction.

Duplicates (same unit, date, format and title, with or without accents) are not errors: a row
equal to an earlier row of the file, or to an activity already recorded, is flagged and skipped.

The rows are not audited one by one: the import writes one ``activity.imported`` event with
the counts, the file name and digest and the ids created. Ten thousand ``activity.created``
events would each take the audit chain's row lock and hash (tripling the work of an import) and
bury the trail; every activity still records who created it and when (``created_by``,
``created_at``), and the summary event ties them to the file.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ctip.accounts.policy import NotInScope
from ctip.audit.actions import record
from ctip.catalogues.models import Audience, Topic
from ctip.core import exports as sheets
from ctip.core.errors import ActionError
from ctip.core.periods import lock_covers, lock_message, locks_over
from ctip.core.spreadsheets import (
    XLSX_CONTENT_TYPE,
    RowError,
    Upload,
    cell_text,
    clean,
    shorten,
)
from ctip.imports import pipeline as imports
from ctip.imports.pipeline import (
    CellError,
    Choices,
    Context,
    ImportFailed,
    ParsedFile,
    choice_key,
    common_path,
    id_runs,
    parse_count,
    parse_date,
    split_list,
)
from ctip.imports.units import UnitLookup, hold, resolve_units, unknown_unit
from ctip.imports.units import fold_cached as _fold
from ctip.org import held
from ctip.org.models import PATH_SEPARATOR, Unit
from ctip.outreach.actions import check_can_record, new_activity, validate_activity
from ctip.outreach.models import Activity, Campaign, Format
from ctip.outreach.selectors import campaigns_visible_to

__all__ = ["XLSX_CONTENT_TYPE", "KIND", "ImportFailed", "ImportPlan", "ImportResult",
           "apply_import", "parse_count", "parse_date", "plan_import", "read_file",
           "template_xlsx"]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000

DATE = "date"
UNIT = "unit"
FORMAT = "format"
TITLE = "title"
WOMEN = "women"
MEN = "men"
TOTAL = "total"
TOPICS = "topics"
AUDIENCES = "audiences"
CAMPAIGN = "campaign"
VIEWS = "views"
SHARES = "shares"
MATERIALS = "materials"
AGENCIES = "agencies"
NOTES = "notes"
REQUIRED = (DATE, UNIT, FORMAT, TITLE)
COUNT_FIELDS = (WOMEN, MEN, TOTAL, VIEWS, SHARES, MATERIALS)
# A cell merged down over several rows holds for each of them (the date or the unit of a block
# of activities); a number cannot be shared that way, so a merged count is refused.
FILLED_DOWN = (DATE, UNIT, FORMAT, TITLE, TOPICS, AUDIENCES, CAMPAIGN, AGENCIES, NOTES)

# The column names of the template: part of the file format, the same in every interface
# language, so not translated.
TEMPLATE_HEADERS: dict[str, str] = {
    DATE: "Ngày (dd/mm/yyyy)",
    UNIT: "Đơn vị (mã hoặc tên)",
    FORMAT: "Hình thức",
    TITLE: "Tên hoạt động",
    WOMEN: "Số nữ",
    MEN: "Số nam",
    TOTAL: "Tổng số người tham gia",
    TOPICS: "Chủ đề (cách nhau bởi ;)",
    AUDIENCES: "Đối tượng (cách nhau bởi ;)",
    CAMPAIGN: "Kế hoạch, đợt cao điểm",
    VIEWS: "Lượt xem",
    SHARES: "Lượt chia sẻ",
    MATERIALS: "Tài liệu phát ra",
    AGENCIES: "Cơ quan phối hợp",
    NOTES: "Ghi chú",
}
DATA_SHEET = "Hoạt động"
GUIDE_SHEET = "Hướng dẫn"
EXAMPLE_UNIT_CODE = "99999"  # no unit has it: a forgotten example row is refused

HEADER_ALIASES: dict[str, frozenset[str]] = {
    DATE: frozenset({"ngay", "ngay thang", "ngay thang nam", "ngay thuc hien", "ngay to chuc",
                     "thoi gian", "thoi gian thuc hien", "thoi gian to chuc", "date"}),
    UNIT: frozenset({"don vi", "ma don vi", "ten don vi", "don vi thuc hien", "don vi to chuc",
                     "co so hoi", "chi hoi", "xa phuong", "ma xa phuong", "ma xa", "unit",
                     "unit code", "unit name"}),
    FORMAT: frozenset({"hinh thuc", "hinh thuc tuyen truyen", "hinh thuc hoat dong",
                       "loai hinh", "format"}),
    TITLE: frozenset({"ten hoat dong", "hoat dong", "noi dung", "noi dung hoat dong",
                      "noi dung tuyen truyen", "tieu de", "ten buoi", "title", "activity"}),
    WOMEN: frozenset({"nu", "so nu", "nu gioi", "so nguoi nu", "so luot nu", "women",
                      "female"}),
    MEN: frozenset({"nam", "so nam", "nam gioi", "so nguoi nam", "so luot nam", "men",
                    "male"}),
    TOTAL: frozenset({"tong", "tong so", "tong so nguoi", "tong so nguoi tham gia",
                      "tong so nguoi tham du", "so nguoi tham gia", "so nguoi tham du",
                      "so luot nguoi", "so luot nguoi tham gia", "tong cong", "participants",
                      "total", "total participants"}),
    TOPICS: frozenset({"chu de", "cac chu de", "chu de tuyen truyen", "topics", "topic"}),
    AUDIENCES: frozenset({"doi tuong", "cac doi tuong", "doi tuong tham gia",
                          "doi tuong tuyen truyen", "audiences", "audience"}),
    CAMPAIGN: frozenset({"ke hoach", "ke hoach dot cao diem", "dot cao diem", "chien dich",
                         "thuoc ke hoach", "campaign"}),
    VIEWS: frozenset({"luot xem", "so luot xem", "views", "online views"}),
    SHARES: frozenset({"luot chia se", "so luot chia se", "shares", "online shares"}),
    MATERIALS: frozenset({"tai lieu phat ra", "so tai lieu phat ra", "tai lieu",
                          "so tai lieu", "to roi", "so to roi", "tai lieu to roi",
                          "materials", "materials handed out"}),
    AGENCIES: frozenset({"co quan phoi hop", "don vi phoi hop", "phoi hop",
                         "coordinating agencies", "partners"}),
    NOTES: frozenset({"ghi chu", "notes", "note"}),
}

# The fields of ``ActionError`` raised by ``create_activity``, as columns of the file.
_ACTION_FIELDS = {
    "date": DATE, "format": FORMAT, "title": TITLE, "campaign": CAMPAIGN,
    "participants_women": WOMEN, "participants_men": MEN, "participants_total": TOTAL,
    "online_views": VIEWS, "online_shares": SHARES, "materials_handed_out": MATERIALS,
    "coordinating_agencies": AGENCIES, "notes": NOTES,
}

OK, DUPLICATE, ERROR = "ok", "duplicate", "error"


# --- Results --------------------------------------------------------------------------------


@dataclass
class PlannedRow:
    """A row of the file: its cells as written, what they resolved to, and the outcome."""

    row: int
    cells: dict[str, str]
    date: dt.date | None = None
    unit: Unit | None = None
    fmt: Format | None = None
    title: str = ""
    counts: dict[str, int | None] = field(default_factory=dict)
    topics: list[Topic] = field(default_factory=list)
    audiences: list[Audience] = field(default_factory=list)
    campaign: Campaign | None = None
    status: str = OK
    duplicate_of: int | None = None  # the earlier row of the file it repeats
    existing_id: int | None = None  # the activity already recorded that it repeats
    participants: int | None = None  # as the action computed it
    errors: list[RowError] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    @property
    def has_error(self) -> bool:
        return self.status == ERROR

    @property
    def is_duplicate(self) -> bool:
        return self.status == DUPLICATE

    @property
    def key(self) -> tuple[int, dt.date, int, str] | None:
        if self.unit is None or self.date is None or self.fmt is None:
            return None
        return self.unit.pk, self.date, self.fmt.pk, _fold(self.title)


@dataclass
class ImportPlan(imports.ImportPlan):
    """The activities a file records: ``rows`` are ``PlannedRow``."""

    created_ids: list[int] = field(default_factory=list)

    @property
    def to_import(self) -> int:
        return sum(1 for r in self.rows if r.status == OK)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.rows if r.status == DUPLICATE)

    @property
    def duplicates_in_file(self) -> int:
        return sum(1 for r in self.rows if r.status == DUPLICATE and r.duplicate_of)

    @property
    def duplicates_existing(self) -> int:
        return sum(1 for r in self.rows if r.status == DUPLICATE and r.existing_id)


@dataclass
class ImportResult:
    file_name: str
    rows: int
    imported: int
    duplicates: int
    created_ids: list[int] = field(default_factory=list)


# --- Reading cells --------------------------------------------------------------------------

_CellError = CellError  # the name the tests knew

def _by_folded(entries: Iterable[Any], *, codes: bool) -> dict[str, list[Any]]:
    result: dict[str, list[Any]] = {}
    for entry in entries:
        keys = {_fold(entry.name)}
        if codes:
            keys.add(_fold(entry.code))
        for key in keys:
            result.setdefault(key, []).append(entry)
    return result


def _ancestor_paths(path: str) -> list[str]:
    parts = path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR)
    return [f"/{'/'.join(parts[:i])}/" for i in range(1, len(parts) + 1)]


def _pick_campaign(candidates: list[Campaign], unit: Unit, date: dt.date | None
                   ) -> list[Campaign]:
    """The campaigns of that name the unit takes part in; if several, those running on the
    date; if still several, those not archived."""
    matches = [c for c in candidates if unit.path.startswith(c.unit_path)]
    if len(matches) > 1 and date is not None:
        running = [c for c in matches if c.starts_on <= date <= c.ends_on]
        matches = running or matches
    if len(matches) > 1:
        current = [c for c in matches if not c.archived]
        matches = current or matches
    return matches


# --- Checking and creating ------------------------------------------------------------------


@dataclass
class _Context:
    actor: Any
    parsed: ParsedFile
    plan: ImportPlan
    units: UnitLookup
    choices: Choices
    write: bool = False  # the import itself, not its check


def _label(plan: ImportPlan, name: str) -> str:
    return plan.columns.get(name, TEMPLATE_HEADERS[name])


def _fail(plan: ImportPlan, planned: PlannedRow, name: str | None, message: str) -> None:
    planned.status = ERROR
    column = _label(plan, name) if name else ""
    value = shorten(planned.cells.get(name, "")) if name else ""
    planned.errors.append(RowError(planned.row, column, value, message))


def _read_rows(ctx: _Context) -> list[PlannedRow]:
    """Parse the cells of every row and resolve units, formats, topics, audiences, campaigns.
    Row errors are noted on the rows; nothing is written."""
    plan, parsed = ctx.plan, ctx.parsed
    rows: list[PlannedRow] = []
    for number, values in parsed.rows:
        cells = {name: cell_text(value).strip() if name == NOTES else clean(cell_text(value))
                 for name, value in values.items()}
        planned = PlannedRow(row=number, cells=cells)
        for name, source in sorted(parsed.filled.get(number, {}).items()):
            planned.remarks.append(_("“%(column)s” taken from row %(row)d (merged cells).")
                                   % {"column": _label(plan, name), "row": source})
        try:
            planned.date = parse_date(values.get(DATE))
            if isinstance(values.get(DATE), dt.date) and planned.date is not None:
                cells[DATE] = planned.date.strftime("%d/%m/%Y")  # not "2026-07-17 00:00:00"
            if planned.date is None:
                _fail(plan, planned, DATE, _("The date is empty."))
        except _CellError as exc:
            _fail(plan, planned, DATE, exc.message)
        for name in COUNT_FIELDS:
            block = parsed.merged.get(number, {}).get(name)
            if block is not None:
                _fail(plan, planned, name, _(
                    "This number is in merged cells (%(cells)s). A number cannot be shared "
                    "between rows or columns: unmerge the cells and give each row its own "
                    "number.") % {"cells": block.ref})
                continue
            try:
                planned.counts[name] = parse_count(values.get(name))
            except _CellError as exc:
                _fail(plan, planned, name, exc.message)
        planned.title = cells.get(TITLE, "")
        if not planned.title:
            _fail(plan, planned, TITLE, _("The title is empty."))
        rows.append(planned)

    unit_texts = {r.cells.get(UNIT, "") for r in rows} - {""}
    ctx.units = resolve_units(ctx.actor, unit_texts, ctx.choices)
    if ctx.write:
        # Two imports of the same file at once would each find no duplicate: the second waits
        # here for the first (PostgreSQL; SQLite writes one transaction at a time anyway).
        # Held before anything is looked up from their paths: a unit moved since it was read
        # takes part in the campaigns of the place it is now (decision 0102).
        hold(ctx.units, ctx.actor)
    for planned in rows:  # in the order of the file: the first row's spelling is shown
        ambiguity = ctx.units.ambiguous.get(planned.cells.get(UNIT, ""))
        if ambiguity is not None:
            # the same value written with and without accents is one choice
            kept = ctx.plan.ambiguities.setdefault(choice_key(ambiguity.value), ambiguity)
            kept.rows.append(planned.row)
    formats = _by_folded(Format.objects.all(), codes=True)
    topics = _by_folded(Topic.objects.all(), codes=False)
    audiences = _by_folded(Audience.objects.all(), codes=True)
    paths = {p for u in ctx.units.units.values() for p in _ancestor_paths(u.path)}
    campaigns = _by_folded(Campaign.objects.filter(unit_path__in=paths), codes=False)

    for planned in rows:
        cells = planned.cells
        text = cells.get(UNIT, "")
        if not text:
            _fail(plan, planned, UNIT, _(
                "The unit is empty. If cells are merged, unmerge them and fill in the unit on "
                "every row."))
        elif text in ctx.units.units:
            planned.unit = ctx.units.units[text]
        else:
            _fail(plan, planned, UNIT, ctx.units.errors.get(text) or unknown_unit(text))

        text = cells.get(FORMAT, "")
        found = formats.get(_fold(text), []) if text else []
        if not text:
            _fail(plan, planned, FORMAT, _("The format is empty."))
        elif len(found) == 1:
            planned.fmt = found[0]
        else:
            _fail(plan, planned, FORMAT, _(
                "“%(value)s” is not a format of the catalogue. The formats are listed on the "
                "sheet “%(sheet)s” of the template.") % {"value": text, "sheet": GUIDE_SHEET})

        for name, catalogue, target, what in (
                (TOPICS, topics, planned.topics, _("topic")),
                (AUDIENCES, audiences, planned.audiences, _("audience"))):
            for item in split_list(cells.get(name, "")):
                entries = catalogue.get(_fold(item), [])
                if len(entries) != 1:
                    _fail(plan, planned, name, _(
                        "“%(value)s” is not a %(what)s of the catalogue.")
                        % {"value": item, "what": what})
                elif entries[0].archived:
                    _fail(plan, planned, name, _("The %(what)s “%(value)s” is archived.")
                          % {"value": entries[0].name, "what": what})
                elif entries[0] not in target:
                    target.append(entries[0])

        text = cells.get(CAMPAIGN, "")
        if text and planned.unit is not None:
            matches = _pick_campaign(campaigns.get(_fold(text), []), planned.unit,
                                     planned.date)
            if len(matches) == 1:
                planned.campaign = matches[0]
            elif matches:
                _fail(plan, planned, CAMPAIGN, _(
                    "Several campaigns are called “%(value)s” and none is clearly the one "
                    "running on that date.") % {"value": text})
            else:
                _fail(plan, planned, CAMPAIGN, _(
                    "There is no campaign “%(value)s” that %(unit)s takes part in.")
                    % {"value": text, "unit": planned.unit.name})
    return rows


Key = tuple[int, dt.date, int, str]
LOOKUP_CHUNK: int | None = None  # keys a query; None: as many as the database takes


def _existing_activities(keys: set[Key]) -> dict[Key, int]:
    """The activities already recorded with these (unit, date, format, folded title), in a few
    queries for the whole file (one on PostgreSQL; SQLite takes at most 999 parameters a
    statement, so there the keys go in sorted chunks)."""
    if not keys:
        return {}
    limit = connection.features.max_query_params
    size = LOOKUP_CHUNK or (max(limit // 3 - 1, 1) if limit else len(keys))
    ordered = sorted(keys)
    found: dict[Key, int] = {}
    for first in range(0, len(ordered), size):
        chunk = ordered[first:first + size]
        query = (Activity.objects.filter(
            unit_id__in={k[0] for k in chunk}, date__in={k[1] for k in chunk},
            title_folded__in={k[3] for k in chunk})
            .order_by("pk").values_list("unit_id", "date", "format_id", "title_folded", "pk"))
        for unit_id, date, format_id, title_folded, pk in query:
            key = (unit_id, date, format_id, title_folded)
            if key in keys:
                found[key] = pk  # the newest, as ``find_duplicate`` would name
    return found


class _Locks:
    """The active period locks over the file's units and dates, read once; then checked per
    (unit, date) in memory, with ``ensure_not_locked``'s message."""

    def __init__(self, units: Iterable[Unit], dates: Iterable[dt.date]) -> None:
        units, dates = list(units), list(dates)
        self.locks: list[Any] = []
        self.seen: dict[tuple[str, dt.date], str | None] = {}
        if units and dates:
            self.locks = locks_over((u.path for u in units), min(dates), max(dates))

    def message(self, unit: Unit, date: dt.date) -> str | None:
        if not self.locks:
            return None
        key = (unit.path, date)
        if key not in self.seen:
            lock = next((lock for lock in self.locks if lock_covers(lock, unit.path)
                         and lock.start <= date <= lock.end), None)
            self.seen[key] = lock_message(lock) if lock is not None else None
        return self.seen[key]


def _unit_refusal(actor: Any, unit: Unit, cache: dict[int, tuple[str | None, str] | None],
                  cells: dict[str, str]) -> tuple[str | None, str] | None:
    """(column, message) if ``actor`` cannot record at ``unit``, checked once per unit."""
    if unit.pk not in cache:
        try:
            check_can_record(actor, unit)
        except NotInScope:
            cache[unit.pk] = (UNIT, unknown_unit(cells.get(UNIT, unit.name)))
        except ActionError as exc:
            cache[unit.pk] = (_ACTION_FIELDS.get(exc.field or ""), exc.message)
        else:
            cache[unit.pk] = None
    return cache[unit.pk]


def _values(planned: PlannedRow) -> dict[str, Any]:
    counts = planned.counts
    return {
        "date": planned.date, "status": Activity.Status.DONE, "title": planned.title,
        "format": planned.fmt, "campaign": planned.campaign, "movement": None, "club": None,
        "participants_women": counts.get(WOMEN), "participants_men": counts.get(MEN),
        "participants_total": counts.get(TOTAL), "online_views": counts.get(VIEWS) or 0,
        "online_shares": counts.get(SHARES) or 0,
        "materials_handed_out": counts.get(MATERIALS) or 0,
        "coordinating_agencies": planned.cells.get(AGENCIES, ""),
        "notes": planned.cells.get(NOTES, ""),
    }


def _check(ctx: _Context, rows: list[PlannedRow]) -> list[tuple[PlannedRow, Activity]]:
    """Put every row through the checks of ``create_activity``, in its order (period lock,
    scope, open unit, ``validate_activity``), with the queries done once for the whole file:
    the duplicates in one look-up, the locks in one, the scope once per unit. A duplicate,
    of an earlier row or of an activity already recorded, is flagged and skipped, not refused
    (it needs no correcting). Returns the rows to create with their unsaved activities."""
    plan = ctx.plan
    first_row: dict[Key, int] = {}
    candidates: list[PlannedRow] = []
    for planned in rows:
        key = planned.key
        if planned.status == ERROR:
            if key is not None and planned.title:
                first_row.setdefault(key, planned.row)
            continue
        if key in first_row:
            planned.status = DUPLICATE
            planned.duplicate_of = first_row[key]
            continue
        assert key is not None  # noqa: S101  (no error: unit, date and format resolved)
        first_row[key] = planned.row
        candidates.append(planned)

    existing = _existing_activities({k for r in candidates if (k := r.key) is not None})
    locks = _Locks({r.unit.pk: r.unit for r in candidates if r.unit}.values(),
                   {r.date for r in candidates if r.date})
    refusals: dict[int, tuple[str | None, str] | None] = {}
    today = timezone.localdate()
    checked: list[tuple[PlannedRow, Activity]] = []
    for planned in candidates:
        key = planned.key
        assert key and planned.unit and planned.fmt and planned.date  # noqa: S101
        duplicate_of = existing.get(key)
        if duplicate_of is not None:
            planned.status = DUPLICATE
            planned.existing_id = duplicate_of
            continue
        locked = locks.message(planned.unit, planned.date)
        if locked is not None:
            _fail(plan, planned, DATE, locked)
            continue
        refusal = _unit_refusal(ctx.actor, planned.unit, refusals, planned.cells)
        if refusal is not None:
            _fail(plan, planned, *refusal)
            continue
        try:
            values = validate_activity(_values(planned), planned.unit, today=today)
        except ActionError as exc:
            for field, message in exc.errors:  # every rule the row breaks, each in its column
                _fail(plan, planned, _ACTION_FIELDS.get(field or ""), str(message))
            continue
        planned.participants = values["participants_total"]
        checked.append((planned, new_activity(actor=ctx.actor, unit=planned.unit,
                                              values=values, title_folded=key[3])))
    return checked


def _insert_links(name: str, pairs: list[tuple[int, int]]) -> None:
    """Rows of the link table of ``Activity.<name>`` (activity id, other id), in one
    ``executemany``: tens of thousands of through-model instances would cost more than the
    activities themselves."""
    if not pairs:
        return
    through = Activity._meta.get_field(name).remote_field.through  # type: ignore[union-attr]
    meta, quote = through._meta, connection.ops.quote_name
    target = Activity._meta.get_field(name).related_model._meta.model_name  # type: ignore[union-attr]
    columns = (meta.get_field("activity").column, meta.get_field(target).column)
    sql = (f"INSERT INTO {quote(meta.db_table)} ({quote(columns[0])}, {quote(columns[1])}) "  # noqa: S608  (names from the model, quoted)
           "VALUES (%s, %s)")
    with connection.cursor() as cursor:
        cursor.executemany(sql, pairs)


def _insert(checked: list[tuple[PlannedRow, Activity]]) -> None:
    """Insert the activities with ``bulk_create`` and their topics and audiences with bulk
    inserts of the link tables, in the caller's transaction."""
    # ``bulk_create`` sends no signal: the paths are checked here (``org.held``)
    held.check_rows(activity for _row, activity in checked)
    activities = Activity.objects.bulk_create([activity for _row, activity in checked])
    pairs = list(zip((r for r, _a in checked), activities, strict=True))
    _insert_links("topics", [(a.pk, t.pk) for r, a in pairs for t in r.topics])
    _insert_links("audiences", [(a.pk, x.pk) for r, a in pairs for x in r.audiences])


def _insert_one_by_one(plan: ImportPlan, checked: list[tuple[PlannedRow, Activity]]) -> None:
    """After the database refused the bulk insert: each row in its own savepoint, to name the
    rows it refuses (a value the checks let through; should not happen)."""
    for planned, activity in checked:
        try:
            with transaction.atomic():
                activity.pk = None
                activity.save(force_insert=True)
                if planned.topics:
                    activity.topics.add(*planned.topics)
                if planned.audiences:
                    activity.audiences.add(*planned.audiences)
        except DatabaseError as exc:
            logger.info("activity import row %d refused by the database: %r", planned.row, exc)
            _fail(plan, planned, None, _("This row could not be saved; check its numbers."))


def _create(ctx: _Context, rows: list[PlannedRow], *, insert: bool) -> None:
    """Check every row that has no error and is not a duplicate; then, for the import and if
    no row failed, create the activities.

    The dry run stops after the checks: they are every rule the database enforces as well
    (lengths, counts within the columns' range, women + men = total, existing catalogue
    entries), so inserting 10,000 rows only to roll them back (the index updates of a large
    table, twice) would tell nothing more. Should the database still refuse the bulk insert,
    the rows are inserted one by one to name the rows it refuses."""
    checked = _check(ctx, rows)
    if not insert or not checked or any(r.status == ERROR for r in rows):
        return
    try:
        with transaction.atomic():
            _insert(checked)
    except DatabaseError as exc:
        logger.info("activity import: bulk insert refused (%r); inserting row by row", exc)
        _insert_one_by_one(ctx.plan, checked)
    ctx.plan.created_ids = [a.pk for r, a in checked if r.status == OK and a.pk is not None]


def _run(outer: Context) -> None:
    """The kind's run: check every row and, for the import (``outer.write``), create the
    activities and record one ``activity.imported`` event, in the pipeline's transaction."""
    plan = outer.plan
    assert isinstance(plan, ImportPlan)  # noqa: S101  (the kind's own plan)
    ctx = _Context(actor=outer.actor, parsed=outer.parsed, plan=plan, units=UnitLookup(),
                   choices=outer.choices, write=outer.write)
    rows = _read_rows(ctx)
    outer.progress(40)
    _create(ctx, rows, insert=outer.write)
    outer.progress(90)
    plan.rows = rows
    plan.errors = [e for r in rows for e in r.errors]
    outer.hidden |= ctx.units.hidden
    if outer.write and not plan.errors and plan.created_ids:
        _record_import(outer.actor, plan)


def _record_import(actor: Any, plan: ImportPlan) -> None:
    units = {r.unit.pk: r.unit for r in plan.rows if r.status == OK and r.unit}
    path = common_path(units.values())
    target = Unit.objects.filter(path=path).first() if path else None
    dates = [r.date for r in plan.rows if r.status == OK and r.date]
    record(actor=actor, action="activity.imported", target=target,
           target_label=plan.file_name if target is None else None,
           unit_path=path, changes={
               "file": plan.file_name, "digest": plan.digest, "rows": len(plan.rows),
               "imported": len(plan.created_ids),
               "duplicates_in_file": plan.duplicates_in_file,
               "duplicates_existing": plan.duplicates_existing,
               "units": len(units), "dates": [min(dates), max(dates)],
               "ids": id_runs(plan.created_ids),
               "choices": {a.value: a.chosen for a in plan.ambiguities.values() if a.chosen},
           })


def _summary(plan: ImportPlan) -> list[str]:
    """What a finished import says (on the job's page and in the messages)."""
    lines = [ngettext("%(n)d activity imported from “%(file)s”.",
                      "%(n)d activities imported from “%(file)s”.", len(plan.created_ids))
             % {"n": len(plan.created_ids), "file": plan.file_name}
             if plan.created_ids else
             _("Nothing was imported: every row of “%(file)s” is already recorded.")
             % {"file": plan.file_name}]
    if plan.duplicates:
        lines.append(ngettext("%(n)d duplicate row skipped.", "%(n)d duplicate rows skipped.",
                              plan.duplicates) % {"n": plan.duplicates})
    return lines


def _new_plan(file_name: str, digest: str) -> ImportPlan:
    return ImportPlan(file_name=file_name, digest=digest)


KIND = imports.register(imports.ImportKind(
    name="activities", capability="activity.manage", headers=TEMPLATE_HEADERS,
    aliases=HEADER_ALIASES, required=REQUIRED, run=_run, new_plan=_new_plan,
    max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS, two_line_header=True,
    filled_down=frozenset(FILLED_DOWN), merged_refused=frozenset(COUNT_FIELDS),
    summary=_summary, page="outreach:activity_import"))


def read_file(file: Upload) -> ParsedFile:
    """The rows of the file as raw values by field; never raises for a bad file, reports it."""
    return imports.read_file(KIND, file)


def plan_import(actor: Any, file: Upload, choices: Choices | None = None) -> ImportPlan:
    """The dry run (``imports.pipeline.plan``): every row through the checks of the import, in a
    transaction rolled back."""
    plan = imports.plan(KIND, actor, file, choices)
    assert isinstance(plan, ImportPlan)  # noqa: S101
    plan.created_ids = []
    return plan


def result_of(plan: ImportPlan) -> ImportResult:
    return ImportResult(file_name=plan.file_name, rows=len(plan.rows),
                        imported=len(plan.created_ids), duplicates=plan.duplicates,
                        created_ids=plan.created_ids)


def apply_import(actor: Any, file: Upload, choices: Choices | None = None) -> ImportResult:
    """Check the file again and create its activities in one transaction, skipping the
    duplicates. Raises ``ImportFailed`` (with every error) if any row fails; nothing is saved
    then."""
    try:
        plan = imports.apply(KIND, actor, file, choices)
    except ImportFailed as exc:
        assert isinstance(exc.plan, ImportPlan)  # noqa: S101
        exc.plan.created_ids = []
        raise
    assert isinstance(plan, ImportPlan)  # noqa: S101
    return result_of(plan)


# --- The template ---------------------------------------------------------------------------


def _guide_columns() -> list[tuple[str, str, str]]:
    required, optional = _("Required"), _("Optional")
    return [
        (TEMPLATE_HEADERS[DATE], required, _(
            "The day the activity took place, as a date cell or as text dd/mm/yyyy (for "
            "example 17/07/2026). Activities are imported as done, so the date cannot be in "
            "the future.")),
        (TEMPLATE_HEADERS[UNIT], required, _(
            "The administrative code of the commune or ward (for example 27943), or the exact "
            "name of the unit (for example Chi hội ấp Mỹ Lộc). When several units have the "
            "same name, write the unit above it first: Xã Đức Hòa / Chi hội ấp Mỹ Lộc. Only "
            "the units where you record activities can be used.")),
        (TEMPLATE_HEADERS[FORMAT], required, _(
            "A format from the list below, by name or code, with or without accents.")),
        (TEMPLATE_HEADERS[TITLE], required, _("The title of the activity (300 characters at "
                                              "most).")),
        (TEMPLATE_HEADERS[WOMEN], optional, _("The number of women who took part.")),
        (TEMPLATE_HEADERS[MEN], optional, _("The number of men who took part.")),
        (TEMPLATE_HEADERS[TOTAL], optional, _(
            "The number of participants. When women and men are given, it must be their sum "
            "(leave it empty and it is computed).")),
        (TEMPLATE_HEADERS[TOPICS], optional, _(
            "Topics from the list below, separated by “;”.")),
        (TEMPLATE_HEADERS[AUDIENCES], optional, _(
            "Audiences from the list below, separated by “;”.")),
        (TEMPLATE_HEADERS[CAMPAIGN], optional, _(
            "The name of the campaign or peak period the activity belongs to, among those of "
            "the unit or of the units above it.")),
        (TEMPLATE_HEADERS[VIEWS], optional, _("For online formats: the number of views.")),
        (TEMPLATE_HEADERS[SHARES], optional, _("For online formats: the number of shares.")),
        (TEMPLATE_HEADERS[MATERIALS], optional, _("The number of leaflets or documents "
                                                  "handed out.")),
        (TEMPLATE_HEADERS[AGENCIES], optional, _("The agencies that took part (police, "
                                                 "border guard, justice...).")),
        (TEMPLATE_HEADERS[NOTES], optional, _("Anything else worth keeping.")),
    ]


def _guide_notes() -> list[str]:
    return [
        _("One activity a row. Keep the row with the column names; the columns may be in any "
          "order, and columns the import does not know are ignored."),
        _("Replace the example row before importing: its unit code does not exist."),
        _("An activity already recorded (same unit, date, format and title) is not imported "
          "twice: the check shows it as a duplicate and the import skips it."),
        _("If any row has an error, nothing is saved: correct the rows listed and import the "
          "file again."),
        _("At most %(rows)d rows and %(mb)d MB a file.") % {
            "rows": MAX_ROWS, "mb": MAX_FILE_BYTES // (1024 * 1024)},
    ]


def template_xlsx(actor: Any = None) -> bytes:
    """The template: the header (frozen), an example row, and a guide sheet listing the
    current formats, audiences, topics and the campaigns the actor may use."""
    # slow to import, needed only for a workbook (decision 0072)
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    bold = Font(bold=True)
    formats = list(Format.objects.filter(archived=False).order_by("order", "name"))
    audiences = list(Audience.objects.filter(archived=False).order_by("order", "name"))
    topics = list(Topic.objects.filter(archived=False).order_by("kind", "name"))
    campaigns = []
    if actor is not None:
        since = timezone.localdate() - dt.timedelta(days=366)
        campaigns = list(campaigns_visible_to(actor).filter(archived=False, ends_on__gte=since)
                         .order_by("-starts_on", "name")[:50])

    workbook = sheets.workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101  (a new workbook has one sheet)
    sheet.title = DATA_SHEET
    fields = list(TEMPLATE_HEADERS)
    sheets.append(sheet, [TEMPLATE_HEADERS[f] for f in fields])
    example = {
        DATE: timezone.localdate(), UNIT: EXAMPLE_UNIT_CODE,
        FORMAT: formats[0].name if formats else "",
        TITLE: "Sinh hoạt chuyên đề phòng, chống mua bán người", WOMEN: 30, MEN: 5, TOTAL: 35,
        TOPICS: "; ".join(t.name for t in topics[:2]),
        AUDIENCES: "; ".join(a.name for a in audiences[:2]), CAMPAIGN: "", VIEWS: None,
        SHARES: None, MATERIALS: 40, AGENCIES: "Công an xã", NOTES: "",
    }
    sheets.append(sheet, [example[f] for f in fields])
    widths = {DATE: 16, UNIT: 28, FORMAT: 30, TITLE: 45, TOPICS: 36, AUDIENCES: 30,
              CAMPAIGN: 30, AGENCIES: 26, NOTES: 36}
    for position, name in enumerate(fields, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = widths.get(name, 12)
        sheet.cell(row=1, column=position).font = bold
        sheet.cell(row=1, column=position).alignment = Alignment(wrap_text=True,
                                                                 vertical="top")
    date_letter = get_column_letter(fields.index(DATE) + 1)
    unit_letter = get_column_letter(fields.index(UNIT) + 1)
    sheet[f"{date_letter}2"].number_format = "DD/MM/YYYY"
    sheet[f"{unit_letter}2"].number_format = "@"  # codes as text: leading zeros stay
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet(GUIDE_SHEET)
    sheets.append(guide, [_("How to fill in the import file")])
    guide["A1"].font = Font(bold=True, size=13)
    guide.append([])
    sheets.append(guide, [_("Column"), _("Required?"), _("What to enter")])
    for cell in guide[3]:
        cell.font = bold
    for row in _guide_columns():
        sheets.append(guide, list(row))
    for line in guide.iter_rows(min_row=4, max_row=guide.max_row):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide.append([])
    for note in _guide_notes():
        sheets.append(guide, [note])

    def section(title: str, header: list[str], rows: list[list[Any]]) -> tuple[int, int]:
        guide.append([])
        sheets.append(guide, [title])
        guide.cell(row=guide.max_row, column=1).font = Font(bold=True, size=12)
        sheets.append(guide, header)
        for cell in guide[guide.max_row]:
            cell.font = bold
        first = guide.max_row + 1
        for row in rows:
            sheets.append(guide, row)
        return first, guide.max_row

    first, last = section(_("Formats"), [_("Name"), _("Code"), _("Counted as")], [
        [f.name, f.code, _("online: views and shares") if f.is_online
         else _("gathering: participants") if f.is_meeting else _("broadcast or print")]
        for f in formats])
    if formats:
        format_letter = get_column_letter(fields.index(FORMAT) + 1)
        choices = DataValidation(type="list", formula1=f"='{GUIDE_SHEET}'!$A${first}:$A${last}",
                                 allow_blank=True, showErrorMessage=False)
        sheet.add_data_validation(choices)
        choices.add(f"{format_letter}2:{format_letter}{MAX_ROWS + 1}")
    section(_("Audiences"), [_("Name"), _("Code")], [[a.name, a.code] for a in audiences])
    section(_("Topics"), [_("Name"), _("Kind")],
            [[t.name, t.get_kind_display()] for t in topics])
    if campaigns:
        section(_("Campaigns"), [_("Name"), _("From"), _("To"), _("Issued by")],
                [[c.name, c.starts_on.strftime("%d/%m/%Y"), c.ends_on.strftime("%d/%m/%Y"),
                  c.unit.name] for c in campaigns])
    for letter, width in zip("ABCD", (34, 22, 90, 24), strict=True):
        guide.column_dimensions[letter].width = width
    return sheets.save(workbook)

