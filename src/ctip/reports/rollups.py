"""Roll-ups kept by the database in the same transaction as every write.

The indicators (``reports.indicators``) read derived data where a period is made of whole
months:

- ``ActivityMonth``: the done activities summed per month and format, at two levels of the
  tree. At level 1 a row's ``path`` is the activity's ``unit_path`` cut to its province
  (``/central/province/``); at level 2, cut to its commune (``/central/province/commune/``).
  A path that is already shorter (an activity of a province's own office) stays as it is.
  So the nation table by province reads level 1, a province's dashboard by commune level 2,
  and neither reads the activities themselves. The area columns count the activities recorded
  at a unit flagged as border, remote or far-flung, or ethnic minority area *or below one* (a
  branch of a border commune is in the border area): the current flags of the units whose ids
  make up the activity's recorded path.
- ``SpeakerMonth``: how many done activities each speaker was listed on in a month, so "active
  speakers" is one indexed look-up per speaker instead of a search through their activities.

Three more are columns: ``cases.Situation.escalated_after_us``, the microseconds from a
situation being recorded to its first escalation (NULL while it has none), so "escalated within
the deadline" is an exact comparison in SQL whatever the period;
``cases.SupportCase.first_served_on``, the day of a case's first delivered service (NULL while
none), so "served by the end of the period" is a comparison in the cases' report index instead
of a look-up in the services per case (decision 0064); and ``cases.Service.case_path``, the
unit path of a service's case, moved with the case, so the services of a subtree are found and
grouped by child from their own index without joining the cases (decision 0070).

All five are kept by **database triggers** (SQLite and PostgreSQL), not by the actions: every
write changes them in its own transaction, whatever wrote it — a form, the API, the Excel
import's ``bulk_create``, a unit's flags edited, a queryset ``update()``, or SQL typed by an
administrator. ``rebuild()`` (``ctip reports rebuild``) recomputes them from the facts;
``differences()`` (``ctip reports rebuild --check``) counts where the kept values and a fresh
computation disagree, and tests hold them equal after every kind of write. ``ctip reports sql``
prints the triggers' SQL as ``install_sql`` builds it and ``install`` runs it.

One more trigger keeps no figure: it marks the audit events that wrote something, for the data
versions of the kept pages (``reports.marks``, decision 0093); ``rebuild`` and ``differences``
cover the marks too.

**Deltas, not counters.** A trigger never updates a roll-up row: it appends a row with the
change (``delta`` true), and readers sum the rows of a key. So two writers in one province and
month never wait for each other or deadlock on a shared counter row; ``compact()`` (a job of
``ctip worker`` every few minutes, and ``rebuild``) folds the deltas of each key into one row.
On PostgreSQL a trigger that reads another row (a unit's flags, an activity's status) first
takes a share lock on it, so a concurrent change of that row waits instead of being missed.

An activity goes with its unit when the unit moves (``org.paths.PLACES``, decision 0100). The
update trigger ignores a path rewritten without its unit: the move sends
``org.signals.paths_rewriting`` before and after the rewrite, and ``shift_activities`` takes
the subtree's sums away from the old province and commune and adds them at the new ones, in one
grouped statement each way, in the move's transaction.

**Migrations.** SQLite rebuilds a table to alter it, and refuses to while a trigger names a
table that is momentarily missing; a PostgreSQL trigger function would break on a renamed
column. So whenever ``migrate`` has migrations to apply, the triggers are dropped before
(``before_migrate``) and installed again after, with a rebuild (``after_migrate``). A change to
the SQL below therefore ships with a migration (an empty one will do), so that installations
get the new triggers and roll-ups computed by them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from ctip.figures.rollups import LEVELS
from ctip.org.models import AREA_FLAG_FIELDS, UNIT_AREA_FIELDS
from ctip.reports import marks
from ctip.reports.periods import Period

#: The area columns: one per area of ``org.models.AREA_FLAG_FIELDS``, then any of them.
AREA_SUMS = (*AREA_FLAG_FIELDS, "any_area")
ACTIVITY_SUMS = ("n", "women", "men", "total", "views", "shares", *AREA_SUMS)
ACTIVITY_KEY = ("level", "path", "month", "format_id")


def _any_of(fields: tuple[str, ...]) -> str:
    return " OR ".join(f"@.{f}" for f in fields)


#: What each area column counts, on a unit ``@`` (the fact's unit or one above it).
AREA_FLAGS = (*(_any_of(fields) for fields in AREA_FLAG_FIELDS.values()),
              _any_of(UNIT_AREA_FIELDS))


def truncate(path: str, level: int) -> str:
    """``path`` cut to its first ``level + 1`` segments (itself when shorter): what the SQL of
    ``_Dialect.truncate`` computes."""
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[:level + 1]) + "/"


def whole_months(period: Period) -> bool:
    """Whether ``period`` is made of whole calendar months (a month, quarter, half or year)."""
    return period.start.day == 1 and (period.end + dt.timedelta(days=1)).day == 1


# --- SQL, per database ------------------------------------------------------------------------


class _Dialect:
    def __init__(self, vendor: str) -> None:
        if vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"no roll-up triggers for {vendor}")
        self.pg = vendor == "postgresql"

    def truncate(self, path: str, level: int) -> str:
        """SQL for ``truncate(path, level)``: the ``/`` closing segment ``k`` is the one after
        the ``/`` closing segment ``k - 1`` (a shorter path stops at its own last ``/``, since
        searching the empty rest finds nothing and adds 0)."""
        find = "strpos" if self.pg else "instr"
        end = "1"
        for _ in range(level + 1):
            end = f"({end} + {find}(substr({path}, {end} + 1), '/'))"
        return f"substr({path}, 1, {end})"

    def by_level(self, path: str) -> str:
        whens = " ".join(f"WHEN {lv} THEN {self.truncate(path, lv)}" for lv in LEVELS)
        return f"CASE lv.lv {whens} END"

    def month(self, day: str) -> str:
        return (f"date_trunc('month', ({day})::timestamp)::date" if self.pg
                else f"substr({day}, 1, 8) || '01'")

    def flag(self, expr: str) -> str:
        return f"COALESCE(({expr})::int, 0)" if self.pg else f"COALESCE(({expr}), 0)"

    def micros(self, moment: str) -> str:
        """Microseconds since 1970 of a stored datetime, exactly: SQLite keeps Django's
        datetimes as UTC text ``YYYY-MM-DD HH:MM:SS[.ffffff]``. The whole seconds are read from
        the first 19 characters only: SQLite's own parsing rounds the fraction to milliseconds,
        so ``06:59:59.999999`` would count as 07:00:00 plus 999,999 microseconds, a second
        late."""
        if self.pg:
            return f"(extract(epoch from {moment}) * 1000000)::bigint"
        return (f"(CAST(strftime('%s', substr({moment}, 1, 19)) AS INTEGER) * 1000000 "
                f"+ CAST(substr({moment} || '.000000', 21, 6) AS INTEGER))")

    def differs(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}" if self.pg else f"{a} IS NOT {b}"

    def ids_in(self, path: str, column: str = "f.id") -> str:
        """``column`` is one of the unit ids a path is made of: the unit and every unit above
        it when the fact was recorded."""
        if self.pg:
            return (f"{column} = ANY(string_to_array(trim(both '/' from {path}), '/')"
                    "::bigint[])")
        return (f"{column} IN (SELECT value FROM json_each('[' || "
                f"replace(trim({path}, '/'), '/', ',') || ']'))")

    def areas(self, path: str, old: str | None = None) -> list[str]:
        """The area flags (``AREA_SUMS``: border; remote or far-flung; ethnic minority; any)
        of a fact recorded at ``path`` as 0/1 scalar subqueries: set when its unit or any unit
        above it carries the flag (a branch of a border commune is in the border area). With
        ``old`` (OLD in a trigger on ``org_unit``), the flags as they were before that unit's
        change."""
        out = []
        for expr in AREA_FLAGS:
            flag = self.flag(expr.replace("@", "f"))
            if old is not None:
                flag = f"CASE WHEN f.id = {old}.id THEN {self.flag(expr.replace('@', old))} " \
                       f"ELSE {flag} END"
            out.append(f"(SELECT COALESCE(MAX({flag}), 0) FROM org_unit f "
                       f"WHERE {self.ids_in(path)})")
        return out


LEVELS_SQL = "(" + " UNION ALL ".join(f"SELECT {lv} AS lv" for lv in LEVELS) + ") lv"
ACTIVITY_COLUMNS = (*ACTIVITY_KEY, *ACTIVITY_SUMS, "delta")
SPEAKER_COLUMNS = ("speaker_id", "month", "n", "delta")


def _activity_delta(d: _Dialect, row: str, sign: str, cond: str = "1 = 1") -> str:
    """Add (``sign`` 1) or take away (-1) the activity ``row`` (NEW or OLD) at every level."""
    areas = d.areas(f"{row}.unit_path")
    return (
        f"INSERT INTO reports_activitymonth ({', '.join(ACTIVITY_COLUMNS)}) "
        f"SELECT lv.lv, {d.by_level(f'{row}.unit_path')}, {d.month(f'{row}.date')}, "
        f"{row}.format_id, {sign}, {sign} * COALESCE({row}.participants_women, 0), "
        f"{sign} * COALESCE({row}.participants_men, 0), {sign} * {row}.participants_total, "
        f"{sign} * {row}.online_views, {sign} * {row}.online_shares, "
        f"{', '.join(f'{sign} * ar.{c}' for c in AREA_SUMS)}, TRUE "
        f"FROM {LEVELS_SQL} CROSS JOIN (SELECT {_named(areas)}) ar WHERE ({cond})")


def _activities_delta(d: _Dialect, ids_sql: str, sign: int) -> str:
    """``_activity_delta`` for many activities at once: the done ones among those ``ids_sql``
    selects, summed per path, month and format, their area flags read once per path, then
    summed per level."""
    month = d.month("a.date")
    per_path = (
        f"SELECT a.unit_path, {month} AS month, a.format_id, COUNT(*) AS n, "
        "SUM(COALESCE(a.participants_women, 0)) AS women, "
        "SUM(COALESCE(a.participants_men, 0)) AS men, SUM(a.participants_total) AS total, "
        "SUM(a.online_views) AS views, SUM(a.online_shares) AS shares "
        f"FROM outreach_activity a WHERE a.status = 'done' AND a.id IN ({ids_sql}) "
        f"GROUP BY a.unit_path, {month}, a.format_id")
    with_areas = f"SELECT g.*, {_named(d.areas('g.unit_path'))} FROM ({per_path}) g"
    sums = [f"{sign} * SUM(x.{c})" for c in ("n", "women", "men", "total", "views", "shares")]
    sums += [f"{sign} * SUM(x.n * x.{c})" for c in AREA_SUMS]
    path = d.by_level("x.unit_path")
    return (f"INSERT INTO reports_activitymonth ({', '.join(ACTIVITY_COLUMNS)}) "
            f"SELECT lv.lv, {path}, x.month, x.format_id, {', '.join(sums)}, TRUE "
            f"FROM ({with_areas}) x CROSS JOIN {LEVELS_SQL} "
            f"GROUP BY lv.lv, {path}, x.month, x.format_id")


def shift_activities(rows: Any, sign: int) -> None:
    """Take away (``sign`` -1) or add (1) the sums of the activities ``rows`` (a queryset)
    selects, at the paths they carry now, in one statement: before and after a move's rewrite
    of their paths that keeps their unit (``org.signals.paths_rewriting``), which the update
    trigger ignores. A restructuring then costs one grouped statement each way instead of the
    trigger's work for every activity of the subtree (decision 0100)."""
    if sign not in (-1, 1):
        raise ValueError(f"sign must be -1 or 1: {sign!r}")
    conn = connections[rows.db]
    ids_sql, params = rows.order_by().values("id").query.sql_with_params()
    with conn.cursor() as cursor:
        cursor.execute(_activities_delta(_Dialect(conn.vendor), ids_sql, sign), params)


def _named(areas: list[str]) -> str:
    """The area subqueries of ``_Dialect.areas`` named as their columns."""
    return ", ".join(f"{sql} AS {c}" for sql, c in zip(areas, AREA_SUMS, strict=True))


def _area_shift(d: _Dialect) -> str:
    """When a unit's flags change, move the done activities recorded at it or below it (its
    id is in their path) between the area columns, by how their flags change: a unit above
    that keeps the flag leaves them where they are."""
    after = d.areas("a.unit_path")
    before = d.areas("a.unit_path", old="OLD")
    shifts = ", ".join(f"{a} - {b} AS d{i}" for i, (a, b) in enumerate(zip(after, before,
                                                                            strict=True)))
    path = d.by_level("x.unit_path")
    below = "'%/' || CAST(NEW.id AS TEXT) || '/%'"
    return (
        f"INSERT INTO reports_activitymonth ({', '.join(ACTIVITY_COLUMNS)}) "
        f"SELECT lv.lv, {path}, x.month, x.format_id, 0, 0, 0, 0, 0, 0, "
        f"{', '.join(f'SUM(x.d{i})' for i in range(len(AREA_SUMS)))}, TRUE "
        f"FROM (SELECT a.unit_path, {d.month('a.date')} AS month, a.format_id, {shifts} "
        f"FROM outreach_activity a WHERE a.status = 'done' AND a.unit_path LIKE {below}) x "
        f"CROSS JOIN {LEVELS_SQL} "
        f"GROUP BY lv.lv, {path}, x.month, x.format_id "
        f"HAVING {' OR '.join(f'SUM(x.d{i}) <> 0' for i in range(len(AREA_SUMS)))}")


def _speakers_of(d: _Dialect, row: str, sign: str, cond: str) -> str:
    """Add or take away the month of activity ``row`` for each speaker listed on it."""
    return (
        f"INSERT INTO reports_speakermonth ({', '.join(SPEAKER_COLUMNS)}) "
        f"SELECT l.speaker_id, {d.month(f'{row}.date')}, {sign}, TRUE "
        f"FROM outreach_activity_speakers l WHERE l.activity_id = {row}.id AND ({cond})")


def _speaker_link(d: _Dialect, row: str, sign: str) -> str:
    """Add or take away one link ``row`` (NEW or OLD) of a speaker to an activity."""
    return (
        f"INSERT INTO reports_speakermonth ({', '.join(SPEAKER_COLUMNS)}) "
        f"SELECT {row}.speaker_id, {d.month('a.date')}, {sign}, TRUE "
        f"FROM outreach_activity a WHERE a.id = {row}.activity_id AND a.status = 'done'")


def _first_escalation(d: _Dialect, situation: str) -> str:
    return (f"(SELECT MIN({d.micros('e.at')}) - {d.micros(f'{situation}.created_at')} "
            "FROM cases_situationevent e "
            f"WHERE e.situation_id = {situation}.id AND e.kind = 'escalated')")


def _escalation(d: _Dialect, situation_id: str) -> str:
    """Recompute the escalation delay of one situation from its events."""
    return (f"UPDATE cases_situation SET escalated_after_us = "
            f"{_first_escalation(d, 'cases_situation')} WHERE id = {situation_id}")


def _first_service(case: str) -> str:
    return ("(SELECT MIN(s.date) FROM cases_service s "
            f"WHERE s.case_id = {case}.id AND s.status = 'delivered')")


def _served(case_id: str) -> str:
    """Recompute the day of one support case's first delivered service from its services."""
    return (f"UPDATE cases_supportcase SET first_served_on = "
            f"{_first_service('cases_supportcase')} WHERE id = {case_id}")


def _case_path(service: str) -> str:
    return f"(SELECT c.unit_path FROM cases_supportcase c WHERE c.id = {service}.case_id)"


def _path_of_case(service_id: str) -> str:
    """Put the path of its case on one service (SQLite: after the write, when wrong)."""
    return (f"UPDATE cases_service SET case_path = {_case_path('cases_service')} "
            f"WHERE id = {service_id}")


def _services_follow(case: str) -> str:
    """A case moved to another unit moves its services' path."""
    return (f"UPDATE cases_service SET case_path = {case}.unit_path "
            f"WHERE case_id = {case}.id")


def _lock_cases(*case_ids: str, where: str = "TRUE") -> str:
    """PostgreSQL: ``_lock_case`` of several cases, in id order (two writers locking the same
    cases cannot deadlock), when ``where`` holds."""
    return (f"PERFORM 1 FROM cases_supportcase WHERE id IN ({', '.join(case_ids)}) "
            f"AND ({where}) ORDER BY id FOR UPDATE")


def _lock_case(case_id: str) -> str:
    """PostgreSQL: take the case's row before reading its services, so that the next
    statement (a new snapshot) sees the services of a concurrent writer that held it."""
    return f"PERFORM 1 FROM cases_supportcase WHERE id = {case_id} FOR UPDATE"


def _share_lock_units(d: _Dialect, *paths: str) -> str:
    """``_share_lock`` of the units a fact's area flags are read from: every unit of its
    path(s)."""
    match = " OR ".join(d.ids_in(p, "id") for p in paths)
    return f"PERFORM 1 FROM org_unit WHERE {match} ORDER BY id FOR SHARE"


def _share_lock(table: str, pks: str) -> str:
    """PostgreSQL: hold the rows this trigger reads until commit, so that a concurrent change
    of them waits for this transaction (and then sees its rows) instead of missing them. In id
    order, so that two triggers locking the same rows cannot deadlock."""
    return f"PERFORM 1 FROM {table} WHERE id IN ({pks}) ORDER BY id FOR SHARE"


# One entry per trigger: (table, timing and event, WHEN condition or "", statements,
# PostgreSQL-only statements run first).
Trigger = tuple[str, str, str, list[str], list[str]]

_SPEAKERS_OUT = ("OLD.status = 'done' AND (NEW.status <> 'done' OR NEW.date <> OLD.date "
                 "OR NEW.id <> OLD.id)")
_SPEAKERS_IN = ("NEW.status = 'done' AND (OLD.status <> 'done' OR NEW.date <> OLD.date "
                "OR NEW.id <> OLD.id)")
_AREA_CHANGED = " OR ".join(f"NEW.{f} <> OLD.{f}" for f in UNIT_AREA_FIELDS)
# What the activity update trigger reads. Not the path alone: a path that changes without its
# unit is a restructuring (or a repair), which moves a subtree's sums in one statement
# (``shift_activities``, sent ``org.signals.paths_rewriting``; decision 0100).
_ACTIVITY_READ = ("id", "status", "date", "unit_id", "format_id",
                  "participants_women", "participants_men", "participants_total",
                  "online_views", "online_shares")


def _triggers(d: _Dialect) -> dict[str, Trigger]:
    changed = " OR ".join(d.differs(f"OLD.{c}", f"NEW.{c}") for c in _ACTIVITY_READ)
    units = [_share_lock_units(d, "NEW.unit_path")]
    triggers: dict[str, Trigger] = {
        # An activity's own speakers are counted by the link triggers; the activity triggers
        # count the links that exist when it is inserted or deleted (none, when Django writes
        # them: links are inserted after the activity and deleted before it).
        "ctip_activity_ins": ("outreach_activity", "AFTER INSERT", "NEW.status = 'done'",
                              [_activity_delta(d, "NEW", "1"),
                               _speakers_of(d, "NEW", "1", "1 = 1")], units),
        "ctip_activity_upd": ("outreach_activity", "AFTER UPDATE",
                              f"(OLD.status = 'done' OR NEW.status = 'done') AND ({changed})", [
                                  _activity_delta(d, "OLD", "-1", "OLD.status = 'done'"),
                                  _activity_delta(d, "NEW", "1", "NEW.status = 'done'"),
                                  _speakers_of(d, "OLD", "-1", _SPEAKERS_OUT),
                                  _speakers_of(d, "NEW", "1", _SPEAKERS_IN),
                              ], [_share_lock_units(d, "NEW.unit_path", "OLD.unit_path")]),
        "ctip_activity_del": ("outreach_activity", "AFTER DELETE", "OLD.status = 'done'",
                              [_activity_delta(d, "OLD", "-1"),
                               _speakers_of(d, "OLD", "-1", "1 = 1")],
                              [_share_lock_units(d, "OLD.unit_path")]),
        "ctip_unit_area": ("org_unit", "AFTER UPDATE", _AREA_CHANGED, [_area_shift(d)], []),
        "ctip_speaker_link_ins": ("outreach_activity_speakers", "AFTER INSERT", "",
                                  [_speaker_link(d, "NEW", "1")],
                                  [_share_lock("outreach_activity", "NEW.activity_id")]),
        "ctip_speaker_link_upd": ("outreach_activity_speakers", "AFTER UPDATE", "",
                                  [_speaker_link(d, "OLD", "-1"), _speaker_link(d, "NEW", "1")],
                                  [_share_lock("outreach_activity", "OLD.activity_id"),
                                   _share_lock("outreach_activity", "NEW.activity_id")]),
        "ctip_speaker_link_del": ("outreach_activity_speakers", "AFTER DELETE", "",
                                  [_speaker_link(d, "OLD", "-1")],
                                  [_share_lock("outreach_activity", "OLD.activity_id")]),
        "ctip_sitevent_ins": ("cases_situationevent", "AFTER INSERT", "NEW.kind = 'escalated'",
                              [_escalation(d, "NEW.situation_id")], []),
        "ctip_sitevent_upd": ("cases_situationevent", "AFTER UPDATE",
                              "OLD.kind = 'escalated' OR NEW.kind = 'escalated'",
                              [_escalation(d, "OLD.situation_id"),
                               _escalation(d, "NEW.situation_id")], []),
        "ctip_sitevent_del": ("cases_situationevent", "AFTER DELETE", "OLD.kind = 'escalated'",
                              [_escalation(d, "OLD.situation_id")], []),
        "ctip_service_ins": ("cases_service", "AFTER INSERT", "NEW.status = 'delivered'",
                             [_served("NEW.case_id")], [_lock_case("NEW.case_id")]),
        # only when what the day is computed from changes (not a provider, nor the path the
        # case's move writes on its services)
        "ctip_service_upd": ("cases_service", "AFTER UPDATE",
                             "(OLD.status = 'delivered' OR NEW.status = 'delivered') AND ("
                             + " OR ".join(d.differs(f"OLD.{c}", f"NEW.{c}")
                                           for c in ("status", "date", "case_id")) + ")",
                             [_served("OLD.case_id"), _served("NEW.case_id")],
                             [_lock_case("LEAST(OLD.case_id, NEW.case_id)"),
                              _lock_case("GREATEST(OLD.case_id, NEW.case_id)")]),
        "ctip_service_del": ("cases_service", "AFTER DELETE", "OLD.status = 'delivered'",
                             [_served("OLD.case_id")], [_lock_case("OLD.case_id")]),
    }
    # A case's path on its services: when a case moves, its services follow in the same
    # statement (the case's row is locked by its update, so a service written at the same
    # time, which locks it first, waits and then reads the new path, or is already seen).
    moved = d.differs("OLD.unit_path", "NEW.unit_path")
    triggers["ctip_case_moved"] = ("cases_supportcase", "AFTER UPDATE", moved,
                                   [_services_follow("NEW")], [])
    if d.pg:
        # A service's own writes take its case's path before the row is stored; an update
        # only when it changes case or carries another path (a stale copy saved).
        path_changed = (f"{d.differs('OLD.case_id', 'NEW.case_id')} OR "
                        f"{d.differs('OLD.case_path', 'NEW.case_path')}")
        set_path = [f"NEW.case_path := {_case_path('NEW')}"]
        triggers["ctip_service_path_ins"] = ("cases_service", "BEFORE INSERT", "", set_path,
                                             [_lock_case("NEW.case_id")])
        # A service moved to another case locks both cases (a concurrent move of the new
        # case would not see the service yet); an update within its case needs no lock: a
        # concurrent move of the case updates this row too, after it.
        triggers["ctip_service_path_upd"] = (
            "cases_service", "BEFORE UPDATE", path_changed, set_path,
            [_lock_cases("OLD.case_id", "NEW.case_id",
                         where="OLD.case_id IS DISTINCT FROM NEW.case_id")])
    else:
        wrong = d.differs("NEW.case_path", _case_path("NEW"))
        for name, event in (("ctip_service_path_ins", "AFTER INSERT"),
                            ("ctip_service_path_upd", "AFTER UPDATE")):
            triggers[name] = ("cases_service", event, wrong, [_path_of_case("NEW.id")], [])
    if d.pg:
        # The situation's own writes: computed before the row is stored, so nothing a save
        # carries over (a stale value read earlier) can overwrite it.
        triggers["ctip_situation_esc"] = (
            "cases_situation", "BEFORE INSERT OR UPDATE", "",
            [f"NEW.escalated_after_us := {_first_escalation(d, 'NEW')}"], [])
        triggers["ctip_case_served"] = (
            "cases_supportcase", "BEFORE INSERT OR UPDATE", "",
            [f"NEW.first_served_on := {_first_service('NEW')}"], [])
    else:
        # SQLite cannot change NEW: the row is corrected just after, when it is wrong
        # (recursive triggers are off, so this UPDATE does not fire the trigger again).
        wrong = d.differs("NEW.escalated_after_us", _first_escalation(d, "NEW"))
        for name, event in (("ctip_situation_ins", "AFTER INSERT"),
                            ("ctip_situation_upd", "AFTER UPDATE")):
            triggers[name] = ("cases_situation", event, wrong, [_escalation(d, "NEW.id")], [])
        wrong = d.differs("NEW.first_served_on", _first_service("NEW"))
        for name, event in (("ctip_case_ins", "AFTER INSERT"),
                            ("ctip_case_upd", "AFTER UPDATE")):
            triggers[name] = ("cases_supportcase", event, wrong, [_served("NEW.id")], [])
    return triggers


def _all_triggers(d: _Dialect) -> dict[str, Trigger]:
    """The roll-ups' triggers, and last those that mark writes for the data versions (the
    audit trail's and the duties' tables', ``reports.marks``), installed apart (``install``)."""
    return {**_triggers(d), marks.TRIGGER: marks.trigger("postgresql" if d.pg else "sqlite"),
            **marks.change_triggers("postgresql" if d.pg else "sqlite")}


def _mark_triggers(conn: BaseDatabaseWrapper) -> list[str]:
    """The names of the marks' triggers whose table exists (a database migrated back before
    a table has none: its triggers are then not installed, since every write of the table
    they watch would fail on it)."""
    tables = set(conn.introspection.table_names())
    return [*([marks.TRIGGER] if marks.TABLE in tables else []),
            *(marks.change_triggers() if marks.CHANGES_TABLE in tables else [])]


def trigger_names(vendor: str) -> list[str]:
    return list(_all_triggers(_Dialect(vendor)))


def _create_sql(d: _Dialect, name: str, trigger: Trigger) -> list[str]:
    table, event, when, statements, locks = trigger
    if d.pg:
        body = "\n".join(f"  {s};" for s in [*locks, *statements])
        ret = "NEW" if event.startswith("BEFORE") else "NULL"
        when_sql = f" WHEN ({when})" if when else ""
        # replaced in place (PostgreSQL 14): the table's readers do not wait, where a DROP
        # TRIGGER would lock them out until the transaction (a whole rebuild) ends
        return [
            f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\n  RETURN {ret};\nEND $$",
            f"CREATE OR REPLACE TRIGGER {name} {event} ON {table} FOR EACH ROW{when_sql} "
            f"EXECUTE FUNCTION {name}_fn()",
        ]
    when_sql = f" WHEN {when}" if when else ""
    body = "\n".join(f"  {s};" for s in statements)
    return [f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW{when_sql}\nBEGIN\n{body}\nEND"]


def _drop_sql(d: _Dialect, name: str, trigger: Trigger) -> list[str]:
    if d.pg:
        return [f"DROP TRIGGER IF EXISTS {name} ON {trigger[0]}",
                f"DROP FUNCTION IF EXISTS {name}_fn()"]
    return [f"DROP TRIGGER IF EXISTS {name}"]


def _execute(conn: BaseDatabaseWrapper, statements: list[str]) -> None:
    """In one transaction: a write between dropping a trigger and creating it again would
    otherwise be missed."""
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install_sql(vendor: str) -> list[tuple[str, list[str]]]:
    """Each trigger's name with the statements that create it on ``vendor``, in the order
    ``install`` runs them (``ctip reports sql`` prints them)."""
    d = _Dialect(vendor)
    return [(name, _create_sql(d, name, t)) for name, t in _all_triggers(d).items()]


def _marks_exist(conn: BaseDatabaseWrapper) -> bool:
    """Whether the marks' table is there (a database migrated back before it has none: its
    trigger is then not installed, since every audited action would fail on it)."""
    return marks.TABLE in conn.introspection.table_names()


def _install_rollups(conn: BaseDatabaseWrapper) -> None:
    apart = {marks.TRIGGER, *marks.change_triggers()}
    _execute(conn, [s for name, statements in install_sql(conn.vendor)
                    if name not in apart for s in statements])


def _install_marks(conn: BaseDatabaseWrapper) -> bool:
    """The marks' triggers (those whose table exists), each in a short transaction of its own:
    on PostgreSQL a trigger replaced locks its table's writers out for a moment, and one
    transaction over all of them would hold the audit trail (every sign-in) while it waited
    for a long write of another table, or deadlock with an action writing both. Replaced in
    place, a trigger misses no write. Whether the audit trail's is among them."""
    names = _mark_triggers(conn)
    created = dict(install_sql(conn.vendor))
    for name in names:
        _execute(conn, created[name])
    return marks.TRIGGER in names


def _refill_marks(conn: BaseDatabaseWrapper) -> int:
    """The marks put right from the trail (``marks.refill_sql``); how many were removed or
    added."""
    changed = 0
    with conn.cursor() as cursor:
        for sql in marks.refill_sql(conn.vendor):
            cursor.execute(sql)
            changed += max(cursor.rowcount, 0)
    return changed


def install(conn: BaseDatabaseWrapper) -> None:
    """Create (or replace) every trigger: the roll-ups' in one transaction, then the marks'
    in a short one of its own."""
    _install_rollups(conn)
    _install_marks(conn)


def uninstall(conn: BaseDatabaseWrapper) -> None:
    """Drop every trigger there is (their tables may be gone already)."""
    d = _Dialect(conn.vendor)
    present = installed(conn)
    _execute(conn, [s for name, t in _all_triggers(d).items() if name in present
                    for s in _drop_sql(d, name, t)])


def installed(conn: BaseDatabaseWrapper) -> set[str]:
    """The names of the roll-up triggers present in the database."""
    names = set(trigger_names(conn.vendor))
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return {row[0] for row in cursor.fetchall()} & names


def missing(conn: BaseDatabaseWrapper) -> set[str]:
    """The names of the roll-up triggers absent from the database."""
    apart = {marks.TRIGGER, *marks.change_triggers()}
    wanted = (set(trigger_names(conn.vendor)) - apart) | set(_mark_triggers(conn))
    return wanted - installed(conn)


# --- Rebuilding, compacting and checking ------------------------------------------------------


def _fresh_sql(d: _Dialect) -> dict[str, str]:
    """SELECTs that compute each roll-up from the facts, one row per key, in the tables' column
    order (without ``delta``)."""
    # The area flags once per distinct path, not once per activity. On PostgreSQL a
    # materialized CTE holds them: as a plain subquery the planner may evaluate its scalar
    # subqueries for every activity and level instead (with stale statistics after a bulk
    # load, a scan of the units each time: 12 minutes for a province's million activities).
    areas = (f"SELECT p.unit_path, {_named(d.areas('p.unit_path'))} "
             "FROM (SELECT DISTINCT unit_path FROM outreach_activity WHERE status = 'done') p")
    with_areas, areas = ((f"WITH ar AS MATERIALIZED ({areas}) ", "ar") if d.pg
                         else ("", f"({areas})"))
    return {
        "reports_activitymonth": (
            f"{with_areas}"
            f"SELECT lv.lv, {d.by_level('a.unit_path')}, {d.month('a.date')}, a.format_id, "
            "COUNT(*), SUM(COALESCE(a.participants_women, 0)), "
            "SUM(COALESCE(a.participants_men, 0)), SUM(a.participants_total), "
            "SUM(a.online_views), SUM(a.online_shares), "
            f"{', '.join(f'SUM(ar.{c})' for c in AREA_SUMS)} "
            f"FROM outreach_activity a CROSS JOIN {LEVELS_SQL} "
            f"JOIN {areas} ar ON ar.unit_path = a.unit_path "
            "WHERE a.status = 'done' GROUP BY 1, 2, 3, 4"),
        "reports_speakermonth": (
            f"SELECT l.speaker_id, {d.month('a.date')}, COUNT(*) "
            "FROM outreach_activity_speakers l JOIN outreach_activity a "
            "ON a.id = l.activity_id WHERE a.status = 'done' GROUP BY 1, 2"),
    }


_KEYS = {"reports_activitymonth": ACTIVITY_KEY, "reports_speakermonth": ("speaker_id", "month")}
_SUMS = {"reports_activitymonth": ACTIVITY_SUMS, "reports_speakermonth": ("n",)}


def _summed(table: str, where: str = "1 = 1") -> str:
    """The rows of ``table`` (matching ``where``) summed per key, keys summing to nothing left
    out: what the readers see."""
    keys, sums = _KEYS[table], _SUMS[table]
    nonzero = " OR ".join(f"SUM({c}) <> 0" for c in sums)
    return (f"SELECT {', '.join(keys)}, {', '.join(f'SUM({c})' for c in sums)} FROM {table} "
            f"WHERE {where} GROUP BY {', '.join(keys)} HAVING {nonzero}")


#: ``pg_advisory_xact_lock`` key held by ``rebuild`` and ``compact``, so that they never run at
#: the same time (a compaction's folded row could survive next to a rebuild's fresh sums).
_ADVISORY_KEY = 0x63746970   # "ctip"


def _exclusive(conn: BaseDatabaseWrapper) -> None:
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_KEY])


def rebuild(using: str = "default") -> dict[str, int]:
    """Recompute every roll-up from the facts; the number of rows or situations written.

    On PostgreSQL each table is emptied and refilled by one statement, so both see the same
    snapshot: a writer committing meanwhile keeps its delta rows and is not counted twice."""
    conn = connections[using]
    d = _Dialect(conn.vendor)
    counts: dict[str, int] = {}
    with transaction.atomic(using=using), conn.cursor() as cursor:
        _exclusive(conn)
        for table, select in _fresh_sql(d).items():
            columns = ", ".join((*_KEYS[table], *_SUMS[table], "delta"))
            fill = f"INSERT INTO {table} ({columns}) SELECT f.*, FALSE FROM ({select}) f"
            if d.pg:
                cursor.execute(f"WITH gone AS (DELETE FROM {table}) {fill}")
            else:
                cursor.execute(f"DELETE FROM {table}")
                cursor.execute(fill)
            counts[table] = cursor.rowcount
        # Only the situations whose delay is wrong: rewriting every row would leave the table
        # (and its covering index) to be vacuumed before index-only reads are fast again.
        first = _first_escalation(d, "cases_situation")
        cursor.execute(f"UPDATE cases_situation SET escalated_after_us = {first} "
                       f"WHERE {d.differs('escalated_after_us', first)}")
        counts["cases_situation"] = cursor.rowcount
        first = _first_service("cases_supportcase")
        cursor.execute(f"UPDATE cases_supportcase SET first_served_on = {first} "
                       f"WHERE {d.differs('first_served_on', first)}")
        counts["cases_supportcase"] = cursor.rowcount
        path = _case_path("cases_service")
        cursor.execute(f"UPDATE cases_service SET case_path = {path} "
                       f"WHERE {d.differs('case_path', path)}")
        counts["cases_service"] = cursor.rowcount
        marked = _marks_exist(conn)
        if marked:
            counts[marks.TABLE] = _refill_marks(conn)
        # Fresh statistics for the planner; the space of the old rows is reclaimed by
        # (auto)vacuum, which cannot run inside this transaction.
        for table in (*_KEYS, *([marks.TABLE] if marked else [])):
            cursor.execute(f"ANALYZE {table}")
    return counts


#: The rows a unit's data version looks through for the newest (``caching.data_version``):
#: an activity's level and path, a speaker's months.
_GROUPS = {"reports_activitymonth": ("level", "path"), "reports_speakermonth": ("speaker_id",)}


def compact(using: str = "default") -> dict[str, int]:
    """Fold the deltas the triggers appended into one row per key; the rows removed.

    The folded row keeps the id of the newest row of its key, so the newest id of every group
    a data version reads (``_GROUPS``) stays what it was: a fold changes no total, so it must
    not throw a kept page away, nor bring back the version of a time the totals differed. A
    key whose rows sum to nothing is removed, unless it holds the newest row of its group (then
    it stays as one row of zeros, which readers pass over like any key summing to nothing).

    On PostgreSQL one statement per table deletes the rows of every key that has deltas and
    inserts their sums: rows a concurrent transaction has not committed yet are not seen, so
    they stay (as deltas) for the next run, and a second run at the same time skips the rows the
    first deleted. On SQLite (one writer at a time) the same is a few statements in a
    transaction.
    """
    conn = connections[using]
    removed: dict[str, int] = {}
    with transaction.atomic(using=using), conn.cursor() as cursor:
        _exclusive(conn)
        for table in _KEYS:
            keys, sums = ", ".join(_KEYS[table]), _SUMS[table]
            columns = f"id, {keys}, {', '.join(sums)}, delta"
            named = ", ".join(f"SUM({c}) AS {c}" for c in sums)
            group = " AND ".join(f"g.{c} = f.{c}" for c in _GROUPS[table])
            touched = f"SELECT DISTINCT {keys} FROM {table} WHERE delta"
            newest = f"(SELECT MAX(g.id) FROM {table} g WHERE {group})"
            if conn.vendor == "postgresql":
                # every sub-statement sees the table as it was before the DELETE
                cursor.execute(
                    f"WITH gone AS (DELETE FROM {table} WHERE ({keys}) IN ({touched}) "
                    f"RETURNING *), sums AS (SELECT MAX(id) AS id, {keys}, {named}, FALSE AS delta "
                    f"FROM gone GROUP BY {keys}), folded AS (INSERT INTO {table} ({columns}) "
                    f"SELECT * FROM sums f WHERE {_kept(sums, newest)} RETURNING 1) "
                    "SELECT (SELECT COUNT(*) FROM gone) - (SELECT COUNT(*) FROM folded)")
                removed[table] = cursor.fetchone()[0]
            else:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                last = cursor.fetchone()[0]
                match = f"({keys}) IN (SELECT {keys} FROM ctip_touched) AND id <= {last}"
                cursor.execute(f"CREATE TEMP TABLE ctip_touched AS {touched} AND id <= {last}")
                cursor.execute(f"CREATE TEMP TABLE ctip_folded AS SELECT * FROM "
                               f"(SELECT MAX(id) AS id, {keys}, {named}, FALSE AS delta "
                               f"FROM {table} WHERE {match} GROUP BY {keys}) f "
                               f"WHERE {_kept(sums, newest)}")
                cursor.execute(f"DELETE FROM {table} WHERE {match}")
                gone = cursor.rowcount
                cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} "
                               "FROM ctip_folded")
                removed[table] = gone - cursor.rowcount
                cursor.execute("DROP TABLE ctip_touched")
                cursor.execute("DROP TABLE ctip_folded")
        if marks.CHANGES_TABLE in conn.introspection.table_names():
            cursor.execute(marks.prune_sql())
            removed[marks.CHANGES_TABLE] = max(cursor.rowcount, 0)
    return removed


def _kept(sums: tuple[str, ...], newest: str) -> str:
    """Which folded rows ``f`` are written: those that sum to something, and the newest row
    of their group (``newest``, the newest id before the fold) whatever it sums to."""
    return " OR ".join((*(f"f.{c} <> 0" for c in sums), f"f.id = {newest}"))


def differences(using: str = "default") -> dict[str, int]:
    """How many keys (or situations) the kept roll-ups get wrong against a fresh computation:
    0 everywhere when they are right."""
    conn = connections[using]
    d = _Dialect(conn.vendor)
    out: dict[str, int] = {}
    with conn.cursor() as cursor:
        for table, select in _fresh_sql(d).items():
            kept = _summed(table)
            cursor.execute(f"SELECT COUNT(*) FROM (SELECT * FROM ({select}) f EXCEPT {kept}) x")
            missing = cursor.fetchone()[0]
            cursor.execute(f"SELECT COUNT(*) FROM ({kept} EXCEPT SELECT * FROM ({select}) f) x")
            out[table] = missing + cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM cases_situation WHERE "
                       + d.differs("escalated_after_us",
                                   _first_escalation(d, "cases_situation")))
        out["cases_situation"] = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM cases_supportcase WHERE "
                       + d.differs("first_served_on", _first_service("cases_supportcase")))
        out["cases_supportcase"] = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM cases_service WHERE "
                       + d.differs("case_path", _case_path("cases_service")))
        out["cases_service"] = cursor.fetchone()[0]
        if _marks_exist(conn):
            cursor.execute(marks.differences_sql())
            out[marks.TABLE] = cursor.fetchone()[0]
    return out


def install_and_rebuild(using: str = "default") -> dict[str, int]:
    """Install the triggers and recompute everything: the roll-ups' triggers and their rebuild
    in one transaction (a write between the two would be missed); then the marks' trigger in
    a short transaction of its own, so that the audit trail is not locked for the length of
    the rebuild, and the marks put right once more for the events written meanwhile."""
    conn = connections[using]
    with transaction.atomic(using=using):
        _install_rollups(conn)
        counts = rebuild(using)
    if _install_marks(conn):
        counts[marks.TABLE] = counts.get(marks.TABLE, 0) + _refill_marks(conn)
    _mark_everything(conn)
    return counts


def _mark_everything(conn: BaseDatabaseWrapper) -> None:
    """A change mark of every unit's (``''``, concerning the units below): the rows written
    while the change marks' triggers were off (a bulk load, a migration) were marked by none,
    and may be anywhere, so every data version moves and no card kept before is served."""
    if marks.CHANGES_TABLE in conn.introspection.table_names():
        with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
            for sql in marks.everything_sql(conn.vendor):
                cursor.execute(sql)


def ensure_installed(using: str = "default") -> bool:
    """Install the triggers and rebuild the roll-ups if any trigger is missing. True when it
    had to."""
    if not missing(connections[using]):
        return False
    install_and_rebuild(using)
    return True


def _tables_exist(conn: BaseDatabaseWrapper) -> bool:
    return "reports_activitymonth" in conn.introspection.table_names()


def before_migrate(using: str, plan: Any) -> None:
    """``pre_migrate``: with migrations to apply, drop the triggers (see the module notes)."""
    conn = connections[using]
    if plan and conn.vendor in ("sqlite", "postgresql"):
        uninstall(conn)


def after_migrate(using: str, plan: Any) -> None:
    """``post_migrate``: when migrations ran or a trigger is missing, put the triggers back and
    rebuild. Also after ``flush`` (sent without a plan): SQLite empties the tables one by one
    with the triggers on, so deltas of rows deleted after their roll-up table was emptied would
    stay behind (the rebuild of empty tables costs nothing)."""
    conn = connections[using]
    if conn.vendor not in ("sqlite", "postgresql") or not _tables_exist(conn):
        return
    if plan is None or plan:
        install_and_rebuild(using)
    else:
        ensure_installed(using)


@contextmanager
def paused(using: str = "default") -> Iterator[None]:
    """Without the triggers for a bulk load (``ctip synth``); rebuilt from the facts after."""
    uninstall(connections[using])
    try:
        yield
    finally:
        install_and_rebuild(using)
