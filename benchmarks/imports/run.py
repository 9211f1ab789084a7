"""Benchmark the import pipeline: N activity rows previewed, then imported as a background job.

Builds a throwaway SQLite database with the outreach benchmark's world (Tây Ninh's real
communes, ``--branches`` branches, the catalogues, a province officer; no activities), and an
.xlsx of ``--rows`` activity rows as a commune officer fills it (``import_file`` of
``benchmarks/outreach/run.py``: unit codes and "Commune / branch" names, dates as cells and as
text, 1 % of rows repeated). Then, through ``imports.pipeline`` exactly as the pages do:

(a) the preview as its job runs it (``start_preview``/``run_preview_job``: the file stored and
    read, every row put through the activity kind's checks — the rules of ``create_activity``
    — in a transaction rolled back, the check kept beside the file);
(b) the import as the worker runs it (``run_job``: the file as the check read it, the checks
    again, the writes through the kind, one audit event, the job marked done in the same
    transaction).

A file of the pages is limited to ``activity_import.MAX_ROWS`` rows (10,000) and
``MAX_FILE_BYTES``; the benchmark lifts the kind's row and byte limits and the sheet's size
limits (``spreadsheets.MAX_SHEET_ROWS``, ``MAX_UNPACKED_BYTES``, ``MAX_XML_ELEMENTS``) to
measure a larger file, and nothing else.
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
from types import SimpleNamespace
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
        from ctip.core import spreadsheets
        from ctip.core.models import ImportJob
        from ctip.imports import pipeline as imports
        from ctip.outreach import activity_import
        from ctip.outreach.models import Activity

        spreadsheets.MAX_SHEET_ROWS = max(spreadsheets.MAX_SHEET_ROWS, args.rows + 10)
        spreadsheets.MAX_UNPACKED_BYTES = max(spreadsheets.MAX_UNPACKED_BYTES,
                                              args.rows * 1024)
        spreadsheets.MAX_XML_ELEMENTS = max(spreadsheets.MAX_XML_ELEMENTS, args.rows * 100)
        kind = imports.register(dataclasses.replace(
            activity_import.KIND, max_rows=args.rows, max_bytes=1024 * 1024 * 1024))
        officer = User.objects.get(pk=world.officer)
        data, repeats = outreach.import_file(world, args.rows)
        print(f"file: {args.rows:,} rows, {len(data) / 1e6:.1f} MB, {repeats} repeated; "
              f"load {_common.load_average()}")

        # (a) the preview as the page starts it: the file stored, its job created, the check
        # run (here in this process, as the web process does when no worker runs; a worker
        # runs the same ``run_preview_job``)
        start = time.perf_counter()
        job = imports.start_preview(kind, officer, name="bench.xlsx", data=data, here=True)
        preview_s = time.perf_counter() - start
        assert job is not None and job.status == ImportJob.Status.PREVIEWED, job.message
        plan = imports.preview_of(job)
        assert plan is not None and plan.ok, plan.errors[:5] if plan else None
        print(f"(a) preview job: {preview_s:.1f}s, {args.rows / preview_s:,.0f} rows/s; "
              f"load {_common.load_average()}")

        # (b) "Import": the same job queued, then run as the worker runs it
        token = str(job.result["token"])
        from ctip.imports import tasks

        tasks.run_import = SimpleNamespace(enqueue=lambda *_a: None)  # type: ignore[assignment]  # the worker's part is timed below
        queued = imports.start_job(kind, officer, token)
        assert queued is not None and queued.status == ImportJob.Status.QUEUED
        start = time.perf_counter()
        status = imports.run_job(job.pk)
        import_s = time.perf_counter() - start
        job.refresh_from_db()
        assert status == ImportJob.Status.DONE, job.message
        created = Activity.objects.count()
        assert created == plan.to_import, (created, plan.to_import)
        print(f"(b) import job: {import_s:.1f}s, {args.rows / import_s:,.0f} rows/s, "
              f"{created:,} activities; load {_common.load_average()}")
        total = preview_s + import_s
        print(f"preview + import: {total:.1f}s ({'within' if total <= 180 else 'over'} "
              f"3 minutes)")
        return {"rows": args.rows, "preview_s": preview_s, "import_s": import_s,
                "created": created}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--branches", type=int, default=500)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
