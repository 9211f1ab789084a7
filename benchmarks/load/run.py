"""Load and fault check: a bounded mixed load against ``ctip serve``, then a check that every
acknowledged write is in the database exactly once (issue 13.7).

Steps, per database (SQLite in a temporary data directory; PostgreSQL in a database named
``ctip_bench_load*``, dropped and recreated):

1. ``ctip migrate``; Tây Ninh's units, the demo bulletin and ``--users`` staff accounts (commune
   officers, each in a commune of her own, no two-step sign-in) built by ``ctip shell``.
2. ``ctip serve --workers N`` in a child process (gunicorn, the production settings).
3. ``--users`` clients, each its own thread with its own cookie jar, sign in through the real
   sign-in form (CSRF token read from the page) and then loop for ``--duration`` seconds over a
   mix: public pages (the bulletin's home, ``/healthz``), staff lists (activities, units) and
   writes through the real "new activity" form: the client GETs the form, reads every field it
   carries -- hidden inputs generically, so a CSRF token and an idempotency key (a hidden field
   whose name contains "idempotency" or "submission") are sent back as the page gave them --,
   fills a unique title and posts it. A write is *acknowledged* when the server answers with a
   redirect to the new activity. ``--resubmit`` of the writes are posted a second time with the
   same body (a double click): with an idempotency key they must not make a second activity.
4. After the load: every acknowledged title is looked up in the database. **lost**: acknowledged
   but absent; **duplicated**: present more than once. Requests, errors (5xx, connection
   errors, timeouts), p50/p95 latency per kind and the machine's load average are printed.

Usage (from the repository root)::

    .venv/bin/python benchmarks/load/run.py --duration 30 --users 8
    .venv/bin/python benchmarks/load/run.py --database-url postgres://postgres@127.0.0.1:5432
    .venv/bin/python benchmarks/load/run.py --both --duration 20 --users 6 --json out.json

Exit status 1 when anything acknowledged was lost or duplicated, or a server error occurred.
See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookies
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import _common  # noqa: E402  (benchmarks/ on the path first)

REPO = Path(__file__).resolve().parents[2]
CTIP = _common.CTIP
PASSWORD = "Bench-load-password-2026!"  # noqa: S105 - a throwaway database
DEFAULT_PG_DATABASE = "ctip_bench_load"
KEY_WORDS = ("idempotency", "submission_key", "submission_id", "client_uuid")

BUILD = """
import json
from django.db import transaction
from ctip.accounts.actions import create_user
from ctip.accounts.capabilities import Role
from ctip.demo.org import build_org
from ctip.demo.portal import build_portal
from ctip.org.models import Unit
with transaction.atomic():
    province = build_org()
    build_portal(province)
    communes = list(Unit.objects.filter(parent=province).order_by("pk")[:HOW_MANY])
    names = []
    for i, commune in enumerate(communes):
        user, _ = create_user(actor=None, username=f"bench{i}", full_name=f"Bench {i}",
                              home_unit=commune, role=Role.COMMUNE_OFFICER, password=THE_PASSWORD,
                              must_change_password=False)
        names.append(user.username)
print("USERS " + json.dumps(names))
"""

COUNT = """
import json, sys
from django.db.models import Count
from ctip.outreach.models import Activity
rows = (Activity.objects.filter(title__startswith=THE_PREFIX).values("title")
        .annotate(n=Count("id")))
print("COUNTS " + json.dumps({r["title"]: r["n"] for r in rows}))
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Mixed load with a lost/duplicated check.")
    parser.add_argument("--duration", type=int, default=30, help="seconds of load")
    parser.add_argument("--users", type=int, default=8, help="concurrent signed-in clients")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--writes", type=float, default=0.25, help="share of writes")
    parser.add_argument("--resubmit", type=float, default=0.2,
                        help="share of writes posted twice with the same body")
    parser.add_argument("--max-requests", type=int, default=20_000,
                        help="stop earlier after this many requests in all (bounded)")
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL server URL; the database ctip_bench_load is DROPPED "
                             "and recreated. Without it: SQLite in a temporary directory.")
    parser.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432",
                        help="the PostgreSQL server for --both")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser.parse_args(argv)



def pg_database(server: str) -> str:
    import psycopg
    from psycopg import sql

    parts = urlsplit(server)
    name = parts.path.lstrip("/") or DEFAULT_PG_DATABASE
    if not name.startswith("ctip_bench"):
        raise SystemExit(f"refusing to drop {name!r}: the name must start with 'ctip_bench'")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return parts._replace(path=f"/{name}").geturl()


def prepare(data_dir: Path, database_url: str, users: int) -> tuple[dict[str, str], list[str]]:
    from cryptography.fernet import Fernet

    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CTIP_DEBUG", "CTIP_TESTING", "CTIP_ENV"}}
    env.update(CTIP_DATA_DIR=str(data_dir), CTIP_LOG_LEVEL="WARNING",
               ALLOWED_HOSTS="127.0.0.1,localhost", PYTHONPATH=str(REPO / "src"),
               CTIP_FIELD_KEYS=Fernet.generate_key().decode())
    if database_url:
        env["DATABASE_URL"] = database_url
    started = time.perf_counter()
    _common.run([*CTIP, "migrate", "--verbosity", "0"], env)
    code = BUILD.replace("HOW_MANY", str(users)).replace("THE_PASSWORD", repr(PASSWORD))
    out = _common.run([*CTIP, "shell", "-c", code], env)
    match = re.search(r"^USERS (.*)$", out, re.MULTILINE)
    if not match:
        raise SystemExit("could not build the users:\n" + out[-2000:])
    print(f"data ready in {time.perf_counter() - started:.0f} s")
    return env, json.loads(match.group(1))



class FormReader(HTMLParser):
    """The fields of the first POST form whose action is ``action`` (or empty: the page's own
    address), not the language or sign-out forms of the page's frame: what a browser would
    send without the user touching anything."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.done = False
        self.fields: list[tuple[str, str]] = []
        self.hidden: list[str] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._radios: dict[str, str] = {}  # the first choice of each radio group

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and not self.inside:
            if a.get("action", "") in ("", self.action):
                self.inside = a.get("method", "get").lower() == "post"
            return
        if not self.inside:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind == "radio":
                self._radios.setdefault(name, a.get("value", ""))
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
            if kind == "hidden":
                self.hidden.append(name)
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside, self.done = False, True
            chosen = {name for name, _ in self.fields}
            # a required choice with nothing chosen yet: the user picks one, here the first
            self.fields += [(n, v) for n, v in self._radios.items() if n not in chosen]
        elif tag == "select" and self._select is not None:
            # the chosen option, else the first real one (the user picks one)
            chosen = ([v for v, s in self._options if s and v]
                      or [v for v, _ in self._options if v])
            if chosen:
                self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    rejected_sample: str = ""
    acknowledged: list[str] = field(default_factory=list)
    resubmitted: int = 0
    keyed_forms: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, error: bool) -> None:
        with self.lock:
            self.requests += 1
            self.latencies.setdefault(kind, []).append(seconds)
            if error:
                self.errors[kind] = self.errors.get(kind, 0) + 1


class Client:
    def __init__(self, port: int, stats: Stats) -> None:
        self.port = port
        self.stats = stats
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, kind: str, method: str, path: str,
                body: dict[str, str] | list[tuple[str, str]] | None = None,
                ) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "Host": f"127.0.0.1:{self.port}"}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.stats.add(kind, time.perf_counter() - started, True)
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0, "", ""
        self.stats.add(kind, time.perf_counter() - started, response.status >= 500)
        for header in response.msg.get_all("Set-Cookie") or []:
            jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        return response.status, text, response.getheader("Location", "")

    def sign_in(self, username: str) -> None:
        _status, page, _ = self.request("sign-in", "GET", "/accounts/login/")
        reader = FormReader("/accounts/login/")
        reader.feed(page)
        body = dict(reader.fields)
        body.update(username=username, password=PASSWORD)
        status, _page, location = self.request("sign-in", "POST", "/accounts/login/", body)
        if status != 302 or "login" in location:
            raise SystemExit(f"{username} could not sign in (HTTP {status} {location})")

    def write(self, title: str, resubmit: bool) -> None:
        status, page, _ = self.request("write", "GET", "/outreach/activities/new/")
        if status != 200:
            return
        reader = FormReader("/outreach/activities/new/")
        reader.feed(page)
        body = [(k, v) for k, v in reader.fields if k != "title"] + [("title", title)]
        if any(any(w in name.lower() for w in KEY_WORDS) for name in reader.hidden):
            with self.stats.lock:
                self.stats.keyed_forms += 1
        status, answer, location = self.request("write", "POST", "/outreach/activities/new/",
                                                body)
        if resubmit:
            with self.stats.lock:
                self.stats.resubmitted += 1
            again, _p, again_location = self.request("write", "POST",
                                                     "/outreach/activities/new/", body)
            if status != 302 and again == 302:
                status, location = again, again_location
        if status == 302 and re.search(r"/outreach/activities/\d+/", location):
            with self.stats.lock:
                self.stats.acknowledged.append(title)
        else:
            why = re.findall(r'<ul class="errorlist[^"]*"([^>]*)>(.*?)</ul>', answer, re.DOTALL)
            with self.stats.lock:
                self.stats.rejected += 1
                if not self.stats.rejected_sample:
                    self.stats.rejected_sample = f"HTTP {status}: " + " | ".join(
                        attrs + re.sub(r"<[^>]+>", " ", w).strip() for attrs, w in why)[:500]


PUBLIC = ["/", "/sitemap.xml"]
STAFF = ["/outreach/activities/", "/units/"]


def run_clients(users: list[str], one: Any) -> None:
    """``one(index, username)`` in a thread per user; the first failure ends the run."""
    errors: list[BaseException] = []

    def guarded(index: int, username: str) -> None:
        try:
            one(index, username)
        except BaseException as exc:  # noqa: BLE001 - reported after the run
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i, name)) for i, name in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"a client stopped: {errors[0]!r}")


def load(port: int, users: list[str], args: argparse.Namespace, prefix: str) -> Stats:
    stats = Stats()
    stop_at = time.monotonic() + args.duration

    def one(index: int, username: str) -> None:
        chooser = random.Random(args.seed + index)  # noqa: S311 - a load mix, not a secret
        client = Client(port, stats)
        client.sign_in(username)
        n = 0
        while time.monotonic() < stop_at and stats.requests < args.max_requests:
            roll = chooser.random()
            if roll < args.writes:
                n += 1
                client.write(f"{prefix}-{index}-{n}", chooser.random() < args.resubmit)
            elif roll < args.writes + (1 - args.writes) / 2:
                client.request("public", "GET", chooser.choice(PUBLIC))
            else:
                client.request("staff list", "GET", chooser.choice(STAFF))

    run_clients(users, one)
    return stats


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] * 1000 if ordered else 0.0


def one_database(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    engine = "PostgreSQL" if database_url else "SQLite"
    data_dir = Path(tempfile.mkdtemp(prefix="ctip-bench-load-"))
    try:
        env, users = prepare(data_dir, pg_database(database_url) if database_url else "",
                             args.users)
        port = _common.free_port()
        server = _common.Server(env, port, args.workers, data_dir / "serve.log")
        prefix = f"bench-{int(time.time())}"
        load_before = os.getloadavg()
        try:
            started = time.perf_counter()
            stats = load(port, users, args, prefix)
            seconds = time.perf_counter() - started
        finally:
            load_after = os.getloadavg()
            server.stop()
        out = _common.run([*CTIP, "shell", "-c", COUNT.replace("THE_PREFIX", repr(prefix))], env)
        match = re.search(r"^COUNTS (.*)$", out, re.MULTILINE)
        counts: dict[str, int] = json.loads(match.group(1)) if match else {}
        acknowledged = set(stats.acknowledged)
        lost = sorted(t for t in acknowledged if counts.get(t, 0) == 0)
        duplicated = sorted(t for t, n in counts.items() if n > 1)
        every = [x for values in stats.latencies.values() for x in values]
        result = {
            "database": engine, "seconds": round(seconds, 1), "users": len(users),
            "gunicorn_workers": args.workers, "requests": stats.requests,
            "rps": round(stats.requests / seconds, 1),
            "errors": sum(stats.errors.values()),
            "p50_ms": round(statistics.median(every) * 1000, 1) if every else 0.0,
            "p95_ms": round(percentile(every, 0.95), 1),
            "per_kind": {kind: {"requests": len(values),
                                "errors": stats.errors.get(kind, 0),
                                "p50_ms": round(statistics.median(values) * 1000, 1),
                                "p95_ms": round(percentile(values, 0.95), 1)}
                         for kind, values in sorted(stats.latencies.items())},
            "acknowledged_writes": len(acknowledged), "rejected_writes": stats.rejected,
            "rejected_sample": stats.rejected_sample,
            "resubmitted": stats.resubmitted, "forms_with_idempotency_key": stats.keyed_forms,
            "stored": sum(counts.values()), "lost": len(lost), "duplicated": len(duplicated),
            "lost_titles": lost[:10], "duplicated_titles": duplicated[:10],
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "cpus": os.cpu_count(),
        }
        if stats.rejected:
            sys.stderr.write(f"writes rejected, e.g. {stats.rejected_sample}\n")
        return result
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def show_kinds(result: dict[str, Any], errors: int) -> None:
    """The table of requests, errors, p50 and p95 per kind of request, and all together."""
    print(f"{'kind':<12} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for kind, row in result["per_kind"].items():
        print(f"{kind:<12} {row['requests']:>9} {row['errors']:>7} {row['p50_ms']:>8} "
              f"{row['p95_ms']:>8}")
    print(f"{'all':<12} {result['requests']:>9} {errors:>7} {result['p50_ms']:>8} "
          f"{result['p95_ms']:>8}   ({result['rps']} requests/s)")


def show(result: dict[str, Any]) -> None:
    print(f"\n== {result['database']}: {result['users']} users, {result['seconds']} s, "
          f"{result['gunicorn_workers']} gunicorn workers ==")
    show_kinds(result, result["errors"])
    print(f"writes: {result['acknowledged_writes']} acknowledged, {result['rejected_writes']} "
          f"rejected, {result['resubmitted']} posted twice, forms with an idempotency key: "
          f"{result['forms_with_idempotency_key']}")
    print(f"check: {result['stored']} stored, lost {result['lost']}, duplicated "
          f"{result['duplicated']}")
    print(f"machine: {result['cpus']} CPUs, load average before {result['load_average_before']}"
          f", after {result['load_average_after']}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    urls = ["", args.pg_url] if args.both else [args.database_url]
    results = []
    for url in urls:
        result = one_database(args, url)
        show(result)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    bad = any(r["lost"] or r["errors"] or (r["duplicated"] and r["forms_with_idempotency_key"])
              for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
