"""The indicator catalogue, and computing any indicator for any subtree and any period.

Every indicator is defined once, in ``CATALOGUE``: a code, an English name (shown when the UI
is in English), its one Vietnamese name ``name_vi`` (the name on every Vietnamese screen, in
every export and in every PDF: ``name`` gives it whenever Vietnamese is active, so the screen and
the files cannot disagree), a definition (a gettext msgid, translated), its source records and
its breakdowns. Breakdown labels follow the same rule (``breakdown_labels``).

Values are computed from the fact tables: every fact row stores the path of its unit at the
time (``unit_path``), so a subtree is one indexed range (``unit_path__subtree``) and the child
of a unit a row falls under is a substring of its path (``child_segment``). For the largest
sources — activities and active speakers — a period of whole months down to a commune is read
from roll-ups the database keeps in the same transaction as every write (``reports.rollups``),
and the situations' escalation delay is a column kept the same way. So numbers are current the
moment a record is saved, whichever way they are computed.

Public API (used by the reports' selectors and actions too):

- ``get(code)`` → ``Indicator``, or ``UnknownIndicator`` (an ``ActionError``);
- ``compute(unit, period, codes=None)`` → ``{code: value}`` for the unit's subtree;
- ``compute_with_children(unit, period, codes=None)`` → ``(compute(...), compute_by_child(...))``
  (below) from one pass over the facts;
- ``compute_by_child(unit, period, codes=None)`` → ``[(unit, {code: value}), ...]``: one entry
  per child of ``unit`` (open children, and closed ones that hold records), in name order,
  then — only when records are stamped on ``unit`` itself — ``(unit, own values)`` last. The
  entries add up to ``compute(unit, ...)`` for every additive indicator. One grouped query per
  source, whatever the number of children.

A value is a number (``int``; ``float`` for percentages, ``None`` when a percentage has no
denominator), or for an indicator with breakdowns a ``dict`` of numbers with a ``"total"`` key
and one key per breakdown value (zeros included for fixed lists such as categories).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ctip.cases import htcds, iso3166
from ctip.cases.deadlines import on_time_q
from ctip.cases.models import (
    Agency,
    Category,
    Referral,
    Service,
    Situation,
    SupportCase,
    TraffickingEvent,
)
from ctip.community.models import Club
from ctip.community.selectors import period_aggregates, recorded_members
from ctip.core.collation import vi_order
from ctip.core.errors import ActionError
from ctip.figures import rollups as figures_rollups
from ctip.org.models import AREA_FLAG_FIELDS, UNIT_AREA_FIELDS, Unit, flagged_q
from ctip.outreach.models import Activity, Commendation, Format, Speaker
from ctip.reports import rollups
from ctip.reports.models import ActivityMonth, SpeakerMonth
from ctip.reports.periods import Period

# --- The catalogue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Any                 # gettext_lazy, English msgid
    name_vi: str              # literal Vietnamese, for exports
    definition: Any           # gettext_lazy, English msgid
    source: str               # the fact table(s) it is computed from
    breakdowns: tuple[str, ...] = ()
    # Registered with the disclosure-control layer (``reports.privacy``): a count of people
    # (its source must give the cell keys of its records), or an amount of money of people.
    is_person_count: bool = False
    is_person_amount: bool = False
    measure: str = "count"    # count | percent | vnd
    additive: bool = True     # children add up to the parent

    def __post_init__(self) -> None:
        # One Vietnamese name on every surface: the catalogue's, not a second translation.
        object.__setattr__(self, "name", official(self.name, self.name_vi))

    @property
    def has_breakdown(self) -> bool:
        return bool(self.breakdowns)


def _official(english: Any, vietnamese: str) -> str:
    language = get_language() or "vi"
    return vietnamese if language.split("-")[0] == "vi" else str(english)


_official_lazy = lazy(_official, str)


def official(english: Any, vietnamese: str) -> Any:
    """A label that reads ``vietnamese`` whenever Vietnamese is active and ``english`` (a
    gettext msgid or a plain string) otherwise: one Vietnamese wording per indicator and
    breakdown across screen, export and PDF."""
    return _official_lazy(english, vietnamese)


class UnknownIndicator(ActionError):
    def __init__(self, code: str) -> None:
        super().__init__(_("There is no indicator “%(code)s”.") % {"code": code},
                         field="indicator")
        self.code = code


# ``_l`` is extracted by our ``makemessages`` (core/management/commands), issue 15.6
_l = gettext_lazy

CATALOGUE: list[Indicator] = [
    Indicator("sessions", _l("Awareness sessions"), "Số buổi, lượt tuyên truyền",
              _l("Activities recorded as done in the period, by format."),
              "outreach.Activity", ("format",)),
    Indicator("participants", _l("Participants"), "Số lượt người tham dự",
              _l("Participants of done activities, by sex (women, men, not stated)."),
              "outreach.Activity", ("sex",)),
    Indicator("sessions_border_remote",
              _l("Sessions in border, remote and ethnic minority areas"),
              "Số buổi tuyên truyền tại địa bàn biên giới, vùng sâu, vùng xa, vùng đồng bào "
              "dân tộc thiểu số",
              _l("Done activities recorded in units flagged as border, remote or far-flung, or "
                 "ethnic minority area, or in units below them (a branch of a border commune is "
                 "in the border area; the units' current flags). The total counts an activity "
                 "once, whatever its areas; by area, once in each of its areas."),
              "outreach.Activity, org.Unit", ("area",)),
    Indicator("online_reach", _l("Online reach"), "Lượt tiếp cận trực tuyến",
              _l("Views of posts on the Union's online channels; with shares and the number "
                 "of posts in online formats."), "outreach.Activity", ("online",)),
    Indicator("active_speakers", _l("Active speakers"), "Số báo cáo viên, tuyên truyền viên "
              "hoạt động", _l("Speakers of the subtree listed on at least one done activity in "
                              "the period."), "outreach.Speaker, outreach.Activity"),
    Indicator("models", _l("Prevention models"), "Mô hình phòng, chống mua bán người",
              _l("Prevention models active on the last day of the period (total), founded, "
                 "of those replicated from another model, and dissolved in the period."),
              "community.Club", ("model_status",)),
    Indicator("clubs", _l("Clubs, groups and models"), "Câu lạc bộ, tổ, nhóm, mô hình",
              _l("All clubs, groups and models: active on the last day of the period (total), "
                 "founded, replicated and dissolved in the period."),
              "community.Club", ("model_status",)),
    Indicator("club_members", _l("Club members"), "Số thành viên câu lạc bộ, tổ, nhóm",
              _l("Members of the clubs, groups and models active on the last day of the "
                 "period."), "community.Club"),
    Indicator("situations", _l("Situations by category"), "Số vụ việc theo loại",
              _l("Situations received in the period (by the day they were recorded), by "
                 "category."), "cases.Situation", ("category",), is_person_count=True),
    Indicator("situations_escalated_on_time", _l("Situations escalated within the deadline"),
              "Tỷ lệ vụ việc được báo cáo lên cấp trên đúng hạn (%)",
              _l("Of the situations received in the period that were escalated, the share "
                 "whose first escalation came no later than the deadline fixed when they were "
                 "received (the one the inbox showed)."),
              "cases.Situation, cases.SituationEvent", ("escalation",),
              is_person_count=True, measure="percent", additive=False),
    Indicator("referrals", _l("Referrals by agency"), "Số lượt chuyển gửi theo cơ quan",
              _l("Referrals of situations or cases made in the period, by receiving agency."),
              "cases.Referral", ("agency",), is_person_count=True),
    Indicator("cases_opened", _l("Support cases opened"), "Số trường hợp hỗ trợ mới",
              _l("Support cases opened in the period, by kind."), "cases.SupportCase",
              ("case_kind",), is_person_count=True),
    Indicator("cases_active", _l("Support cases active"), "Số trường hợp đang hỗ trợ",
              _l("Support cases open at any time in the period, by kind."),
              "cases.SupportCase", ("case_kind",), is_person_count=True),
    Indicator("cases_closed", _l("Support cases closed"), "Số trường hợp kết thúc hỗ trợ",
              _l("Support cases closed in the period, by kind."), "cases.SupportCase",
              ("case_kind",), is_person_count=True),
    Indicator("services", _l("Services delivered"), "Số lượt dịch vụ hỗ trợ đã thực hiện",
              _l("Services recorded as delivered and dated in the period, by type."),
              "cases.Service", ("service_type",), is_person_count=True),
    Indicator("victims_supported_pct", _l("Victims who received at least one support service"),
              "Tỷ lệ nạn nhân được hưởng ít nhất một dịch vụ hỗ trợ (%)",
              _l("Of the support cases of returned victims and persons being identified as "
                 "victims that were active in the period, the share with at least one service "
                 "delivered by the end of the period. National target: 100%."),
              "cases.SupportCase, cases.Service", ("victims",), is_person_count=True,
              measure="percent", additive=False),
    Indicator("loans", _l("Loans"), "Số lượt hỗ trợ vay vốn",
              _l("Loan support and entrusted-credit loans delivered in the period."),
              "cases.Service", ("loan_type",), is_person_count=True),
    Indicator("loan_amount", _l("Amount lent (VND)"), "Số tiền cho vay (đồng)",
              _l("The amount of the loans delivered in the period, in dong."), "cases.Service",
              measure="vnd", is_person_amount=True),
    Indicator("jobs_found", _l("Jobs found"), "Số người được giới thiệu việc làm",
              _l("Job counselling and placement services delivered in the period."),
              "cases.Service", is_person_count=True),
    # Prevention figures (decision 0031): persons, not events; a person trafficked twice in
    # the period counts once in each part that applies, and a part with several ticks (means
    # of recruitment, exploitation) does not add up to the total.
    Indicator("trafficked_recruitment", _l("Persons trafficked, by how they were recruited"),
              "Số người bị mua bán theo phương thức tuyển mộ",
              _l("Persons whose trafficking (the recruitment, else the start of the "
                 "exploitation, else the return, else the opening of the case) falls in the "
                 "period, by method of recruitment."), "cases.TraffickingEvent",
              ("recruitment_method",), is_person_count=True, additive=False),
    Indicator("trafficked_relation", _l("Persons trafficked, by who recruited them"),
              "Số người bị mua bán theo quan hệ với người tuyển mộ",
              _l("The same persons, by the recruiter's relation to them."),
              "cases.TraffickingEvent", ("recruiter_relation",), is_person_count=True,
              additive=False),
    Indicator("trafficked_destination", _l("Persons trafficked, by country of exploitation"),
              "Số người bị mua bán theo nước bị bóc lột",
              _l("The same persons, by the country where they were exploited."),
              "cases.TraffickingEvent", ("destination",), is_person_count=True,
              additive=False),
    Indicator("trafficked_exploitation", _l("Persons trafficked, by type of exploitation"),
              "Số người bị mua bán theo hình thức bóc lột",
              _l("The same persons, by type of exploitation (scam compounds apart)."),
              "cases.TraffickingEvent", ("exploitation",), is_person_count=True,
              additive=False),
    Indicator("trafficked_control", _l("Persons trafficked, by what kept them"),
              "Số người bị mua bán theo thủ đoạn khống chế",
              _l("The same persons, by the means of control used on them (debt, documents "
                 "taken, threats, confinement…)."), "cases.TraffickingEvent",
              ("means_of_control",), is_person_count=True, additive=False),
    Indicator("trafficked_age", _l("Persons trafficked, by age at the legal lines"),
              "Số người bị mua bán theo độ tuổi (dưới 16, 16–17, từ 18)",
              _l("The same persons, by age in the year of their trafficking: under 16, 16 "
                 "to 17, 18 and over (from the year of birth)."), "cases.TraffickingEvent",
              ("legal_age",), is_person_count=True, additive=False),
    Indicator("trafficked_ethnicity", _l("Persons trafficked, by ethnic group"),
              "Số người bị mua bán theo dân tộc",
              _l("The same persons, by ethnic group (the 54 groups of Vietnam)."),
              "cases.TraffickingEvent", ("ethnic_group",), is_person_count=True,
              additive=False),
    Indicator("commendations", _l("Commendations"), "Số lượt khen thưởng, nêu gương",
              _l("Commendations decided in the period, by recipient."),
              "outreach.Commendation", ("recipient",)),
]
BY_CODE: dict[str, Indicator] = {i.code: i for i in CATALOGUE}


def get(code: str) -> Indicator:
    try:
        return BY_CODE[code]
    except KeyError:
        raise UnknownIndicator(code) from None


def resolve(codes: Iterable[str] | None) -> list[Indicator]:
    """The indicators named by ``codes`` (all when ``None``), in catalogue order."""
    if codes is None:
        return list(CATALOGUE)
    wanted = {get(code).code for code in codes}
    return [i for i in CATALOGUE if i.code in wanted]


def headline(value: Any) -> Any:
    """The single number of a value: itself, or the ``total`` of a breakdown."""
    return value.get("total") if isinstance(value, dict) else value


# --- Grouping by child -----------------------------------------------------------------------

ALL = "all"   # the key of the single group when not grouping by child
OWN = ""      # rows stamped on the unit itself


class ChildKey(Func):
    """The id (text) of the child of ``parent_path`` a row stamped with ``field`` falls under,
    or ``""`` for a row stamped on the parent itself, for any path field, including one across
    a relation (``case__unit_path``); the rows are those of the parent's subtree.

    On PostgreSQL it is ``split_part(path, '/', n)`` with ``n`` fixed by the parent's depth:
    the same text (the parent's own path has an empty part there), in a form the planner has
    statistics for (``reports`` 0010: the number of provinces and of communes a fact table's
    rows fall under), so that it groups the year's rows by child in a small hash table instead
    of sorting them all (decision 0064). Elsewhere, the segment cut by ``substr``."""

    output_field = CharField()

    def __init__(self, parent_path: str, field: str = "unit_path") -> None:
        super().__init__(F(field))
        self.parent_path = parent_path

    def as_sql(self, compiler: Any, connection: Any, function: Any = None,
               template: Any = None, arg_joiner: Any = None, **extra: Any) -> Any:
        column, params = compiler.compile(self.source_expressions[0])
        start = len(self.parent_path) + 1
        segment = (f"substr({column}, {start}, "
                   f"instr(substr({column}, {start}), '/') - 1)")
        return (f"CASE WHEN {column} = %s THEN '' ELSE {segment} END",
                [*params, self.parent_path, *params, *params])

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        column, params = compiler.compile(self.source_expressions[0])
        return f"split_part({column}, '/', {child_part(self.parent_path)})", params


def child_part(parent_path: str) -> int:
    """The ``split_part`` position of a child's id in the paths below ``parent_path``."""
    return parent_path.count("/") + 1


def child_key(parent_path: str, field: str = "unit_path") -> Any:
    """``ChildKey``: the child of ``parent_path`` a row falls under (``OWN`` on the parent)."""
    return ChildKey(parent_path, field)


def _group(qs: QuerySet[Any], unit: Unit, by_child: bool, field: str, *fields: str,
           **aggregates: Any) -> dict[str, list[dict[str, Any]]]:
    """Run one grouped query; rows by group key (``ALL``, or a child key)."""
    qs = qs.order_by()
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if by_child:
        qs = qs.annotate(_child=child_key(unit.path, field))
        for row in qs.values("_child", *fields).annotate(**aggregates):
            out[row.pop("_child")].append(row)
    elif fields:
        out[ALL] = list(qs.values(*fields).annotate(**aggregates))
    else:
        out[ALL] = [qs.aggregate(**aggregates)]
    return out


KEYS = "_keys"  # the entry of a source's ``finish`` that holds the cell keys of its people


def _keysums(**filters: Q) -> dict[str, Any]:
    """``SUM(record_key)`` of the rows behind each count, in the same grouped query (see
    ``reports.privacy``): ``{count}_key`` for each count named, with its filter."""
    return {f"{name}_key": Coalesce(Sum("record_key", filter=f or None), 0)
            for name, f in filters.items()}


def _k(row: dict[str, Any], name: str) -> int:
    return int(row.get(f"{name}_key") or 0)


def _pct(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


# --- Sources: one grouped query each -----------------------------------------------------------

Rows = list[dict[str, Any]]


def rollup_level(unit: Unit, period: Period, by_child: bool) -> int | None:
    """The level of ``ActivityMonth`` that answers this question, or ``None`` to read the
    activities (a period that is not whole months, or a unit below a commune)."""
    if not rollups.whole_months(period):
        return None
    return figures_rollups.level_for(unit, by_child)


def area_filters(field: str = "unit_path") -> dict[str, Q]:
    """One filter per area column of the roll-ups (``rollups.AREA_SUMS``: border; remote or
    far-flung; ethnic minority; any of them): a fact is in the area when its unit or a unit
    above it (an id of its recorded path) carries the flag, by the units' current flags, as the
    roll-up triggers count it (``rollups._Dialect.areas``)."""
    flagged = list(Unit.objects.filter(flagged_q()).values("pk", *UNIT_AREA_FIELDS))

    def below(fields: tuple[str, ...]) -> Q:
        q = Q(**{field: ""})   # no path is empty: nothing, when no unit has the flag
        for unit in flagged:
            if any(unit[f] for f in fields):
                q |= Q(**{f"{field}__contains": f"/{unit['pk']}/"})
        return q

    return {**{area: below(fields) for area, fields in AREA_FLAG_FIELDS.items()},
            "any_area": below(UNIT_AREA_FIELDS)}


def _activities(unit: Unit, period: Period, by_child: bool) -> dict[str, Rows]:
    groups: dict[str, Rows]
    level = rollup_level(unit, period, by_child)
    if level is not None:
        months = ActivityMonth.objects.filter(level=level, path__subtree=unit.path,
                                              month__gte=period.start, month__lte=period.end)
        summed = _group(months, unit, by_child, "path", "format_id",
                        **{k: Sum(k) for k in rollups.ACTIVITY_SUMS})
        # Readers sum a key's rows (deltas included): a key whose activities are all gone
        # sums to nothing, like a child without records.
        groups = {}
        for key, rows in summed.items():
            kept = [r for r in rows if r["n"]]
            if kept or key == ALL:
                groups[key] = kept
    else:
        # Read from the covering index alone (outreach migration 0004): no join per row; the
        # format's code and the unit's flags come from their small tables.
        qs = Activity.objects.filter(unit_path__subtree=unit.path,
                                     status=Activity.Status.DONE,
                                     date__gte=period.start, date__lte=period.end)
        areas = area_filters()
        groups = _group(
            qs, unit, by_child, "unit_path", "format_id",
            n=Count("pk"),
            women=Coalesce(Sum("participants_women"), 0),
            men=Coalesce(Sum("participants_men"), 0),
            total=Coalesce(Sum("participants_total"), 0),
            views=Coalesce(Sum("online_views"), 0), shares=Coalesce(Sum("online_shares"), 0),
            **{column: Count("pk", filter=q) for column, q in areas.items()},
        )
    formats = {pk: (code, online) for pk, code, online in
               Format.objects.values_list("pk", "code", "is_online")}
    for rows in groups.values():
        for r in rows:
            r["format__code"], r["format__is_online"] = formats[r.pop("format_id")]
    return groups


def _activities_finish(rows: Rows) -> dict[str, Any]:
    by_format: dict[str, int] = defaultdict(int)
    s: dict[str, int] = defaultdict(int)
    for r in rows:
        by_format[r["format__code"]] += r["n"]
        for k in rollups.ACTIVITY_SUMS:
            s[k] += r[k] or 0
        if r["format__is_online"]:
            s["posts"] += r["n"]
    return {
        "sessions": {"total": s["n"], **dict(sorted(by_format.items()))},
        "participants": {"total": s["total"], "women": s["women"], "men": s["men"],
                         "not_stated": max(0, s["total"] - s["women"] - s["men"])},
        "sessions_border_remote": {"total": s["any_area"],
                                   **{area: s[area] for area in AREA_FLAG_FIELDS}},
        "online_reach": {"total": s["views"], "shares": s["shares"], "posts": s["posts"]},
    }


def _speakers(unit: Unit, period: Period, by_child: bool) -> dict[str, Rows]:
    qs = Speaker.objects.filter(unit_path__subtree=unit.path)
    if rollups.whole_months(period):
        # The speakers whose months in the period sum above zero (the roll-up holds deltas):
        # listed on at least one done activity. One set, joined to the speakers, not a
        # look-up per speaker (decision 0064).
        active = (SpeakerMonth.objects.filter(month__gte=period.start, month__lte=period.end)
                  .order_by().values("speaker").annotate(talks=Sum("n"))
                  .filter(talks__gt=0).values("speaker"))
        qs = qs.filter(pk__in=active)
    else:
        qs = qs.filter(Exists(Activity.objects.filter(
            speakers=OuterRef("pk"), status=Activity.Status.DONE, date__gte=period.start,
            date__lte=period.end)))
    return _group(qs, unit, by_child, "unit_path", n=Count("pk"))


def _speakers_finish(rows: Rows) -> dict[str, Any]:
    return {"active_speakers": sum(r["n"] or 0 for r in rows)}


def _clubs(unit: Unit, period: Period, by_child: bool) -> dict[str, Rows]:
    """``community.selectors.period_aggregates`` (the one definition, read from the clubs'
    dated history), for all clubs and split by ``is_prevention_model``; the members of the
    clubs whose count was recorded by the end from ``recorded_members``, in a second grouped
    query, as rows of members alone."""
    qs = Club.objects.filter(unit_path__subtree=unit.path, founded_on__lte=period.end)
    out = _group(qs, unit, by_child, "unit_path", "is_prevention_model",
                 **period_aggregates(period.start, period.end))
    for rows in out.values():
        for r in rows:
            r["members"] = r.pop("members_unrecorded")
    counts = recorded_members(period.end).filter(club__unit_path__subtree=unit.path)
    zero = dict.fromkeys(("active", "new", "replicated", "dissolved"), 0)
    for key, rows in _group(counts, unit, by_child, "club__unit_path",
                            "club__is_prevention_model", members=Sum("count")).items():
        out[key].extend({**zero, "is_prevention_model": r["club__is_prevention_model"],
                         "members": r["members"]} for r in rows)
    return out


def _clubs_finish(rows: Rows) -> dict[str, Any]:
    keys = ("active", "new", "replicated", "dissolved")
    models = dict.fromkeys(keys, 0)
    clubs = dict.fromkeys(keys, 0)
    members = 0
    for r in rows:
        for k in keys:
            clubs[k] += r[k]
            if r["is_prevention_model"]:
                models[k] += r[k]
        members += r["members"] or 0
    return {"models": {"total": models["active"], **models},
            "clubs": {"total": clubs["active"], **clubs},
            "club_members": members}


def _situations(unit: Unit, period: Period, by_child: bool) -> dict[str, Rows]:
    """The situations received in the period by category, escalated, and escalated in time:
    ``escalated_after_us`` (kept by the database, see ``reports.rollups``) against the
    deadline stored when each was received (``cases.deadlines.on_time_q``: the inbox's
    deadline), in one grouped query on the covering index."""
    qs = Situation.objects.filter(unit_path__subtree=unit.path,
                                  created_at__gte=period.start_at(),
                                  created_at__lt=period.end_before())
    on_time = on_time_q()
    return _group(qs, unit, by_child, "unit_path", "category", n=Count("pk"),
                  escalated=Count("escalated_after_us"),
                  on_time=Count("pk", filter=on_time),
                  **_keysums(n=Q(), escalated=Q(escalated_after_us__isnull=False),
                             on_time=on_time))


def _situations_finish(rows: Rows) -> dict[str, Any]:
    by_category = dict.fromkeys(Category.values, 0)
    keys = dict.fromkeys(Category.values, 0)
    escalated = on_time = 0
    for r in rows:
        by_category[r["category"]] = by_category.get(r["category"], 0) + r["n"]
        keys[r["category"]] = keys.get(r["category"], 0) + _k(r, "n")
        escalated += r["escalated"]
        on_time += r["on_time"]
    return {"situations": {"total": sum(by_category.values()), **by_category},
            "situations_escalated_on_time": {"total": _pct(on_time, escalated),
                                             "escalated": escalated, "on_time": on_time},
            KEYS: {"situations": {"total": sum(keys.values()), **keys},
                   "situations_escalated_on_time": {
                       "escalated": sum(_k(r, "escalated") for r in rows),
                       "on_time": sum(_k(r, "on_time") for r in rows)}}}


def _referrals(unit: Unit, period: Period, by_child: bool) -> dict[str, Rows]:
    qs = Referral.objects.filter(unit_path__subtree=unit.path, referred_on__gte=period.start,
                                 referred_on__lte=period.end)
    return _group(qs, unit, by_child, "unit_path", "agency__code", n=Count("pk"),
                  **_keysums(n=Q()))


def _referrals_finish(rows: Rows) -> dict[str, Any]:
    by_agency: dict[str, int] = defaultdict(int)
    keys: dict[str, int] = defaultdict(int)
    for r in rows:
        by_agency[r["agency__code"]] += r["n"]
        keys[r["agency__code"]] += _k(r, "n")
    return {"referrals": {"total": sum(by_agency.values()), **dict(sorted(by_agency.items()))},
            KEYS: {"referrals": {"total": sum(keys.values()), **keys}}}


VICTIM_KINDS = ("returned_victim", "being_identified")
LOAN_TYPES = ("loan_support", "entrusted_loan")


def _cases(unit: Unit, period: Period, by_child: bool) -> dict[str, Rows]:
    qs = SupportCase.objects.filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=period.start),
        unit_path__subtree=unit.path, opened_on__lte=period.end)
    opened = Q(opened_on__gte=period.start)
    closed = Q(closed_on__gte=period.start, closed_on__lte=period.end)
    # "served" (a service delivered by the end of the period) counts only for the victims'
    # kinds (``_cases_finish``); the day of a case's first delivered service is a column kept
    # by the database (``reports.rollups``), held in the cases' report index with the kind
    victim_served = Q(kind__in=VICTIM_KINDS, first_served_on__lte=period.end)
    return _group(
        qs, unit, by_child, "unit_path", "kind",
        active=Count("pk"),
        opened=Count("pk", filter=opened),
        closed=Count("pk", filter=closed),
        served=Count("pk", filter=victim_served),
        **_keysums(active=Q(), opened=opened, closed=closed, served=victim_served),
    )


def _cases_finish(rows: Rows) -> dict[str, Any]:
    kinds = SupportCase.Kind.values
    out: dict[str, dict[str, Any]] = {
        code: {"total": 0, **dict.fromkeys(kinds, 0)}
        for code in ("cases_opened", "cases_active", "cases_closed")}
    keys: dict[str, dict[str, int]] = {code: {"total": 0, **dict.fromkeys(kinds, 0)}
                                       for code in out}
    victims = supported = victims_key = supported_key = 0
    for r in rows:
        for name in ("opened", "active", "closed"):
            out[f"cases_{name}"][r["kind"]] = out[f"cases_{name}"].get(r["kind"], 0) + r[name]
            out[f"cases_{name}"]["total"] += r[name]
            k = keys[f"cases_{name}"]
            k[r["kind"]] = k.get(r["kind"], 0) + _k(r, name)
            k["total"] += _k(r, name)
        if r["kind"] in VICTIM_KINDS:
            victims += r["active"]
            supported += r["served"]
            victims_key += _k(r, "active")
            supported_key += _k(r, "served")
    return {**out, "victims_supported_pct": {"total": _pct(supported, victims),
                                             "victims": victims, "supported": supported},
            KEYS: {**keys, "victims_supported_pct": {"victims": victims_key,
                                                     "supported": supported_key}}}


def _services(unit: Unit, period: Period, by_child: bool) -> dict[str, Rows]:
    """The services delivered in the period, by the unit of their case: ``case_path``, the
    case's path kept on each service by the database (``reports.rollups``), read from the
    services' own indexes without a join to the cases (decision 0070)."""
    qs = Service.objects.filter(case_path__subtree=unit.path,
                                status=Service.Status.DELIVERED,
                                date__gte=period.start, date__lte=period.end)
    return _group(qs, unit, by_child, "case_path", "type", n=Count("*"),
                  amount=Sum("amount"), **_keysums(n=Q()))


def _services_finish(rows: Rows) -> dict[str, Any]:
    by_type = dict.fromkeys(Service.Type.values, 0)
    keys = dict.fromkeys(Service.Type.values, 0)
    amount = 0
    for r in rows:
        by_type[r["type"]] = by_type.get(r["type"], 0) + r["n"]
        keys[r["type"]] = keys.get(r["type"], 0) + _k(r, "n")
        if r["type"] in LOAN_TYPES:
            amount += int(r["amount"] or 0)
    return {
        KEYS: {"services": {"total": sum(keys.values()), **keys},
               "loans": {"total": sum(keys[t] for t in LOAN_TYPES),
                         **{t: keys[t] for t in LOAN_TYPES}},
               "jobs_found": keys["job_placement"],
               "loan_amount": {"n": sum(by_type[t] for t in LOAN_TYPES),
                               "key": sum(keys[t] for t in LOAN_TYPES)}},
        "services": {"total": sum(by_type.values()), **by_type},
        "loans": {"total": sum(by_type[t] for t in LOAN_TYPES),
                  **{t: by_type[t] for t in LOAN_TYPES}},
        "loan_amount": amount,
        "jobs_found": by_type["job_placement"],
    }


def _commendations(unit: Unit, period: Period, by_child: bool) -> dict[str, Rows]:
    qs = Commendation.objects.filter(unit_path__subtree=unit.path,
                                     decided_on__gte=period.start, decided_on__lte=period.end)
    return _group(qs, unit, by_child, "unit_path", "recipient_kind", n=Count("pk"))


def _commendations_finish(rows: Rows) -> dict[str, Any]:
    by_kind = dict.fromkeys(Commendation.RecipientKind.values, 0)
    for r in rows:
        by_kind[r["recipient_kind"]] = by_kind.get(r["recipient_kind"], 0) + r["n"]
    return {"commendations": {"total": sum(by_kind.values()), **by_kind}}


TRAFFICKING_CODES = {"trafficked_recruitment": ("recruitment_methods", "recruitment_method"),
                     "trafficked_relation": ("recruiter_relation", "recruiter_relation"),
                     "trafficked_destination": ("exploitation_country", "destination"),
                     "trafficked_exploitation": ("exploitation", "exploitation"),
                     "trafficked_control": ("means_of_control", "means_of_control"),
                     "trafficked_age": ("legal_age", "legal_age"),
                     "trafficked_ethnicity": ("person__ethnic_group", "ethnic_group")}
_DERIVED = {"legal_age"}  # worked out in ``_trafficking_finish``, not read


def _trafficking(unit: Unit, period: Period, by_child: bool) -> dict[str, Rows]:
    """The trafficking events placed in the period (their first known date, else their
    case's opening), one row each: persons are counted apart in ``_trafficking_finish``
    (a list of ticks cannot be grouped in SQL alike on SQLite and PostgreSQL)."""
    day = Coalesce("recruited_on", "exploitation_start", "returned_on", "case__opened_on")
    qs = (TraffickingEvent.objects.filter(unit_path__subtree=unit.path)
          .annotate(_day=day).filter(_day__gte=period.start, _day__lte=period.end)
          .order_by("pk"))
    fields = ["person_id", "record_key", "_day", "person__birth_year",
              *(f for f, _kind in TRAFFICKING_CODES.values() if f not in _DERIVED)]
    out: dict[str, Rows] = defaultdict(list)
    if by_child:
        qs = qs.annotate(_child=child_key(unit.path))
        for row in qs.values("_child", *fields):
            out[row.pop("_child")].append(row)
    else:
        out[ALL] = list(qs.values(*fields))
    return out


def _trafficking_finish(rows: Rows) -> dict[str, Any]:
    """Distinct persons per part; a cell's key is the sum of the record keys of the first
    event of each person counted (the same persons give the same key)."""
    # reports.ctdc imports this module: a cycle
    from ctip.reports.ctdc import legal_band

    values: dict[str, Any] = {}
    keys: dict[str, Any] = {}
    for r in rows:
        born, day = r.get("person__birth_year"), r.get("_day")
        r["legal_age"] = legal_band(day.year - born if born and day else None)
    for code, (field, _kind) in TRAFFICKING_CODES.items():
        persons: dict[str, dict[int, int]] = defaultdict(dict)
        for r in rows:
            ticks = r[field] if isinstance(r[field], list) else [r[field]]
            for part in ["total", *(t or "unknown" for t in ticks)]:
                persons[part].setdefault(r["person_id"], int(r["record_key"]))
        fixed = _TRAFFICKING_PARTS.get(code, ())
        values[code] = {"total": 0, **dict.fromkeys(fixed, 0),
                        **{p: len(who) for p, who in persons.items()}}
        keys[code] = {"total": 0, **dict.fromkeys(fixed, 0),
                      **{p: sum(who.values()) for p, who in persons.items()}}
    return {**values, KEYS: keys}


def _trafficking_parts() -> dict[str, tuple[str, ...]]:
    return {"trafficked_recruitment": tuple(htcds.RecruitmentMethod.values),
            "trafficked_relation": tuple(htcds.RecruiterRelation.values),
            "trafficked_exploitation": tuple(htcds.Exploitation.values),
            "trafficked_control": tuple(htcds.MeansOfControl.values),
            "trafficked_age": LEGAL_AGES}


LEGAL_AGES = ("under_16", "16_17", "18_plus", "unknown")


_TRAFFICKING_PARTS = _trafficking_parts()

Query = Callable[[Unit, Period, bool], dict[str, Rows]]
Finish = Callable[[Rows], dict[str, Any]]
SOURCES: dict[str, tuple[Query, Finish, frozenset[str]]] = {
    "activities": (_activities, _activities_finish, frozenset(
        {"sessions", "participants", "sessions_border_remote", "online_reach"})),
    "speakers": (_speakers, _speakers_finish, frozenset({"active_speakers"})),
    "clubs": (_clubs, _clubs_finish, frozenset({"models", "clubs", "club_members"})),
    "situations": (_situations, _situations_finish, frozenset(
        {"situations", "situations_escalated_on_time"})),
    "referrals": (_referrals, _referrals_finish, frozenset({"referrals"})),
    "cases": (_cases, _cases_finish, frozenset(
        {"cases_opened", "cases_active", "cases_closed", "victims_supported_pct"})),
    "services": (_services, _services_finish, frozenset(
        {"services", "loans", "loan_amount", "jobs_found"})),
    "trafficking": (_trafficking, _trafficking_finish, frozenset(TRAFFICKING_CODES)),
    "commendations": (_commendations, _commendations_finish, frozenset({"commendations"})),
}
assert {c for *_, codes in SOURCES.values() for c in codes} == set(BY_CODE)  # noqa: S101


def _run(unit: Unit, period: Period, codes: Iterable[str] | None,
         by_child: bool) -> tuple[list[Indicator], dict[str, dict[str, Any]]]:
    """Values by group key (``ALL`` or child keys) for the indicators asked for."""
    indicators = resolve(codes)
    wanted = {i.code for i in indicators}
    groups: dict[str, dict[str, Any]] = defaultdict(dict)
    for query, finish, provides in SOURCES.values():
        if not provides & wanted:
            continue
        keys = (ALL,) if not by_child else ()
        rows_by_key = query(unit, period, by_child)
        for key in {*keys, *rows_by_key}:
            values = finish(rows_by_key.get(key, []))
            groups[key].update({c: v for c, v in values.items() if c in wanted})
    return indicators, groups


def _empty(indicators: list[Indicator]) -> dict[str, Any]:
    wanted = {i.code for i in indicators}
    values: dict[str, Any] = {}
    for _query, finish, provides in SOURCES.values():
        if provides & wanted:
            values.update({c: v for c, v in finish([]).items() if c in wanted})
    return values


def compute(unit: Unit, period: Period, codes: list[str] | None = None) -> dict[str, Any]:
    """Values of the indicators (all when ``codes`` is None) for the subtree of ``unit``."""
    indicators, groups = _run(unit, period, codes, by_child=False)
    values = groups.get(ALL) or _empty(indicators)
    return {i.code: values[i.code] for i in indicators}


def compute_by_child(unit: Unit, period: Period,
                     codes: list[str] | None = None) -> list[tuple[Unit, dict[str, Any]]]:
    """Values per child of ``unit`` (see the module docstring), one grouped query per source
    and one for the children."""
    indicators, groups = _run(unit, period, codes, by_child=True)
    return _per_child(unit, indicators, groups)


def compute_with_children(unit: Unit, period: Period, codes: list[str] | None = None
                          ) -> tuple[dict[str, Any], list[tuple[Unit, dict[str, Any]]]]:
    """``(compute(...), compute_by_child(...))`` from one pass over the facts instead of two.

    Every fact row of the subtree falls under exactly one child key (or the unit's own), and
    each source's rows are counts and sums per group, which its ``finish`` adds up: so the
    subtree's values are the ``finish`` of all the children's rows together, percentages
    included (they are worked out from the summed counts). A test holds both ways equal."""
    total, _keys, per_child = compute_keyed(unit, period, codes)
    return total, [(u, values) for u, values, _k in per_child]


Keyed = tuple[dict[str, Any], dict[str, Any], list[tuple[Unit, dict[str, Any], dict[str, Any]]]]


def compute_keyed(unit: Unit, period: Period, codes: list[str] | None = None) -> Keyed:
    """``compute_with_children`` with the cell keys of the counts of people beside the values:
    ``(total, total keys, [(child, values, keys), ...])``; keys have the shape of the values
    (``{code: {part: sum of record keys}}``), for the person-count indicators only. The input
    of ``reports.privacy.protect_values``."""
    indicators = resolve(codes)
    wanted = {i.code for i in indicators}
    groups: dict[str, dict[str, Any]] = defaultdict(dict)
    group_keys: dict[str, dict[str, Any]] = defaultdict(dict)
    whole: dict[str, Any] = {}
    whole_keys: dict[str, Any] = {}
    for query, finish, provides in SOURCES.values():
        if not provides & wanted:
            continue
        rows_by_key = query(unit, period, True)
        every = [row for rows in rows_by_key.values() for row in rows]
        done = finish(every)
        whole.update({c: v for c, v in done.items() if c in wanted})
        whole_keys.update({c: v for c, v in done.get(KEYS, {}).items() if c in wanted})
        for key, rows in rows_by_key.items():
            done = finish(rows)
            groups[key].update({c: v for c, v in done.items() if c in wanted})
            group_keys[key].update({c: v for c, v in done.get(KEYS, {}).items()
                                    if c in wanted})
    empty_keys = _empty_keys(indicators)
    per_child = [(u, values, {**empty_keys,
                              **group_keys.get(OWN if u.pk == unit.pk else str(u.pk), {})})
                 for u, values in _per_child(unit, indicators, groups)]
    return ({i.code: whole[i.code] for i in indicators}, {**empty_keys, **whole_keys},
            per_child)


def _empty_keys(indicators: list[Indicator]) -> dict[str, Any]:
    wanted = {i.code for i in indicators}
    keys: dict[str, Any] = {}
    for _query, finish, provides in SOURCES.values():
        if provides & wanted:
            keys.update({c: v for c, v in finish([]).get(KEYS, {}).items() if c in wanted})
    return keys


def compute_values_and_keys(unit: Unit, period: Period, codes: list[str] | None = None
                            ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``compute`` for the subtree of ``unit`` with its cell keys (a report's snapshot)."""
    total, keys, _children = compute_keyed(unit, period, codes)
    return total, keys


def _per_child(unit: Unit, indicators: list[Indicator], groups: dict[str, dict[str, Any]]
               ) -> list[tuple[Unit, dict[str, Any]]]:
    seen = {int(k) for k in groups if k not in (OWN, ALL) and k.isdigit()}
    children = list(Unit.objects.filter(Q(parent=unit, closed_on__isnull=True)
                                        | Q(pk__in=seen)).order_by(vi_order("name"), "pk"))
    empty = _empty(indicators)
    order = [i.code for i in indicators]
    result = [(child, {c: groups.get(str(child.pk), empty).get(c, empty[c]) for c in order})
              for child in children]
    if OWN in groups:
        result.append((unit, {c: groups[OWN].get(c, empty[c]) for c in order}))
    return result


def monthly(unit: Unit, period: Period) -> list[tuple[Period, dict[str, int]]]:
    """Sessions and participants of the subtree month by month, in one grouped query: from
    the monthly roll-up where it answers, else from the activities grouped by day and added up
    by month here: a plain column keeps the query on the covering
    index, where truncating to the month (a function per row; in Python on SQLite) does not."""
    level = rollup_level(unit, period, by_child=False)
    rows: Iterable[tuple[dt.date, int, int]]
    if level is not None:
        rows = (ActivityMonth.objects.filter(level=level, path__subtree=unit.path,
                                             month__gte=period.start, month__lte=period.end)
                .order_by().values_list("month")
                .annotate(sessions=Sum("n"), participants=Sum("total")))
    else:
        rows = (Activity.objects.filter(unit_path__subtree=unit.path,
                                        status=Activity.Status.DONE,
                                        date__gte=period.start, date__lte=period.end)
                .order_by().values_list("date")
                .annotate(sessions=Count("pk"),
                          participants=Coalesce(Sum("participants_total"), 0)))
    found: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for day, sessions, participants in rows:
        sums = found[(day.year, day.month)]
        sums[0] += sessions
        sums[1] += participants
    out = []
    for month in period.months():
        sessions, participants = found.get((month.start.year, month.start.month), (0, 0))
        out.append((month, {"sessions": sessions, "participants": participants}))
    return out


# --- Labels of breakdown keys ------------------------------------------------------------------

_FIXED_LABELS: dict[str, dict[str, tuple[Any, str]]] = {
    "sex": {"women": (_l("women"), "Nữ"), "men": (_l("men"), "Nam"),
            "not_stated": (_l("sex not stated"), "Không ghi giới tính")},
    "area": {"border": (_l("border units"), "Địa bàn biên giới"),
             "remote": (_l("remote and far-flung units"), "Vùng sâu, vùng xa"),
             "minority": (_l("ethnic minority areas"), "Vùng đồng bào dân tộc thiểu số")},
    "online": {"shares": (_l("shares"), "Lượt chia sẻ"),
               "posts": (_l("online posts"), "Số bài đăng trực tuyến")},
    "model_status": {"active": (_l("active at the end of the period"), "Đang hoạt động"),
                     "new": (_l("founded"), "Thành lập mới"),
                     "replicated": (_l("of which replicated"), "Trong đó nhân rộng"),
                     "dissolved": (_l("dissolved"), "Giải thể")},
    "escalation": {"escalated": (_l("situations escalated"), "Số vụ việc đã báo cáo lên"),
                   "on_time": (_l("of which on time"), "Trong đó đúng hạn")},
    "victims": {"victims": (_l("victims' cases active"), "Số nạn nhân đang được hỗ trợ"),
                "supported": (_l("with at least one service"),
                              "Được hưởng ít nhất một dịch vụ")},
}
_VI_CHOICES = {
    # Literal Vietnamese for the fixed lists of other apps, so exports never depend on the
    # UI language or on the state of the translation catalogue.
    "migrant_labour": "Lao động di cư", "labour_export": "Xuất khẩu lao động",
    "foreign_marriage": "Kết hôn với người nước ngoài", "domestic_violence": "Bạo lực gia đình",
    "sexual_abuse": "Xâm hại tình dục", "suspected_trafficking": "Nghi mua bán người",
    "returned": "Người từ nước ngoài trở về", "missing": "Người mất tích",
    "recruitment": "Lời mời tuyển dụng đáng ngờ", "other": "Khác",
    "returned_victim": "Nạn nhân trở về", "being_identified": "Người đang được xác minh là nạn "
    "nhân", "high_risk": "Phụ nữ có nguy cơ cao", "reintegration": "Người vi phạm pháp luật "
    "được giúp đỡ hòa nhập",
    "essential_needs": "Nhu cầu thiết yếu", "medical": "Chăm sóc y tế",
    "psychological": "Hỗ trợ tâm lý", "legal_aid": "Trợ giúp pháp lý",
    "interpretation": "Phiên dịch", "travel": "Chi phí đi lại", "schooling": "Hỗ trợ học văn hóa",
    "vocational": "Học nghề", "job_placement": "Tư vấn, giới thiệu việc làm",
    "hardship_allowance": "Trợ cấp khó khăn ban đầu", "loan_support": "Hỗ trợ vay vốn",
    "entrusted_loan": "Vay vốn ủy thác qua Hội", "savings_group": "Tổ tiết kiệm của Hội",
    "livelihood": "Chương trình sinh kế của Hội", "counselling": "Thăm hỏi, tư vấn của Hội",
    "unit": "Tập thể", "club": "Câu lạc bộ, mô hình", "person": "Cá nhân",
}


def breakdown_labels(indicator: Indicator, value: Any = None) -> list[tuple[str, Any, str]]:
    """(key, label, Vietnamese label) for each breakdown key of ``indicator`` in display order;
    keys present in ``value`` but not in a fixed list (a new format or agency) come last."""
    if not indicator.breakdowns:
        return []
    kind = indicator.breakdowns[0]
    labels: list[tuple[str, Any, str]] = []
    if kind in _TRAFFICKING_LABELS or kind in ("destination", "legal_age", "ethnic_group"):
        pass
    elif kind in _FIXED_LABELS:
        labels = [(k, lbl, vi) for k, (lbl, vi) in _FIXED_LABELS[kind].items()]
    elif kind in ("format", "agency"):
        model = Format if kind == "format" else Agency
        labels = [(e.code, e.name, e.name) for e in model.objects.order_by("order", "name")
                  if not e.archived or (value and e.code in value)]
    else:
        choices = {"category": Category, "case_kind": SupportCase.Kind,
                   "service_type": Service.Type, "loan_type": Service.Type,
                   "recipient": Commendation.RecipientKind}[kind]
        keys = LOAN_TYPES if kind == "loan_type" else choices.values
        labels = [(k, choices(k).label, _VI_CHOICES.get(k, str(choices(k).label)))
                  for k in keys]
    if kind in _TRAFFICKING_LABELS:
        labels = _TRAFFICKING_LABELS[kind]()
    elif kind == "legal_age":
        labels = [("under_16", _l("under 16"), "Dưới 16 tuổi"),
                  ("16_17", _l("16 to 17"), "Từ 16 đến dưới 18 tuổi"),
                  ("18_plus", _l("18 and over"), "Từ 18 tuổi trở lên"),
                  ("unknown", _l("age unknown"), "Không rõ tuổi")]
    elif kind == "ethnic_group":
        names = dict(htcds.ETHNIC_GROUPS)
        labels = [(k, names.get(k, _l("foreign national") if k == "foreign" else _l("unknown")),
                   names.get(k, "Người nước ngoài" if k == "foreign" else "Không rõ"))
                  for k in sorted(value or {}) if k != "total"]
    elif kind == "destination":
        labels = [(k, iso3166.name(k) if k != "unknown" else _l("unknown"),
                   iso3166.name(k) if k != "unknown" else "Không rõ")
                  for k in sorted(value or {}, key=lambda c: (c == "unknown", c))
                  if k != "total"]
    labels = [(k, official(lbl, vi), vi) for k, lbl, vi in labels]
    known = {k for k, *_ in labels}
    for key in (value or {}):
        if key != "total" and key not in known:
            labels.append((key, key, key))
    return labels


def _choice_labels(name: str) -> Callable[[], list[tuple[str, Any, str]]]:
    def labels() -> list[tuple[str, Any, str]]:
        choices = getattr(htcds, name)
        with translation.override("vi"):
            vi = {c: str(choices(c).label) for c in choices.values}
        return [(c, choices(c).label, vi[c]) for c in choices.values]

    return labels


_TRAFFICKING_LABELS = {"recruitment_method": _choice_labels("RecruitmentMethod"),
                       "recruiter_relation": _choice_labels("RecruiterRelation"),
                       "exploitation": _choice_labels("Exploitation"),
                       "means_of_control": _choice_labels("MeansOfControl")}
