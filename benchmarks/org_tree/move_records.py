"""Benchmark a restructuring with what happened there: a commune moved to another province with
its records (decision 0100).

Builds a fresh, fully migrated database with two provinces and one commune of three branches
holding ``--activities`` done activities (spread over twelve months and the branches), then
times ``ctip.units.actions.move_subtree`` moving the commune to the other province and back,
``--repeat`` times each way, against the same move of a commune holding nothing. The move
locks the subtree's rows, rewrites every path that goes with the unit (each activity's
through the roll-up triggers, which move its month's sums) and records the audit event, in
one transaction. After the runs, the kept roll-ups are compared with a rebuild from the
records (``ctip reports rebuild --check``): a difference fails the run.

Then the same move through its page, as an officer over both provinces signs in and confirms
it (decision 0103): the request (Django's test client, the whole stack), and, when the commune
holds more than ``CTIP_RESTRUCTURING_IN_REQUEST`` rows and the request only queued it, the
worker's run of the job (``units.jobs.run``), each way.

Usage (from the repository root)::

    .venv/bin/python benchmarks/org_tree/move_records.py                   # SQLite, 20,000
    .venv/bin/python benchmarks/org_tree/move_records.py --activities 100000
    .venv/bin/python benchmarks/org_tree/move_records.py \\
        --database-url postgres://postgres@127.0.0.1:5432                  # PostgreSQL
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

DEFAULT_PG_DATABASE = "ctip_bench_move"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="moves timed each way")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: SQLite)")
    return parser.parse_args(argv)


def build(activities: int) -> dict[str, Any]:
    """Two provinces, a commune with three branches and the activities, and an empty commune."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ctip.org.models import Unit, UnitType
    from ctip.outreach.actions import create_activity
    from ctip.outreach.models import Activity, Format
    from ctip.units.actions import create_unit

    types = {t.level: t for t in UnitType.objects.order_by("-pk")}  # one of each level

    def unit(parent: Unit | None, name: str, level: int) -> Unit:
        return create_unit(actor=None, parent=parent, name=name, unit_type=types[level])

    top = unit(None, "Trung ương", 0)
    left, joined = unit(top, "Tỉnh A", 1), unit(top, "Tỉnh B", 1)
    commune, empty = unit(left, "Xã có hoạt động", 2), unit(left, "Xã chưa có hoạt động", 2)
    branches = [unit(commune, f"Chi hội {i}", 3) for i in range(1, 4)]
    meeting = Format.objects.filter(is_online=False).first()
    model = create_activity(actor=None, unit=branches[0], date=dt.date(2026, 1, 5),
                            format=meeting, title="Sinh hoạt chuyên đề",
                            participants_women=20, participants_men=5)
    rows = [Activity(unit=branches[i % 3], unit_path=branches[i % 3].path,
                     date=dt.date(2026, 1 + i % 12, 1 + i % 28), status=model.status,
                     title=f"Sinh hoạt chuyên đề {i}", title_folded=f"sinh hoat chuyen de {i}",
                     format=meeting, participants_women=20, participants_men=5,
                     participants_total=25) for i in range(activities - 1)]
    Activity.objects.bulk_create(rows, batch_size=2000)  # through the roll-up triggers
    return {"left": left, "joined": joined, "commune": commune, "empty": empty, "top": top}


def time_pages(world: dict[str, Any]) -> list[tuple[str, float, float, float | None]]:
    """The move through its page there and back: (where the answer sent her, the form's ms
    (what goes with the unit, counted), the confirmation's ms, the worker's ms or ``None``
    when it ran in the request). The process's first request is made before, untimed."""
    from django.test import Client
    from django.urls import reverse

    from ctip.accounts.actions import create_user
    from ctip.accounts.capabilities import Role
    from ctip.units import jobs
    from ctip.units.models import Restructuring

    officer, _ = create_user(actor=None, username="canbo.bench", full_name="Cán bộ",
                             home_unit=world["top"], role=Role.PROVINCE_OFFICER,
                             password="bench-Only-9f3k2", must_change_password=False)
    client = Client(HTTP_HOST="localhost")
    client.force_login(officer)
    url = reverse("org:unit_move", args=[world["commune"].pk])
    client.get(reverse("org:tree"))  # the process's first request: URLs, templates, catalogue
    runs = []
    for target in (world["joined"], world["left"]):
        answer: Any = None
        form_ms = _common.timed(lambda: client.get(url))

        def post(t: Any = target) -> None:
            nonlocal answer
            answer = client.post(url, {"new_parent": t.pk})

        request_ms = _common.timed(post)
        assert answer.status_code == 302, answer.content[:500]  # noqa: S101
        job = Restructuring.objects.filter(status=Restructuring.Status.QUEUED).first()
        worker_ms = None
        if job is not None:
            worker_ms = _common.timed(lambda j=job: jobs.run(j.pk))
            job.refresh_from_db()
            assert job.status == Restructuring.Status.DONE, job.message  # noqa: S101
        runs.append((answer["Location"], form_ms, request_ms, worker_ms))
    return runs


def time_moves(unit: Any, there: Any, back: Any, repeat: int) -> list[float]:
    from ctip.org.models import Unit
    from ctip.units.actions import move_subtree

    times = []
    for i in range(2 * repeat):
        target = there if i % 2 == 0 else back
        times.append(_common.timed(lambda t=target: move_subtree(
            actor=None, unit=Unit.objects.get(pk=unit.pk), new_parent=t)))
    return times


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url = None
    if args.database_url:
        admin, url, name = _common.postgres_urls(args.database_url, DEFAULT_PG_DATABASE)
        _common.recreate_postgres(admin, name)
    with tempfile.TemporaryDirectory(prefix="ctip-bench-move-") as data_dir:
        _common.configure_django(url, data_dir, test_client=True)
        from django.db import connection

        world = build(args.activities)
        full = time_moves(world["commune"], world["joined"], world["left"], args.repeat)
        bare = time_moves(world["empty"], world["joined"], world["left"], args.repeat)
        pages = time_pages(world)
        from django.conf import settings

        limit = settings.CTIP_RESTRUCTURING_IN_REQUEST
        from ctip.reports import rollups

        differences = {k: v for k, v in rollups.differences().items() if v}
        vendor = connection.vendor
        connection.close()
    if args.database_url:
        _common.recreate_postgres(admin, name, create=False)
    p50, p50_bare = statistics.median(full), statistics.median(bare)
    print(f"database: {vendor}; load average: {_common.load_average()}")
    print(f"move a commune with {args.activities:,} activities: p50 {p50:,.0f} ms "
          f"(min {min(full):,.0f}, max {max(full):,.0f}; {2 * args.repeat} moves)")
    print(f"move a commune with none:                p50 {p50_bare:,.0f} ms")
    print(f"per activity: {(p50 - p50_bare) * 1000 / max(args.activities, 1):.1f} µs")
    print(f"through its page (in the request up to {limit:,} rows):")
    for location, form_ms, request_ms, worker_ms in pages:
        print(f"  the form {form_ms:,.0f} ms; the confirmation {request_ms:,.0f} ms, "
              f"answered with {location}"
              + (f"; the worker's run {worker_ms:,.0f} ms" if worker_ms is not None
                 else "; done in the request"))
    print("roll-ups equal a rebuild after the moves:", "yes" if not differences else
          f"NO {differences}")
    if differences:
        sys.exit(1)


if __name__ == "__main__":
    main()
