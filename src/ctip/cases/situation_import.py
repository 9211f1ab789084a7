"""Importing the situation registers communes kept before ctip: a kind of the import pipeline.

One situation a row: the day it was received, the unit (code, name or an old address, as in
every import), the address, the category, the urgency, the summary, the state written in the
register ("đã xử lý", "đang xử lý"), the day it was closed and the outcome, and, only for
someone who may see identities, the names of the people concerned (encrypted, through
``create_person``). Every row goes through ``cases.actions.import_situation`` — the scope, the
open unit, the period lock of the day it was received, the dates, the lengths — in the preview
too (rolled back), so the preview cannot disagree with the import. A closed situation is
recorded closed, with no deadline; one still open is received into the handler's inbox today.

A row already imported (same unit, day, category and summary, compared through a keyed hash,
never the text) is shown as such and skipped: the same file twice adds nothing. The import is
one ``situation.imported`` event (counts and ids, no text, no names) and can be undone as a
whole while its periods are not locked and nobody has acted on its situations.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ctip.accounts.policy import NotInScope
from ctip.cases.actions import (
    import_situation,
    situation_import_key,
    situation_imported,
    undo_situation_import,
)
from ctip.cases.models import Category, Situation, Urgency
from ctip.core.errors import ActionError
from ctip.imports import pipeline as imports
from ctip.imports.pipeline import (
    DUPLICATE,
    ERROR,
    Context,
    CountedPlan,
    choice_key,
    fail,
    pick,
    split_list,
)
from ctip.imports.units import hold, resolve_units

RECEIVED, UNIT, ADDRESS, CATEGORY, URGENCY = "received_on", "unit", "address", "category", "urgency"
SUMMARY, STATUS, CLOSED_ON, OUTCOME, PERSONS = ("description", "status", "closed_on", "outcome",
                                                "persons")
REQUIRED = (RECEIVED, UNIT, CATEGORY, SUMMARY)
TEMPLATE_HEADERS: dict[str, str] = {
    RECEIVED: "Ngày tiếp nhận (dd/mm/yyyy)",
    UNIT: "Đơn vị (mã hoặc tên)",
    ADDRESS: "Địa chỉ",
    CATEGORY: "Loại vụ việc",
    URGENCY: "Mức độ",
    SUMMARY: "Tóm tắt nội dung",
    STATUS: "Tình trạng",
    CLOSED_ON: "Ngày kết thúc",
    OUTCOME: "Kết quả xử lý",
    PERSONS: "Họ tên người liên quan",
}
HEADER_ALIASES: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({"ngay tiep nhan", "ngay nhan", "ngay", "ngay phat hien",
                         "ngay tiep nhan thong tin", "thoi gian tiep nhan", "received"}),
    UNIT: frozenset({"don vi", "ma don vi", "ten don vi", "xa phuong", "dia ban", "unit",
                     "don vi dia ban", "noi xay ra"}),
    ADDRESS: frozenset({"dia chi", "dia chi cu the", "noi o", "address"}),
    CATEGORY: frozenset({"loai vu viec", "loai", "phan loai", "loai tinh huong", "van de",
                         "category"}),
    URGENCY: frozenset({"muc do", "muc do khan", "muc do khan cap", "do khan", "urgency"}),
    SUMMARY: frozenset({"tom tat noi dung", "noi dung", "tom tat", "noi dung vu viec",
                        "dien bien", "mo ta", "summary", "description"}),
    STATUS: frozenset({"tinh trang", "tinh trang xu ly", "trang thai", "ket qua xu ly hien tai",
                       "status"}),
    CLOSED_ON: frozenset({"ngay ket thuc", "ngay xu ly xong", "ngay hoan thanh", "ngay dong",
                          "closed on"}),
    OUTCOME: frozenset({"ket qua xu ly", "ket qua", "bien phap xu ly", "outcome"}),
    PERSONS: frozenset({"ho ten nguoi lien quan", "ho va ten", "ho ten", "nguoi lien quan",
                        "doi tuong", "ho ten nan nhan", "persons"}),
}
OPEN, CLOSED = "open", "closed"
CATEGORY_WORDS: dict[str, str] = {
    "mua ban nguoi": Category.SUSPECTED_TRAFFICKING, "nghi mua ban nguoi":
    Category.SUSPECTED_TRAFFICKING, "nghi van mua ban nguoi": Category.SUSPECTED_TRAFFICKING,
    "bao luc gia dinh": Category.DOMESTIC_VIOLENCE, "xam hai tinh duc": Category.SEXUAL_ABUSE,
    "lao dong di cu": Category.MIGRANT_LABOUR, "di lam an xa": Category.MIGRANT_LABOUR,
    "xuat khau lao dong": Category.LABOUR_EXPORT, "ket hon voi nguoi nuoc ngoai":
    Category.FOREIGN_MARRIAGE, "ket hon co yeu to nuoc ngoai": Category.FOREIGN_MARRIAGE,
    "lay chong nuoc ngoai": Category.FOREIGN_MARRIAGE, "nguoi tro ve": Category.RETURNED,
    "tro ve": Category.RETURNED, "mat tich": Category.MISSING, "mat lien lac":
    Category.MISSING, "tuyen dung dang ngo": Category.RECRUITMENT, "loi moi tuyen dung":
    Category.RECRUITMENT, "khac": Category.OTHER,
}
URGENCY_WORDS: dict[str, str] = {
    "khan": Urgency.URGENT, "khan cap": Urgency.URGENT, "gap": Urgency.URGENT,
    "cao": Urgency.HIGH, "can chu y": Urgency.HIGH, "thuong": Urgency.NORMAL,
    "binh thuong": Urgency.NORMAL,
}
STATUS_WORDS: dict[str, str] = {
    "da xu ly": CLOSED, "da giai quyet": CLOSED, "da dong": CLOSED, "dong": CLOSED,
    "xong": CLOSED, "ket thuc": CLOSED, "da ket thuc": CLOSED, "hoan thanh": CLOSED,
    "da xong": CLOSED, "closed": CLOSED, "dang xu ly": OPEN, "dang xac minh": OPEN,
    "moi": OPEN, "moi tiep nhan": OPEN, "tiep nhan": OPEN, "chua xu ly": OPEN, "open": OPEN,
}


def _words(choices: type, extra: dict[str, str]) -> dict[str, str]:
    """A cell's accepted words: the codes, the labels in Vietnamese and English, synonyms."""
    found = dict(extra)
    for value, label in choices.choices:  # type: ignore[attr-defined]
        found[choice_key(value.replace("_", " "))] = value
        for language in ("vi", "en"):
            with translation.override(language):
                found[choice_key(str(label))] = value
    return found


def _run(ctx: Context) -> None:
    """Check and record every row through ``import_situation``; the pipeline keeps the writes
    only for the import, and only when no row failed."""
    plan = ctx.plan
    assert isinstance(plan, CountedPlan)  # noqa: S101  (the kind's own plan)
    categories, urgencies = _words(Category, CATEGORY_WORDS), _words(Urgency, URGENCY_WORDS)
    rows = imports.planned_rows(ctx)
    lookup = resolve_units(ctx.actor, {r.cells.get(UNIT, "") for r in rows} - {""},
                           ctx.choices)
    if ctx.write:  # the units and her scope as they are now, held (decision 0102)
        hold(lookup, ctx.actor)
    ctx.hidden |= lookup.hidden
    imports.note_ambiguities(ctx, rows, UNIT, lookup.ambiguous)
    raw = dict(ctx.parsed.rows)
    seen: set[str] = set()
    person_ids: list[int] = []
    for planned in rows:
        cells = planned.cells
        imports.require_cells(ctx, planned)
        unit = imports.unit_cell(ctx, planned, lookup, UNIT)
        dates = {name: imports.date_cell(ctx, planned, raw, name)
                 for name in (RECEIVED, CLOSED_ON)}
        category = pick(ctx, planned, CATEGORY, categories)
        urgency = pick(ctx, planned, URGENCY, urgencies, Urgency.NORMAL)
        status = pick(ctx, planned, STATUS, STATUS_WORDS, OPEN)
        closed_on = dates.get(CLOSED_ON)
        if status == CLOSED and closed_on is None:
            closed_on = dates.get(RECEIVED)  # a register that kept no closing day
        elif status == OPEN and closed_on is not None:
            fail(ctx, planned, STATUS, _("The row has a closing day but its state is not "
                                         "closed: write “đã xử lý” or remove the day."))
        received = dates.get(RECEIVED)
        if unit is None or planned.status == ERROR or received is None:
            continue
        keys = situation_import_key(unit, received, category, cells[SUMMARY])
        if keys[0] in seen or situation_imported(keys):
            planned.status = DUPLICATE
            continue
        try:
            with transaction.atomic():
                situation = import_situation(
                    actor=ctx.actor, unit=unit, received_on=received,
                    category=category, urgency=urgency, description=cells[SUMMARY],
                    address=cells.get(ADDRESS, ""), closed_on=closed_on,
                    outcome=cells.get(OUTCOME, ""),
                    person_names=split_list(cells.get(PERSONS, "")))
        except NotInScope:
            fail(ctx, planned, UNIT, _("You do not handle situations in %(unit)s.")
                 % {"unit": unit.name})
            continue
        except ActionError as exc:
            fail(ctx, planned, exc.field if exc.field in TEMPLATE_HEADERS else SUMMARY,
                 exc.message)
            continue
        seen.add(keys[0])
        planned.written = situation
        plan.ids.append(situation.pk)
        person_ids += situation.persons.values_list("pk", flat=True)
        plan.added += 1
    plan.rows = rows
    plan.errors = [e for r in rows for e in r.errors]
    if ctx.write and not plan.errors and plan.added:
        written = [r.written for r in rows if r.written is not None]
        imports.record_import(ctx, "situation.imported", (s.unit for s in written),
                              closed=sum(1 for s in written
                                         if s.state == Situation.State.CLOSED),
                              persons=imports.id_runs(person_ids))


def summary(plan: CountedPlan) -> list[str]:
    return [ngettext("%(n)d situation recorded from “%(file)s”.",
                     "%(n)d situations recorded from “%(file)s”.", plan.added)
            % {"n": plan.added, "file": plan.file_name}]


KIND = imports.register(imports.ImportKind(
    name="situations", capability="situation.manage", headers=TEMPLATE_HEADERS,
    aliases=HEADER_ALIASES, required=REQUIRED, run=_run, new_plan=imports.counted_plan,
    max_bytes=5 * 1024 * 1024, max_rows=10_000, filled_down=frozenset({RECEIVED, UNIT}),
    summary=summary, page="cases:situation_import", imported_action="situation.imported",
    undo=undo_situation_import))
