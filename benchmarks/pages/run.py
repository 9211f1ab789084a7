"""Benchmark the pages people land on, as whole requests through Django.

Builds a database with the synthetic generator (``ctip.synth``, the size given by ``--scale``
and ``--activities``) — or reuses one with ``--data-dir`` / ``--keep`` — adds one user per
landing role and three running campaigns with targets for every commune, then requests each
role's landing pages with Django's test ``Client``: the whole stack (middleware, session,
authentication and two-step sign-in, the view, template rendering), without a network. Each
page is requested ``--repeat`` times after a warm-up; the first warm-up request counts the
queries (``connection.execute_wrapper``) and is timed apart ("first ms": the cache is emptied
before the run, so it computes what the cached fragments keep); the timed ones run without it.

Prints, per page, p50 and p95 in milliseconds, the queries of one request, the size of the
HTML, and the machine's load average before and after. See ``benchmarks/README.md``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/pages/run.py --scale tiny                    # SQLite, 3,000 acts
    .venv/bin/python benchmarks/pages/run.py --scale province --activities 100000
    .venv/bin/python benchmarks/pages/run.py --scale tiny \\
        --database-url postgres://postgres@127.0.0.1:5432/ctip_bench_pages
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PG_DATABASE = "ctip_bench_pages"
P50_AIM_MS, P95_AIM_MS = 150.0, 300.0
NATION_AIM_MS = 500.0  # the national pages at nation scale, computed or cached (issue #20.1)
WARMUP = 2
# The national roles sit at the central union: an officer who may open the records (exact
# counts) and a viewer (every count of people protected).
ROLES = ("province_officer", "commune_officer", "case_worker", "national_officer",
         "national_viewer")
CACHED_PAGES = ("dashboard", "indicator table")



def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Landing pages as whole requests.")
    parser.add_argument("--database-url",
                        help="PostgreSQL: a server or database URL; the database (default "
                        f"{DEFAULT_PG_DATABASE}, the name must start with 'ctip_bench') is "
                        "DROPPED and recreated unless --keep finds it built. Without it: SQLite "
                        "in a temporary directory (or --data-dir).")
    parser.add_argument("--scale", choices=["tiny", "province", "nation"], default="tiny")
    parser.add_argument("--activities", type=int, default=None,
                        help="the number of activities (overrides the scale's)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument("--data-dir", help="SQLite: the data directory to build in or reuse")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database, and reuse it when it is already built")
    parser.add_argument("--json", dest="json_out", help="also write the results to this file")
    parser.add_argument("--roles", default=",".join(ROLES),
                        help=f"the roles whose pages are requested, comma-separated (default "
                        f"all: {','.join(ROLES)})")
    parser.add_argument("--cold", type=int, default=0,
                        help="also time the dashboard and the indicator table N times with the "
                        "cache emptied before each request (the fragment computed every time)")
    args = parser.parse_args(argv)
    if args.repeat < 2:
        parser.error("need --repeat >= 2")
    args.roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    if unknown := set(args.roles) - set(ROLES):
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}")
    return args


@dataclass
class Page:
    role: str
    name: str
    url: str
    status: int
    queries: int
    html_kb: float
    times_ms: list[float]
    first_ms: float = 0.0  # the first request: the session's write, the caches empty
    cold_ms: list[float] | None = None  # requests with the cache emptied before each

    @property
    def cold_p50(self) -> float | None:
        return statistics.median(self.cold_ms) if self.cold_ms else None

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# --- The people and the campaigns ---------------------------------------------------------------


def people() -> dict[str, Any]:
    """One user per landing role (made once; a reused database keeps them)."""
    from ctip.accounts.actions import create_user
    from ctip.accounts.capabilities import Role
    from ctip.accounts.models import User
    from ctip.org.models import Unit

    province = Unit.objects.filter(depth=1).order_by("pk").first()
    if province is None:
        sys.exit("the database holds no province: build it with the synthetic generator")
    commune = Unit.objects.filter(parent=province).order_by("pk").first()
    central = province.parent
    wanted = {"province_officer": (Role.PROVINCE_OFFICER, province),
              "commune_officer": (Role.COMMUNE_OFFICER, commune),
              "case_worker": (Role.CASE_WORKER, commune),
              "national_officer": (Role.PROVINCE_OFFICER, central),
              "national_viewer": (Role.VIEWER, central)}
    out = {}
    for key, (role, unit) in wanted.items():
        name = f"bench_{key}"
        user = User.objects.filter(username=name).first()
        if user is None:
            user, _ = create_user(actor=None, username=name, full_name=f"Bench {key}",
                                  home_unit=unit, role=role, must_change_password=False)
        out[key] = user
    out["province"], out["commune"], out["central"] = province, commune, central
    return out


def running_campaigns(officer: Any, province: Any, how_many: int = 3) -> list[Any]:
    """``how_many`` campaigns of the province running today, with targets for each commune."""
    from django.utils import timezone

    from ctip.org.models import Unit
    from ctip.outreach.actions import create_campaign, set_targets
    from ctip.outreach.models import Campaign

    today = timezone.localdate()
    existing = list(Campaign.objects.filter(unit=province, name__startswith="Bench ")
                    .order_by("pk"))
    communes = list(Unit.objects.filter(parent=province))
    while len(existing) < how_many:
        n = len(existing) + 1
        campaign = create_campaign(actor=officer, unit=province, name=f"Bench campaign {n}",
                                   starts_on=today.replace(month=1, day=1),
                                   ends_on=today.replace(month=12, day=31))
        set_targets(actor=officer, campaign=campaign,
                    targets={c: (10 * n, 300 * n, n) for c in communes})
        existing.append(campaign)
    return existing


def signed_in(user: Any) -> Any:
    """A test client signed in as ``user``, past two-step sign-in (a confirmed device)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench",
                                                 defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def landing_pages(who: dict[str, Any], campaigns: list[Any],
                  roles: list[str]) -> list[tuple[str, str, str]]:
    from django.urls import reverse
    from django.utils import timezone

    year = timezone.localdate().year
    province, commune = who["province"], who["commune"]
    activities = reverse("outreach:activity_list")
    pages = []
    for role in ("province_officer", "commune_officer"):
        unit = province if role == "province_officer" else commune
        pages += [
            (role, "home", reverse("core:home")),
            (role, "activity list", activities),
            (role, f"activity list, year {year - 1}",
             f"{activities}?start=01/01/{year - 1}&end=31/12/{year - 1}"),
            (role, "campaign progress", reverse("outreach:campaign_detail",
                                                args=[campaigns[0].pk])),
            (role, "situation inbox", reverse("cases:inbox")),
            (role, "dashboard", reverse("reports:unit_dashboard", args=[unit.pk])),
            (role, "indicator table", reverse("reports:unit_indicators", args=[unit.pk])),
            (role, "periodic reports", reverse("reports:report_list")),
        ]
    pages += [("case_worker", "home", reverse("core:home")),
              ("case_worker", "situation inbox", reverse("cases:inbox"))]
    central = who["central"]
    for role in ("national_officer", "national_viewer"):
        pages += [(role, "dashboard", reverse("reports:unit_dashboard", args=[central.pk])),
                  (role, "indicator table", reverse("reports:unit_indicators",
                                                    args=[central.pk]))]
    return [page for page in pages if page[0] in roles]


# --- Timing ----------------------------------------------------------------------------------


def measure(client: Any, role: str, name: str, url: str, repeat: int, cold: int = 0) -> Page:
    from django.core.cache import cache
    from django.db import connection

    count = 0

    def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    # A wrapper, not the debug cursor's log: a request may close and reopen the connection.
    start = time.perf_counter()
    with connection.execute_wrapper(counted):
        response = client.get(url)
    first = (time.perf_counter() - start) * 1000
    body = response.content
    for _ in range(WARMUP - 1):
        client.get(url)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    cold_times = []
    for _ in range(cold if name in CACHED_PAGES else 0):
        cache.clear()  # the sessions are in the database: the client stays signed in
        start = time.perf_counter()
        client.get(url)
        cold_times.append((time.perf_counter() - start) * 1000)
    return Page(role, name, url, response.status_code, count,
                len(body) / 1024, times, first, cold_times or None)


def after_a_write(clients: dict[str, Any], who: dict[str, Any]) -> list[tuple[str, float]]:
    """The first request of the commune officer's dashboard and indicator table after an
    activity is recorded in another commune (decision 0059: her unit's fragments are kept),
    then after one in her own commune (they are computed again), in milliseconds."""
    from django.urls import reverse
    from django.utils import timezone

    from ctip.org.models import Unit
    from ctip.outreach.actions import create_activity
    from ctip.outreach.models import Format

    commune = who["commune"]
    sibling = (Unit.objects.filter(parent=who["province"]).exclude(pk=commune.pk)
               .order_by("pk").first())
    fmt = Format.objects.order_by("pk").first()
    client = clients["commune_officer"]
    urls = [("dashboard", reverse("reports:unit_dashboard", args=[commune.pk])),
            ("indicator table", reverse("reports:unit_indicators", args=[commune.pk]))]
    out = []
    for where, unit in (("another commune", sibling), ("her commune", commune)):
        for name, url in urls:
            client.get(url)  # kept before the write
            create_activity(actor=None, unit=unit, date=timezone.localdate(), format=fmt,
                            title=f"Bench write {time.time_ns()}", participants_women=3,
                            participants_men=1)
            start = time.perf_counter()
            client.get(url)
            out.append((f"commune {name}, first after a write in {where}",
                        (time.perf_counter() - start) * 1000))
    return out


def table(pages: list[Page]) -> str:
    head = ("role", "page", "status", "first ms", "p50 ms", "p95 ms", "cold p50 ms",
            "cold max ms", "queries", "HTML KB")
    rows = [(p.role, p.name, str(p.status), f"{p.first_ms:.0f}", f"{p.p50:.1f}",
             f"{p.p95:.1f}", f"{p.cold_p50:.0f}" if p.cold_ms else "-",
             f"{max(p.cold_ms):.0f}" if p.cold_ms else "-", str(p.queries),
             f"{p.html_kb:.0f}") for p in pages]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    tmp = args.data_dir or tempfile.mkdtemp(prefix="ctip-bench-pages-")
    Path(tmp).mkdir(parents=True, exist_ok=True)
    admin_url = pg_name = db_url = None
    if args.database_url:
        admin_url, db_url, pg_name = _common.postgres_urls(args.database_url, DEFAULT_PG_DATABASE)
        _common.postgres_database(admin_url, pg_name, drop=not args.keep, create=True)
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    _common.configure_django(db_url, tmp)

    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection, connections

    from ctip.synth import is_empty

    where = (f"PostgreSQL database {pg_name}" if pg_name
             else f"SQLite {connection.settings_dict['NAME']}")
    print(f"pages benchmark: scale {args.scale}, activities {args.activities or 'default'}, "
          f"repeat {args.repeat}, on {where}", flush=True)
    try:
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)  # the pages' manifest
        if is_empty():
            start = time.perf_counter()
            call_command("synth", scale=args.scale, activities=args.activities)
            print(f"built in {time.perf_counter() - start:.0f} s", flush=True)
        else:
            print("reusing the data already in the database", flush=True)
        from ctip.outreach.models import Activity

        who = people()
        campaigns = running_campaigns(who["province_officer"], who["province"])
        activities = Activity.objects.count()
        clients = {role: signed_in(who[role]) for role in args.roles}
        # a kept database keeps its cache directory too: every run starts from an empty cache,
        # so the first request of each page ("first ms") renders what later ones reuse
        cache.clear()
        # as ``ctip.wsgi`` does in a served process before its first request: what is loaded
        # frozen out of the garbage collector's full collections (decision 0074)
        from ctip.core.startup import settle

        settle()
        before = _common.load_average()
        pages = [measure(clients[role], role, name, url, args.repeat, args.cold)
                 for role, name, url in landing_pages(who, campaigns, args.roles)]
        writes = after_a_write(clients, who) if "commune_officer" in clients else []
        after = _common.load_average()
    finally:
        connections.close_all()
        if not args.keep:
            if pg_name and admin_url:
                _common.postgres_database(admin_url, pg_name, drop=True, create=False)
            if not args.data_dir:
                shutil.rmtree(tmp, ignore_errors=True)
    backend = "PostgreSQL" if pg_name else "SQLite"
    print(f"\n{backend}, {activities:,} activities, {len(campaigns)} running campaigns; "
          f"load average before {before}, after {after} on {os.cpu_count()} CPUs")
    print(table(pages))
    for label, ms in writes:
        print(f"{label}: {ms:.0f} ms")
    national = [p for p in pages if p.role.startswith("national")]
    slow = [p for p in pages if p not in national and (p.p50 > P50_AIM_MS or p.p95 > P95_AIM_MS)]
    bad = [p for p in pages if p.status != 200]
    for p in slow:
        print(f"over the aim (p50 {P50_AIM_MS:.0f} / p95 {P95_AIM_MS:.0f} ms): {p.role} {p.name}")
    for p in national:
        worst = max([p.first_ms, p.p95, *(p.cold_ms or [])])
        if worst > NATION_AIM_MS:
            print(f"over {NATION_AIM_MS:.0f} ms (first, p95 or cold): {p.role} {p.name}")
    for p in bad:
        print(f"answered {p.status}: {p.role} {p.name} {p.url}")
    if args.keep:
        print(f"kept: {db_url or tmp}")
    return {"backend": backend, "activities": activities, "load_before": before,
            "load_after": after,
            "pages": [asdict(p) | {"p50": p.p50, "p95": p.p95, "cold_p50": p.cold_p50}
                      for p in pages],
            "after_a_write": dict(writes),
            "failed": bool(bad)}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    data = run(args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(data))
    if data["failed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
