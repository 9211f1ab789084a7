"""CPU time per request, in one process, for the answers issue #20 compares: a static file, a
trivial view (``robots.txt``) anonymous and signed in, a signed-in page (the staff home), and
the bulletin's article from the cache and not yet in it.

Every request runs the whole middleware stack through Django's test client (no network, no
gunicorn), so the figure is the application's own CPU: ``time.process_time`` around ``--repeat``
requests, after a warm-up, alternating the targets round by round so that a change in the
machine's load touches them all alike. The ratios to the trivial view are what to read; the
load generator and the server's sockets are measured by ``run.py``.

Usage (from the repository root; the data directory is ``run.py``'s, built when missing)::

    .venv/bin/python benchmarks/portal/cpu.py --data-dir /tmp/ctip-portal
    .venv/bin/python benchmarks/portal/cpu.py --data-dir /tmp/ctip-portal --source ../other

See ``benchmarks/README.md`` (portal).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

REPO = Path(__file__).resolve().parents[2]
SIGNED_IN_AIM = 3.0  # a signed-in page: at most 3x a static answer (issue #20)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="CPU time per request, in-process.")
    parser.add_argument("--data-dir", type=Path, required=True,
                        help="run.py's data directory (built there when missing)")
    parser.add_argument("--repeat", type=int, default=200, help="requests per target per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (median reported)")
    parser.add_argument("--user", default="xem", help="the demo user signed in")
    parser.add_argument("--source", type=Path, default=REPO,
                        help="the checkout whose src/ is measured (default: this one)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    portal = _common.load_script("portal")
    args.data_dir.mkdir(parents=True, exist_ok=True)
    env, article, _section = portal.prepare(args.data_dir, args.source.resolve())
    os.environ.update(env, DJANGO_SETTINGS_MODULE="ctip.settings")
    sys.path.insert(0, str(args.source.resolve() / "src"))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]).enable()
    from ctip.accounts.models import User

    anonymous, signed_in = Client(), Client()
    signed_in.force_login(User.objects.get(username=args.user))
    numbers = itertools.count(time.time_ns())  # never a page kept by an earlier run
    targets = {
        "static file (WhiteNoise)": (anonymous, lambda: "/static/portal/reader.js"),
        "robots.txt, anonymous": (anonymous, lambda: "/robots.txt"),
        "robots.txt, signed in": (signed_in, lambda: "/robots.txt"),
        "staff home /app/, signed in": (signed_in, lambda: "/app/"),
        "article, cached": (anonymous, lambda: article),
        "article, not yet cached": (anonymous, lambda: f"{article}?page={next(numbers)}"),
    }
    for client, path in targets.values():  # warm-up, and every answer must be a 200
        for _ in range(20):
            response = client.get(path())
            assert response.status_code == 200, (path(), response.status_code)
    samples: dict[str, list[float]] = {name: [] for name in targets}
    load_before = _common.load_average()
    for _ in range(args.rounds):
        for name, (client, path) in targets.items():
            started = time.process_time()
            for _ in range(args.repeat):
                client.get(path())
            samples[name].append((time.process_time() - started) / args.repeat * 1000)
    load_after = _common.load_average()
    base = statistics.median(samples["robots.txt, anonymous"])
    print(f"Code from {args.source.resolve()}; {args.rounds} rounds of {args.repeat} requests "
          f"per target; load average {load_before} before, {load_after} after.")
    print()
    print("| answer | CPU ms per request (median of rounds) | ÷ robots.txt anonymous |")
    print("|---|---:|---:|")
    for name, values in samples.items():
        ms = statistics.median(values)
        print(f"| {name} | {ms:.2f} | {ms / base:.1f} |")
    signed = statistics.median(samples["robots.txt, signed in"]) / base
    verdict = "met" if signed <= SIGNED_IN_AIM else "NOT met"
    print(f"\nA trivial view signed in costs {signed:.1f}x the same view anonymous "
          f"(aim: at most {SIGNED_IN_AIM:.0f}x): {verdict}.")


if __name__ == "__main__":
    main()
