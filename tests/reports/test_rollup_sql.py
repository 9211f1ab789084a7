"""``ctip reports sql``: the SQL of the roll-up triggers, as the database holds it."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from ctip.reports import rollups


def printed(*args: str) -> str:
    out = StringIO()
    call_command("reports", "sql", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_every_trigger_of_either_database_is_printed(vendor: str) -> None:
    sql = printed("--database", vendor)
    names = rollups.trigger_names(vendor)
    assert len(names) >= 11
    for name in names:
        assert f"-- {name}\n" in sql
        # replaced in place on PostgreSQL: its readers do not wait for a rebuild
        create = "CREATE OR REPLACE TRIGGER" if vendor == "postgresql" else "CREATE TRIGGER"
        assert f"{create} {name} " in sql
    assert ("LANGUAGE plpgsql" in sql) == (vendor == "postgresql")
    assert "INSERT INTO reports_activitymonth" in sql


def test_an_unknown_database_is_refused() -> None:
    with pytest.raises(CommandError):
        call_command("reports", "sql", "--database", "oracle", stdout=StringIO())


@pytest.mark.django_db
def test_the_printed_sql_is_what_the_database_holds() -> None:
    """Without ``--database`` the SQL is the configured database's, and every trigger there (on
    PostgreSQL, its function's body) is printed character for character."""
    sql = printed()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT proname, prosrc FROM pg_proc WHERE proname LIKE 'ctip%_fn'")
            held = {name.removesuffix("_fn"): f"AS $${body}$$" for name, body in cursor}
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                           "AND name LIKE 'ctip%'")
            held = {name: f"{body};" for name, body in cursor}
    assert sorted(held) == sorted(rollups.trigger_names(connection.vendor))
    for name, text in held.items():
        assert text in sql, name


def test_the_excerpt_in_the_docs_is_printed() -> None:
    """docs/architecture.md shows a piece of the SQL under the command that prints it."""
    docs = (Path(__file__).resolve().parents[2] / "docs/architecture.md").read_text("utf-8")
    blocks = [b for b in re.findall(r"```sql\n(.*?)```", docs, flags=re.S)
              if b.startswith("-- ctip reports sql")]
    assert blocks
    for block in blocks:
        command, *lines = block.splitlines()
        sql = printed(*command.split()[4:])
        assert [line for line in lines if line not in sql] == []
