"""Importing club member lists from a file: a kind of the import pipeline (``imports.pipeline``).

One member a row: the unit (code or name, as in the activity import, old addresses included),
the club's name, the member's full name and, optionally, her role in the club and the day she
joined. Every row goes through ``community.actions.add_member`` — the scope, the open unit, the
dissolved club, the lengths, the joining date, the list's limit, its audit event — in the
preview too (its transaction is rolled back), so the preview cannot disagree with the form. A
member already on the club's list (same name and role, with or without accents), or on an
earlier row of the file, is shown as such and skipped: importing a file twice adds nothing the
second time. The list holds names only, and the audit keeps no names (``add_member``).
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ctip.audit.actions import record
from ctip.community.actions import add_member
from ctip.community.models import Club
from ctip.core.errors import ActionError
from ctip.core.text import fold
from ctip.imports import pipeline as imports
from ctip.imports.pipeline import DUPLICATE, ERROR, Context, CountedPlan, fail
from ctip.imports.units import hold, resolve_units
from ctip.org.models import Unit

UNIT, CLUB, NAME, ROLE, JOINED = "unit", "club", "full_name", "role", "joined_on"
REQUIRED = (UNIT, CLUB, NAME)
TEMPLATE_HEADERS: dict[str, str] = {
    UNIT: "Đơn vị (mã hoặc tên)",
    CLUB: "Tên câu lạc bộ, tổ, nhóm",
    NAME: "Họ và tên thành viên",
    ROLE: "Vai trò trong câu lạc bộ",
    JOINED: "Ngày tham gia (dd/mm/yyyy)",
}
HEADER_ALIASES: dict[str, frozenset[str]] = {
    UNIT: frozenset({"don vi", "ma don vi", "ten don vi", "chi hoi", "xa phuong", "unit"}),
    CLUB: frozenset({"cau lac bo", "ten cau lac bo", "ten cau lac bo to nhom", "clb",
                     "ten clb", "to nhom", "mo hinh", "club"}),
    NAME: frozenset({"ho va ten", "ho ten", "ho va ten thanh vien", "ten thanh vien",
                     "thanh vien", "full name", "name", "member"}),
    ROLE: frozenset({"vai tro", "vai tro trong cau lac bo", "chuc vu", "chuc danh", "role"}),
    JOINED: frozenset({"ngay tham gia", "ngay vao", "ngay gia nhap", "tham gia tu ngay",
                       "joined", "joined on"}),
}
def _clubs(units: dict[str, Unit], names: set[str]) -> dict[tuple[int, str], list[Club]]:
    found: dict[tuple[int, str], list[Club]] = {}
    if not units or not names:
        return found
    for club in (Club.objects.filter(unit__in=list(units.values()), name_folded__in=names)
                 .select_related("unit").order_by("pk")):
        found.setdefault((club.unit_id, club.name_folded), []).append(club)
    return found


def _run(ctx: Context) -> None:
    """Check and add every row through ``add_member``; the pipeline keeps the writes only for
    the import, and only when no row failed."""
    plan = ctx.plan
    assert isinstance(plan, CountedPlan)  # noqa: S101  (the kind's own plan)
    rows = imports.planned_rows(ctx)
    lookup = resolve_units(ctx.actor, {r.cells.get(UNIT, "") for r in rows} - {""},
                           ctx.choices)
    if ctx.write:  # the units and her scope as they are now, held (decision 0102)
        hold(lookup, ctx.actor)
    ctx.hidden |= lookup.hidden
    clubs = _clubs(lookup.units, {fold(r.cells.get(CLUB, "")) for r in rows})
    members: dict[int, set[tuple[str, str]]] = {}
    raw = dict(ctx.parsed.rows)
    for planned in rows:
        cells = planned.cells
        imports.require_cells(ctx, planned)
        unit = imports.unit_cell(ctx, planned, lookup, UNIT)
        joined = imports.date_cell(ctx, planned, raw, JOINED)
        if unit is None or planned.status == ERROR:
            continue
        found = clubs.get((unit.pk, fold(cells[CLUB])), [])
        if len(found) != 1:
            fail(ctx, planned, CLUB, _(
                "There is no club “%(club)s” in %(unit)s.") % {"club": cells[CLUB],
                                                               "unit": unit.name}
                if not found else _("Several clubs of %(unit)s are called “%(club)s”.")
                % {"club": cells[CLUB], "unit": unit.name})
            continue
        club = found[0]
        if club.pk not in members:
            members[club.pk] = {(fold(m.full_name), fold(m.role)) for m in club.members.all()}
        key = (fold(cells[NAME]), fold(cells.get(ROLE, "")))
        if key in members[club.pk]:
            planned.status = DUPLICATE
            continue
        try:
            with transaction.atomic():
                add_member(actor=ctx.actor, club=club, full_name=cells[NAME],
                           role=cells.get(ROLE, ""), joined_on=joined)
        except ActionError as exc:
            column = exc.field if exc.field in TEMPLATE_HEADERS else NAME
            fail(ctx, planned, column or NAME, exc.message)
            continue
        members[club.pk].add(key)
        planned.written = club
        plan.added += 1
    plan.rows = rows
    plan.errors = [e for r in rows for e in r.errors]
    if ctx.write and not plan.errors and plan.added:
        clubs_done = {r.written.pk: r.written for r in rows if r.written is not None}
        record(actor=ctx.actor, action="club.members_imported", target_label=plan.file_name,
               unit_path=imports.common_path(c.unit for c in clubs_done.values()),
               changes={"file": plan.file_name, "digest": plan.digest, "rows": len(rows),
                        "added": plan.added, "duplicates": plan.duplicates,
                        "clubs": sorted(clubs_done)})


def summary(plan: CountedPlan) -> list[str]:
    return [ngettext("%(n)d member added from “%(file)s”.",
                     "%(n)d members added from “%(file)s”.", plan.added)
            % {"n": plan.added, "file": plan.file_name}]


KIND = imports.register(imports.ImportKind(
    name="club_members", capability="activity.manage", headers=TEMPLATE_HEADERS,
    aliases=HEADER_ALIASES, required=REQUIRED, run=_run, new_plan=imports.counted_plan,
    max_bytes=5 * 1024 * 1024, max_rows=10_000, summary=summary,
    page="community:member_import"))
