"""Benchmark the import pipeline: N activity rows previewed, then imported as a background job.

Builds a throwaway SQLite database with the outreach benchmark's world (Tây Ninh's real
communes, ``--branches`` branches, the catalogues, a province officer; no activities), and an
.xlsx of ``--rows`` activity rows as a commune officer fills it (``import_file`` of
``benchmarks/outreach/run.py``: unit codes and "Commune / branch" names, dates as cells and as
text, 1 % of rows repeated). Then, through ``core.imports`` exactly as the pages do:

(a) the preview: the file read (``read_bytes``) and every row put through the activity kind's
    checks — the rules of ``create_activity`` — in a transaction rolled back (``plan_parsed``);
(b) the import as the worker runs it (``run_job``: the file read again, the checks again, the
    writes through the kind, one audit event, the job marked done in the same transaction).

A file of the pages is limited to ``activity_import.MAX_ROWS`` rows (10,000) and
``MAX_FILE_BYTES``; the benchmark lifts the kind's row and byte limits and the sheet's row
limit (``spreadsheets.MAX_SHEET_ROWS``) to measure a larger file, and nothing else.
Prints rows/s of each step and the machine's load average before and after.

Run from the repository root: ``.venv/bin/python benchmarks/imports/run.py --rows 100000``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

REPO = Path(__file__).resolve().parents[2]



def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ctip-bench-imports-") as data_dir:
        outreach = _common.load_script("outreach")
        outreach.configure_django(None, data_dir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        world = outreach.build(argparse.Namespace(branches=args.branches, activities=0))

        from ctip.accounts.models import User
        from ctip.core import imports, spreadsheets
        from ctip.core.models import ImportJob
        from ctip.outreach import activity_import
        from ctip.outreach.models import Activity

        spreadsheets.MAX_SHEET_ROWS = max(spreadsheets.MAX_SHEET_ROWS, args.rows + 10)
        kind = imports.register(dataclasses.replace(
            activity_import.KIND, max_rows=args.rows, max_bytes=1024 * 1024 * 1024))
        officer = User.objects.get(pk=world.officer)
        data, repeats = outreach.import_file(world, args.rows)
        print(f"file: {args.rows:,} rows, {len(data) / 1e6:.1f} MB, {repeats} repeated; "
              f"load {_common.load_average()}")

        start = time.perf_counter()
        parsed = imports.read_bytes(kind, "bench.xlsx", data)
        read_s = time.perf_counter() - start
        assert not parsed.errors, parsed.errors[:3]
        start = time.perf_counter()
        plan = imports.plan_parsed(kind, officer, parsed)
        check_s = time.perf_counter() - start
        assert plan.ok, plan.errors[:5]
        print(f"(a) preview: read {read_s:.1f}s + checks {check_s:.1f}s = "
              f"{read_s + check_s:.1f}s, {args.rows / (read_s + check_s):,.0f} rows/s; "
              f"load {_common.load_average()}")

        token = imports.stash(officer, "bench.xlsx", data)
        pending = imports.unstash(officer, token)
        assert pending is not None
        job = ImportJob.objects.create(kind=kind.name, owner=officer, file_name="bench.xlsx",
                                       digest=parsed.digest, stash_key=pending[0].stem)
        start = time.perf_counter()
        status = imports.run_job(job.pk)
        import_s = time.perf_counter() - start
        job.refresh_from_db()
        assert status == ImportJob.Status.DONE, job.message
        created = Activity.objects.count()
        assert created == plan.to_import, (created, plan.to_import)
        print(f"(b) import job: {import_s:.1f}s, {args.rows / import_s:,.0f} rows/s, "
              f"{created:,} activities; load {_common.load_average()}")
        total = read_s + check_s + import_s
        print(f"preview + import: {total:.1f}s ({'within' if total <= 180 else 'over'} "
              f"3 minutes)")
        return {"rows": args.rows, "read_s": read_s, "check_s": check_s,
                "import_s": import_s, "created": created}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--branches", type=int, default=500)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
