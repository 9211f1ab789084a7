"""A script run on a PostgreSQL database of its own, a copy of the run's migrated one: what
two committed transactions do cannot be shown in the test database, which wraps each test in a
transaction that never commits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import connection

#: The start of such a script: Django set up, the database migrated (nothing left to do on the
#: copy), and a tree of three units (``central``, ``province``, ``commune``).
TREE = r'''
import django

django.setup()
from django.core.management import call_command
from django.db import connection, transaction

call_command("migrate", verbosity=0)
from ctip.units.actions import create_unit
from ctip.org.models import Unit, UnitType

central = create_unit(actor=None, parent=None, name="Trung ương",
                      unit_type=UnitType.objects.get(code="central"))
province = create_unit(actor=None, parent=central, name="Tỉnh",
                       unit_type=UnitType.objects.get(code="province"))
commune = create_unit(actor=None, parent=province, name="Xã",
                      unit_type=UnitType.objects.get(code="commune"))
'''

#: ``both(one, two)``: run two functions at once, each in a thread with a connection of its
#: own; the errors they raised.
BOTH = r'''
import threading


def both(one, two):
    errors = []

    def run(fn):
        try:
            fn()
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors
'''


def run_on_own_database(name: str, script: str, tmp_path: Path, install_migrated: Any) -> str:
    """The output of ``script`` run on the database ``name``, made for it and dropped after."""
    import psycopg

    from tests.reports.test_rollups import run_script

    settings = connection.settings_dict
    server = (f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
              f"{settings['PORT'] or 5432}")

    def admin(sql: str) -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    admin(f"DROP DATABASE IF EXISTS {name}")
    install_migrated(tmp_path / "data", database=name)
    try:
        return run_script(script, tmp_path, f"{server}/{name}")
    finally:
        admin(f"DROP DATABASE IF EXISTS {name}")
