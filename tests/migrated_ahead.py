"""A PostgreSQL test database migrated ahead of the run that uses it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ctip_ci python -m tests.migrated_ahead NAME

creates the database ``NAME`` on that server and migrates it as the test runner migrates its
test database (Django's ``create_test_db``: ``migrate`` with ``run_syncdb``, the test settings).
A later run given ``CTIP_TESTS_MIGRATED_AHEAD=NAME`` starts its test database as a copy of it
(``CREATE DATABASE ... TEMPLATE``) instead of migrating, if it is on the same server and every
migration on disk is applied in it (``usable``); otherwise the run migrates as usual.

CI (``.ci/run``) migrates the PostgreSQL run's database this way while the SQLite run starts:
there one worker migrates and the other waits for its copy, so a core is free for about the
half minute the PostgreSQL migration takes, which the PostgreSQL run then does not spend.
"""

from __future__ import annotations

import os
import sys
from typing import Any

ENVIRONMENT = "CTIP_TESTS_MIGRATED_AHEAD"


def server(connection: Any) -> dict[str, Any]:
    """How psycopg reaches ``connection``'s PostgreSQL server, for another database on it."""
    settings = connection.settings_dict
    return {key: settings.get(name) or None for key, name in (
        ("user", "USER"), ("host", "HOST"), ("port", "PORT"), ("password", "PASSWORD"))}


def usable(connection: Any) -> str | None:
    """The name in ``CTIP_TESTS_MIGRATED_AHEAD`` if that database is on ``connection``'s
    PostgreSQL server and fully migrated by the migrations on disk, else None. Leaves no session
    open on it (a template must have none)."""
    name = os.environ.get(ENVIRONMENT, "").strip()
    if not name or connection.vendor != "postgresql":
        return None
    # only for a PostgreSQL run given a database (and Django is set up by then)
    import psycopg
    from django.db.migrations.loader import MigrationLoader

    try:
        with psycopg.connect(dbname=name, **server(connection), connect_timeout=5) as db:
            applied = {(app, migration) for app, migration in
                       db.execute("SELECT app, name FROM django_migrations").fetchall()}
    except psycopg.Error:
        return None
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations) | {
        replaced for migration in loader.disk_migrations.values()
        for replaced in migration.replaces}
    if not set(loader.graph.nodes) <= applied or not applied <= known:
        return None
    return name


def migrate(name: str) -> None:
    """Create the database ``name`` (dropped first if it exists) and migrate it as the test
    runner migrates its test database."""
    # after the settings' environment is set (``__main__``)
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    connection.settings_dict["NAME"] = name
    call_command("migrate", verbosity=0, interactive=False, run_syncdb=True)
    connection.close()


if __name__ == "__main__":
    os.environ["CTIP_TESTING"] = "1"  # the test settings, as under pytest
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ctip.settings")
    migrate(sys.argv[1])
