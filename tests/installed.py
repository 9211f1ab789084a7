"""A migrated installation for the tests that run ``ctip`` as the operator does, in processes
of their own (backup and restore, ``ctip check``, the processes, the task kills).

``ctip migrate`` on an empty database costs most of a minute of CPU (ctip's and Wagtail's 250
migrations). A test run migrates one empty SQLite file and one empty PostgreSQL database with
``ctip migrate`` in a process of its own, once for all its workers, and each installation starts
from a copy of it. The tests still run ``ctip migrate`` on their copy, as the operator would
after an upgrade; it finds nothing to do and checks that nothing is missing.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
SQLITE_NAME = "ctip.sqlite3"  # the settings' default file in CTIP_DATA_DIR
TEST_FIELD_KEY = "Y3RpcC10ZXN0cy1vbmx5LWZpZWxkLWtleS0wMDAwMDA="


def shared_dir(basetemp: Path, *, worker: bool) -> Path:
    """The directory every worker of this run sees: the run's base temporary directory."""
    return basetemp.parent if worker else basetemp


def template_database(shared: Path) -> str:
    """The name of this run's migrated PostgreSQL database (dropped at the end of the run)."""
    return "ctip_migrated_" + hashlib.sha1(str(shared).encode()).hexdigest()[:12]  # noqa: S324


@contextmanager
def locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _migrate(data: Path, database_url: str | None) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CTIP_DEBUG", "CTIP_TESTING", "CTIP_ENV",
                        "DJANGO_SETTINGS_MODULE", "DATABASE_REPLICA_URL"}}
    env.update(CTIP_DATA_DIR=str(data), SECRET_KEY="m" * 60, CTIP_FIELD_KEYS=TEST_FIELD_KEY,
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")]))
    if database_url:
        env["DATABASE_URL"] = database_url
    run = subprocess.run([sys.executable, "-m", "ctip.cli", "migrate", "-v0"],  # noqa: S603
                         env=env, capture_output=True, text=True, timeout=900, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]


def _psql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as db:
        db.execute(sql)  # type: ignore[arg-type]


def save_sqlite(connection: Any, path: Path) -> None:
    """Copy the SQLite database of a Django ``connection`` (the tests' in memory) to ``path``,
    whole or not at all: written beside it, then renamed."""
    partial = path.with_suffix(".partial")
    connection.ensure_connection()
    target = sqlite3.connect(partial)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    partial.replace(path)


def offer(shared: Path, connection: Any) -> None:
    """Keep a test database that was just migrated (pytest-django's, by ``migrate`` as the
    operator runs it) as this run's migrated database, if the run has none yet: a fresh
    ``ctip migrate`` gives the same tables and the same seeded rows (only the times and random
    identifiers of the seeded rows differ), and costs about half a minute of processor. The
    SQLite test database is copied to the file ``install`` copies from; a PostgreSQL one is
    copied as a new database on the server ``install`` uses (``CREATE DATABASE ... TEMPLATE``,
    which needs no session open on the test database, so the connection is closed first and
    opens again when next used)."""
    settings = connection.settings_dict
    with locked(shared / "ctip-migrated.lock"):
        if connection.vendor == "sqlite":
            template = shared / "ctip-migrated" / SQLITE_NAME
            if template.exists():
                return
            template.parent.mkdir(exist_ok=True)
            save_sqlite(connection, template)
        elif connection.vendor == "postgresql" and (
                f"postgres://{settings.get('USER') or ''}@{settings.get('HOST') or ''}:"
                f"{settings.get('PORT') or 5432}" == PG):
            ready = shared / "ctip-migrated.postgresql"
            if ready.exists():
                return
            name = template_database(shared)
            connection.close()
            _psql(f'DROP DATABASE IF EXISTS "{name}"')
            _psql(f'CREATE DATABASE "{name}" TEMPLATE "{settings["NAME"]}"')
            ready.write_text(name)


def install(data: Path, shared: Path, *, database: str | None = None) -> None:
    """Give the installation in ``data`` a migrated database: a copy of this run's migrated
    SQLite file, or (``database``, a PostgreSQL database name that must not exist yet) a
    database created from this run's migrated PostgreSQL database."""
    with locked(shared / "ctip-migrated.lock"):
        if database is None:
            template = shared / "ctip-migrated" / SQLITE_NAME
            if not template.exists():
                template.parent.mkdir(exist_ok=True)
                _migrate(template.parent, None)
            data.mkdir(parents=True, exist_ok=True)
            source, target = sqlite3.connect(template), sqlite3.connect(data / SQLITE_NAME)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            return
        name = template_database(shared)
        ready = shared / "ctip-migrated.postgresql"
        if not ready.exists():
            _psql(f'DROP DATABASE IF EXISTS "{name}"')
            _psql(f'CREATE DATABASE "{name}"')
            _migrate(shared / "ctip-migrated-pg", f"{PG}/{name}")
            ready.write_text(name)
        _psql(f'CREATE DATABASE "{database}" TEMPLATE "{name}"')


def drop_template(shared: Path) -> None:
    """At the end of the run: drop the migrated PostgreSQL database, if one was made."""
    ready = shared / "ctip-migrated.postgresql"
    if ready.exists():
        _psql(f'DROP DATABASE IF EXISTS "{ready.read_text()}" WITH (FORCE)')
        ready.unlink()
