"""Importing branches (chi hội) and their groups (tổ) from an Excel (.xlsx) or CSV file.

One branch a row: the commune code, the branch name, the village and, optionally, the group
names separated by ``;``. Columns are found by their header, in any order.

``plan_import`` is the dry run: it reads and checks every row and says what would be created.
``apply_import`` checks again and, only when no row has an error, creates everything in one
transaction. A branch that already exists under the commune (same name, with or without
accents) is reused and only its missing groups are added, so importing a file twice changes
nothing the second time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ctip.accounts.policy import scope_q
from ctip.audit.actions import record
from ctip.core import exports as sheets
from ctip.core.errors import ActionError
from ctip.core.spreadsheets import (
    XLSX_CONTENT_TYPE,
    RowError,
    Upload,
    cell_text,
    clean,
    header_key,
    shorten,
)
from ctip.core.text import fold
from ctip.imports import pipeline as imports
from ctip.imports.pipeline import Context, ImportFailed, ParsedFile, code_variants, common_path
from ctip.org.models import PATH_SEPARATOR, Unit, UnitType
from ctip.org.rules import closed_message
from ctip.units.actions import create_unit

__all__ = ["KIND", "XLSX_CONTENT_TYPE", "ImportFailed", "ImportPlan", "ImportResult",
           "apply_import", "cell_text", "header_key", "plan_import", "read_file", "summary",
           "template_csv", "template_xlsx"]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_NAME_LENGTH = 200

COMMUNE = "commune_code"
BRANCH = "branch_name"
VILLAGE = "village"
GROUPS = "groups"
REQUIRED = (COMMUNE, BRANCH)

# The column names of the template. They are part of the file format, the same whatever the
# language of the interface, so they are not translated.
TEMPLATE_HEADERS: dict[str, str] = {
    COMMUNE: "Mã xã/phường",
    BRANCH: "Tên chi hội",
    VILLAGE: "Ấp/khu phố",
    GROUPS: "Các tổ (cách nhau bởi ;)",
}
TEMPLATE_EXAMPLE: dict[str, str] = {
    COMMUNE: "99999",
    BRANCH: "Chi hội ấp Bình Minh",
    VILLAGE: "Ấp Bình Minh",
    GROUPS: "Tổ phụ nữ số 1; Tổ phụ nữ số 2",
}
DATA_SHEET = "Chi hội"
GUIDE_SHEET = "Hướng dẫn"

# Header names as ``header_key`` leaves them: folded, without the part in brackets, punctuation
# turned into spaces.
HEADER_ALIASES: dict[str, frozenset[str]] = {
    COMMUNE: frozenset({
        "ma xa phuong", "ma xa", "ma phuong", "ma xa phuong dac khu", "ma xa phuong thi tran",
        "ma don vi hanh chinh", "ma hanh chinh", "ma dvhc", "ma gso", "ma xa phuong gso",
        "commune code", "ward code", "commune ward code", "gso code",
    }),
    BRANCH: frozenset({
        "ten chi hoi", "chi hoi", "ten chi hoi phu nu", "chi hoi phu nu", "branch",
        "branch name",
    }),
    VILLAGE: frozenset({
        "ap khu pho", "ap", "khu pho", "thon", "ap thon", "thon ap", "ap thon khu pho",
        "thon ap khu pho", "thon xom", "thon ban", "ban", "to dan pho", "ap khu pho thon",
        "dia ban", "village", "hamlet", "village hamlet",
    }),
    GROUPS: frozenset({
        "cac to", "to", "to hoi", "cac to hoi", "to phu nu", "cac to phu nu", "ten to",
        "ten cac to", "to hoi to phu nu", "groups", "group", "group names",
    }),
}

_GROUP_SEPARATORS = re.compile(r"[;\r\n]+")


# --- Results --------------------------------------------------------------------------------


@dataclass
class SourceRow:
    """A non-empty row of the file, its text cleaned."""

    row: int
    commune_code: str
    branch_name: str
    village: str
    groups: list[str]


@dataclass
class PlannedRow:
    source: SourceRow
    commune: Unit | None = None
    branch: Unit | None = None  # the existing branch that is reused
    new_groups: list[str] = field(default_factory=list)
    existing_groups: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    has_error: bool = False

    @property
    def row(self) -> int:
        return self.source.row

    @property
    def creates_branch(self) -> bool:
        return self.branch is None


@dataclass
class ImportPlan(imports.ImportPlan):
    """The branches and groups a file creates: ``rows`` are ``PlannedRow``."""

    branches_created: list[Unit] = field(default_factory=list)  # by the import
    groups_created: int = 0

    @property
    def to_import(self) -> int:
        return self.branches_to_create + self.groups_to_create

    @property
    def branches_to_create(self) -> int:
        return sum(1 for r in self.rows if r.creates_branch)

    @property
    def branches_reused(self) -> int:
        return sum(1 for r in self.rows if not r.creates_branch)

    @property
    def groups_to_create(self) -> int:
        return sum(len(r.new_groups) for r in self.rows)

    @property
    def groups_existing(self) -> int:
        return sum(len(r.existing_groups) for r in self.rows)


@dataclass
class ImportResult:
    file_name: str
    rows: int
    branches_created: list[Unit] = field(default_factory=list)
    branches_reused: int = 0
    groups_created: int = 0


# --- Reading the file -----------------------------------------------------------------------

def source_rows(parsed: ParsedFile) -> list[SourceRow]:
    """The rows of the file, their text cleaned."""
    rows = []
    for number, values in parsed.rows:
        def text(name: str, values: dict[str, object] = values) -> str:
            return clean(cell_text(values.get(name)))
        groups = [clean(g) for g in _GROUP_SEPARATORS.split(cell_text(values.get(GROUPS)))]
        rows.append(SourceRow(row=number, commune_code=text(COMMUNE),
                              branch_name=text(BRANCH), village=text(VILLAGE),
                              groups=[g for g in groups if g]))
    return rows


def read_file(file: Upload) -> ParsedFile:
    """Read the rows of the file; never raises for a bad file, reports it."""
    return imports.read_file(KIND, file)


# --- Checking the rows ----------------------------------------------------------------------


def _manageable(actor: Any) -> QuerySet[Unit]:
    units = Unit.objects.select_related("unit_type")
    if actor is None:  # the system itself
        return units
    return units.filter(scope_q(actor, "unit.manage"))


def _resolve_communes(actor: Any, codes: set[str]) -> tuple[dict[str, Unit], set[str]]:
    """The manageable units for each code, and the codes that exist only outside the scope."""
    variants = {v for c in codes for v in code_variants(c)}
    if not variants:
        return {}, set()
    found = list(_manageable(actor).filter(gso_code__in=variants))
    by_code = {u.gso_code: u for u in found if u.gso_code}
    by_bare = {(u.gso_code or "").lstrip("0") or "0": u for u in found}
    resolved: dict[str, Unit] = {}
    for code in codes:
        unit = by_code.get(code) or by_bare.get(code.lstrip("0") or "0")
        if unit is not None:
            resolved[code] = unit
    hidden: set[str] = set()
    unresolved = codes - set(resolved)
    if actor is not None and unresolved:
        outside = set(
            Unit.objects.filter(gso_code__in={v for c in unresolved for v in code_variants(c)})
            .exclude(pk__in=[u.pk for u in found]).values_list("gso_code", flat=True)
        )
        bare_outside = {(c or "").lstrip("0") or "0" for c in outside}
        hidden = {c for c in unresolved if (c.lstrip("0") or "0") in bare_outside}
    return resolved, hidden


def _children_by_name(parent_ids: Iterable[int]) -> dict[tuple[int, str], list[Unit]]:
    """Children of the parents, by (parent, folded name), open ones first."""
    result: dict[tuple[int, str], list[Unit]] = {}
    ids = list(parent_ids)
    if not ids:
        return result
    for child in Unit.objects.filter(parent_id__in=ids).order_by("pk"):
        assert child.parent_id is not None  # noqa: S101  (filtered on it)
        result.setdefault((child.parent_id, child.name_folded), []).append(child)
    for units in result.values():
        units.sort(key=lambda u: (not u.is_open, u.pk))
    return result


def _check(actor: Any, plan: ImportPlan, parsed: ParsedFile) -> set[str]:
    """Check every row; the rows and errors go on ``plan``. Returns the codes named that
    exist only outside the actor's scope."""
    label = {f: parsed.columns.get(f, TEMPLATE_HEADERS[f]) for f in TEMPLATE_HEADERS}
    sources = source_rows(parsed)
    codes = {r.commune_code for r in sources if r.commune_code.isdigit()}
    communes, hidden = _resolve_communes(actor, codes)
    closed_messages: dict[int, str] = {}

    def closed(unit: Unit) -> str:
        if unit.pk not in closed_messages:
            closed_messages[unit.pk] = closed_message(unit)
        return closed_messages[unit.pk]

    errors: list[RowError] = []

    def fail(planned: PlannedRow, column: str, value: str, message: str) -> None:
        planned.has_error = True
        errors.append(RowError(planned.row, label[column], shorten(value), message))

    planned_rows = [PlannedRow(source=r) for r in sources]
    for planned in planned_rows:
        src = planned.source
        code = src.commune_code
        if not code:
            fail(planned, COMMUNE, code, _(
                "The commune code is empty. If cells are merged, unmerge them and fill in the "
                "code on every row."))
        elif not code.isdigit():
            fail(planned, COMMUNE, code, _(
                "A commune code has digits only, for example 27943."))
        elif code not in communes:
            fail(planned, COMMUNE, code, _(
                "There is no commune or ward with the code %(code)s among the units you "
                "manage.") % {"code": code})
        else:
            commune = communes[code]
            if commune.unit_type.code != "commune":
                fail(planned, COMMUNE, code, _(
                    "The code %(code)s belongs to “%(name)s”, which is not a commune or "
                    "ward.") % {"code": code, "name": commune.name})
            elif not commune.is_open:
                fail(planned, COMMUNE, code, closed(commune))
            else:
                planned.commune = commune
        if not src.branch_name:
            fail(planned, BRANCH, "", _("The branch name is empty."))
        elif len(src.branch_name) > MAX_NAME_LENGTH:
            fail(planned, BRANCH, src.branch_name, _(
                "A branch name can have at most %(max)d characters; this one has %(n)d.")
                % {"max": MAX_NAME_LENGTH, "n": len(src.branch_name)})
        if len(src.village) > MAX_NAME_LENGTH:
            fail(planned, VILLAGE, src.village, _(
                "A village name can have at most %(max)d characters; this one has %(n)d.")
                % {"max": MAX_NAME_LENGTH, "n": len(src.village)})
        seen_groups: set[str] = set()
        for group in src.groups:
            key = fold(group)
            if len(group) > MAX_NAME_LENGTH:
                fail(planned, GROUPS, group, _(
                    "A group name can have at most %(max)d characters; this one has %(n)d.")
                    % {"max": MAX_NAME_LENGTH, "n": len(group)})
            elif key in seen_groups:
                fail(planned, GROUPS, group, _(
                    "The group “%(name)s” is listed twice for this branch.") % {"name": group})
            elif "," in group:
                planned.notes.append(_(
                    "“%(name)s” contains a comma; separate group names with “;”.")
                    % {"name": group})
            seen_groups.add(key)

    # The same branch twice in the file.
    first_row: dict[tuple[int, str], int] = {}
    for planned in planned_rows:
        if planned.commune is None or not planned.source.branch_name:
            continue
        branch_key = (planned.commune.pk, fold(planned.source.branch_name))
        if branch_key in first_row:
            fail(planned, BRANCH, planned.source.branch_name, _(
                "This branch is already in row %(row)d for the same commune; put all its "
                "groups on one row.") % {"row": first_row[branch_key]})
        else:
            first_row[branch_key] = planned.row

    # What exists already: reuse open branches and groups; refuse closed ones.
    branches = _children_by_name({p.commune.pk for p in planned_rows if p.commune})
    for planned in planned_rows:
        if planned.commune is None or planned.has_error:
            continue
        same = branches.get((planned.commune.pk, fold(planned.source.branch_name)), [])
        if same and same[0].is_open:
            planned.branch = same[0]
        elif same:
            fail(planned, BRANCH, planned.source.branch_name, closed(same[0]))
    groups = _children_by_name({p.branch.pk for p in planned_rows if p.branch})
    for planned in planned_rows:
        if planned.has_error:
            continue
        if planned.branch is None:
            planned.new_groups = list(planned.source.groups)
            continue
        if planned.source.village and planned.source.village != planned.branch.village:
            planned.notes.append(_(
                "The branch already exists; its village stays “%(village)s”.")
                % {"village": planned.branch.village or "—"})
        for group in planned.source.groups:
            same = groups.get((planned.branch.pk, fold(group)), [])
            if same and same[0].is_open:
                planned.existing_groups.append(group)
            elif same:
                fail(planned, GROUPS, group, closed(same[0]))
            else:
                planned.new_groups.append(group)
    errors.sort(key=lambda e: e.row or 0)  # stable: by row, then in column order found
    plan.rows = planned_rows
    plan.errors = errors
    return hidden


def _common_ancestor(units: Iterable[Unit]) -> Unit | None:
    path = common_path(units)
    if not path:
        return None
    return Unit.objects.filter(pk=int(path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR)[-1])
                               ).first()


def _unit_type(code: str) -> UnitType:
    unit_type = UnitType.objects.filter(code=code, archived=False).first()
    if unit_type is None:
        raise ActionError(_("The unit type “%(code)s” is missing or archived.") % {"code": code})
    return unit_type


def _run(ctx: Context) -> None:
    """The kind's run: check every row and, for the import (``ctx.write``) when no row failed,
    create the branches and groups through ``org.actions.create_unit`` and record one
    ``unit.branches_imported`` event, in the pipeline's transaction."""
    plan = ctx.plan
    assert isinstance(plan, ImportPlan)  # noqa: S101  (the kind's own plan)
    actor = ctx.actor
    ctx.hidden |= _check(actor, plan, ctx.parsed)
    if not ctx.write or plan.errors:
        return
    # Lock the communes, then check again: a branch created meanwhile is reused, not doubled.
    commune_ids = sorted({p.commune.pk for p in plan.rows if p.commune})
    list(Unit.objects.select_for_update().filter(pk__in=commune_ids).order_by("pk")
         .values_list("pk", flat=True))
    _check(actor, plan, ctx.parsed)
    if plan.errors:
        return
    ctx.progress(50)
    branch_type, group_type = _unit_type("branch"), _unit_type("group")
    for planned in plan.rows:
        assert planned.commune is not None  # noqa: S101  (no errors, so resolved)
        branch = planned.branch
        if branch is None:
            branch = create_unit(actor=actor, parent=planned.commune,
                                 name=planned.source.branch_name, unit_type=branch_type,
                                 village=planned.source.village)
            plan.branches_created.append(branch)
        for group in planned.new_groups:
            create_unit(actor=actor, parent=branch, name=group, unit_type=group_type)
            plan.groups_created += 1
    if plan.branches_created or plan.groups_created:
        communes = {p.commune.pk: p.commune for p in plan.rows if p.commune}
        target = _common_ancestor(communes.values())
        record(
            actor=actor, action="unit.branches_imported", target=target,
            unit_path=target.path if target else "",
            changes={
                "file": plan.file_name, "digest": plan.digest, "rows": len(plan.rows),
                "branches_created": len(plan.branches_created),
                "branches_reused": plan.branches_reused,
                "groups_created": plan.groups_created,
                "communes": sorted(c.gso_code or "" for c in communes.values()),
            },
        )


def summary(plan: ImportPlan | ImportResult) -> list[str]:
    """What a finished import says."""
    if not (plan.branches_created or plan.groups_created):
        return [_("Nothing to import: every branch and group in the file already exists.")]
    return [_("Import finished. Branches created: %(branches)d; branches already there: "
              "%(reused)d; groups created: %(groups)d.") % {
        "branches": len(plan.branches_created), "reused": plan.branches_reused,
        "groups": plan.groups_created}]


def _new_plan(file_name: str, digest: str) -> ImportPlan:
    return ImportPlan(file_name=file_name, digest=digest)


KIND = imports.register(imports.ImportKind(
    name="branches", capability="unit.manage", headers=TEMPLATE_HEADERS,
    aliases=HEADER_ALIASES, required=REQUIRED, run=_run, new_plan=_new_plan,
    max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS, summary=summary, page="org:branch_import"))


def plan_import(actor: Any, file: Upload) -> ImportPlan:
    """Read and check the file; say what an import would create (``imports.pipeline.plan``)."""
    plan = imports.plan(KIND, actor, file)
    assert isinstance(plan, ImportPlan)  # noqa: S101
    plan.branches_created, plan.groups_created = [], 0
    return plan


def apply_import(actor: Any, file: Upload) -> ImportResult:
    """Check the file again and, when no row has an error, create its branches and groups in one
    transaction. Raises ``ImportFailed`` (with every error) otherwise; nothing is saved."""
    plan = imports.apply(KIND, actor, file)
    assert isinstance(plan, ImportPlan)  # noqa: S101
    return ImportResult(file_name=plan.file_name, rows=len(plan.rows),
                        branches_created=plan.branches_created,
                        branches_reused=plan.branches_reused,
                        groups_created=plan.groups_created)


# --- The template ---------------------------------------------------------------------------


def _guide_rows() -> list[tuple[str, str, str]]:
    required, optional = _("Required"), _("Optional")
    return [
        (TEMPLATE_HEADERS[COMMUNE], required, _(
            "The administrative (GSO) code of the commune or ward the branch belongs to, for "
            "example 27943. You can only import into the communes you manage.")),
        (TEMPLATE_HEADERS[BRANCH], required, _(
            "The name of the branch, at most 200 characters. A branch that already exists in "
            "the commune (same name, with or without accents) is kept, and only its missing "
            "groups are added.")),
        (TEMPLATE_HEADERS[VILLAGE], optional, _(
            "The village, hamlet or residential group the branch covers.")),
        (TEMPLATE_HEADERS[GROUPS], optional, _(
            "The names of the groups of the branch, separated by “;”. Groups that already "
            "exist are left as they are.")),
    ]


def _guide_notes() -> list[str]:
    return [
        _("One branch a row. Keep the first row with the column names; the columns may be in "
          "any order."),
        _("Delete the example row before importing."),
        _("If any row has an error, nothing is saved: correct the rows listed and import the "
          "file again."),
        _("At most %(rows)d rows and %(mb)d MB a file.") % {
            "rows": MAX_ROWS, "mb": MAX_FILE_BYTES // (1024 * 1024)},
    ]


def template_xlsx() -> bytes:
    from openpyxl.styles import Alignment, Font  # slow to import, needed only here (0072)

    workbook = sheets.workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101  (a new workbook has one sheet)
    sheet.title = DATA_SHEET
    fields = list(TEMPLATE_HEADERS)
    sheets.append(sheet, [TEMPLATE_HEADERS[f] for f in fields])
    sheets.append(sheet, [TEMPLATE_EXAMPLE[f] for f in fields])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCD", (16, 32, 24, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.column_dimensions["A"].number_format = "@"  # codes as text: leading zeros stay
    sheet["A2"].number_format = "@"
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet(GUIDE_SHEET)
    sheets.append(guide, [_("How to fill in the import file")])
    guide["A1"].font = Font(bold=True, size=13)
    guide.append([])
    sheets.append(guide, [_("Column"), _("Required?"), _("What to enter")])
    for cell in guide[3]:
        cell.font = Font(bold=True)
    for row in _guide_rows():
        sheets.append(guide, list(row))
    guide.append([])
    for note in _guide_notes():
        sheets.append(guide, [note])
    for letter, width in zip("ABC", (28, 14, 90), strict=True):
        guide.column_dimensions[letter].width = width
    for line in guide.iter_rows(min_row=4, max_row=3 + len(TEMPLATE_HEADERS)):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    return sheets.save(workbook)


def template_csv() -> bytes:
    fields = list(TEMPLATE_HEADERS)
    return sheets.csv_bytes([[TEMPLATE_EXAMPLE[f] for f in fields]],
                            header=[TEMPLATE_HEADERS[f] for f in fields])
