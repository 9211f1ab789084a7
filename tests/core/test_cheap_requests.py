"""Cheap requests (issue 20, decision record 0034): a signed-in GET does not write its session
while the idle timeout still holds, persistent database connections, and a SQLite connection
without WAL or busy timeout refused at start."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.accounts.test_login import sign_in, travel
from tests.conftest import PASSWORD
from tests.core.test_cli import TEST_FIELD_KEY


def session_writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if "django_session" in q["sql"]
            and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]


def expiry(client: Client) -> Any:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return Session.objects.get(session_key=key).expire_date


def test_a_signed_in_get_writes_the_session_at_most_once_a_minute(users: Any) -> None:
    client = Client()
    assert sign_in(client, users["commune_officer"].username, PASSWORD).status_code == 302
    home = reverse("core:home")
    assert client.get(home).status_code == 200
    first = expiry(client)
    # Pages opened within the minute: no write, the expiry stays. (The clock moves on by
    # itself too, by seconds on a loaded machine: 50 leaves room for that.)
    for seconds in (1, 30, 50):
        with travel(seconds=seconds), CaptureQueriesContext(connection) as queries:
            assert client.get(home).status_code == 200
        assert session_writes(queries) == [], seconds
    assert expiry(client) == first
    # A minute after the last write the next page pushes the expiry back, once.
    with travel(seconds=61), CaptureQueriesContext(connection) as queries:
        assert client.get(home).status_code == 200
    assert len(session_writes(queries)) == 1
    assert expiry(client) - first >= dt.timedelta(seconds=61)
    with travel(seconds=70), CaptureQueriesContext(connection) as queries:
        assert client.get(home).status_code == 200
    assert session_writes(queries) == []


def test_steady_work_of_any_pace_never_outlives_nor_falls_short_of_the_timeout(
        users: Any) -> None:
    """A page every 50 seconds for an hour keeps the session; 30 minutes of silence after the
    last request ends it, and 29 minutes do not."""
    client = Client()
    sign_in(client, users["commune_officer"].username, PASSWORD)
    home = reverse("core:home")
    elapsed = 0
    for _ in range(72):
        elapsed += 50
        with travel(seconds=elapsed):
            assert client.get(home).status_code == 200, elapsed
    with travel(seconds=elapsed + 29 * 60):
        assert client.get(home).status_code == 200
    idle_from = elapsed + 29 * 60
    with travel(seconds=idle_from + 30 * 60 + 1):
        response = client.get(home)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_pages_make_no_session(db: Any) -> None:
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert session_writes(queries) == []
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    # A stale cookie (its session gone) does not bring a session back either.
    client.cookies[settings.SESSION_COOKIE_NAME] = "x" * 32
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("accounts:login"))
    assert session_writes(queries) == []


def test_signing_out_leaves_no_session_behind(users: Any) -> None:
    client = Client()
    sign_in(client, users["commune_officer"].username, PASSWORD)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert Session.objects.count() == 0


# --- Connections -------------------------------------------------------------------------------

def _production(data: Path, code: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"CTIP_TESTING", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env.update(CTIP_DATA_DIR=str(data), SECRET_KEY="k" * 60, CTIP_FIELD_KEYS=TEST_FIELD_KEY,
               DJANGO_SETTINGS_MODULE="ctip.settings",
               PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[2] / "src"),
                                           os.environ.get("PYTHONPATH", "")]), **extra)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,  # noqa: S603
                          text=True, check=False, timeout=120)


@pytest.mark.parametrize("url", ["", "postgres://postgres@127.0.0.1:5432/ctip_never_opened"])
def test_a_server_keeps_its_database_connection_between_requests(tmp_path: Path,
                                                                 url: str) -> None:
    code = ("import json, sys; from ctip import settings; "
            "assert 'pytest' not in sys.modules and not settings.TESTING; "
            "d = settings.DATABASES['default']; "
            "print(json.dumps([d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']]))")
    run = _production(tmp_path, code, **({"DATABASE_URL": url} if url else {}))
    assert run.returncode == 0, run.stderr
    max_age, health_checks = json.loads(run.stdout)
    assert max_age >= 60 and health_checks is True


SQLITE_CHECK = """
import django; django.setup()
from django.db import connection
from ctip.core.dbsettings import sqlite_problems
print(connection.cursor().execute('PRAGMA journal_mode').fetchone()[0])
print(repr(sqlite_problems()))
"""


def test_sqlite_runs_in_wal_with_a_busy_timeout(tmp_path: Path) -> None:
    run = _production(tmp_path, SQLITE_CHECK)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["wal", "[]"]


def test_a_sqlite_connection_without_wal_or_busy_timeout_is_named(django_db_blocker: Any,
                                                                  tmp_path: Path) -> None:
    """What ``ctip serve`` and ``ctip check`` refuse (a file database; the tests' is in memory)."""
    from django.db import connections
    from django.db.backends.sqlite3.base import DatabaseWrapper

    from ctip.core.dbsettings import sqlite_connection, sqlite_problems

    path = tmp_path / "plain.sqlite3"
    sqlite3.connect(path).close()
    plain = DatabaseWrapper({**connection.settings_dict, "NAME": str(path), "TEST": {},
                             "OPTIONS": {"timeout": 0}, "CONN_MAX_AGE": 0}, alias="plain")
    connections["plain"] = plain
    try:
        with django_db_blocker.unblock():
            problems = sqlite_problems("plain")
            errors = sqlite_connection(databases=["plain"])
        assert len(problems) == 2
        assert "journal mode 'delete'" in problems[0]
        assert "busy timeout is 0 ms" in problems[1]
        assert [e.id for e in errors] == ["ctip.E020", "ctip.E020"]
    finally:
        plain.close()
        del connections["plain"]


def test_ctip_serve_refuses_a_sqlite_connection_without_wal(tmp_path: Path) -> None:
    code = ("import sys; from ctip.cli import main; "
            "from django.db.backends.sqlite3 import base; "
            "init = base.DatabaseWrapper.get_new_connection; "
            "base.DatabaseWrapper.get_new_connection = lambda self, p: "
            "(lambda c: (c.execute('PRAGMA journal_mode=DELETE'), c)[1])(init(self, p)); "
            "main(['ctip', 'serve', '--port', '1'])")
    run = _production(tmp_path, code)
    assert run.returncode != 0
    assert "not 'wal'" in run.stderr
    assert "Serving on" not in run.stdout
