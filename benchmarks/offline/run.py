"""Offline queue benchmark: 1,000 activities queued on a device reach the server, exactly once.

Builds a throwaway SQLite database (a temporary directory: ``ctip migrate``, Tây Ninh's units
through ``ctip.demo.org.build_org``, one commune officer and a personal access token), then, in
this process through ``django.test.Client`` (every middleware, the token's authentication and
rate limit, the API's validation, ``outreach.actions.create_activity``):

1. **sync**: ``--activities`` entries, each with its client-made UUID, are sent as
   ``ctip/js/offline.js`` sends a device's queue: ``POST /api/v1/activities/batch`` in chunks of
   200. Timed with ``time.perf_counter`` from the first request to the last answer.
2. **resend**: the very same queue sent again (an answer lost on the way, a device that sends
   twice): every item must answer 200 and nothing new may be created.
3. **one by one**: as many other activities through ``POST /api/v1/activities``, one request
   each: the ratio sync ÷ one-by-one is printed beside the sync.

Then every title is counted in the database: each must be there exactly once. The machine's load
average is printed (2 cores shared with other work make the absolute seconds noisy). Aim: the
sync of 1,000 within 30 s on SQLite. Exit status 1 when something is lost, duplicated or
refused, or the aim is missed.

Usage (from the repository root)::

    .venv/bin/python benchmarks/offline/run.py                    # 1,000 activities
    .venv/bin/python benchmarks/offline/run.py --activities 200   # a quick run

See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
AIM_S = 30.0
CHUNK = 200  # as offline.js (BATCH_MAX) and the API's batch limit


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=1000,
                        help="how many activities are queued (default 1000)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args(argv)


def setup(data_dir: Path) -> None:
    import secrets

    from cryptography.fernet import Fernet

    for name in ("DATABASE_URL", "CTIP_DEBUG", "CTIP_TESTING", "CTIP_ENV"):
        os.environ.pop(name, None)
    os.environ.update(CTIP_DATA_DIR=str(data_dir), CTIP_LOG_LEVEL="WARNING",
                      ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
                      CTIP_FIELD_KEYS=Fernet.generate_key().decode(),
                      SECRET_KEY=secrets.token_urlsafe(50),
                      DJANGO_SETTINGS_MODULE="ctip.settings")
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.CTIP_API_RATE = 10**9  # the benchmark measures the writes, not the rate limit


def officer_token() -> tuple[str, int, int]:
    from django.db import transaction

    from ctip.accounts.actions import create_user
    from ctip.accounts.capabilities import Role
    from ctip.api.tokens import create_token
    from ctip.demo.org import build_org
    from ctip.org.models import Unit
    from ctip.outreach.models import Format

    with transaction.atomic():
        province = build_org()
        commune = Unit.objects.filter(parent=province).order_by("pk").first()
        assert commune is not None
        user, _created = create_user(actor=None, username="bench-offline",
                                     full_name="Bench offline", home_unit=commune,
                                     role=Role.COMMUNE_OFFICER,
                                     password="Bench-offline-password-2026!",  # noqa: S106
                                     must_change_password=False)
    token = create_token(actor=None, user=user, name="benchmark phone").secret
    return token, commune.pk, Format.objects.get(code="meeting").pk


def bodies(prefix: str, n: int, unit: int, fmt: int) -> list[dict[str, Any]]:
    today = dt.date.today()  # noqa: DTZ011 - any recent day will do
    return [{"uuid": str(uuid.uuid4()), "unit_id": unit, "format_id": fmt,
             "date": (today - dt.timedelta(days=1 + i % 60)).isoformat(),
             "title": f"{prefix} {i:05d}", "participants_women": 18, "participants_men": 4}
            for i in range(n)]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="ctip_bench_offline_"))
    try:
        started = time.perf_counter()
        setup(data_dir)
        from django.db.models import Count
        from django.test import Client

        from ctip.outreach.models import Activity

        token, unit, fmt = officer_token()
        print(f"data ready in {time.perf_counter() - started:.0f} s")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")

        def batch(items: list[dict[str, Any]]) -> list[int]:
            statuses: list[int] = []
            for i in range(0, len(items), CHUNK):
                answer = client.post("/api/v1/activities/batch",
                                     {"items": items[i:i + CHUNK]},
                                     content_type="application/json")
                if answer.status_code != 200:
                    raise SystemExit(f"batch answered {answer.status_code}: "
                                     f"{answer.content[:500]!r}")
                statuses += [item["status"] for item in answer.json()]
            return statuses

        queue = bodies("Hàng đợi", args.activities, unit, fmt)
        t0 = time.perf_counter()
        first = batch(queue)
        sync_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = batch(queue)
        resend_s = time.perf_counter() - t0

        singles = bodies("Từng cái", args.activities, unit, fmt)
        t0 = time.perf_counter()
        single_statuses = [client.post("/api/v1/activities", body,
                                       content_type="application/json").status_code
                           for body in singles]
        one_s = time.perf_counter() - t0

        counts = dict(Activity.objects.filter(title__startswith="Hàng đợi")
                      .values("title").annotate(n=Count("id")).values_list("title", "n"))
        lost = sum(1 for b in queue if b["title"] not in counts)
        duplicated = sum(1 for n in counts.values() if n > 1)
        singles_saved = Activity.objects.filter(title__startswith="Từng cái").count()
        load = os.getloadavg()
        result = {
            "activities": args.activities, "sync_s": round(sync_s, 2),
            "created": first.count(201), "refused": len(first) - first.count(201),
            "resend_s": round(resend_s, 2), "resend_answered_200": again.count(200),
            "one_by_one_s": round(one_s, 2),
            "one_by_one_created": single_statuses.count(201), "one_by_one_saved": singles_saved,
            "ratio_sync_to_one_by_one": round(sync_s / one_s, 2) if one_s else None,
            "in_database_once": sum(1 for n in counts.values() if n == 1),
            "lost": lost, "duplicated": duplicated,
            "load_average": [round(x, 2) for x in load],
        }
        print(f"sync of {args.activities} queued activities: {sync_s:.1f} s "
              f"({first.count(201)} created, {result['refused']} refused; aim {AIM_S:.0f} s)")
        print(f"the same queue again: {resend_s:.1f} s ({again.count(200)} answered 200, "
              f"0 expected new)")
        print(f"one by one through POST /api/v1/activities: {one_s:.1f} s "
              f"(sync ÷ one by one = {result['ratio_sync_to_one_by_one']}×)")
        print(f"in the database exactly once: {result['in_database_once']} of "
              f"{args.activities}; lost {lost}, duplicated {duplicated}")
        print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in load))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
        ok = (lost == 0 and duplicated == 0 and result["refused"] == 0
              and again.count(200) == args.activities
              and result["in_database_once"] == args.activities
              and (args.activities < 1000 or sync_s <= AIM_S))
        return 0 if ok else 1
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
