"""The set-up the benchmark scripts share: a throwaway data directory and database, Django
configured on them, the PostgreSQL database dropped and recreated, one script's set-up loaded
by another, alternate timing of two implementations, and the helpers that start a server.

A script finds this module by putting ``benchmarks/`` on ``sys.path``:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import _common
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
# A throwaway key for the encrypted identity fields (a data directory built by `ctip synth`
# keeps its own key file).
THROWAWAY_FIELD_KEY = "YmVuY2htYXJrLW9ubHktdGhyb3dhd2F5LWtleS0wMDA="


def load_average() -> str:
    """The machine's load average (1, 5, 15 minutes), printed beside every figure."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --- Databases and Django -------------------------------------------------------------------

def postgres_urls(url: str, default_name: str) -> tuple[str, str, str]:
    """Return (maintenance URL, benchmark database URL, benchmark database name)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit(f"--database-url must be a PostgreSQL URL, not {url!r}")
    name = parts.path.strip("/") or default_name
    if not name.startswith("ctip_bench"):
        sys.exit(f"refusing to drop and recreate database {name!r}: the benchmark database "
                 "name must start with 'ctip_bench'")
    admin = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    return admin, urlunsplit(parts._replace(path=f"/{name}")), name


def postgres_database(admin_url: str, name: str, *, drop: bool, create: bool) -> bool:
    """Drop and/or create the database; return whether it existed before."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        existed = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                               [name]).fetchone() is not None
        if drop:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        if create and (drop or not existed):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return existed


def recreate_postgres(admin_url: str, name: str, *, create: bool = True) -> None:
    postgres_database(admin_url, name, drop=True, create=create)


def configure_django(database_url: str | None, data_dir: str, *,
                     test_client: bool = False) -> None:
    """Point ctip.settings at a throwaway data dir and database, then set Django up. With
    ``test_client``, pages can be rendered through Django's test client without
    ``collectstatic`` (plain static URLs, no manifest)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "ctip.settings"
    os.environ["CTIP_DATA_DIR"] = data_dir
    os.environ["SECRET_KEY"] = "benchmark-only-throwaway-secret-key"
    if not (Path(data_dir) / "field_keys").exists():
        os.environ["CTIP_FIELD_KEYS"] = THROWAWAY_FIELD_KEY
    os.environ.setdefault("CTIP_LOG_LEVEL", "WARNING")
    os.environ.pop("CTIP_DEBUG", None)  # DEBUG would record every query
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)  # settings default: SQLite in CTIP_DATA_DIR
    if str(REPO / "src") not in sys.path:
        sys.path.insert(0, str(REPO / "src"))  # this checkout's ctip, not an installed copy
    import django

    django.setup()
    if test_client:
        from django.conf import settings
        from django.test.utils import override_settings

        # (override_settings also resets the storages already set up)
        override_settings(
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            STORAGES={**settings.STORAGES, "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
        ).enable()


def load_script(name: str) -> ModuleType:
    """Another benchmark's ``run.py`` as a module (``<name>_benchmark``), to reuse its world."""
    sys.path.insert(0, str(REPO / "src"))
    spec = importlib.util.spec_from_file_location(
        f"{name}_benchmark", REPO / "benchmarks" / name / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


# --- Timing ---------------------------------------------------------------------------------

def timed(fn: Callable[[], Any]) -> float:
    """Milliseconds of one call."""
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def alternate(first: Callable[[], Any], second: Callable[[], Any] | None, repeat: int,
              first_ms: list[float], second_ms: list[float], *, warmup: int) -> None:
    """Time two implementations of the same thing alternately (the one that runs first
    alternates too), after ``warmup`` untimed runs of each."""
    for _ in range(warmup):
        first()
        if second:
            second()
    for i in range(repeat):
        if second is None:
            first_ms.append(timed(first))
        elif i % 2 == 0:
            first_ms.append(timed(first))
            second_ms.append(timed(second))
        else:
            second_ms.append(timed(second))
            first_ms.append(timed(first))


def main(argv: list[str] | None, parse_args: Callable[[list[str] | None], Any],
         run_one: Callable[[Any], Any], run_both: Callable[[Any], None]) -> None:
    """``--both`` runs both databases; otherwise one run, its results also written to
    ``--json`` when given."""
    args = parse_args(argv)
    if args.both:
        run_both(args)
        return
    data = run_one(args)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(data))


# --- A server under load --------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(cmd: list[str], env: dict[str, str]) -> str:
    """Run a command from the repository root; its output, or exit with its last lines."""
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd[:4])} …")
    return done.stdout


CTIP = [sys.executable, "-m", "ctip.cli"]


class Server:
    """``ctip serve`` on ``port`` (gunicorn with ``workers``), ready when ``/healthz``
    answers; ``stop`` ends it."""

    START_SECONDS = 600  # collectstatic and the checks, then the first answer (slow when loaded)

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603
            [*CTIP, "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(workers)],
            env=env, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + self.START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"ctip serve exited; see {log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status in (200, 503):  # 503: no task worker
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()  # not left serving after the script has given up on it
        raise SystemExit(f"ctip serve did not answer within {self.START_SECONDS} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
