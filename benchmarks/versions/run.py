"""The data version's query (``reports.caching.data_version_at``) on a long audit trail: read
from the write marks (decision 0093) against the same query testing every event's action on
the trail itself, as it did before.

A throwaway database is migrated and given ``--events`` audit events, one write in
``--reads-per-write + 1``, at the communes of five provinces, appended in bulk (the trigger marks
the writes as it would for any insert). Both queries are timed alternately (median of
``--repeat``) for the nation, a province and a commune, in two states of the trail: as built
(writes among the newest events) and with a window's worth of reads appended on top (what
a quiet night of sign-ins and views leaves: the newest write is behind them all).

Usage (from the repository root)::

    .venv/bin/python benchmarks/versions/run.py
    .venv/bin/python benchmarks/versions/run.py --database-url \
        postgres://postgres@127.0.0.1:5432/ctip_bench_versions

See ``benchmarks/README.md`` (versions).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

PATHS = {"nation": None, "province": "/1/3/", "commune": "/1/3/40/"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The data version's query on a long trail.")
    parser.add_argument("--events", type=int, default=200_000, help="audit events appended")
    parser.add_argument("--reads-per-write", type=int, default=9)
    parser.add_argument("--repeat", type=int, default=400, help="timed queries per target")
    parser.add_argument("--database-url", help="a PostgreSQL database (dropped and made "
                        "again; its name must start with ctip_bench); default SQLite")
    return parser.parse_args(argv)


def _trail(events: int, reads_per_write: int, start: int) -> Any:
    from django.utils import timezone

    from ctip.audit.models import AuditEvent

    now = timezone.now()
    for i in range(start, start + events):
        province, commune = 2 + (i // 7) % 5, 10 + (i // 3) % 97
        write = reads_per_write >= 0 and i % (reads_per_write + 1) == 0
        yield AuditEvent(occurred_at=now, actor_label="benchmark",
                         action="situation.created" if write else "case.viewed",
                         unit_path=f"/1/{province}/{commune}/", prev_hash="0" * 64,
                         hash=f"{i:064x}")


def _append(events: int, reads_per_write: int) -> None:
    from ctip.audit.models import AuditEvent

    start = AuditEvent.objects.count()
    batch: list[Any] = []
    for event in _trail(events, reads_per_write, start):
        batch.append(event)
        if len(batch) == 5000:
            AuditEvent.objects.bulk_create(batch)
            batch = []
    AuditEvent.objects.bulk_create(batch)


def _tested_on_the_trail(path: str | None) -> tuple[str, tuple[Any, ...]]:
    """The version's query as it was before the marks: the rule tested on every event."""
    from django.db.models import BigIntegerField, ExpressionWrapper, Q, Subquery

    from ctip.audit.models import AuditEvent
    from ctip.reports import caching, marks
    from ctip.reports.models import ActivityMonth, SpeakerMonth
    from ctip.reports.rollups import truncate

    reads = (~Q(outcome="ok") | Q(action__in=marks.READ_ACTIONS)
             | Q(*(Q(action__startswith=p) for p in marks.READ_PREFIXES), _connector=Q.OR)
             | Q(action__endswith="viewed") | Q(action__contains="export"))
    writes = AuditEvent.objects.exclude(reads).order_by("-pk").values("pk")[:1]
    if path is None:
        newest = [ActivityMonth.objects.order_by("-pk").values("pk")[:1],
                  SpeakerMonth.objects.order_by("-pk").values("pk")[:1], writes]
    else:
        depth = path.strip("/").count("/")
        level = min(depth, 2)
        relevant = (Q(unit_path__subtree=path)
                    | Q(unit_path__in=["", *caching._ancestor_paths(path)])
                    | Q(action__startswith="unit."))
        newest_key = Subquery(AuditEvent.objects.order_by("-pk").values("pk")[:1])
        recent = ExpressionWrapper(newest_key - caching.AUDIT_WINDOW,
                                   output_field=BigIntegerField())
        newest = [ActivityMonth.objects.filter(level=level, path=truncate(path, level))
                  .order_by("-pk").values("pk")[:1],
                  SpeakerMonth.objects.filter(speaker__unit_path__subtree=path)
                  .order_by("-pk").values("pk")[:1],
                  AuditEvent.objects.filter(relevant, pk__gt=recent).exclude(reads)
                  .order_by("-pk").values("pk")[:1], writes]
    parts = [qs.query.get_compiler(using="default").as_sql() for qs in newest]
    return ("SELECT " + ", ".join(f"({sql})" for sql, _ in parts),
            tuple(p for _, params in parts for p in params))


def _measure(repeat: int) -> list[tuple[str, float, float]]:
    from django.db import connection

    from ctip.reports import caching

    rows = []
    for name, path in PATHS.items():
        sql, params = _tested_on_the_trail(path)

        def before(sql: str = sql, params: tuple[Any, ...] = params) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchone()

        def now(path: str | None = path) -> None:
            caching.data_version_at(path)

        old_ms: list[float] = []
        new_ms: list[float] = []
        _common.alternate(before, now, repeat, old_ms, new_ms, warmup=20)
        rows.append((name, statistics.median(old_ms), statistics.median(new_ms)))
    return rows


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url = admin = database = None
    if args.database_url:
        admin, url, database = _common.postgres_urls(args.database_url, "ctip_bench_versions")
        _common.recreate_postgres(admin, database)
    data_dir = tempfile.mkdtemp(prefix="ctip-bench-versions-")
    _common.configure_django(url, data_dir)
    from django.core.management import call_command
    from django.db import connection

    from ctip.reports.models import WriteMark

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        _append(args.events, args.reads_per_write)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        print(f"{connection.vendor}: {args.events:,} audit events, {WriteMark.objects.count():,} "
              f"marked as writes, appended in {time.perf_counter() - started:.0f} s; "
              f"load average {_common.load_average()}")
        print()
        print("| unit | the trail's top | tested on the trail, ms | from the marks, ms | ratio |")
        print("|---|---|---:|---:|---:|")
        for state in ("writes among the newest", "1,000 reads on top"):
            if state != "writes among the newest":
                _append(1000, -1)
            for unit, old, new in _measure(args.repeat):
                print(f"| {unit} | {state} | {old:.3f} | {new:.3f} | {old / new:.1f}× |")
        print(f"\nload average after: {_common.load_average()}")
    finally:  # the throwaway database and directory go
        from django.db import connections

        connections.close_all()
        if admin and database:
            _common.recreate_postgres(admin, database, create=False)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
