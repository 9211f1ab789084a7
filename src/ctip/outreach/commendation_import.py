"""Importing commendations (khen thưởng) from a file: a kind of the import pipeline.

One commendation a row: the unit (code, name or old address), who was commended (a collective
— the unit itself —, a club or model of the unit, or a person), her or its name, for what,
the level of the decision, its day and its number. Every row goes through
``outreach.actions.create_commendation`` — the scope, the period lock of the decision day, the
club belonging to the unit, the lengths, its ``commendation.created`` event — in the preview
too (rolled back). A commendation already recorded (same unit, day, recipient, number and
reason, with or without accents), or on an earlier row, is shown as such and skipped. The
import is one more ``commendation.imported`` event (counts and ids) and can be undone as a
whole while the periods of its decisions are not locked.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ctip.accounts.policy import NotInScope
from ctip.community.models import Club
from ctip.core.errors import ActionError
from ctip.core.text import fold
from ctip.imports import pipeline as imports
from ctip.imports.pipeline import (
    DUPLICATE,
    ERROR,
    Context,
    CountedPlan,
    PlannedRow,
    choice_key,
    fail,
    pick,
)
from ctip.imports.units import hold, resolve_units
from ctip.outreach.actions import create_commendation, undo_commendation_import
from ctip.outreach.models import Commendation

UNIT, RECIPIENT_KIND, RECIPIENT, REASON = "unit", "recipient_kind", "recipient", "reason"
LEVEL, DECIDED, NUMBER = "level", "decided_on", "decision_number"
REQUIRED = (UNIT, RECIPIENT_KIND, REASON, LEVEL, DECIDED)
TEMPLATE_HEADERS: dict[str, str] = {
    UNIT: "Đơn vị (mã hoặc tên)",
    RECIPIENT_KIND: "Đối tượng khen (tập thể, câu lạc bộ, cá nhân)",
    RECIPIENT: "Tên câu lạc bộ hoặc cá nhân",
    REASON: "Thành tích",
    LEVEL: "Cấp khen (xã, tỉnh, trung ương)",
    DECIDED: "Ngày quyết định (dd/mm/yyyy)",
    NUMBER: "Số quyết định",
}
HEADER_ALIASES: dict[str, frozenset[str]] = {
    UNIT: frozenset({"don vi", "ma don vi", "ten don vi", "xa phuong", "chi hoi", "unit"}),
    RECIPIENT_KIND: frozenset({"doi tuong khen", "doi tuong", "hinh thuc", "loai",
                               "tap the ca nhan", "recipient"}),
    RECIPIENT: frozenset({"ten", "ho ten", "ho va ten", "ten tap the ca nhan",
                          "ten cau lac bo hoac ca nhan", "ten clb", "ten mo hinh",
                          "duoc khen", "name"}),
    REASON: frozenset({"thanh tich", "noi dung khen", "ly do", "ve viec", "reason",
                       "noi dung"}),
    LEVEL: frozenset({"cap khen", "cap", "cap khen thuong", "level"}),
    DECIDED: frozenset({"ngay quyet dinh", "ngay ky", "ngay", "ngay khen", "decided on",
                        "date"}),
    NUMBER: frozenset({"so quyet dinh", "so qd", "quyet dinh so", "decision number",
                       "so"}),
}
KIND_WORDS: dict[str, str] = {
    "tap the": Commendation.RecipientKind.UNIT, "don vi": Commendation.RecipientKind.UNIT,
    "chi hoi": Commendation.RecipientKind.UNIT, "hoi": Commendation.RecipientKind.UNIT,
    "cau lac bo": Commendation.RecipientKind.CLUB, "clb": Commendation.RecipientKind.CLUB,
    "mo hinh": Commendation.RecipientKind.CLUB, "to": Commendation.RecipientKind.CLUB,
    "nhom": Commendation.RecipientKind.CLUB, "to nhom": Commendation.RecipientKind.CLUB,
    "ca nhan": Commendation.RecipientKind.PERSON, "unit": Commendation.RecipientKind.UNIT,
    "club": Commendation.RecipientKind.CLUB, "person": Commendation.RecipientKind.PERSON,
}
LEVEL_WORDS: dict[str, str] = {
    "xa": Commendation.Level.COMMUNE, "phuong": Commendation.Level.COMMUNE,
    "cap xa": Commendation.Level.COMMUNE, "co so": Commendation.Level.COMMUNE,
    "dac khu": Commendation.Level.COMMUNE, "tinh": Commendation.Level.PROVINCE,
    "cap tinh": Commendation.Level.PROVINCE, "thanh pho": Commendation.Level.PROVINCE,
    "trung uong": Commendation.Level.CENTRAL, "tw": Commendation.Level.CENTRAL,
    "cap trung uong": Commendation.Level.CENTRAL, "commune": Commendation.Level.COMMUNE,
    "province": Commendation.Level.PROVINCE, "central": Commendation.Level.CENTRAL,
}


def _key(unit_id: int, decided_on: Any, kind: str, recipient: str, number: str,
         reason: str) -> tuple[Any, ...]:
    return (unit_id, decided_on, kind, choice_key(recipient), choice_key(number),
            choice_key(reason))


def _recorded(unit_ids: set[int]) -> set[tuple[Any, ...]]:
    """The commendations already recorded in the file's units, as comparable keys."""
    return {_key(c.unit_id, c.decided_on, c.recipient_kind,
                 c.person_name if c.recipient_kind == Commendation.RecipientKind.PERSON
                 else (c.club.name if c.club else ""), c.decision_number, c.reason)
            for c in Commendation.objects.filter(unit_id__in=unit_ids).select_related("club")}


def _club(ctx: Context, planned: PlannedRow, clubs: dict[tuple[int, str], list[Any]],
          unit: Any) -> Any:
    name = planned.cells.get(RECIPIENT, "")
    found = clubs.get((unit.pk, fold(name)), [])
    if len(found) == 1:
        return found[0]
    fail(ctx, planned, RECIPIENT, _("There is no club “%(club)s” in %(unit)s.")
         % {"club": name, "unit": unit.name} if not found else
         _("Several clubs of %(unit)s are called “%(club)s”.")
         % {"club": name, "unit": unit.name})
    return None


def _run(ctx: Context) -> None:
    """Check and record every row through ``create_commendation``; the pipeline keeps the
    writes only for the import, and only when no row failed."""
    plan = ctx.plan
    assert isinstance(plan, CountedPlan)  # noqa: S101  (the kind's own plan)
    rows = imports.planned_rows(ctx)
    lookup = resolve_units(ctx.actor, {r.cells.get(UNIT, "") for r in rows} - {""},
                           ctx.choices)
    if ctx.write:  # the units and her scope as they are now, held (decision 0102)
        hold(lookup, ctx.actor)
    ctx.hidden |= lookup.hidden
    imports.note_ambiguities(ctx, rows, UNIT, lookup.ambiguous)
    units = {u.pk for u in lookup.units.values()}
    clubs: dict[tuple[int, str], list[Any]] = {}
    for found in Club.objects.filter(unit_id__in=units).order_by("pk"):
        clubs.setdefault((found.unit_id, found.name_folded), []).append(found)
    seen = _recorded(units)
    raw = dict(ctx.parsed.rows)
    for planned in rows:
        cells = planned.cells
        imports.require_cells(ctx, planned)
        unit = imports.unit_cell(ctx, planned, lookup, UNIT)
        decided_on = imports.date_cell(ctx, planned, raw, DECIDED)
        kind = pick(ctx, planned, RECIPIENT_KIND, KIND_WORDS)
        level = pick(ctx, planned, LEVEL, LEVEL_WORDS)
        if kind != Commendation.RecipientKind.UNIT and not cells.get(RECIPIENT):
            fail(ctx, planned, RECIPIENT, _("Name the club or the person commended."))
        if unit is None or planned.status == ERROR or decided_on is None:
            continue
        club = _club(ctx, planned, clubs, unit) \
            if kind == Commendation.RecipientKind.CLUB else None
        if planned.status == ERROR:
            continue
        person = cells.get(RECIPIENT, "") if kind == Commendation.RecipientKind.PERSON else ""
        key = _key(unit.pk, decided_on, kind, person or (club.name if club else ""),
                   cells.get(NUMBER, ""), cells[REASON])
        if key in seen:
            planned.status = DUPLICATE
            continue
        try:
            with transaction.atomic():
                planned.written = create_commendation(
                    actor=ctx.actor, unit=unit, recipient_kind=kind, reason=cells[REASON],
                    level=level, decided_on=decided_on,
                    decision_number=cells.get(NUMBER, ""), club=club, person_name=person)
        except NotInScope:
            fail(ctx, planned, UNIT, _("You do not record commendations in %(unit)s.")
                 % {"unit": unit.name})
            continue
        except ActionError as exc:
            fail(ctx, planned, _COLUMN_OF.get(exc.field or "", REASON), exc.message)
            continue
        seen.add(key)
        plan.ids.append(planned.written.pk)
        plan.added += 1
    plan.rows = rows
    plan.errors = [e for r in rows for e in r.errors]
    if ctx.write and not plan.errors and plan.added:
        imports.record_import(ctx, "commendation.imported",
                              (r.written.unit for r in rows if r.written is not None))


_COLUMN_OF = {"person_name": RECIPIENT, "club": RECIPIENT, "decided_on": DECIDED,
              "decision_number": NUMBER, "reason": REASON}


def summary(plan: CountedPlan) -> list[str]:
    return [ngettext("%(n)d commendation recorded from “%(file)s”.",
                     "%(n)d commendations recorded from “%(file)s”.", plan.added)
            % {"n": plan.added, "file": plan.file_name}]


KIND = imports.register(imports.ImportKind(
    name="commendations", capability="activity.manage", headers=TEMPLATE_HEADERS,
    aliases=HEADER_ALIASES, required=REQUIRED, run=_run, new_plan=imports.counted_plan,
    max_bytes=5 * 1024 * 1024, max_rows=10_000, filled_down=frozenset({UNIT, DECIDED, NUMBER,
                                                                        LEVEL}),
    summary=summary, page="outreach:commendation_import",
    imported_action="commendation.imported", undo=undo_commendation_import))
