"""Benchmark the indicators: the province dashboard, the nation table, a commune's month.

Builds a database with ``ctip synth --scale province`` (or ``nation``; ``ctip.synth``) — or
reuses one with ``--data-dir`` / ``--keep`` — then times, with ``time.perf_counter``:

(a) the province dashboard, all indicators for one year: ``indicators.monthly`` (the trend),
    and ``indicators.compute_with_children`` (the province's totals and one row
    per commune) — what ``reports.views.dashboards.dashboard_context`` runs, for every
    indicator instead of the page's five; and ``dashboard_context`` itself (the page's five
    indicators) on its own;
(b) the nation-wide table: ``compute_by_child`` at the root (central) unit for one year;
(c) a commune's monthly report: ``compute`` for one commune and one month.

Next to each, DuckDB computes the same numbers from the same rows: the fact tables are exported
once to CSV (SQLite: Python's csv; PostgreSQL: ``COPY ... TO STDOUT``) and loaded into an
in-memory DuckDB (no extension is downloaded); only DuckDB's queries are timed, and their rows go
through the same ``_*_finish`` functions as ours (plain sums in Python). The benchmark fails if
DuckDB's numbers differ from ours in any indicator, breakdown or child.

Each measurement is repeated ``--repeat`` times after a warm-up, ours and DuckDB interleaved with
alternating order. The table shows p50 (median) and min in milliseconds and ours/DuckDB.
See ``benchmarks/README.md``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/reports/run.py                        # SQLite, province scale
    .venv/bin/python benchmarks/reports/run.py --database-url postgres://postgres@127.0.0.1:5432
    .venv/bin/python benchmarks/reports/run.py --both                 # SQLite, then PostgreSQL
    .venv/bin/python benchmarks/reports/run.py --data-dir /tmp/x --keep   # build once, reuse
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432"
DEFAULT_PG_DATABASE = "ctip_bench_reports"
DASHBOARD_AIM_MS = 300.0
NATION_AIM_MS = 2000.0
WARMUP = 2


# --- Command line and process setup ---------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Reports benchmark: indicators vs DuckDB.")
    parser.add_argument(
        "--database-url",
        help="run on PostgreSQL: a server URL such as postgres://postgres@127.0.0.1:5432. The "
        f"database named in the URL (default {DEFAULT_PG_DATABASE}; it must start with "
        "'ctip_bench') is DROPPED and recreated, unless --keep finds it already built. "
        "Without this option: SQLite in a temp dir (or --data-dir).")
    parser.add_argument("--scale", choices=["province", "nation", "tiny"], default="province")
    parser.add_argument("--activities", type=int, default=None,
                        help="override the number of activities of the scale")
    parser.add_argument("--repeat", type=int, default=20,
                        help="timed runs per operation, after a warm-up (default 20)")
    parser.add_argument("--data-dir", help="SQLite: the data directory to build in or reuse")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database, and reuse it when it is already built")
    parser.add_argument("--both", action="store_true",
                        help=f"run on SQLite and then on PostgreSQL (--database-url or "
                        f"{DEFAULT_PG_URL}) in two child processes; print one table")
    parser.add_argument("--explain", action="store_true",
                        help="print the query plan of our activities query (province, year)")
    parser.add_argument("--json", dest="json_out", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("need --repeat >= 1")
    return args



# --- Exporting the facts to DuckDB ------------------------------------------------------------

# table: [(column, DuckDB type)]; "BOOL" columns are exported as 0/1 integers.
EXPORT: dict[str, list[tuple[str, str]]] = {
    "org_unit": [("id", "BIGINT"), ("parent_id", "BIGINT"), ("path", "VARCHAR"),
                 ("is_border", "BOOL"), ("is_remote", "BOOL"), ("is_far_flung", "BOOL"),
                 ("closed_on", "DATE")],
    "outreach_format": [("id", "BIGINT"), ("code", "VARCHAR"), ("is_online", "BOOL")],
    "outreach_activity": [("id", "BIGINT"), ("unit_id", "BIGINT"), ("unit_path", "VARCHAR"),
                          ("status", "VARCHAR"), ("date", "DATE"), ("format_id", "BIGINT"),
                          ("participants_women", "BIGINT"), ("participants_men", "BIGINT"),
                          ("participants_total", "BIGINT"), ("online_views", "BIGINT"),
                          ("online_shares", "BIGINT")],
    "outreach_activity_speakers": [("activity_id", "BIGINT"), ("speaker_id", "BIGINT")],
    "outreach_speaker": [("id", "BIGINT"), ("unit_path", "VARCHAR")],
    "community_club": [("id", "BIGINT"), ("unit_path", "VARCHAR"),
                       ("is_prevention_model", "BOOL"), ("founded_on", "DATE"),
                       ("status", "VARCHAR"), ("status_changed_on", "DATE"),
                       ("replicated_from_id", "BIGINT"), ("member_count", "BIGINT")],
    "cases_situation": [("id", "BIGINT"), ("unit_path", "VARCHAR"),
                        ("created_at", "TIMESTAMP"), ("category", "VARCHAR"),
                        ("urgency", "VARCHAR"), ("deadline_us", "BIGINT")],
    "cases_situationevent": [("situation_id", "BIGINT"), ("kind", "VARCHAR"),
                             ("at", "TIMESTAMP")],
    "cases_deadlinerule": [("category", "VARCHAR"), ("urgency", "VARCHAR"), ("hours", "BIGINT")],
    "cases_agency": [("id", "BIGINT"), ("code", "VARCHAR")],
    "cases_referral": [("unit_path", "VARCHAR"), ("referred_on", "DATE"),
                       ("agency_id", "BIGINT")],
    "cases_supportcase": [("id", "BIGINT"), ("unit_path", "VARCHAR"), ("kind", "VARCHAR"),
                          ("opened_on", "DATE"), ("closed_on", "DATE")],
    "cases_service": [("case_id", "BIGINT"), ("type", "VARCHAR"), ("status", "VARCHAR"),
                      ("date", "DATE"), ("amount", "DECIMAL(14,0)")],
    "outreach_commendation": [("unit_path", "VARCHAR"), ("decided_on", "DATE"),
                              ("recipient_kind", "VARCHAR")],
}


def export_to_duckdb(directory: Path) -> tuple[Any, int]:
    """Export the fact tables to CSV and load them into an in-memory DuckDB; (con, rows)."""
    import duckdb
    from django.db import connection

    con = duckdb.connect(":memory:")
    total = 0
    for table, columns in EXPORT.items():
        path = directory / f"{table}.csv"
        if connection.vendor == "postgresql":
            exprs = []
            for name, kind in columns:
                q = connection.ops.quote_name(name)
                exprs.append(f"{q}::int" if kind == "BOOL" else
                             f"({q} AT TIME ZONE 'UTC')" if kind == "TIMESTAMP" else q)
            select = f"SELECT {', '.join(exprs)} FROM {table}"
            with connection.cursor() as cursor, path.open("wb") as out:
                with cursor.cursor.copy(f"COPY ({select}) TO STDOUT WITH CSV HEADER") as copy:
                    for chunk in copy:
                        out.write(chunk)
        else:
            names = ", ".join(f"CAST({connection.ops.quote_name(n)} AS INTEGER)" if k == "BOOL"
                              else connection.ops.quote_name(n) for n, k in columns)
            with connection.cursor() as cursor, path.open("w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow([n for n, _k in columns])
                cursor.execute(f"SELECT {names} FROM {table}")
                while rows := cursor.fetchmany(50_000):
                    writer.writerows(rows)
        types = ", ".join(f"'{n}': '{'INTEGER' if k == 'BOOL' else k}'" for n, k in columns)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{path}', header = true, "
                    f"columns = {{{types}}})")
        total += con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        path.unlink()
    return con, total


# --- The same indicators in DuckDB ---------------------------------------------------------------


#: The area flags of each recorded path: set when a unit of the path carries the flag
#: (``reports.rollups._Dialect.areas``).
AREAS = (
    "ar AS (SELECT p.unit_path, "
    "max(CASE WHEN u.is_border = 1 THEN 1 ELSE 0 END) AS border, "
    "max(CASE WHEN u.is_remote = 1 OR u.is_far_flung = 1 THEN 1 ELSE 0 END) AS remote, "
    "max(CASE WHEN u.is_border = 1 OR u.is_remote = 1 OR u.is_far_flung = 1 THEN 1 ELSE 0 "
    "END) AS any_area FROM (SELECT DISTINCT unit_path FROM outreach_activity) p, "
    "unnest(string_split(trim(p.unit_path, '/'), '/')) t(id) "
    "JOIN org_unit u ON u.id = CAST(t.id AS BIGINT) GROUP BY p.unit_path)")


class Duck:
    """``indicators.compute`` / ``compute_by_child`` / ``monthly`` as DuckDB queries."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def _q(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        used = set(re.findall(r"\$(\w+)", sql))  # DuckDB refuses unused parameters
        cur = self.con.execute(sql, {k: v for k, v in params.items() if k in used})
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    @staticmethod
    def _key(path: str, column: str, by_child: bool) -> str:
        if not by_child:
            return "'all'"
        n = len(path) + 1
        return (f"CASE WHEN {column} = $path THEN '' ELSE substr({column}, {n}, "
                f"instr(substr({column}, {n}), '/') - 1) END")

    @staticmethod
    def _in(column: str) -> str:
        return f"({column} >= $path AND {column} < $upper)"

    def run(self, path: str, period: Any, by_child: bool) -> dict[str, dict[str, Any]]:
        from ctip.org.paths import upper_bound
        from ctip.reports import indicators as ind

        p = {"path": path, "upper": upper_bound(path), "start": period.start,
             "end": period.end}
        groups: dict[str, dict[str, Any]] = defaultdict(dict)

        def add(rows: list[dict[str, Any]], finish: Callable[[Any], dict[str, Any]]) -> None:
            by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for r in rows:
                by_key[r.pop("k")].append(r)
            keys = set(by_key) | ({"all"} if not by_child else set())
            for key in keys:
                groups[key].update(finish(by_key.get(key, [])))

        k = self._key(path, "a.unit_path", by_child)
        add(self._q(
            f"WITH {AREAS} "
            f"SELECT {k} AS k, f.code AS format__code, f.is_online AS format__is_online, "
            "count(*) AS n, coalesce(sum(a.participants_women), 0) AS women, "
            "coalesce(sum(a.participants_men), 0) AS men, "
            "coalesce(sum(a.participants_total), 0) AS total, "
            "coalesce(sum(a.online_views), 0) AS views, "
            "coalesce(sum(a.online_shares), 0) AS shares, "
            "count(*) FILTER (WHERE ar.border = 1) AS border, "
            "count(*) FILTER (WHERE ar.remote = 1) AS remote, "
            "count(*) FILTER (WHERE ar.any_area = 1) AS any_area "
            "FROM outreach_activity a JOIN outreach_format f ON f.id = a.format_id "
            "JOIN ar ON ar.unit_path = a.unit_path "
            f"WHERE {self._in('a.unit_path')} AND a.status = 'done' "
            "AND a.date BETWEEN $start AND $end GROUP BY ALL", p), ind._activities_finish)
        k = self._key(path, "s.unit_path", by_child)
        add(self._q(
            f"SELECT {k} AS k, count(*) AS n FROM outreach_speaker s "
            f"WHERE {self._in('s.unit_path')} AND EXISTS (SELECT 1 FROM "
            "outreach_activity_speakers x JOIN outreach_activity a ON a.id = x.activity_id "
            "WHERE x.speaker_id = s.id AND a.status = 'done' "
            "AND a.date BETWEEN $start AND $end) GROUP BY ALL", p), ind._speakers_finish)
        k = self._key(path, "unit_path", by_child)
        active = ("(founded_on <= $end AND ((status = 'active' AND (status_changed_on IS NULL "
                  "OR status_changed_on <= $end)) OR (status <> 'active' "
                  "AND status_changed_on > $end)))")
        founded = "(founded_on >= $start AND founded_on <= $end)"
        add(self._q(
            f"SELECT {k} AS k, is_prevention_model, "
            f"count(*) FILTER (WHERE {active}) AS active, "
            f"count(*) FILTER (WHERE {founded}) AS new, "
            f"count(*) FILTER (WHERE {founded} AND replicated_from_id IS NOT NULL) "
            "AS replicated, count(*) FILTER (WHERE status = 'dissolved' AND "
            "status_changed_on >= $start AND status_changed_on <= $end) AS dissolved, "
            f"coalesce(sum(member_count) FILTER (WHERE {active}), 0) AS members "
            f"FROM community_club WHERE {self._in('unit_path')} AND founded_on <= $end "
            "GROUP BY ALL", p), ind._clubs_finish)
        k = self._key(path, "s.unit_path", by_child)
        sp = {**p, "start_at": _naive_utc(period.start_at()),
              "end_before": _naive_utc(period.end_before())}
        situations = self._q(
            f"WITH s AS (SELECT {k} AS k, s.category, s.urgency, s.created_at, s.deadline_us, "
            "(SELECT min(e.at) FROM cases_situationevent e WHERE e.situation_id = s.id "
            "AND e.kind = 'escalated') AS fe FROM cases_situation s "
            f"WHERE {self._in('s.unit_path')} AND s.created_at >= $start_at "
            "AND s.created_at < $end_before) "
            "SELECT s.k, s.category, count(*) AS n, count(s.fe) AS escalated, "
            "count(*) FILTER (WHERE s.fe <= s.created_at + to_microseconds(s.deadline_us)) "
            "AS on_time FROM s GROUP BY ALL", sp)

        add(situations, ind._situations_finish)
        k = self._key(path, "r.unit_path", by_child)
        add(self._q(
            f"SELECT {k} AS k, g.code AS agency__code, count(*) AS n FROM cases_referral r "
            f"JOIN cases_agency g ON g.id = r.agency_id WHERE {self._in('r.unit_path')} "
            "AND r.referred_on BETWEEN $start AND $end GROUP BY ALL", p), ind._referrals_finish)
        k = self._key(path, "c.unit_path", by_child)
        add(self._q(
            f"WITH c AS (SELECT {k} AS k, c.kind, c.opened_on, c.closed_on, EXISTS (SELECT 1 "
            "FROM cases_service v WHERE v.case_id = c.id AND v.status = 'delivered' "
            "AND v.date <= $end) AS served FROM cases_supportcase c "
            "WHERE (c.closed_on IS NULL OR c.closed_on >= $start) "
            f"AND {self._in('c.unit_path')} AND c.opened_on <= $end) "
            "SELECT k, kind, count(*) AS active, count(*) FILTER (WHERE opened_on >= $start) "
            "AS opened, count(*) FILTER (WHERE closed_on >= $start AND closed_on <= $end) "
            "AS closed, count(*) FILTER (WHERE served) AS served FROM c GROUP BY ALL", p),
            ind._cases_finish)
        add(self._q(
            f"SELECT {k} AS k, v.type, count(*) AS n, sum(v.amount) AS amount "
            "FROM cases_service v JOIN cases_supportcase c ON c.id = v.case_id "
            f"WHERE {self._in('c.unit_path')} AND v.status = 'delivered' "
            "AND v.date BETWEEN $start AND $end GROUP BY ALL", p), ind._services_finish)
        k = self._key(path, "unit_path", by_child)
        add(self._q(
            f"SELECT {k} AS k, recipient_kind, count(*) AS n FROM outreach_commendation "
            f"WHERE {self._in('unit_path')} AND decided_on BETWEEN $start AND $end "
            "GROUP BY ALL", p), ind._commendations_finish)
        return groups

    def compute(self, unit: Any, period: Any) -> dict[str, Any]:
        from ctip.reports import indicators as ind

        values = self.run(unit.path, period, False)["all"]
        return {i.code: values[i.code] for i in ind.CATALOGUE}

    def compute_by_child(self, unit: Any, period: Any) -> dict[int, dict[str, Any]]:
        from ctip.reports import indicators as ind

        groups = self.run(unit.path, period, True)
        empty = ind._empty(ind.CATALOGUE)
        seen = [int(k) for k in groups if k.isdigit()]
        children = [r[0] for r in self.con.execute(
            "SELECT id FROM org_unit WHERE (parent_id = $pk AND closed_on IS NULL) "
            "OR list_contains($seen, id)", {"pk": unit.pk, "seen": seen}).fetchall()]
        out = {pk: {i.code: groups.get(str(pk), empty).get(i.code, empty[i.code])
                    for i in ind.CATALOGUE} for pk in children}
        if "" in groups:
            out[unit.pk] = {i.code: groups[""].get(i.code, empty[i.code])
                            for i in ind.CATALOGUE}
        return out

    def monthly(self, unit: Any, period: Any) -> list[tuple[str, dict[str, int]]]:
        from ctip.org.paths import upper_bound

        rows = self.con.execute(
            "SELECT date_trunc('month', date) AS m, count(*), "
            "coalesce(sum(participants_total), 0) FROM outreach_activity "
            f"WHERE {self._in('unit_path')} AND status = 'done' "
            "AND date BETWEEN $start AND $end GROUP BY ALL",
            {"path": unit.path, "upper": upper_bound(unit.path), "start": period.start,
             "end": period.end}).fetchall()
        found = {(m.year, m.month): (n, total) for m, n, total in rows}
        return [(month.label, {"sessions": found.get((month.start.year, month.start.month),
                                                     (0, 0))[0],
                               "participants": found.get((month.start.year, month.start.month),
                                                         (0, 0))[1]})
                for month in period.months()]


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    operation: str
    rows: int
    ours_ms: list[float] = field(default_factory=list)
    duck_ms: list[float] = field(default_factory=list)

    @property
    def ours_p50(self) -> float:
        return statistics.median(self.ours_ms)

    @property
    def duck_p50(self) -> float:
        return statistics.median(self.duck_ms) if self.duck_ms else float("nan")

    @property
    def ratio(self) -> float:
        return self.ours_p50 / self.duck_p50 if self.duck_ms else float("nan")



def compare(result: Result, ours: Callable[[], Any], duck: Callable[[], Any] | None,
            repeat: int) -> Result:
    _common.alternate(ours, duck, repeat, result.ours_ms, result.duck_ms, warmup=WARMUP)
    return result


def same(label: str, ours: Any, theirs: Any) -> None:
    """Fail loudly when DuckDB's numbers differ from ours."""
    if ours == theirs:
        return
    lines = [f"DuckDB's numbers differ from ours for {label}:"]
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in sorted(set(ours) | set(theirs), key=str):
            if ours.get(key) != theirs.get(key):
                lines.append(f"  {key}: ours {ours.get(key)!r}, DuckDB {theirs.get(key)!r}")
                if len(lines) > 12:
                    break
    else:
        lines.append(f"  ours {ours!r}\n  DuckDB {theirs!r}")
    raise SystemExit("\n".join(lines))


def measure(repeat: int, duck: Duck) -> tuple[list[Result], dict[str, Any]]:
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test import RequestFactory
    from django.utils import timezone

    from ctip.org.models import Unit
    from ctip.outreach.models import Activity
    from ctip.reports import indicators as ind
    from ctip.reports.periods import Period
    from ctip.reports.views.dashboards import dashboard_context

    backend = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[connection.vendor]
    root = Unit.objects.get(parent__isnull=True, unit_type__code="central")
    province = Unit.objects.get(gso_code="80")
    communes = list(Unit.objects.filter(parent=province).order_by("pk"))
    commune = communes[len(communes) // 2]
    year = timezone.localdate().year - 1
    period = Period.year(year)
    month = Period.month(year, 6)
    results: list[Result] = []
    info: dict[str, Any] = {"year": year, "commune": commune.name, "month": month.label}

    def count(unit: Unit, p: Period) -> int:
        return Activity.objects.filter(unit_path__subtree=unit.path, status="done",
                                       date__gte=p.start, date__lte=p.end).count()

    # (a) the province dashboard, every indicator
    def ours_dashboard() -> Any:
        total, per_child = ind.compute_with_children(province, period)
        return (ind.monthly(province, period), total, {u.pk: v for u, v in per_child})

    def duck_dashboard() -> Any:
        return (duck.monthly(province, period), duck.compute(province, period),
                duck.compute_by_child(province, period))

    o, d = ours_dashboard(), duck_dashboard()
    same("the province's months", [(m.label, v) for m, v in o[0]], d[0])
    same("the province's totals", o[1], d[1])
    same("the province's communes", o[2], d[2])
    rows = count(province, period)
    info["dashboard_rows"] = rows
    results.append(compare(Result(backend, "(a) province dashboard, all indicators, 1 year",
                                  rows), ours_dashboard, duck_dashboard, repeat))

    request = RequestFactory().get("/reports/")
    request.user = AnonymousUser()
    results.append(compare(Result(backend, "(a') dashboard_context (the page's 5 indicators)",
                                  rows), lambda: dashboard_context(request, province, period),
                           None, repeat))

    # (b) the nation-wide table by province
    def ours_nation() -> Any:
        return {u.pk: v for u, v in ind.compute_by_child(root, period)}

    same("the nation table", ours_nation(), duck.compute_by_child(root, period))
    rows = count(root, period)
    info["nation_rows"] = rows
    results.append(compare(Result(backend, "(b) nation table by province, 1 year", rows),
                           ours_nation, lambda: duck.compute_by_child(root, period), repeat))

    # (c) a commune's monthly report
    same("the commune's month", ind.compute(commune, month), duck.compute(commune, month))
    rows = count(commune, month)
    info["commune_rows"] = rows
    results.append(compare(Result(backend, "(c) commune monthly report", rows),
                           lambda: ind.compute(commune, month),
                           lambda: duck.compute(commune, month), repeat))
    return results, info


def explain_activities() -> str:
    from django.db import connection
    from django.db.models import Count, Sum
    from django.utils import timezone

    from ctip.org.models import Unit
    from ctip.reports import indicators as ind
    from ctip.reports.periods import Period

    province = Unit.objects.get(gso_code="80")
    period = Period.year(timezone.localdate().year - 1)
    from ctip.outreach.models import Activity

    qs = Activity.objects.filter(unit_path__subtree=province.path, status="done",
                                 date__gte=period.start, date__lte=period.end)
    grouped = (qs.order_by().annotate(_child=ind.child_key(province.path))
               .values("_child", "format_id").annotate(n=Count("pk"), total=Sum(
                   "participants_total")))
    sql, params = grouped.query.sql_with_params()
    prefix = ("EXPLAIN (ANALYZE, BUFFERS)" if connection.vendor == "postgresql"
              else "EXPLAIN QUERY PLAN")
    with connection.cursor() as cursor:
        cursor.execute(f"{prefix} {sql}", params)
        rows = cursor.fetchall()
    return "\n".join(str(r[0]) if connection.vendor == "postgresql" else str(r[-1])
                     for r in rows)


# --- Reporting ------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    header = ("backend", "operation", "activities", "p50 ms", "min ms", "DuckDB p50",
              "DuckDB min", "ours/DuckDB")
    lines = [header]
    for r in results:
        lines.append((r.backend, r.operation, f"{r.rows:,}", f"{r.ours_p50:.1f}",
                      f"{min(r.ours_ms):.1f}",
                      f"{r.duck_p50:.1f}" if r.duck_ms else "-",
                      f"{min(r.duck_ms):.1f}" if r.duck_ms else "-",
                      f"{r.ratio:.1f}x" if r.duck_ms else "-"))
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    numeric = {2, 3, 4, 5, 6, 7}

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    return "\n".join([fmt(lines[0]), "  ".join("-" * w for w in widths),
                      *(fmt(row) for row in lines[1:])])


def aims(results: list[Result]) -> list[str]:
    out = []
    for r in results:
        aim = (DASHBOARD_AIM_MS if r.operation.startswith("(a)") else
               NATION_AIM_MS if r.operation.startswith("(b)") else None)
        if aim is not None:
            out.append(f"{r.backend} {r.operation}: p50 {r.ours_p50:.0f} ms, "
                       + ("within" if r.ours_p50 <= aim else "OVER") + f" the {aim:.0f} ms aim")
    return out


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    tmp = args.data_dir or tempfile.mkdtemp(prefix="ctip-bench-reports-")
    Path(tmp).mkdir(parents=True, exist_ok=True)
    admin_url = pg_name = db_url = None
    if args.database_url:
        admin_url, db_url, pg_name = _common.postgres_urls(args.database_url, DEFAULT_PG_DATABASE)
        _common.postgres_database(admin_url, pg_name, drop=not args.keep, create=True)
    _common.configure_django(db_url, tmp)

    from django.core.management import call_command
    from django.db import connection, connections

    from ctip.synth import is_empty

    where = (f"PostgreSQL database {pg_name}" if pg_name
             else f"SQLite {connection.settings_dict['NAME']}")
    print(f"reports benchmark: scale {args.scale}, repeat {args.repeat}, on {where}", flush=True)
    build_s = None
    try:
        call_command("migrate", verbosity=0)
        if is_empty():
            start = time.perf_counter()
            call_command("synth", scale=args.scale, activities=args.activities)
            build_s = time.perf_counter() - start
        else:
            print("reusing the data already in the database", flush=True)
        db: Any = connection  # the backend's own attributes
        server = db.pg_version if connection.vendor == "postgresql" else None
        version = (f"PostgreSQL {server // 10000}.{server % 10000}" if server
                   else f"SQLite {db.Database.sqlite_version}")
        start = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="ctip-bench-reports-csv-") as csv_dir:
            con, exported = export_to_duckdb(Path(csv_dir))
        export_s = time.perf_counter() - start
        import duckdb

        print(f"exported {exported:,} rows to DuckDB {duckdb.__version__} in {export_s:.1f}s",
              flush=True)
        results, info = measure(args.repeat, Duck(con))
        plan = explain_activities() if args.explain else None
    finally:
        connections.close_all()
        if not args.keep:
            if pg_name and admin_url:
                _common.postgres_database(admin_url, pg_name, drop=True, create=False)
            if not args.data_dir:
                shutil.rmtree(tmp, ignore_errors=True)
    if plan:
        print("\nplan: activities of the province by commune, one year\n  "
              + plan.replace("\n", "\n  "))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nload average {load} on {os.cpu_count()} CPUs (other processes slow every figure)")
    print(f"{version}, DuckDB {duckdb.__version__}; year {info['year']}; commune "
          f"{info['commune']}, {info['month']}")
    print(table(results))
    for line in aims(results):
        print(line)
    if args.keep:
        print(f"kept: {db_url or tmp}")
    return {"version": version, "build_s": build_s, "export_s": export_s, "info": info,
            "load": os.getloadavg(),
            "results": [asdict(r) | {"ours_p50": r.ours_p50, "duck_p50": r.duck_p50}
                        for r in results]}


def run_both(args: argparse.Namespace) -> None:
    collected: list[Result] = []
    notes = []
    with tempfile.TemporaryDirectory(prefix="ctip-bench-reports-") as tmp:
        for backend, url in (("sqlite", None), ("postgres", args.database_url or DEFAULT_PG_URL)):
            out = Path(tmp) / f"{backend}.json"
            cmd = [sys.executable, __file__, "--scale", args.scale, "--repeat", str(args.repeat),
                   "--json", str(out)]
            cmd += ["--activities", str(args.activities)] if args.activities else []
            cmd += ["--database-url", url] if url else []
            cmd += ["--data-dir", args.data_dir] if args.data_dir and not url else []
            cmd += ["--explain"] if args.explain else []
            cmd += ["--keep"] if args.keep else []
            print(f"\n=== {backend} ===", flush=True)
            subprocess.run(cmd, check=True)  # noqa: S603
            data = json.loads(out.read_text())
            built = (f"built in {data['build_s']:.0f} s" if data["build_s"] is not None
                     else "reused")
            notes.append(f"{data['version']}: {built}; export to DuckDB "
                         f"{data['export_s']:.0f} s; load average at the end "
                         + ", ".join(f"{x:.1f}" for x in data["load"]))
            for r in data["results"]:
                collected.append(Result(r["backend"], r["operation"], r["rows"], r["ours_ms"],
                                        r["duck_ms"]))
    print(f"\n=== reports, scale {args.scale}, repeat {args.repeat}, "
          f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()} ===")
    print(table(collected))
    for line in aims(collected):
        print(line)
    for note in notes:
        print(note)


def main(argv: list[str] | None = None) -> None:
    _common.main(argv, parse_args, run_one, run_both)


if __name__ == "__main__":
    main()
