"""Benchmark the organisation tree: subtree listing and subtree moves, ORM against raw SQL.

Builds a fresh database with a tree of ``--units`` units (default 100,000; five levels: central →
34 provinces → communes → branches → groups) and times, with ``time.perf_counter``:

- listing a typical commune's subtree and a province's subtree through the ORM exactly as the app
  does (``Unit.objects.subtree(path)``, fully evaluated as ``values_list`` rows and as model
  instances) against a raw cursor running the equivalent range query;
- moving a 1,000-unit commune to another province with ``ctip.units.actions.move_subtree`` (row
  lock, checks, repath, audit event) and with ``_repath_subtree`` alone, against the same
  UPDATEs in raw SQL in one transaction.

Each measurement is repeated ``--repeat`` times after a warm-up; ORM and raw runs are interleaved
and their order alternates so drift and background noise hit both alike. The table shows p50
(median) and min in milliseconds and the ORM/raw ratio of each. See ``benchmarks/README.md``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/org_tree/run.py                      # SQLite in a temp dir
    .venv/bin/python benchmarks/org_tree/run.py --database-url postgres://postgres@127.0.0.1:5432
    .venv/bin/python benchmarks/org_tree/run.py --both               # SQLite, then PostgreSQL
"""

from __future__ import annotations

import argparse
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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432"
DEFAULT_PG_DATABASE = "ctip_bench_org"
PROVINCES = 34
COMMUNE_SHAPE = [3] * 7  # a typical commune: 7 branches of 3 groups each → 29 units
BIG_BRANCH_GROUPS = 8  # the commune that moves: branches of 8 groups each
# The tables the measured code touches: org (units) and audit (move_subtree's event), with
# every migration they depend on. Other apps only add tables that point at org_unit.
MIGRATE_APPS = ["org", "audit"]
TARGET_RATIO = 1.5
WARMUP = 3


# --- Command line and process setup ---------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Org tree benchmark: subtree list and subtree move, ORM vs raw SQL."
    )
    parser.add_argument(
        "--database-url",
        help="run on PostgreSQL: a server URL such as postgres://postgres@127.0.0.1:5432. The "
        f"database named in the URL (default {DEFAULT_PG_DATABASE}; it must start with "
        "'ctip_bench') is DROPPED and recreated. Without this option: SQLite in a temp dir.",
    )
    parser.add_argument("--units", type=int, default=100_000, help="tree size (default 100000)")
    parser.add_argument("--move-size", type=int, default=1_000,
                        help="units in the subtree that moves (default 1000)")
    parser.add_argument("--repeat", type=int, default=50,
                        help="timed runs per operation, after a warm-up (default 50)")
    parser.add_argument("--explain", action="store_true",
                        help="print the query plans of the subtree queries and the move UPDATE")
    parser.add_argument("--keep", action="store_true",
                        help="keep the benchmark database (and print where it is)")
    parser.add_argument("--both", action="store_true",
                        help=f"run on SQLite and then on PostgreSQL (--database-url or "
                        f"{DEFAULT_PG_URL}) in two child processes; print one table")
    parser.add_argument("--all-migrations", action="store_true",
                        help="migrate every app, not only org and audit and what they depend on")
    parser.add_argument("--json", dest="json_out", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.units < 3_000 or args.move_size < 10 or args.move_size > args.units // 3:
        parser.error("need --units >= 3000 and 10 <= --move-size <= units/3")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args



# --- Building the tree ----------------------------------------------------------------------


@dataclass
class Landmarks:
    """The units the measurements use, by primary key."""

    commune: int  # a typical commune, listed
    province: int  # a province, listed
    mover: int  # the commune of ``move_size`` units that moves
    home: int  # the mover's province
    away: int  # the province it moves to and back from
    total: int = 0


def commune_shapes(units: int, move_size: int) -> tuple[list[int], list[list[int]]]:
    """Return (province index of each commune, groups per branch of each commune).

    Commune 0 is the one that moves, with exactly ``move_size`` units; the others are typical
    communes of 29 units, with the remainder spread one group each over the first ones, so the
    tree has exactly ``units`` units.
    """
    big_branches, big_extra = divmod(move_size - 1, 1 + BIG_BRANCH_GROUPS)
    if big_branches == 0:
        big = [0] * big_extra
    else:
        big = [BIG_BRANCH_GROUPS] * big_branches
        big[0] += big_extra
    rest = units - 1 - PROVINCES - move_size
    per_commune = 1 + len(COMMUNE_SHAPE) + sum(COMMUNE_SHAPE)
    typical, extra = divmod(rest, per_commune)
    shapes = [big]
    for i in range(typical):
        shape = list(COMMUNE_SHAPE)
        if i < extra:
            shape[0] += 1
        shapes.append(shape)
    # The mover sits in province 0; typical communes are dealt round-robin over the provinces.
    province_of = [0] + [i % PROVINCES for i in range(typical)]
    return province_of, shapes


def build_tree(units: int, move_size: int) -> Landmarks:
    """Insert the whole tree with bulk inserts, paths and depths computed as org.actions does."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from ctip.core.text import fold
    from ctip.org.models import Unit, UnitType

    types = {t.code: t.pk for t in UnitType.objects.all()}
    province_of, shapes = commune_shapes(units, move_size)
    rows: list[Unit] = []

    def add(parent: Unit | None, code: str, name: str) -> Unit:
        pk = len(rows) + 1
        unit = Unit(
            pk=pk, name=name, name_folded=fold(name), unit_type_id=types[code],
            parent_id=parent.pk if parent else None,
            path=f"{parent.path if parent else '/'}{pk}/",
            depth=parent.depth + 1 if parent else 0,
        )
        rows.append(unit)
        return unit

    # Level by level, in the order an import would create them.
    central = add(None, "central", "Hội Liên hiệp Phụ nữ Việt Nam")
    provinces = [add(central, "province", f"Hội LHPN tỉnh số {p + 1:02d}")
                 for p in range(PROVINCES)]
    communes = [add(provinces[p], "commune", f"Hội LHPN xã số {c + 1:04d}")
                for c, p in enumerate(province_of)]
    branches: list[tuple[Unit, int]] = []
    for c, (commune, shape) in enumerate(zip(communes, shapes, strict=True)):
        for b, groups in enumerate(shape):
            branch = add(commune, "branch", f"Chi hội ấp {b + 1:03d} xã {c + 1:04d}")
            branches.append((branch, groups))
    for i, (branch, groups) in enumerate(branches):
        for g in range(groups):
            add(branch, "group", f"Tổ phụ nữ {g + 1} chi hội {i + 1:06d}")
    assert len(rows) == units, (len(rows), units)

    with transaction.atomic():
        Unit.objects.bulk_create(rows, batch_size=2_000)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Unit]):
                cursor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum / `PRAGMA optimize` would in production

    typical = [c for c, p in zip(communes, province_of, strict=True) if p == 2]
    return Landmarks(
        commune=typical[len(typical) // 2].pk,
        province=provinces[2].pk,
        mover=communes[0].pk,
        home=provinces[0].pk,
        away=provinces[1].pk,
        total=len(rows),
    )


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    operation: str
    rows: int
    orm_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)
    # CPU time of this process (time.process_time). Only meaningful on SQLite, where the
    # database runs inside the process; it does not count time spent waiting for a core.
    orm_cpu: list[float] = field(default_factory=list)
    raw_cpu: list[float] = field(default_factory=list)

    @staticmethod
    def _p50(values: list[float]) -> float:
        return statistics.median(values)

    @property
    def orm_p50(self) -> float:
        return self._p50(self.orm_ms)

    @property
    def raw_p50(self) -> float:
        return self._p50(self.raw_ms)

    @property
    def ratio(self) -> float:
        return self.orm_p50 / self.raw_p50

    @property
    def ratio_min(self) -> float:
        return min(self.orm_ms) / min(self.raw_ms)

    @property
    def cpu_ratio(self) -> float | None:
        if self.backend != "SQLite" or not self.orm_cpu or not self.raw_cpu:
            return None
        raw = self._p50(self.raw_cpu)
        return self._p50(self.orm_cpu) / raw if raw else None

    def add(self, which: str, wall_cpu: tuple[float, float]) -> None:
        getattr(self, f"{which}_ms").append(wall_cpu[0])
        getattr(self, f"{which}_cpu").append(wall_cpu[1])


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Run ``fn`` once; return (wall ms by perf_counter, CPU ms of this process)."""
    cpu = time.process_time()
    start = time.perf_counter()
    fn()
    wall = time.perf_counter() - start
    return wall * 1000, (time.process_time() - cpu) * 1000


def compare(result: Result, orm: Callable[[], Any], raw: Callable[[], Any], repeat: int) -> Result:
    """Time ``orm`` and ``raw`` alternately; the one that runs first alternates too."""
    for _ in range(WARMUP):
        orm()
        raw()
    for i in range(repeat):
        if i % 2 == 0:
            result.add("orm", timed(orm))
            result.add("raw", timed(raw))
        else:
            result.add("raw", timed(raw))
            result.add("orm", timed(orm))
    return result


def range_ops(vendor: str) -> tuple[str, str]:
    return ("~>=~", "~<~") if vendor == "postgresql" else (">=", "<")


def explain(sql: str, params: list[Any]) -> str:
    from django.db import connection

    prefix = "EXPLAIN" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    with connection.cursor() as cursor:
        cursor.execute(f"{prefix} {sql}", params)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return "\n".join(r[0] for r in rows)
    return "\n".join(f"{r[0]}|{r[1]}| {r[-1]}" for r in rows)


def full_scan(plan: str, table: str) -> bool:
    """True if the plan reads the whole unit table (or all of an index) instead of a range."""
    if re.search(rf"Seq Scan on {table}\b", plan):  # PostgreSQL
        return True
    # SQLite: "SEARCH org_unit USING INDEX ... (path>? AND path<?)" is a range; "SCAN org_unit"
    # reads the whole table, "SCAN org_unit USING INDEX ..." the whole index.
    return re.search(rf"\bSCAN (TABLE )?{table}\b", plan) is not None


def measure(landmarks: Landmarks, repeat: int) -> tuple[list[Result], dict]:
    from django.db import connection, transaction

    from ctip.org.integrity import check_tree
    from ctip.org.models import Unit
    from ctip.units.actions import _repath_subtree, move_subtree

    vendor = connection.vendor
    backend = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(vendor, vendor)
    ge, lt = range_ops(vendor)
    table = Unit._meta.db_table
    qn = connection.ops.quote_name
    all_columns = ", ".join(qn(f.column) for f in Unit._meta.concrete_fields)
    value_fields = ("pk", "name", "path", "depth")
    value_columns = ", ".join(qn(c) for c in ("id", "name", "path", "depth"))
    where = f"{qn('path')} {ge} %s AND {qn('path')} {lt} %s"
    results: list[Result] = []
    plans: dict[str, Any] = {}

    def bounds(path: str) -> list[str]:
        return [path, path[:-1] + "0"]

    # (a) Listing a subtree.
    for label, pk in (("commune", landmarks.commune), ("province", landmarks.province)):
        path = Unit.objects.get(pk=pk).path
        size = Unit.objects.subtree(path).count()
        values_sql = f"SELECT {value_columns} FROM {qn(table)} WHERE {where} ORDER BY {qn('path')}"
        rows_sql = f"SELECT {all_columns} FROM {qn(table)} WHERE {where} ORDER BY {qn('path')}"

        def raw_values(sql: str = values_sql, path: str = path) -> list[tuple]:
            with connection.cursor() as cursor:
                cursor.execute(sql, bounds(path))
                return cursor.fetchall()

        def raw_rows(sql: str = rows_sql, path: str = path) -> list[tuple]:
            with connection.cursor() as cursor:
                cursor.execute(sql, bounds(path))
                return cursor.fetchall()

        def orm_values(path: str = path) -> list[tuple]:
            return list(Unit.objects.subtree(path).values_list(*value_fields))

        def orm_units(path: str = path) -> list[Unit]:
            return list(Unit.objects.subtree(path))

        assert orm_values() == raw_values()
        assert [u.pk for u in orm_units()] == [r[0] for r in raw_rows()]
        results.append(compare(Result(backend, f"list {label} subtree (values_list)", size),
                               orm_values, raw_values, repeat))
        results.append(compare(Result(backend, f"list {label} subtree (instances)", size),
                               orm_units, raw_rows, repeat))
        orm_plan = Unit.objects.subtree(path).explain()
        raw_plan = explain(values_sql, bounds(path))
        plans[f"list {label}"] = {"orm": orm_plan, "raw": raw_plan}
        if label == "commune":
            query = Unit.objects.subtree(path).values_list(*value_fields).query
            plans["orm sql"] = str(query)

    # (b) Moving a subtree between two provinces, back and forth.
    mover = Unit.objects.get(pk=landmarks.mover)
    places = {p.pk: p for p in Unit.objects.filter(pk__in=[landmarks.home, landmarks.away])}
    size = Unit.objects.subtree(mover.path).count()

    def other_place() -> Unit:
        return places[landmarks.away if mover.parent_id == landmarks.home else landmarks.home]

    def orm_move() -> None:
        nonlocal mover
        mover = move_subtree(actor=None, unit=mover, new_parent=other_place())

    def orm_repath() -> None:
        with transaction.atomic():
            _repath_subtree(mover, other_place())

    update_sql = (
        f"UPDATE {qn(table)} SET {qn('path')} = %s || SUBSTR({qn('path')}, %s), "
        f"{qn('depth')} = {qn('depth')} + %s WHERE {where}"
    )
    parent_sql = f"UPDATE {qn(table)} SET {qn('parent_id')} = %s WHERE {qn('id')} = %s"

    def raw_move() -> tuple[float, float]:
        target = other_place()
        old_path, new_path = mover.path, f"{target.path}{mover.pk}/"
        delta = target.depth + 1 - mover.depth
        moved = 0

        def run() -> None:
            nonlocal moved
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(update_sql, [new_path, len(old_path) + 1, delta,
                                            *bounds(old_path)])
                moved = cursor.rowcount
                cursor.execute(parent_sql, [target.pk, mover.pk])

        elapsed = timed(run)
        assert moved == size, (moved, size)
        mover.path, mover.depth, mover.parent_id = new_path, target.depth + 1, target.pk
        return elapsed

    plans["move"] = {"update": explain(update_sql, [mover.path, 1, 0, *bounds(mover.path)])}
    ops: dict[str, Callable[[], Any]] = {"move": orm_move, "repath": orm_repath}
    move_full = Result(backend, "move subtree (move_subtree + audit)", size)
    move_bare = Result(backend, "move subtree (_repath_subtree only)", size)
    raw_times: list[tuple[float, float]] = []
    for _ in range(WARMUP):
        orm_move()
        orm_repath()
        raw_move()
    for i in range(repeat):
        # Rotate the order every round; each call moves the same subtree to the other province.
        order = ["move", "repath", "raw"]
        order = order[i % 3:] + order[: i % 3]
        for op in order:
            if op == "raw":
                raw_times.append(raw_move())
            else:
                (move_full if op == "move" else move_bare).add("orm", timed(ops[op]))
                mover.refresh_from_db(fields=["path", "depth", "parent"])
    for result in (move_full, move_bare):
        result.raw_ms = [wall for wall, _ in raw_times]
        result.raw_cpu = [cpu for _, cpu in raw_times]
    results += [move_full, move_bare]

    problems = check_tree()
    plans["check_tree"] = problems
    info = {
        "units": Unit.objects.count(),
        "tree_problems": len(problems),
    }
    plans["full_scan"] = {
        f"{key} ({which})": full_scan(plan, table)
        for key in ("list commune", "list province", "move")
        for which, plan in plans[key].items()
    }
    return results, {"plans": plans, **info}


# --- Reporting ------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    header = ("backend", "operation", "rows", "orm p50 ms", "orm min ms", "raw p50 ms",
              "raw min ms", "ratio p50", "ratio min", "cpu ratio")
    lines = [header]
    for r in results:
        flag = "" if r.ratio <= TARGET_RATIO else " *"
        cpu = f"{r.cpu_ratio:.2f}x" if r.cpu_ratio is not None else "-"
        lines.append((r.backend, r.operation, f"{r.rows:,}", f"{r.orm_p50:.2f}",
                      f"{min(r.orm_ms):.2f}", f"{r.raw_p50:.2f}", f"{min(r.raw_ms):.2f}",
                      f"{r.ratio:.2f}x{flag}", f"{r.ratio_min:.2f}x", cpu))
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    numeric = set(range(2, len(header)))

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    out = [fmt(lines[0]), "  ".join("-" * w for w in widths)]
    out += [fmt(row) for row in lines[1:]]
    if any(r.ratio > TARGET_RATIO for r in results):
        out.append(f"* p50 ratio above the {TARGET_RATIO}x aim")
    if any(r.cpu_ratio is not None for r in results):
        out.append("cpu ratio (SQLite only): p50 CPU time of this process, ORM / raw; "
                   "not inflated by waiting for a busy core")
    return "\n".join(out)


def machine() -> str:
    load = f", load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {platform.machine()}, "
            f"{os.cpu_count()} CPUs{load}, Python {platform.python_version()}")


def run_one(args: argparse.Namespace) -> dict:
    tmp = tempfile.mkdtemp(prefix="ctip-bench-org-")
    admin_url = pg_name = db_url = None
    if args.database_url:
        admin_url, db_url, pg_name = _common.postgres_urls(args.database_url, DEFAULT_PG_DATABASE)
        _common.recreate_postgres(admin_url, pg_name)
    try:
        _common.configure_django(db_url, tmp)
        from django.core.management import call_command
        from django.db import connection

        where = (f"PostgreSQL database {pg_name}" if pg_name
                 else f"SQLite {connection.settings_dict['NAME']}")
        print(f"org_tree benchmark: {args.units:,} units, move {args.move_size:,}, "
              f"repeat {args.repeat}, on {where}", flush=True)
        start = time.perf_counter()
        for app_label in [None] if args.all_migrations else MIGRATE_APPS:
            call_command("migrate", *[app_label] if app_label else [], verbosity=0)
        migrate_s = time.perf_counter() - start
        start = time.perf_counter()
        landmarks = build_tree(args.units, args.move_size)
        build_s = time.perf_counter() - start
        print(f"migrated in {migrate_s:.1f}s; built {landmarks.total:,} units in "
              f"{build_s:.1f}s", flush=True)
        start = time.perf_counter()
        results, info = measure(landmarks, args.repeat)
        measure_s = time.perf_counter() - start
        server = connection.pg_version if connection.vendor == "postgresql" else None
        version = (f"PostgreSQL {server // 10000}.{server % 10000}" if server
                   else f"SQLite {connection.Database.sqlite_version}")
        kept = db_url or connection.settings_dict["NAME"]
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not args.keep:
            if pg_name:
                _common.recreate_postgres(admin_url, pg_name, create=False)
            shutil.rmtree(tmp, ignore_errors=True)
    plans = info["plans"]
    if args.explain:
        print("\nORM SQL of the commune listing (values_list):\n  " + plans["orm sql"])
        for key in ("list commune", "list province", "move"):
            for which, plan in plans[key].items():
                print(f"\nplan: {key} ({which})\n  " + plan.replace("\n", "\n  "))
    scans = [k for k, v in plans["full_scan"].items() if v]
    print(f"\n{version}; measured in {measure_s:.1f}s; {machine()}")
    print(table(results))
    verdict = (f"NO, full scan in {', '.join(scans)} (see --explain; on a small tree a scan "
               "can be the planner's right choice)") if scans else "yes"
    print(f"index range scans in every subtree plan: {verdict}")
    print(f"check_tree() after {3 * (args.repeat + WARMUP)} moves of the subtree: "
          f"{info['tree_problems']} problems in {info['units']:,} units")
    for problem in plans["check_tree"][:10]:
        print(f"  {problem}")
    if args.keep:
        print(f"kept: {kept}")
    return {
        "version": version,
        "units": info["units"],
        "tree_problems": info["tree_problems"],
        "full_scans": scans,
        "results": [asdict(r) | {"orm_p50": r.orm_p50, "raw_p50": r.raw_p50, "ratio": r.ratio}
                    for r in results],
    }


def run_both(args: argparse.Namespace) -> None:
    """Run SQLite then PostgreSQL in separate processes (Django is set up once per process)."""
    collected: list[Result] = []
    notes = []
    with tempfile.TemporaryDirectory(prefix="ctip-bench-org-") as tmp:
        for backend, url in (("sqlite", None), ("postgres", args.database_url or DEFAULT_PG_URL)):
            out = Path(tmp) / f"{backend}.json"
            cmd = [sys.executable, __file__, "--units", str(args.units), "--move-size",
                   str(args.move_size), "--repeat", str(args.repeat), "--json", str(out)]
            cmd += ["--database-url", url] if url else []
            cmd += ["--explain"] if args.explain else []
            cmd += ["--keep"] if args.keep else []
            cmd += ["--all-migrations"] if args.all_migrations else []
            print(f"\n=== {backend} ===", flush=True)
            subprocess.run(cmd, check=True)
            data = json.loads(out.read_text())
            notes.append(f"{data['version']}: check_tree problems {data['tree_problems']}, "
                         f"full scans: {', '.join(data['full_scans']) or 'none'}")
            for r in data["results"]:
                collected.append(Result(r["backend"], r["operation"], r["rows"], r["orm_ms"],
                                        r["raw_ms"], r["orm_cpu"], r["raw_cpu"]))
    print(f"\n=== org_tree, {args.units:,} units, repeat {args.repeat}; {machine()} ===")
    print(table(collected))
    for note in notes:
        print(note)


def main(argv: list[str] | None = None) -> None:
    _common.main(argv, parse_args, run_one, run_both)


if __name__ == "__main__":
    main()
