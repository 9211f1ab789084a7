"""Benchmark the public bulletin under load: an article page and a section page served by
``ctip serve`` (gunicorn), against a minimal Django view on the same server as the ceiling.

Steps:

1. A fresh data directory in a temporary folder (SQLite, the production settings: not DEBUG,
   file cache in the data directory, WhiteNoise with the compressed manifest), migrated, with
   Tây Ninh's communes and the demo bulletin (``ctip.demo.portal.build_portal``: four sections,
   about thirty articles).
2. ``ctip serve --host 127.0.0.1 --port <free port> --workers <n>`` in a child process; the
   script waits for ``/healthz``.
3. For each target, a warm-up, then ``--duration`` seconds of load from a second process:
   ``wrk`` (Debian package) when installed, else a small Python load generator (threads, one
   keep-alive ``http.client`` connection each). Targets:

   - ``robots.txt``: ``portal.views.robots_txt``, a minimal Django view (no database, every
     middleware): the ceiling;
   - ``healthz``: ``core.views.healthz``: a minimal view with one query (``SELECT 1``) and
     the worker's health (two more), after a heartbeat written as ``ctip worker`` does (no
     worker runs here, and without one the endpoint rightly answers 503);
   - ``article``: an article page (with an image, a quote, ten "Các tin khác"), from the
     bulletin cache after the first request;
   - ``section``: the first page of the biggest section, from the cache;
   - ``article, not yet cached``: the same article with ``?page=<n>``, a new ``n`` for every
     request: each request misses the page cache, renders the article and stores it, as the
     first request for an article after a publish does (its route and the parts kept across
     publishes, decision 0052, are warm, as they are for every article read before).

   For each: requests per second, p50 and p95 latency, errors, and the ratio of its rate to
   the ceiling's.
4. The weight of the article page without images: its HTML plus every stylesheet and script it
   links, as sent (static files compressed by WhiteNoise when the client accepts gzip) and raw.

Usage (from the repository root)::

    .venv/bin/python benchmarks/portal/run.py                  # 20 s per target
    .venv/bin/python benchmarks/portal/run.py --duration 10 --connections 32 --workers 4
    .venv/bin/python benchmarks/portal/run.py --python         # the Python load generator
    .venv/bin/python benchmarks/portal/run.py --source /path/to/other/checkout  # its code

See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

REPO = Path(__file__).resolve().parents[2]
CTIP = _common.CTIP
RPS_AIM = 300.0
FRESH_RPS_AIM = 100.0  # an article not yet in the cache (issue #20)
WEIGHT_AIM_KB = 150.0
WRK_FRESH = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path:gsub("{n}", math.random(1, 1000000000) .. counter))
end
"""
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT {\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_us\\": %d, \\"p95_us\\": %d, "
    .. "\\"p99_us\\": %d, \\"errors\\": %d, \\"non2xx\\": %d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""

BUILD = """
from django.db import transaction
from ctip.demo.org import build_org
from ctip.demo.users import build_users
from ctip.demo.portal import build_portal
from ctip.portal.models import ArticlePage, SectionPage
with transaction.atomic():
    province = build_org()
    build_users(province)
    build_portal(province)
article = (ArticlePage.objects.live().filter(title__startswith="Đường dây nóng 111").first()
           or ArticlePage.objects.live().first())
biggest = max(SectionPage.objects.live(), key=lambda s: ArticlePage.objects.child_of(s).count())
print("URLS", article.url, biggest.url)
"""


# No worker runs beside the benchmark's server, and /healthz rightly answers 503 without one
# (or with a task queued too long): the tasks the demo's publishing queued are run (search and
# reference index; none left when the data directory is reused) and a heartbeat written, as
# `ctip worker` does, so that the healthy answer is measured.
HEARTBEAT = """
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS
from ctip.core.health import beat
from ctip.core.leases import LeasedWorker
LeasedWorker(queue_names=["*"], interval=0, batch=True, backend_name=DEFAULT_TASK_BACKEND_ALIAS,
             startup_delay=False, max_tasks=None, worker_id="benchmark",
             excluded_queue_names=[]).run()
beat()
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Public bulletin load benchmark.")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per target")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--python", action="store_true",
                        help="use the Python load generator even if wrk is installed")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    parser.add_argument("--data-dir", type=Path,
                        help="build the data directory here, or reuse it when already built "
                        "(kept afterwards)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--source", type=Path, default=REPO,
                        help="the checkout whose src/ is served (default: this one), to "
                        "compare two versions on one data directory")
    return parser.parse_args(argv)



def prepare(data_dir: Path, source: Path = REPO) -> tuple[dict[str, str], str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CTIP_DEBUG",
                                                            "CTIP_TESTING"}}
    from cryptography.fernet import Fernet

    keys = data_dir / "bench-field-keys"  # a reused data directory needs its own key
    if not keys.exists():
        keys.write_text(Fernet.generate_key().decode())
        keys.chmod(0o600)
    env.update(CTIP_DATA_DIR=str(data_dir), CTIP_LOG_LEVEL="WARNING",
               ALLOWED_HOSTS="127.0.0.1,localhost", PYTHONPATH=str(source / "src"),
               CTIP_FIELD_KEYS=keys.read_text().strip())
    started = time.perf_counter()
    built = data_dir / "bench-urls.txt"
    if built.exists():
        out = built.read_text()
        print(f"reusing the data directory {data_dir}")
    else:
        _common.run([*CTIP, "migrate", "--verbosity", "0"], env)  # also creates the secret and keys
        out = _common.run([*CTIP, "shell", "-c", BUILD], env)
        built.write_text(out)
    match = re.search(r"^URLS (\S+) (\S+)$", out, re.MULTILINE)
    if not match:
        raise SystemExit("could not read the demo URLs:\n" + out[-2000:])
    print(f"data directory ready in {time.perf_counter() - started:.0f} s: {data_dir}")
    return env, match.group(1), match.group(2)



def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    host, _, rest = url.removeprefix("http://").partition("/")
    name, _, port = host.partition(":")
    conn = http.client.HTTPConnection(name, int(port or 80), timeout=30)
    try:
        conn.request("GET", "/" + rest, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


@dataclass
class Result:
    target: str
    path: str
    tool: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int
    ratio: float = 0.0


def with_wrk(name: str, url: str, args: argparse.Namespace, script: Path) -> Result:
    if "{n}" in url:  # a new address for every request
        script.with_suffix(".fresh.lua").write_text(WRK_FRESH + script.read_text())
        script = script.with_suffix(".fresh.lua")
    out = subprocess.run(  # noqa: S603
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
         "--timeout", "10s", "-s", str(script), url],
        capture_output=True, text=True, check=True).stdout
    match = re.search(r"^RESULT (\{.*\})$", out, re.MULTILINE)
    if not match:
        raise SystemExit("unexpected wrk output:\n" + out)
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    return Result(name, url, "wrk", data["requests"], seconds, data["requests"] / seconds,
                  data["p50_us"] / 1000, data["p95_us"] / 1000,
                  data["errors"] + data["non2xx"])


def with_python(name: str, url: str, args: argparse.Namespace) -> Result:
    host, _, rest = url.removeprefix("http://").partition("/")
    hostname, _, port = host.partition(":")
    stop = time.monotonic() + args.duration
    # "{n}" in the path: a new number for every request, never one kept by an earlier run
    numbers = itertools.count(time.time_ns())
    latencies: list[list[float]] = [[] for _ in range(args.connections)]
    errors = [0] * args.connections

    def client(i: int) -> None:
        conn = http.client.HTTPConnection(hostname, int(port), timeout=10)
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", "/" + rest.replace("{n}", str(next(numbers))))
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[i] += 1
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
            except OSError:
                errors[i] += 1
                conn.close()
            latencies[i].append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    every = sorted(x for per in latencies for x in per)
    p95 = every[int(0.95 * (len(every) - 1))] if every else 0.0
    return Result(name, url, "python", len(every), seconds, len(every) / seconds,
                  statistics.median(every) * 1000 if every else 0.0, p95 * 1000, sum(errors))


def page_weight(base: str, path: str) -> dict[str, Any]:
    status, html, _headers = get(base + path)
    assert status == 200, status
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html.decode()) + \
        re.findall(r'<script src="([^"]+)"', html.decode())
    raw = len(html)
    sent = len(html)
    rows = [("HTML " + path, len(html), len(html), len(gzip.compress(html)))]
    for asset in assets:
        _s, body, _h = get(urljoin(base, asset))
        _s, zipped, headers = get(urljoin(base, asset), {"Accept-Encoding": "gzip"})
        compressed = headers.get("content-encoding") == "gzip"
        raw += len(body)
        sent += len(zipped)
        rows.append((asset, len(body), len(zipped) if compressed else len(body),
                     len(gzip.compress(body))))
    return {"rows": rows, "raw_bytes": raw, "sent_bytes": sent,
            "gzip_all_bytes": sum(r[3] for r in rows)}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    tool = "python" if args.python or not shutil.which("wrk") else "wrk"
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="ctip-bench-portal-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.data_dir:
        args.keep = True
    server = None
    try:
        env, article, section = prepare(data_dir, args.source.resolve())
        load_before = _common.load_average()
        port = _common.free_port()
        server = _common.Server(env, port, args.workers, data_dir / "serve.log")
        targets = [("robots.txt (ceiling)", "/robots.txt"), ("healthz", "/healthz"),
                   ("article", article),
                   ("section", section), ("article, not yet cached", article + "?page={n}")]
        script = data_dir / "report.lua"
        script.write_text(WRK_SCRIPT)
        results = []
        for name, path in targets:
            url = server.base + path
            if path == "/healthz":  # healthy as with `ctip worker` running: a fresh heartbeat
                _common.run([*CTIP, "shell", "-c", HEARTBEAT], env)
            for n in range(20):  # warm-up: workers import, renditions, cache filled
                status, _body, headers = get(url.replace("{n}", f"warm{time.time_ns()}{n}"))
                if status != 200:
                    raise SystemExit(f"{path} answered {status}")
            if name in ("article", "section"):
                assert headers.get("x-bulletin-cache") == "hit", headers
            if "{n}" in path:
                assert headers.get("x-bulletin-cache") == "miss", headers
            result = with_wrk(name, url, args, script) if tool == "wrk" else \
                with_python(name, url, args)
            results.append(result)
            print(f"  {name:24s} {result.rps:8.1f} rps  p50 {result.p50_ms:7.1f} ms  "
                  f"p95 {result.p95_ms:7.1f} ms")
        ceiling = results[0].rps
        for result in results:
            result.ratio = result.rps / ceiling if ceiling else 0.0
        weight = page_weight(server.base, article)
        load_after = _common.load_average()
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    cpu = os.cpu_count()
    print()
    print(f"Machine: {platform.platform()}, {cpu} CPUs, Python {platform.python_version()}; "
          f"gunicorn {args.workers} sync workers; load: {tool}, {args.connections} "
          f"connections{f', {args.threads} threads' if tool == 'wrk' else ''}, "
          f"{args.duration} s per target, same machine; load average {load_before} before, "
          f"{load_after} after; code from {args.source.resolve()}.")
    print()
    print("| target | path | requests | rps | p50 ms | p95 ms | errors | rps ÷ ceiling |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r.target} | `{r.path.split('//', 1)[-1].split('/', 1)[-1][:60]}` | "
              f"{r.requests} | {r.rps:.0f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.errors} | "
              f"{r.ratio:.2f} |")
    print()
    article_rps = next(r.rps for r in results if r.target == "article")
    print(f"Article page: {article_rps:.0f} rps against the aim of {RPS_AIM:.0f}: "
          f"{'met' if article_rps >= RPS_AIM else 'NOT met'}.")
    fresh_rps = next(r.rps for r in results if "{n}" in r.path)
    print(f"Article not yet cached: {fresh_rps:.0f} rps against the aim of "
          f"{FRESH_RPS_AIM:.0f}: {'met' if fresh_rps >= FRESH_RPS_AIM else 'NOT met'}.")
    print()
    print("| article page, no images | raw bytes | as sent | gzip |")
    print("|---|---:|---:|---:|")
    for name, raw, sent, zipped in weight["rows"]:
        print(f"| `{name[:70]}` | {raw} | {sent} | {zipped} |")
    print(f"| **total** | {weight['raw_bytes']} | {weight['sent_bytes']} | "
          f"{weight['gzip_all_bytes']} |")
    kb = weight["raw_bytes"] / 1024
    print(f"\nPage weight without images: {kb:.1f} KB raw, {weight['sent_bytes'] / 1024:.1f} KB "
          f"as sent; aim < {WEIGHT_AIM_KB:.0f} KB: {'met' if kb < WEIGHT_AIM_KB else 'NOT met'}.")
    if args.json:
        args.json.write_text(json.dumps({"results": [asdict(r) for r in results],
                                         "weight": weight, "tool": tool}, indent=2))


if __name__ == "__main__":
    main()
