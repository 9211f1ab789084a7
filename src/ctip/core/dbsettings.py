"""What the database connection must be for ctip to serve well (decision record 0034).

SQLite serves several gunicorn workers and the task worker at once only in WAL mode (readers
never wait for the writer) and with a busy timeout (a writer waits for another instead of
failing at once). Both are set by ``init_command`` in the settings; a copied settings file or a
database on a file system without shared memory (WAL needs it) could lose them silently, so
``ctip serve`` and ``ctip check`` look at what the open connection actually reports."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register
from django.db import connections

MIN_BUSY_TIMEOUT_MS = 5_000


def sqlite_problems(alias: str = "default") -> list[str]:
    """What is wrong with the SQLite connection ``alias`` (nothing for another database)."""
    connection = connections[alias]
    if connection.vendor != "sqlite" or connection.creation.is_in_memory_db(  # type: ignore[attr-defined]
            connection.settings_dict["NAME"]):
        return []
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal_mode = str(cursor.fetchone()[0]).lower()
        cursor.execute("PRAGMA busy_timeout")
        busy_timeout = int(cursor.fetchone()[0])
    problems = []
    if journal_mode != "wal":
        problems.append(f"SQLite runs in journal mode {journal_mode!r}, not 'wal': readers "
                        "would wait for every write (keep PRAGMA journal_mode=WAL in "
                        "init_command, and the database on a local file system).")
    if busy_timeout < MIN_BUSY_TIMEOUT_MS:
        problems.append(f"SQLite's busy timeout is {busy_timeout} ms, under "
                        f"{MIN_BUSY_TIMEOUT_MS} ms: a write that meets another would fail "
                        "instead of waiting (keep PRAGMA busy_timeout in init_command).")
    return problems


@register(Tags.database)
def sqlite_connection(app_configs: Any = None, databases: Any = None,
                      **kwargs: Any) -> list[Error]:
    return [Error(problem, id="ctip.E020") for alias in databases or ()
            for problem in sqlite_problems(alias)]
