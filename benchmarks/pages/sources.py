"""Time each source of an indicator table by child on a database already built, and digest
what the table computes.

The national indicator table is one grouped query per source (``reports.indicators.SOURCES``)
with its finish in Python. This times each of them alone for the nation by province (or any
unit by its children), the whole ``compute_keyed`` after them, and with ``--explain`` prints the
plan of each source's queries (``EXPLAIN (ANALYZE, BUFFERS)``). With ``--digest`` it prints a
digest of everything the table computes (values, cell keys, every child's) for the nation and
its first province, for a year, a quarter and a month: equal digests before and after a change
on the same database show that no figure moved. It reads only.

Usage (from the repository root, on a database built by ``benchmarks/pages/run.py --keep``)::

    PYTHONPATH=src .venv/bin/python benchmarks/pages/sources.py \\
        --database-url postgres://postgres@127.0.0.1:5432/ctip_bench_natsvc --year 2025
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="the built PostgreSQL database (read only)")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--unit", type=int, default=None,
                        help="the unit's id (default: the top of the tree)")
    parser.add_argument("--repeat", type=int, default=4, help="timed runs of each source")
    parser.add_argument("--explain", default="",
                        help="comma-separated sources whose queries are explained, or 'all'")
    parser.add_argument("--digest", action="store_true",
                        help="print digests of the computed tables instead of timing")
    parser.add_argument("--services-ab", action="store_true",
                        help="time the services by child through their cases (the join "
                             "of main before decision 0070) and by their kept path, "
                             "alternately, and check that they agree")
    return parser.parse_args(argv)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def digest(unit: Any, period: Any) -> str:
    from ctip.reports import indicators

    total, keys, children = indicators.compute_keyed(unit, period)
    shape = {"total": total, "keys": keys,
             "children": [[child.pk, values, child_keys]
                          for child, values, child_keys in children]}
    text = json.dumps(_plain(shape), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def digests(year: int) -> None:
    from ctip.org.models import Unit
    from ctip.reports.periods import Period

    nation = Unit.objects.get(parent__isnull=True)
    province = Unit.objects.filter(parent=nation).order_by("pk").first()
    for unit in (nation, province):
        for period in (Period.year(year), Period.quarter(year, 4), Period.month(year, 6)):
            print(f"{unit.name} ({unit.pk}), {period}: {digest(unit, period)}", flush=True)


def explain(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def time_sources(unit: Any, period: Any, repeat: int, explained: set[str]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ctip.reports import indicators

    print(f"{unit.name} by child, {period}; load average {_common.load_average()}")
    total = 0.0
    for name, (query, finish, _codes) in indicators.SOURCES.items():
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            finish([r for rows in query(unit, period, True).values() for r in rows])
            runs.append((time.perf_counter() - start) * 1000)
        total += min(runs)
        print(f"  {name:14} min {min(runs):7.1f} ms  median {statistics.median(runs):7.1f} ms",
              flush=True)
        if name in explained or "all" in explained:
            with CaptureQueriesContext(connection) as captured:
                query(unit, period, True)
            for q in captured.captured_queries:
                sql = q["sql"]
                if sql.lstrip().upper().startswith("SELECT"):
                    # the logged SQL has its parameters inlined already
                    print(f"\n  {sql}\n{explain(sql, None)}\n")
    print(f"  {'sum of minima':14}     {total:7.1f} ms")
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        indicators.compute_keyed(unit, period)
        runs.append((time.perf_counter() - start) * 1000)
    print(f"  {'compute_keyed':14} min {min(runs):7.1f} ms  median "
          f"{statistics.median(runs):7.1f} ms; load average {_common.load_average()}")


def services_ab(unit: Any, period: Any, repeat: int, explained: bool) -> None:
    """The services source as it read before decision 0070 (joined to the cases for their
    path) and as it reads now (the path kept on the service), timed alternately in one process
    under the same load; their rows must be the same."""
    from django.db import connection
    from django.db.models import Count, Q, Sum
    from django.test.utils import CaptureQueriesContext

    from ctip.cases.models import Service
    from ctip.reports import indicators

    def joined() -> dict[str, Any]:
        qs = Service.objects.filter(case__unit_path__subtree=unit.path,
                                    status=Service.Status.DELIVERED,
                                    date__gte=period.start, date__lte=period.end)
        return indicators._group(qs, unit, True, "case__unit_path", "type", n=Count("pk"),
                                 amount=Sum("amount"), **indicators._keysums(n=Q()))

    def kept() -> dict[str, Any]:
        return indicators._services(unit, period, True)

    def rows(groups: dict[str, Any]) -> list[Any]:
        return sorted(repr((k, sorted(r.items()))) for k, rs in groups.items() for r in rs)

    assert rows(joined()) == rows(kept()), "the two forms disagree"  # noqa: S101
    times: dict[str, list[float]] = {"joined to the cases": [], "kept path": []}
    print(f"services of {unit.name} by child, {period}; load average "
          f"{_common.load_average()}")
    for _ in range(repeat):
        for name, fn in (("joined to the cases", joined), ("kept path", kept)):
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    for name, runs in times.items():
        print(f"  {name:20} min {min(runs):7.1f} ms  median {statistics.median(runs):7.1f} ms")
    print(f"  load average {_common.load_average()}")
    if explained:
        for fn in (joined, kept):
            with CaptureQueriesContext(connection) as captured:
                fn()
            for q in captured.captured_queries:
                print(f"\n  {q['sql']}\n{explain(q['sql'], None)}\n")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    _admin, db_url, _name = _common.postgres_urls(args.database_url, "ctip_bench_pages")
    _common.configure_django(db_url, tempfile.mkdtemp(prefix="ctip-bench-sources-"))
    from ctip.org.models import Unit
    from ctip.reports.periods import Period

    if args.digest:
        digests(args.year)
        return
    unit = (Unit.objects.get(pk=args.unit) if args.unit
            else Unit.objects.get(parent__isnull=True))
    if args.services_ab:
        services_ab(unit, Period.year(args.year), args.repeat, bool(args.explain))
        return
    time_sources(unit, Period.year(args.year), args.repeat,
                 {s for s in args.explain.split(",") if s})


if __name__ == "__main__":
    main()
