"""Several machines on one: a PostgreSQL primary and its streaming replica, two application
servers, two workers, one Redis cache; a mixed load through both servers; then the checks a
national roll-out depends on (docs/operations.md, "Several servers"; decision record 0047).

**A benchmark, not part of the test run**: it starts clusters and servers for a few minutes.

Steps:

1. Two PostgreSQL clusters in a temporary directory (``initdb``, ``pg_ctl``): the primary on
   ``--primary-port`` (5442) and a replica made by ``pg_basebackup -R`` (streaming, hot standby)
   on ``--replica-port`` (5443). As root, the PostgreSQL programs run as the ``postgres``
   user (``runuser``) in a directory it owns.
2. ``ctip migrate`` on the primary; Tây Ninh's units and ``--users`` commune officers
   (``benchmarks/load/run.py``'s set-up).
3. Two ``ctip serve`` (``DATABASE_REPLICA_URL``, ``CTIP_CACHE_URL=redis://…``) on two ports and
   two ``ctip worker``; ``--mails`` mail tasks queued while the load runs.
4. ``--users`` signed-in commune officers, half on each server, for ``--duration`` seconds:
   half of them enter work -- new activities and new situations through the real forms (some
   posted twice) -- and read a little, the other half read the indicator table, the dashboard
   and the CSV export; everyone opens the lists now and then. A writer's own report reads go
   to the primary for 5 s after each write (``CTIP_REPLICA_STICKY_SECONDS=5`` here). The
   replica's lag is sampled every half second the way the servers measure it
   (``ctip.core.dbrouter``).
5. The replica stopped: report pages on both servers must answer 200 and say the figures come
   from the primary; the replica started again: reads go back to it.
6. Checks: every acknowledged activity and situation is in the primary exactly once; every mail
   task ran once (the workers' logs, ``SentMail``, the files written); the replica served reads
   (``pg_stat_database`` on the replica); the lag seen.

Usage (from the repository root; Redis on 127.0.0.1:6379)::

    .venv/bin/python benchmarks/multi/run.py --duration 60 --users 8

Exit status 1 when anything was lost or duplicated, a task ran twice, a server error occurred
or the replica served nothing. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1].parent
sys.path.insert(0, str(REPO / "src"))
_spec = importlib.util.spec_from_file_location("bench_load", REPO / "benchmarks/load/run.py")
assert _spec is not None and _spec.loader is not None
load_run = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = load_run
_spec.loader.exec_module(load_run)

from ctip.core.dbrouter import PRIMARY_LSN_SQL, REPLICA_STATE_SQL, lag_of  # noqa: E402

CTIP = load_run.CTIP
DATABASE = "ctip_bench_multi"
BEHIND = "Máy chủ báo cáo đang chậm hoặc không trả lời"
REPORTS = ["/reports/", "/reports/dashboard/", "/reports/export.csv"]
LISTS = ["/outreach/activities/", "/cases/situations/"]
CHECK_SECONDS, STICKY_SECONDS = 2, 5

CHECK = """
import json
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from ctip.cases.models import Situation
from ctip.core.models import SentMail
from ctip.outreach.models import Activity
rows = (Activity.objects.filter(title__startswith=THE_PREFIX).values("title")
        .annotate(n=Count("id")))
tasks = DBTaskResult.objects.filter(task_path="ctip.core.tasks.deliver_mail")
print("CHECK " + json.dumps({
    "activities": {r["title"]: r["n"] for r in rows},
    "situations_found": Situation.objects.filter(pk__in=THE_PKS).count(),
    "situations_since": Situation.objects.filter(pk__gt=THE_FIRST).count(),
    "mail_tasks": tasks.count(),
    "mail_tasks_done": tasks.filter(status="SUCCESSFUL").count(),
    "sent_mail_rows": SentMail.objects.count(),
}))
"""

LAST_SITUATION = """
from ctip.cases.models import Situation
print("LAST", Situation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
"""

QUEUE_MAIL = """
from django.db import transaction
from ctip.core.mail import queue_mail
for i in range(HOW_MANY):
    with transaction.atomic():
        queue_mail(subject=f"bench {i}", body="bench", to=["bench@example.org"])
"""

WAITING = """
from django_tasks_db.models import DBTaskResult
print("WAITING", DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count())
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--users", type=int, default=8, help="signed-in clients (both servers)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--mails", type=int, default=300, help="mail tasks queued")
    parser.add_argument("--primary-port", type=int, default=5442)
    parser.add_argument("--replica-port", type=int, default=5443)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--seed", type=int, default=47)
    parser.add_argument("--start-seconds", type=int, default=600,
                        help="how long a server may take to start (a busy machine)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser.parse_args(argv)


# --- two PostgreSQL clusters ----------------------------------------------------------------------

class Clusters:
    def __init__(self, root: Path, primary_port: int, replica_port: int) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                       key=lambda p: int(Path(p).parts[-3]))
        if not found:
            raise SystemExit("PostgreSQL's server programs (/usr/lib/postgresql/*/bin) are missing")
        self.bin = Path(found[-1]).parent
        self.root = root
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(root, "postgres")
        self.primary, self.replica = root / "primary", root / "replica"
        self.ports = {"primary": primary_port, "replica": replica_port}
        for port in self.ports.values():
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    raise SystemExit(f"port {port} is taken: choose another with --*-port")

    def _run(self, *cmd: str) -> None:
        done = subprocess.run([*self.as_postgres, str(self.bin / cmd[0]), *cmd[1:]],
                              capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"{cmd[0]} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")

    def url(self, which: str, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports[which]}/{database}"

    def start(self, which: str) -> None:
        data = self.primary if which == "primary" else self.replica
        self._run("pg_ctl", "-D", str(data), "-l", str(self.root / f"{which}.log"), "-w",
                  "start")

    def stop(self, which: str) -> None:
        data = self.primary if which == "primary" else self.replica
        self._run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")

    def build(self) -> None:
        self._run("initdb", "-D", str(self.primary), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8")
        with (self.primary / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.ports['primary']}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.root}'\nwal_level = replica\n"
                       "max_wal_senders = 5\nmax_connections = 100\n")
        self.start("primary")
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.ports["primary"]),
                  "-U", "postgres", "-D", str(self.replica), "-R", "-X", "stream",
                  "-c", "fast")
        # postgresql.auto.conf is read last: the replica's own port, hot standby
        auto = self.replica / "postgresql.auto.conf"
        subprocess.run([*self.as_postgres, "sh", "-c",
                        f"printf '%s\\n' 'port = {self.ports['replica']}' 'hot_standby = on' "
                        f"'hot_standby_feedback = on' >> {auto}"], check=True)
        self.start("replica")
        import psycopg

        with psycopg.connect(self.url("primary", "postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def destroy(self) -> None:
        for which in ("replica", "primary"):
            subprocess.run([*self.as_postgres, str(self.bin / "pg_ctl"), "-D",
                            str(self.primary if which == "primary" else self.replica),
                            "-m", "immediate", "stop"], capture_output=True, check=False)


def replica_reads(url: str) -> dict[str, int]:
    """The replica's own counters for the ctip database (transactions, rows returned)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT xact_commit, tup_returned, tup_fetched FROM pg_stat_database "
                           "WHERE datname = current_database()").fetchone()
    assert row is not None
    return {"transactions": int(row[0]), "rows_returned": int(row[1]),
            "rows_fetched": int(row[2])}


class LagSampler(threading.Thread):
    """The replica's lag every half second, measured as the servers measure it."""

    def __init__(self, primary: str, replica: str) -> None:
        super().__init__(daemon=True)
        self.primary, self.replica = primary, replica
        self.samples: list[float] = []
        self.stop_event = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.primary, autocommit=True) as p, \
                psycopg.connect(self.replica, autocommit=True) as r:
            while not self.stop_event.wait(0.5):
                lsn = p.execute(PRIMARY_LSN_SQL).fetchone()[0]  # type: ignore[index]
                row = r.execute(REPLICA_STATE_SQL.replace("%s", "%(lsn)s"),
                                {"lsn": lsn}).fetchone()
                self.samples.append(lag_of(*row))  # type: ignore[misc]


# --- the load -------------------------------------------------------------------------------------

class Client(load_run.Client):
    def write_situation(self, pks: list[int], resubmit: bool) -> None:
        path = "/cases/situations/new/"
        status, page, _ = self.request("situation", "GET", path)
        if status != 200:
            return
        reader = load_run.FormReader(path)
        reader.feed(page)
        body = [(k, v) for k, v in reader.fields if k != "description"]
        body.append(("description", "Có người lạ rủ đi làm việc nhẹ lương cao ở nước ngoài."))
        status, _answer, location = self.request("situation", "POST", path, body)
        if resubmit:
            again, _p, again_location = self.request("situation", "POST", path, body)
            if status != 302 and again == 302:
                status, location = again, again_location
        found = re.search(r"/cases/situations/(\d+)/", location) if status == 302 else None
        with self.stats.lock:
            if found:
                pks.append(int(found.group(1)))
            else:
                self.stats.rejected += 1


def drive(ports: list[int], users: list[str], args: argparse.Namespace, prefix: str
          ) -> tuple[Any, list[int], dict[str, int]]:
    stats = load_run.Stats()
    situations: list[int] = []
    notices = {"report reads": 0, "said behind": 0, "not 200": 0}
    stop_at = time.monotonic() + args.duration

    def one(index: int, username: str) -> None:
        import random

        chooser = random.Random(args.seed + index)  # noqa: S311 - a load mix
        client = Client(ports[index % len(ports)], stats)
        client.sign_in(username)
        n = 0
        # half the users enter work (and read a little), half read the reports
        writer = index % 2 == 0
        while time.monotonic() < stop_at:
            roll = chooser.random()
            if writer and roll < 0.5:
                n += 1
                client.write(f"{prefix}-{index}-{n}", chooser.random() < 0.2)
            elif writer and roll < 0.7:
                client.write_situation(situations, chooser.random() < 0.2)
            elif roll < (0.85 if writer else 0.9):
                status, page, _ = client.request("report read", "GET", chooser.choice(REPORTS))
                with stats.lock:
                    notices["report reads"] += 1
                    notices["said behind"] += BEHIND in page
                    notices["not 200"] += status != 200
            else:
                client.request("list", "GET", chooser.choice(LISTS))

    load_run.run_clients(users, one)
    return stats, situations, notices


def signed_in(ports: list[int], users: list[str]) -> list[Client]:
    """A reader on each server, signed in long enough ago that her sign-in (a write) no longer
    sends her reads to the primary."""
    clients = []
    for i, port in enumerate(ports):
        client = Client(port, load_run.Stats())
        client.sign_in(users[i])
        clients.append(client)
    time.sleep(STICKY_SECONDS + 1)
    return clients


def report_pages(clients: list[Client]) -> dict[str, int]:
    """The indicator table and the dashboard, three times through each server."""
    answers = {"requests": 0, "ok": 0, "said behind": 0}
    for client in clients:
        for path in REPORTS[:2] * 3:
            status, page, _ = client.request("report read", "GET", path)
            answers["requests"] += 1
            answers["ok"] += status == 200
            answers["said behind"] += BEHIND in page
    return answers


def messages_written(folder: Path) -> tuple[int, int]:
    """Messages in the mail folder (a file may hold several), and their distinct Message-IDs."""
    ids = []
    for path in folder.glob("*") if folder.exists() else []:
        ids += re.findall(r"^Message-ID: (.+)$", path.read_text(errors="replace"), re.MULTILINE)
    return len(ids), len(set(ids))


def shell(code: str, env: dict[str, str], marker: str) -> str:
    out = load_run.run([*CTIP, "shell", "-c", code], env)
    found = re.search(rf"^{marker} (.*)$", out, re.MULTILINE)
    if not found:
        raise SystemExit(f"no {marker} in:\n{out[-2000:]}")
    return found.group(1)


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915 - one scenario, in order
    args = parse_args(argv)
    load_run._common.Server.START_SECONDS = args.start_seconds
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on a kill too
    host, port = args.redis.split("//")[1].split("/")[0].split(":")
    with socket.socket() as probe:
        if probe.connect_ex((host, int(port))):
            raise SystemExit(f"Redis does not answer at {args.redis}")
    root = Path(tempfile.mkdtemp(prefix="ctip-bench-multi-"))
    clusters = Clusters(root, args.primary_port, args.replica_port)
    servers: list[Any] = []
    workers: list[subprocess.Popen[bytes]] = []
    try:
        started = time.perf_counter()
        clusters.build()
        data_dir = root / "data"
        data_dir.mkdir()
        env, users = load_run.prepare(data_dir, clusters.url("primary"), args.users)
        mail_dir = root / "mail"
        env.update(DATABASE_REPLICA_URL=clusters.url("replica"), CTIP_CACHE_URL=args.redis,
                   CTIP_EMAIL_FILE_PATH=str(mail_dir),
                   CTIP_REPLICA_CHECK_SECONDS=str(CHECK_SECONDS),
                   # the writers write every few seconds: their own reads go to the primary
                   # for 5 s after each write (60 s by default, for people)
                   CTIP_REPLICA_STICKY_SECONDS=str(STICKY_SECONDS))
        first_situation = int(shell(LAST_SITUATION, env, "LAST"))
        print(f"clusters and data ready in {time.perf_counter() - started:.0f} s")
        ports = [load_run.free_port(), load_run.free_port()]
        for i, port in enumerate(ports):
            servers.append(load_run._common.Server(env, port, args.workers, root / f"serve{i}.log"))
        worker_env = {**env, "CTIP_LOG_LEVEL": "INFO"}
        for i in range(2):
            log = (root / f"worker{i}.log").open("w")
            workers.append(subprocess.Popen(  # noqa: S603
                [*CTIP, "worker"], env=worker_env, cwd=REPO, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True))
        before = replica_reads(clusters.url("replica"))
        sampler = LagSampler(clusters.url("primary"), clusters.url("replica"))
        sampler.start()
        queuer = threading.Thread(target=load_run.run, args=(
            [*CTIP, "shell", "-c", QUEUE_MAIL.replace("HOW_MANY", str(args.mails))], env))
        prefix = f"multi-{int(time.time())}"
        load_before = os.getloadavg()
        t0 = time.perf_counter()
        queuer.start()
        stats, situations, notices = drive(ports, users, args, prefix)
        seconds = time.perf_counter() - t0
        queuer.join()
        load_after = os.getloadavg()
        sampler.stop_event.set()
        sampler.join()
        after = replica_reads(clusters.url("replica"))

        # the replica goes away, then comes back
        readers = signed_in(ports, users)
        clusters.stop("replica")
        without = report_pages(readers)
        clusters.start("replica")
        time.sleep(CHECK_SECONDS + 1)
        back_before = replica_reads(clusters.url("replica"))
        back = report_pages(readers)
        back_after = replica_reads(clusters.url("replica"))

        deadline = time.monotonic() + 300
        while int(shell(WAITING, env, "WAITING")) and time.monotonic() < deadline:
            time.sleep(2)
        for server in servers:
            server.stop()
        servers = []
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=60)
        workers = []

        found = json.loads(shell(CHECK.replace("THE_PREFIX", repr(prefix))
                                 .replace("THE_PKS", repr(sorted(set(situations))))
                                 .replace("THE_FIRST", str(first_situation)), env, "CHECK"))
        runs: dict[str, int] = {}
        per_worker = []
        for i in range(2):
            text = (root / f"worker{i}.log").read_text(errors="replace")
            ids = re.findall(r"Task id=(\S+) path=ctip\.core\.tasks\.deliver_mail "
                             r"state=RUNNING", text)
            per_worker.append(len(ids))
            for task_id in ids:
                runs[task_id] = runs.get(task_id, 0) + 1
        mails_written, distinct_mails = messages_written(mail_dir)
        acknowledged = set(stats.acknowledged)
        counts = found["activities"]
        every = [x for values in stats.latencies.values() for x in values]
        result = {
            "seconds": round(seconds, 1), "users": len(users), "servers": 2,
            "gunicorn_workers_each": args.workers, "task_workers": 2,
            "requests": stats.requests, "rps": round(stats.requests / seconds, 1),
            "server_errors": sum(stats.errors.values()) + notices["not 200"],
            "p50_ms": round(statistics.median(every) * 1000, 1) if every else 0.0,
            "p95_ms": round(load_run.percentile(every, 0.95), 1),
            "per_kind": {kind: {"requests": len(v), "errors": stats.errors.get(kind, 0),
                                "p50_ms": round(statistics.median(v) * 1000, 1),
                                "p95_ms": round(load_run.percentile(v, 0.95), 1)}
                         for kind, v in sorted(stats.latencies.items())},
            "activities_acknowledged": len(acknowledged),
            "activities_lost": sum(1 for t in acknowledged if counts.get(t, 0) == 0),
            "activities_duplicated": sum(1 for n in counts.values() if n > 1),
            "situations_acknowledged": len(set(situations)),
            "situations_lost": len(set(situations)) - found["situations_found"],
            "situations_created": found["situations_since"],
            "rejected_writes": stats.rejected,
            "mail_tasks": found["mail_tasks"], "mail_tasks_done": found["mail_tasks_done"],
            "mail_task_runs": sum(runs.values()),
            "mail_tasks_run_twice": sum(1 for n in runs.values() if n > 1),
            "runs_per_worker": per_worker, "sent_mail_rows": found["sent_mail_rows"],
            "messages_written": mails_written, "distinct_message_ids": distinct_mails,
            "report_reads": notices["report reads"],
            "report_reads_said_behind": notices["said behind"],
            "replica_transactions": after["transactions"] - before["transactions"],
            "replica_rows_returned": after["rows_returned"] - before["rows_returned"],
            "lag_samples": len(sampler.samples),
            "lag_p50_s": round(statistics.median(sampler.samples), 3) if sampler.samples else None,
            "lag_max_s": round(max(sampler.samples), 3) if sampler.samples else None,
            "replica_stopped": without,
            "replica_back": {**back, "replica_transactions":
                             back_after["transactions"] - back_before["transactions"]},
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            "cpus": os.cpu_count(),
        }
        show(result)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
        bad = (result["activities_lost"] or result["activities_duplicated"]
               or result["situations_lost"]
               or result["situations_created"] != result["situations_acknowledged"]
               or result["mail_tasks_run_twice"] or result["server_errors"]
               or result["mail_tasks_done"] != args.mails
               or not result["replica_transactions"]
               or without["ok"] != without["requests"]
               or without["said behind"] != without["requests"]
               or result["messages_written"] != args.mails
               or result["distinct_message_ids"] != args.mails)
        return 1 if bad else 0
    except BaseException:
        for log in sorted(root.glob("*.log")):  # what went wrong, before the folder goes
            lines = log.read_text(errors="replace").splitlines()[-15:]
            sys.stderr.write(f"--- {log.name}\n" + "\n".join(lines) + "\n")
        raise
    finally:
        for server in servers:
            server.stop()
        for worker in workers:
            worker.kill()
        clusters.destroy()
        shutil.rmtree(root, ignore_errors=True)


def show(r: dict[str, Any]) -> None:
    print(f"\n== 2 servers x {r['gunicorn_workers_each']} gunicorn workers, "
          f"{r['task_workers']} task workers, {r['users']} users, {r['seconds']} s ==")
    load_run.show_kinds(r, r["server_errors"])
    print(f"nothing lost: activities {r['activities_acknowledged']} acknowledged, "
          f"{r['activities_lost']} lost, {r['activities_duplicated']} duplicated; situations "
          f"{r['situations_acknowledged']} acknowledged, {r['situations_lost']} lost, "
          f"{r['situations_created']} created; {r['rejected_writes']} writes refused")
    print(f"no task run twice: {r['mail_tasks']} mail tasks, {r['mail_tasks_done']} done, "
          f"{r['mail_task_runs']} runs ({r['runs_per_worker']} per worker), "
          f"{r['mail_tasks_run_twice']} run twice; {r['sent_mail_rows']} SentMail rows, "
          f"{r['messages_written']} messages written, {r['distinct_message_ids']} distinct "
          "Message-IDs")
    print(f"replica: {r['replica_transactions']} transactions, {r['replica_rows_returned']} "
          f"rows returned during the load; {r['report_reads']} report reads, "
          f"{r['report_reads_said_behind']} said the figures came from the primary")
    print(f"lag: {r['lag_samples']} samples, p50 {r['lag_p50_s']} s, max {r['lag_max_s']} s")
    s, b = r["replica_stopped"], r["replica_back"]
    print(f"replica stopped: {s['requests']} report pages, {s['ok']} answered 200, "
          f"{s['said behind']} said the figures came from the primary")
    print(f"replica back: {b['requests']} report pages, {b['ok']} answered 200, "
          f"{b['said behind']} said so, {b['replica_transactions']} replica transactions")
    print(f"machine: {r['cpus']} CPUs, load average before {r['load_average_before']}, "
          f"after {r['load_average_after']}")


if __name__ == "__main__":
    sys.exit(main())
