"""The job-offer check (issue #19): precision and recall of "medium or high" on the labelled
offers of ``tests/offers/offers.jsonl``, by kind and by writing style, and the time of one
check (p50 and max over the set, and for a 8,000- and a 100,000-character paste).

No database: the rules are the default library of ``ctip.offers.defaults``, compiled as the
application compiles the editors' signs. Run from the repository root:

    .venv/bin/python benchmarks/offers/run.py [--repeat N] [--show]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctip.settings")
os.environ.setdefault("CTIP_TESTING", "1")  # settings without a key file or data directory

import django  # noqa: E402

django.setup()

from ctip.offers.check import check_offer  # noqa: E402
from ctip.offers.evaluation import default_rules, evaluate, load  # noqa: E402

OFFERS = ROOT / "tests" / "offers" / "offers.jsonl"
# Written after the default signs were frozen, never used to tune them: the honest estimate.
HOLDOUT = ROOT / "tests" / "offers" / "offers_holdout.jsonl"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per long paste")
    parser.add_argument("--show", action="store_true", help="list the offers misjudged")
    parser.add_argument("--requests", type=int, default=2,
                        help="passes over the set as whole requests (0: skip the database)")
    args = parser.parse_args()
    offers = load(OFFERS)
    rules = default_rules()
    evaluate(offers[:5], rules)  # warm-up: compiled patterns, imports
    scores = evaluate(offers, rules)
    print(f"offers: {len(offers)} ({scores.risky} risky, {scores.honest} honest), "
          f"{len(rules)} signs")
    print(f"recall (risky flagged medium or high):   {scores.recall:.1%}")
    print(f"precision (flagged that are risky):      {scores.precision:.1%}")
    print(f"honest offers left low:                  {scores.honest_correct:.1%}")
    groups: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for offer in offers:
        groups[("kind", offer["kind"])].append(offer)
        groups[("style", offer["style"])].append(offer)
    print("\nby group            risky flagged    honest left low")
    for (axis, name), members in sorted(groups.items()):
        part = evaluate(members, rules)
        risky = f"{part.true_positive}/{part.risky}" if part.risky else "-"
        honest = f"{part.honest - part.false_positive}/{part.honest}" if part.honest else "-"
        print(f"  {axis}={name:<12} {risky:>10} {honest:>18}")
    held = evaluate(load(HOLDOUT), rules)
    print(f"\nheld-out set ({held.risky} risky, {held.honest} honest): recall "
          f"{held.recall:.1%}, honest left low {held.honest_correct:.1%}")
    print(f"\none check over the set: p50 {ms(statistics.median(scores.timings))}, "
          f"max {ms(max(scores.timings))}")
    base = "Tuyển gấp nữ đi Cam trực máy tính, vc nhẹ lg 2k$/tháng, bao vé, đi ngay. "
    for size in (8_000, 100_000):
        text = (base * (size // len(base) + 1))[:size]
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            check_offer(text, rules)
            runs.append(time.perf_counter() - start)
        print(f"a {size:,}-character paste: p50 {ms(statistics.median(runs))}, "
              f"max {ms(max(runs))}")
    if args.requests:
        whole_requests(offers, args.requests)
    if args.show:
        by_id = {o["id"]: o for o in offers}
        for offer_id in scores.misses + scores.false_alarms:
            outcome = check_offer(by_id[offer_id]["text"], rules)
            print(offer_id, by_id[offer_id]["label"], outcome.level,
                  [s.code for s in outcome.signs])


def percentiles(runs: list[float]) -> str:
    cuts = statistics.quantiles(runs, n=20, method="inclusive")
    return f"p50 {ms(statistics.median(runs))}, p95 {ms(cuts[18])}, max {ms(max(runs))}"


def whole_requests(offers: list[dict[str, str]], passes: int) -> None:
    """Every labelled offer sent as a whole request (URL routing, middleware, CSRF-free test
    client, the library read from the database, the page rendered or the JSON written) to the
    page and to the JSON interface, on a fresh test database with the shipped library."""
    import json

    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from ctip.core.ratelimit import Limit
    from ctip.offers import views

    setup_test_environment()
    start = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    print(f"\nwhole requests ({connection.vendor}, test database migrated in "
          f"{time.perf_counter() - start:.0f} s; load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())})")
    views.CHECK_LIMIT = Limit("offers:benchmark", 10**9, 3600)  # measure, not throttle
    client = Client()
    client.post("/kiem-tra-loi-moi/", {"text": offers[0]["text"]})  # warm-up
    page, api = [], []
    for _ in range(passes):
        for offer in offers:
            begin = time.perf_counter()
            response = client.post("/kiem-tra-loi-moi/", {"text": offer["text"]})
            page.append(time.perf_counter() - begin)
            assert response.status_code == 200, response.status_code
            begin = time.perf_counter()
            response = client.post("/api/v1/public/offer-check",
                                   json.dumps({"text": offer["text"]}),
                                   content_type="application/json")
            api.append(time.perf_counter() - begin)
            assert response.status_code == 200, response.status_code
    huge = ("Tuyển gấp nữ đi Cam trực máy tính, vc nhẹ lg 2k$/tháng, bao vé. " * 1600)[:100_000]
    long_runs = []
    for _ in range(10):
        begin = time.perf_counter()
        assert client.post("/kiem-tra-loi-moi/", {"text": huge}).status_code == 200
        long_runs.append(time.perf_counter() - begin)
    print(f"  the page, {len(page)} offers:            {percentiles(page)}")
    print(f"  the JSON interface, {len(api)} offers:   {percentiles(api)}")
    print(f"  the page, a 100,000-character paste: {percentiles(long_runs)}")
    print(f"  requests over 200 ms: page {sum(t > 0.2 for t in page)}, "
          f"JSON {sum(t > 0.2 for t in api)}")


if __name__ == "__main__":
    main()
