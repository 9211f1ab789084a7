"""Benchmark outreach work: the activity list, campaign progress and a 10,000-row import.

Builds a fresh database with Tây Ninh's real communes (``ctip.units.provinces.import_province``),
``--branches`` branches spread over them, one campaign with a target per commune, and
``--activities`` activities (default 1,000,000) over five years, inserted in bulk with raw SQL
(``executemany`` on SQLite, ``COPY`` on PostgreSQL). Then it times, with ``time.perf_counter``:

(a) the filtered activity list as ``outreach.activity_views.activity_list`` computes it — the
    viewer's scope, ``filter_activities`` by a commune subtree and a year, ``totals`` and the
    first page of 50 rows with the view's ``select_related``/``only`` — against raw SQL doing
    the same two queries; and the real page through ``django.test.Client`` signed in as a
    province officer (every middleware, the form, the template);
(b) ``outreach.selectors.campaign_progress(campaign, province)`` against the same five queries
    in raw SQL; and the campaign page through the client;
(c) the import of a generated 10,000-row .xlsx through ``outreach.activity_import``: the check
    (``plan_import``: read the file, resolve its names, put every row through the checks of
    ``create_activity`` — ``validate_activity`` — with the duplicates, locks and scope looked up
    once for the file) and the import (``apply_import``: the same, then ``bulk_create`` and bulk
    inserts of the topic and audience links, one audit event).

Each measurement is repeated ``--repeat`` times after a warm-up, ORM and raw interleaved with
alternating order. The table shows p50 (median) and min in milliseconds and the ORM/raw ratio.
See ``benchmarks/README.md``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/outreach/run.py                       # SQLite in a temp dir
    .venv/bin/python benchmarks/outreach/run.py --database-url postgres://postgres@127.0.0.1:5432
    .venv/bin/python benchmarks/outreach/run.py --both                # SQLite, then PostgreSQL
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import random
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
DEFAULT_PG_DATABASE = "ctip_bench_outreach"
PROVINCE_CODE = 80  # Tây Ninh
LIST_AIM_MS = 150.0
IMPORT_AIM_S = 30.0
PAGE_SIZE = 50
WARMUP = 3
SEED = 20260717
TITLES = [
    "Sinh hoạt chuyên đề phòng, chống mua bán người",
    "Tuyên truyền Luật Phòng, chống mua bán người năm 2024",
    "Nói chuyện về thủ đoạn lừa đảo việc nhẹ lương cao",
    "Phát thanh cảnh giác với lời mời đi làm ở nước ngoài",
    "Tư vấn kết hôn có yếu tố nước ngoài an toàn",
    "Giới thiệu đường dây nóng 111",
    "Thăm hộ gia đình có người đi làm ăn xa",
    "Ngày pháp luật: di cư an toàn",
    "Hội thi tìm hiểu phòng, chống mua bán người",
    "Bài đăng cảnh báo tuyển dụng trên mạng xã hội",
]


# --- Command line and process setup ---------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Outreach benchmark: activity list, campaign progress, Excel import.")
    parser.add_argument(
        "--database-url",
        help="run on PostgreSQL: a server URL such as postgres://postgres@127.0.0.1:5432. The "
        f"database named in the URL (default {DEFAULT_PG_DATABASE}; it must start with "
        "'ctip_bench') is DROPPED and recreated. Without this option: SQLite in a temp dir.")
    parser.add_argument("--activities", type=int, default=1_000_000,
                        help="activities to insert (default 1000000)")
    parser.add_argument("--branches", type=int, default=1_000,
                        help="branches to add under the communes (default 1000)")
    parser.add_argument("--import-rows", type=int, default=10_000,
                        help="rows of the Excel file imported (default 10000; 0 to skip)")
    parser.add_argument("--repeat", type=int, default=30,
                        help="timed runs per read operation, after a warm-up (default 30)")
    parser.add_argument("--explain", action="store_true",
                        help="print the query plans of the list and progress queries")
    parser.add_argument("--keep", action="store_true",
                        help="keep the benchmark database (and print where it is)")
    parser.add_argument("--both", action="store_true",
                        help=f"run on SQLite and then on PostgreSQL (--database-url or "
                        f"{DEFAULT_PG_URL}) in two child processes; print one table")
    parser.add_argument("--json", dest="json_out", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.activities < 10_000 or args.branches < 10 or args.repeat < 1:
        parser.error("need --activities >= 10000, --branches >= 10, --repeat >= 1")
    if not 0 <= args.import_rows <= 10_000:
        parser.error("--import-rows must be between 0 and 10000 (the importer's limit)")
    return args



def configure_django(database_url: str | None, data_dir: str) -> None:
    """Django on a throwaway data dir and database, pages rendered by the test client."""
    _common.configure_django(database_url, data_dir, test_client=True)


# --- Building the data ----------------------------------------------------------------------


@dataclass
class World:
    province: int
    commune: int  # the commune the list is filtered by
    campaign: int
    officer: int  # a province officer
    year: int  # the year the list is filtered by
    communes: int = 0
    branches: int = 0
    activities: int = 0
    commune_rows: int = 0  # activities of the commune's subtree in the year
    timings: dict[str, float] = field(default_factory=dict)


def add_branches(province: Any, count: int) -> list[Any]:
    """``count`` branches spread over the communes, inserted in bulk with their path and depth
    computed as ``org.actions.create_unit`` does."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max

    from ctip.core.text import fold
    from ctip.org.models import Unit, UnitType

    branch_type = UnitType.objects.get(code="branch")
    communes = list(Unit.objects.filter(parent=province).order_by("pk"))
    next_pk = (Unit.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    rows = []
    for i in range(count):
        commune = communes[i % len(communes)]
        number = i // len(communes) + 1
        name = f"Chi hội ấp {number}"  # the same names recur in every commune, as in life
        rows.append(Unit(pk=next_pk + i, name=name, name_folded=fold(name),
                         unit_type=branch_type, parent=commune,
                         path=f"{commune.path}{next_pk + i}/", depth=commune.depth + 1,
                         village=f"Ấp {number}"))
    with transaction.atomic():
        Unit.objects.bulk_create(rows, batch_size=1_000)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Unit]):
                cursor.execute(statement)
    return rows


def activity_rows(count: int, units: list[Any], formats: list[Any], campaign: Any,
                  columns: list[str], today: dt.date) -> Any:
    """Tuples of ``columns`` for ``count`` activities over the five years before today."""
    from django.utils import timezone

    from ctip.core.text import fold

    rng = random.Random(SEED)
    now = timezone.now()
    start = today - dt.timedelta(days=5 * 365)
    span = (today - start).days
    folded = [fold(t) for t in TITLES]
    # Where activities happen: mostly at branches, a third at communes, a few at the province.
    branches = [u for u in units if u.depth == 3]
    communes = [u for u in units if u.depth == 2]
    provinces = [u for u in units if u.depth == 1]
    for _ in range(count):
        pick = rng.random()
        pool = branches if pick < 0.62 else communes if pick < 0.97 else provinces
        unit = pool[rng.randrange(len(pool))]
        date = start + dt.timedelta(days=rng.randrange(span))
        fmt = formats[rng.randrange(len(formats))]
        t = rng.randrange(len(TITLES))
        women = men = None
        total = views = shares = 0
        if fmt.is_online:
            views, shares = rng.randrange(50, 5_000), rng.randrange(0, 300)
        elif fmt.is_meeting:
            women, men = rng.randrange(5, 80), rng.randrange(0, 25)
            total = women + men
        else:
            total = rng.randrange(0, 2_000)
        in_campaign = campaign.starts_on <= date <= campaign.ends_on
        values = {
            "unit_id": unit.pk, "unit_path": unit.path, "created_by_id": None,
            "created_at": now, "updated_at": now, "date": date, "status": "done",
            "title": TITLES[t], "title_folded": folded[t], "format_id": fmt.pk,
            "campaign_id": campaign.pk if in_campaign and unit.path.startswith(
                campaign.unit_path) else None,
            "movement_id": None, "club_id": None, "participants_women": women,
            "participants_men": men, "participants_total": total, "online_views": views,
            "online_shares": shares, "materials_handed_out": rng.randrange(0, 60),
            "coordinating_agencies": "", "notes": "",
        }
        yield tuple(values[c] for c in columns)


def activity_indexes() -> list[tuple[str, str]]:
    """(name, CREATE statement) of every secondary index of the activity table."""
    from django.db import connection

    from ctip.outreach.models import Activity

    table = Activity._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                           "AND indexname <> %s", [table, f"{table}_pkey"])
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                           "AND tbl_name = %s AND sql IS NOT NULL", [table])
        return list(cursor.fetchall())


def insert_activities(rows: Any, columns: list[str], count: int) -> None:
    """Insert in bulk the way a loader does: drop the secondary indexes, load, rebuild them
    (the same definitions, read from the catalogue, so the schema stays the application's)."""
    from django.db import connection, transaction

    indexes = activity_indexes()
    with transaction.atomic(), connection.cursor() as cursor:
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    _load_activities(rows, columns, count)
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -2000")  # back to SQLite's default for the timings
    print(f"  rebuilt {len(indexes)} indexes in {time.perf_counter() - start:.1f}s", flush=True)


def _load_activities(rows: Any, columns: list[str], count: int) -> None:
    from django.db import connection, transaction

    from ctip.outreach.models import Activity

    table = Activity._meta.db_table
    done = 0
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cursor:
            copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    done += 1
                    if done % 200_000 == 0:
                        print(f"  {done:,} / {count:,}", flush=True)
        return
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
           f"VALUES ({', '.join('?' for _ in columns)})")
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("PRAGMA cache_size = -262144")  # 256 MiB for the load and the index builds
    batch: list[tuple] = []
    with transaction.atomic():
        for row in rows:
            batch.append(row)
            if len(batch) == 50_000:
                raw.executemany(sql, batch)
                done += len(batch)
                batch.clear()
                if done % 200_000 == 0:
                    print(f"  {done:,} / {count:,}", flush=True)
        if batch:
            raw.executemany(sql, batch)


def build(args: argparse.Namespace) -> World:
    from django.db import connection
    from django.utils import timezone

    from ctip.accounts.actions import create_user
    from ctip.accounts.capabilities import Role
    from ctip.org.models import Unit
    from ctip.outreach.actions import create_campaign, create_topic, set_targets
    from ctip.outreach.models import Activity, Format
    from ctip.units.provinces import import_province

    timings: dict[str, float] = {}
    start = time.perf_counter()
    province = import_province(actor=None, code=PROVINCE_CODE).province
    branches = add_branches(province, args.branches)
    timings["units"] = time.perf_counter() - start

    today = timezone.localdate()
    year = today.year if today.month > 7 else today.year - 1  # the latest July that is past
    campaign = create_campaign(actor=None, unit=province,
                               name=f"Tháng hành động phòng, chống mua bán người {year}",
                               starts_on=dt.date(year, 7, 1), ends_on=dt.date(year, 7, 31))
    communes = list(Unit.objects.filter(parent=province).order_by("name"))
    set_targets(actor=None, campaign=campaign,
                targets={c: (20, 1_000, 1) for c in communes})
    for name in ("Luật Phòng, chống mua bán người năm 2024", "Thủ đoạn lừa đảo việc nhẹ "
                 "lương cao", "Đường dây nóng 111", "Di cư an toàn", "Kết hôn có yếu tố nước "
                 "ngoài"):
        create_topic(actor=None, name=name)
    officer, _password = create_user(
        actor=None, username="bench-tinh", full_name="Cán bộ tỉnh", home_unit=province,
        role=Role.PROVINCE_OFFICER, password="benchmark-passphrase-1",
        must_change_password=False)

    units = [province, *communes, *branches]
    formats = list(Format.objects.filter(archived=False))
    columns = [f.column for f in Activity._meta.concrete_fields if f.column != "id"]
    start = time.perf_counter()
    from ctip.reports import rollups

    with rollups.paused():   # the report roll-ups are computed once after the load
        insert_activities(activity_rows(args.activities, units, formats, campaign, columns,
                                        today), columns, args.activities)
    timings["activities"] = time.perf_counter() - start
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum / `PRAGMA optimize` would in production
    timings["analyze"] = time.perf_counter() - start

    # The commune the list is filtered by: the one whose subtree has the median number of rows.
    by_size = sorted(communes, key=lambda c: (Unit.objects.filter(parent=c).count(), c.pk))
    commune = by_size[len(by_size) // 2]
    return World(province=province.pk, commune=commune.pk, campaign=campaign.pk,
                 officer=officer.pk, year=year - 1, communes=len(communes),
                 branches=len(branches), activities=Activity.objects.count(), timings=timings)


# --- Measuring ------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    operation: str
    rows: int
    orm_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)

    @property
    def orm_p50(self) -> float:
        return statistics.median(self.orm_ms)

    @property
    def raw_p50(self) -> float:
        return statistics.median(self.raw_ms) if self.raw_ms else float("nan")

    @property
    def ratio(self) -> float:
        return self.orm_p50 / self.raw_p50 if self.raw_ms else float("nan")



def compare(result: Result, orm: Callable[[], Any], raw: Callable[[], Any] | None,
            repeat: int) -> Result:
    """Time ``orm`` and ``raw`` alternately; the one that runs first alternates too."""
    _common.alternate(orm, raw, repeat, result.orm_ms, result.raw_ms, warmup=WARMUP)
    return result


def explain(sql: str, params: list[Any]) -> str:
    from django.db import connection

    prefix = ("EXPLAIN (ANALYZE, BUFFERS)" if connection.vendor == "postgresql"
              else "EXPLAIN QUERY PLAN")
    with connection.cursor() as cursor:
        cursor.execute(f"{prefix} {sql}", params)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        return "\n".join(r[0] for r in rows)
    return "\n".join(f"{r[0]}|{r[1]}| {r[-1]}" for r in rows)


def measure_reads(world: World, repeat: int) -> tuple[list[Result], dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from ctip.accounts.models import User
    from ctip.org.models import Unit
    from ctip.org.paths import upper_bound
    from ctip.outreach.models import Campaign
    from ctip.outreach.selectors import (
        ActivityFilter,
        activities_visible_to,
        campaign_progress,
        filter_activities,
        totals,
    )

    vendor = connection.vendor
    backend = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(vendor, vendor)
    ge, lt = ("~>=~", "~<~") if vendor == "postgresql" else (">=", "<")
    officer = User.objects.get(pk=world.officer)
    province = Unit.objects.get(pk=world.province)
    commune = Unit.objects.get(pk=world.commune)
    campaign = Campaign.objects.get(pk=world.campaign)
    first, last = dt.date(world.year, 1, 1), dt.date(world.year, 12, 31)
    results: list[Result] = []
    info: dict[str, Any] = {}

    # (a) The list: exactly what activity_views.activity_list does for page 1.
    def orm_list() -> tuple[dict[str, int], list[Any]]:
        activities = filter_activities(activities_visible_to(officer),
                                       ActivityFilter(start=first, end=last, unit=commune))
        sums = totals(activities)
        rows = (activities.select_related("unit", "format")
                .only("date", "status", "title", "participants_total", "unit", "unit__name",
                      "format", "format__name"))
        return sums, list(rows[:PAGE_SIZE])

    if vendor == "sqlite":
        # As written by hand after reading the plan: without the hint SQLite walks the date
        # index and reads the whole year (see the README's findings).
        where = ("likelihood(a.unit_path >= %s, 0.01) AND likelihood(a.unit_path < %s, 0.01) "
                 "AND a.date >= %s AND a.date <= %s")
    else:
        where = f"a.unit_path {ge} %s AND a.unit_path {lt} %s AND a.date >= %s AND a.date <= %s"
    params = [commune.path, upper_bound(commune.path), first, last]
    totals_sql = (
        "SELECT COUNT(*), COALESCE(SUM(a.participants_women), 0), "
        "COALESCE(SUM(a.participants_men), 0), COALESCE(SUM(a.participants_total), 0), "
        "COALESCE(SUM(a.online_views), 0), COALESCE(SUM(a.online_shares), 0), "
        f"COALESCE(SUM(a.materials_handed_out), 0) FROM outreach_activity a WHERE {where}")
    page_sql = (
        "SELECT a.id, a.date, a.status, a.title, a.participants_total, a.unit_id, u.name, "
        "a.format_id, f.name FROM outreach_activity a "
        "JOIN org_unit u ON u.id = a.unit_id JOIN outreach_format f ON f.id = a.format_id "
        f"WHERE {where} ORDER BY a.date DESC, a.id DESC LIMIT {PAGE_SIZE}")

    def raw_list() -> tuple[tuple, list[tuple]]:
        with connection.cursor() as cursor:
            cursor.execute(totals_sql, params)
            sums = cursor.fetchone()
            cursor.execute(page_sql, params)
            return sums, cursor.fetchall()

    sums, page = orm_list()
    raw_sums, raw_page = raw_list()
    assert sums["sessions"] == raw_sums[0] and sums["participants"] == raw_sums[3], (
        sums, raw_sums)
    assert [a.pk for a in page] == [r[0] for r in raw_page]
    world.commune_rows = sums["sessions"]
    results.append(compare(Result(backend, "list: filter + totals + page (ORM)",
                                  sums["sessions"]), orm_list, raw_list, repeat))

    client = Client()
    client.force_login(officer)
    url = (f"{reverse('outreach:activity_list')}?unit={commune.pk}"
           f"&start={first:%d/%m/%Y}&end={last:%d/%m/%Y}")

    def http_list() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    response = client.get(url)
    assert response.status_code == 200
    shown = re.search(r'id="activity-totals"><td class="num">([^<]*)<', response.content.decode())
    assert shown and int(re.sub(r"\D", "", shown.group(1))) == sums["sessions"], (
        "the page does not show the totals of the filters", shown)
    results.append(compare(Result(backend, "list: the page over HTTP (client)",
                                  sums["sessions"]), http_list, raw_list, repeat))

    # (b) Campaign progress under the province.
    def orm_progress() -> list[Any]:
        return campaign_progress(campaign, province)

    path, bound = province.path, upper_bound(province.path)
    start = len(path) + 1
    if vendor == "postgresql":
        child = f"SUBSTR(a.unit_path, {start}, STRPOS(SUBSTR(a.unit_path, {start}), '/') - 1)"
        club_child = child.replace("a.unit_path", "c.unit_path")
    else:
        child = f"SUBSTR(a.unit_path, {start}, INSTR(SUBSTR(a.unit_path, {start}), '/') - 1)"
        club_child = child.replace("a.unit_path", "c.unit_path")
    progress_sql = [
        ("SELECT id, name, path FROM org_unit WHERE parent_id = %s AND closed_on IS NULL "
         "ORDER BY name", [province.pk]),
        ("SELECT t.unit_id, t.sessions, t.participants, t.new_models "
         "FROM outreach_campaigntarget t JOIN org_unit u ON u.id = t.unit_id "
         "WHERE t.campaign_id = %s AND u.parent_id = %s AND u.closed_on IS NULL",
         [campaign.pk, province.pk]),
        ("SELECT u.path, t.sessions, t.participants, t.new_models "
         "FROM outreach_campaigntarget t JOIN org_unit u ON u.id = t.unit_id "
         f"WHERE t.campaign_id = %s AND u.path {ge} %s AND u.path {lt} %s "
         "AND u.depth > %s", [campaign.pk, path, bound, province.depth + 1]),
        (f"SELECT {child} AS child, COUNT(*), COALESCE(SUM(a.participants_total), 0) "
         f"FROM outreach_activity a WHERE a.campaign_id = %s AND a.status = 'done' "
         f"AND a.unit_path {ge} %s AND a.unit_path {lt} %s AND a.unit_path <> %s "
         f"GROUP BY {child}", [campaign.pk, path, bound, path]),
        (f"SELECT {club_child} AS child, COUNT(*) FROM community_club c "
         f"WHERE c.unit_path {ge} %s AND c.unit_path {lt} %s AND c.is_prevention_model "
         f"AND c.founded_on >= %s AND c.founded_on <= %s AND c.unit_path <> %s "
         f"GROUP BY {club_child}", [path, bound, campaign.starts_on, campaign.ends_on, path]),
    ]

    def raw_progress() -> list[list[tuple]]:
        out = []
        with connection.cursor() as cursor:
            for sql, sql_params in progress_sql:
                cursor.execute(sql, sql_params)
                out.append(cursor.fetchall())
        return out

    lines = orm_progress()
    raw_lines = raw_progress()
    assert sum(r.sessions for r in lines) == sum(r[1] for r in raw_lines[3])
    campaign_rows = sum(r.sessions for r in lines)
    results.append(compare(Result(backend, "campaign_progress(campaign, province)",
                                  campaign_rows), orm_progress, raw_progress, repeat))

    progress_url = reverse("outreach:campaign_detail", args=[campaign.pk])

    def http_progress() -> None:
        response = client.get(progress_url)
        assert response.status_code == 200, response.status_code

    results.append(compare(Result(backend, "campaign page over HTTP (client)", campaign_rows),
                           http_progress, raw_progress, repeat))

    orm_sql = str(filter_activities(
        activities_visible_to(officer),
        ActivityFilter(start=first, end=last, unit=commune))
        .select_related("unit", "format").order_by("-date", "-id")[:PAGE_SIZE].query)
    info["plans"] = {
        "list page (ORM SQL)": orm_sql,
        "list totals (raw)": explain(totals_sql, params),
        "list page (raw)": explain(page_sql, params),
        "progress rollup (raw)": explain(*progress_sql[3]),
    }
    info["campaign_rows"] = campaign_rows
    return results, info


def import_file(world: World, rows: int) -> tuple[bytes, int]:
    """A .xlsx as a commune officer would fill it: unit codes and "Commune / branch" names,
    dates as date cells or text, 1 % of rows repeated."""
    from openpyxl import Workbook

    from ctip.catalogues.models import Audience, Topic
    from ctip.org.models import Unit
    from ctip.outreach.activity_import import TEMPLATE_HEADERS
    from ctip.outreach.models import Format

    rng = random.Random(SEED + 1)
    communes = list(Unit.objects.filter(parent_id=world.province).order_by("pk"))
    branches = list(Unit.objects.filter(parent__in=communes).select_related("parent")
                    .order_by("pk"))
    formats = list(Format.objects.filter(archived=False))
    topics = [t.name for t in Topic.objects.all()]
    audiences = [a.name for a in Audience.objects.all()]
    from django.utils import timezone

    last = timezone.localdate() - dt.timedelta(days=1)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Hoạt động")
    fields = list(TEMPLATE_HEADERS)
    sheet.append([TEMPLATE_HEADERS[f] for f in fields])
    previous: list[Any] | None = None
    repeats = 0
    for i in range(rows):
        if previous is not None and rng.random() < 0.01:
            sheet.append(previous)
            repeats += 1
            continue
        if rng.random() < 0.5:
            unit = communes[rng.randrange(len(communes))].gso_code
        else:
            branch = branches[rng.randrange(len(branches))]
            unit = f"{branch.parent.name} / {branch.name}"
        date = last - dt.timedelta(days=rng.randrange(300))
        fmt = formats[rng.randrange(len(formats))]
        women = men = total = views = shares = None
        if fmt.is_online:
            views, shares = rng.randrange(50, 5_000), rng.randrange(0, 300)
        elif fmt.is_meeting:
            women, men = rng.randrange(5, 80), rng.randrange(0, 25)
            total = women + men
        else:
            total = rng.randrange(0, 2_000)
        values = {
            "date": date if i % 3 else date.strftime("%d/%m/%Y"), "unit": unit,
            "format": fmt.name, "title": f"{TITLES[i % len(TITLES)]} (nhập {i + 1})",
            "women": women, "men": men, "total": total,
            "topics": "; ".join(rng.sample(topics, 2)),
            "audiences": audiences[rng.randrange(len(audiences))], "campaign": None,
            "views": views, "shares": shares, "materials": rng.randrange(0, 60),
            "agencies": "Công an xã" if i % 4 == 0 else None, "notes": None,
        }
        previous = [values[f] for f in fields]
        sheet.append(previous)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), repeats


def measure_import(world: World, rows: int) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ctip.accounts.models import User
    from ctip.outreach.activity_import import apply_import, plan_import
    from ctip.outreach.models import Activity

    officer = User.objects.get(pk=world.officer)
    data, repeats = import_file(world, rows)
    before = Activity.objects.count()
    start, cpu = time.perf_counter(), time.process_time()
    plan = plan_import(officer, SimpleUploadedFile("bench.xlsx", data))
    plan_s = time.perf_counter() - start
    assert plan.ok, plan.errors[:5]
    start = time.perf_counter()
    result = apply_import(officer, SimpleUploadedFile("bench.xlsx", data))
    apply_s = time.perf_counter() - start
    cpu_s = time.process_time() - cpu  # this process only: all of it on SQLite
    created = Activity.objects.count() - before
    assert created == result.imported == plan.to_import, (created, result, plan.to_import)
    return {"rows": rows, "bytes": len(data), "imported": result.imported,
            "duplicates": result.duplicates, "repeats_in_file": repeats,
            "plan_s": plan_s, "apply_s": apply_s, "total_s": plan_s + apply_s, "cpu_s": cpu_s}


# --- Reporting ------------------------------------------------------------------------------


def table(results: list[Result]) -> str:
    header = ("backend", "operation", "rows", "p50 ms", "min ms", "raw p50 ms", "raw min ms",
              "ratio p50")
    lines = [header]
    for r in results:
        lines.append((r.backend, r.operation, f"{r.rows:,}", f"{r.orm_p50:.2f}",
                      f"{min(r.orm_ms):.2f}", f"{r.raw_p50:.2f}",
                      f"{min(r.raw_ms):.2f}" if r.raw_ms else "-", f"{r.ratio:.2f}x"))
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    numeric = {2, 3, 4, 5, 6, 7}

    def fmt(row: tuple[str, ...]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip()

    return "\n".join([fmt(lines[0]), "  ".join("-" * w for w in widths),
                      *(fmt(row) for row in lines[1:])])


def import_line(version: str, data: dict[str, Any]) -> str:
    flag = "" if data["total_s"] <= IMPORT_AIM_S else f"  * over the {IMPORT_AIM_S:.0f} s aim"
    return (f"{version}: import of {data['rows']:,} rows ({data['bytes'] / 1024:,.0f} KiB): "
            f"check {data['plan_s']:.1f} s + import {data['apply_s']:.1f} s = "
            f"{data['total_s']:.1f} s (CPU of this process {data.get('cpu_s', 0):.1f} s); "
            f"{data['imported']:,} created, "
            f"{data['duplicates']:,} duplicates skipped{flag}")


def run_one(args: argparse.Namespace) -> dict:
    tmp = tempfile.mkdtemp(prefix="ctip-bench-outreach-")
    admin_url = pg_name = db_url = None
    if args.database_url:
        admin_url, db_url, pg_name = _common.postgres_urls(args.database_url, DEFAULT_PG_DATABASE)
        _common.recreate_postgres(admin_url, pg_name)
    configure_django(db_url, tmp)

    from django.core.management import call_command
    from django.db import connection, connections

    where = (f"PostgreSQL database {pg_name}" if pg_name
             else f"SQLite {connection.settings_dict['NAME']}")
    print(f"outreach benchmark: {args.activities:,} activities, {args.branches:,} branches, "
          f"repeat {args.repeat}, on {where}", flush=True)
    try:
        start = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrate_s = time.perf_counter() - start
        start = time.perf_counter()
        world = build(args)
        build_s = time.perf_counter() - start
        print(f"migrated in {migrate_s:.1f}s; built in {build_s:.1f}s "
              f"({world.communes} communes, {world.branches:,} branches, "
              f"{world.activities:,} activities; "
              + ", ".join(f"{k} {v:.1f}s" for k, v in world.timings.items()) + ")", flush=True)
        server = connection.pg_version if connection.vendor == "postgresql" else None
        version = (f"PostgreSQL {server // 10000}.{server % 10000}" if server
                   else f"SQLite {connection.Database.sqlite_version}")
        results, info = measure_reads(world, args.repeat)
        print(f"reads measured; list p50 {results[0].orm_p50:.1f} ms, raw "
              f"{results[0].raw_p50:.1f} ms; page over HTTP {results[1].orm_p50:.1f} ms; "
              f"progress {results[2].orm_p50:.1f} ms", flush=True)
        if args.import_rows:
            print(f"importing {args.import_rows:,} rows (check, then import)...", flush=True)
        imported = measure_import(world, args.import_rows) if args.import_rows else None
    finally:
        connections.close_all()
        if not args.keep:
            if pg_name and admin_url:
                _common.recreate_postgres(admin_url, pg_name, create=False)
            shutil.rmtree(tmp, ignore_errors=True)
    if args.explain:
        for key, plan in info["plans"].items():
            print(f"\nplan: {key}\n  " + plan.replace("\n", "\n  "))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nload average {load} on {os.cpu_count()} CPUs (other processes slow every figure)")
    print(f"{version}: list filtered by a commune subtree ({world.commune_rows:,} activities "
          f"in {world.year}) out of {world.activities:,}; campaign progress over "
          f"{info['campaign_rows']:,} activities")
    print(table(results))
    list_p50 = results[0].orm_p50
    http_p50 = results[1].orm_p50
    print(f"list p50 {list_p50:.1f} ms (selector), {http_p50:.1f} ms (page): "
          + ("within" if max(list_p50, http_p50) <= LIST_AIM_MS else "OVER")
          + f" the {LIST_AIM_MS:.0f} ms aim")
    if imported:
        print(import_line(version, imported))
    if args.keep:
        print(f"kept: {db_url or tmp}")
    return {
        "version": version, "activities": world.activities, "commune_rows": world.commune_rows,
        "campaign_rows": info["campaign_rows"], "build_s": build_s,
        "build": world.timings, "import": imported,
        "results": [asdict(r) | {"orm_p50": r.orm_p50, "raw_p50": r.raw_p50}
                    for r in results],
    }


def run_both(args: argparse.Namespace) -> None:
    """Run SQLite then PostgreSQL in separate processes (Django is set up once per process)."""
    collected: list[Result] = []
    notes = []
    with tempfile.TemporaryDirectory(prefix="ctip-bench-outreach-") as tmp:
        for backend, url in (("sqlite", None), ("postgres", args.database_url or DEFAULT_PG_URL)):
            out = Path(tmp) / f"{backend}.json"
            cmd = [sys.executable, __file__, "--activities", str(args.activities),
                   "--branches", str(args.branches), "--import-rows", str(args.import_rows),
                   "--repeat", str(args.repeat), "--json", str(out)]
            cmd += ["--database-url", url] if url else []
            cmd += ["--explain"] if args.explain else []
            cmd += ["--keep"] if args.keep else []
            print(f"\n=== {backend} ===", flush=True)
            subprocess.run(cmd, check=True)
            data = json.loads(out.read_text())
            notes.append(f"{data['version']}: built {data['activities']:,} activities in "
                         f"{data['build_s']:.0f} s (insert "
                         f"{data['build']['activities']:.0f} s); list over "
                         f"{data['commune_rows']:,} rows, progress over "
                         f"{data['campaign_rows']:,}")
            if data["import"]:
                notes.append(import_line(data["version"], data["import"]))
            for r in data["results"]:
                collected.append(Result(r["backend"], r["operation"], r["rows"], r["orm_ms"],
                                        r["raw_ms"]))
    print(f"\n=== outreach, {args.activities:,} activities, repeat {args.repeat}, "
          f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()} ===")
    print(table(collected))
    for note in notes:
        print(note)


def main(argv: list[str] | None = None) -> None:
    _common.main(argv, parse_args, run_one, run_both)


if __name__ == "__main__":
    main()

