"""The PostgreSQL run of CI keeps only the tests that use the database (decision record 0034):
those reach it through pytest-django's fixtures or mark; every other test would run the same
on either database. Every run starts with the longest files (decision record 0055)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests import conftest


class Item:
    def __init__(self, name: str, fixturenames: tuple[str, ...] = (), mark: bool = False,
                 path: str = "tests/test_a.py", presentation: bool = False,
                 postgresql: bool = False) -> None:
        self.name = name
        self.nodeid = f"{path}::{name}"
        self.fixturenames = fixturenames
        self.marks = {"django_db"} if mark else set()
        if presentation:
            self.marks.add("presentation")
        if postgresql:
            self.marks.add("postgresql")

    def get_closest_marker(self, name: str) -> Any:
        return object() if name in self.marks else None


ITEMS = [
    Item("pure", ("settings", "tmp_path")),
    Item("tree", ("tree", "db", "django_db_blocker")),
    Item("browser", ("e2e", "transactional_db", "live_server")),
    Item("phone_walk", ("e2e", "transactional_db", "live_server"), presentation=True),
    Item("marked", (), mark=True),
    Item("subprocess_with_own_databases", ("source", "tmp_path_factory")),
    Item("backup_on_postgresql", ("source", "tmp_path_factory"), mark=True, postgresql=True),
]


def module_marks() -> dict[str, list[str]]:
    """Each real test file (outside the browser tests and this one) and the source of its
    ``pytestmark`` assignments."""
    import ast
    from pathlib import Path

    root = Path(__file__).parent
    found = {}
    for path in sorted(root.rglob("test_*.py")):
        if "e2e" in path.parts or path.name == "test_ci_selection.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found[path.relative_to(root).as_posix()] = [
            ast.unparse(node.value) for node in tree.body if isinstance(node, ast.Assign)
            and any(getattr(t, "id", None) == "pytestmark" for t in node.targets)]
    return found


def select(monkeypatch: pytest.MonkeyPatch, value: str | None,
           later: str | None = None) -> tuple[list[str], list[str]]:
    for name, setting in (("CTIP_TESTS_DATABASE_ONLY", value),
                          ("CTIP_TESTS_POSTGRESQL_LATER", later)):
        if setting is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, setting)
    items: list[Any] = list(ITEMS)
    deselected: list[str] = []
    config = SimpleNamespace(option=SimpleNamespace(dist="loadgroup"), hook=SimpleNamespace(
        pytest_deselected=lambda items: deselected.extend(i.name for i in items)))
    conftest.pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    return [i.name for i in items], deselected


def test_the_postgresql_run_keeps_the_database_tests_only(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    kept, deselected = select(monkeypatch, "1")
    assert kept == ["tree", "browser", "marked", "backup_on_postgresql"]
    assert deselected == ["pure", "phone_walk", "subprocess_with_own_databases"]


def test_the_sqlite_run_before_a_postgresql_run_leaves_it_the_postgresql_installations(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """CI's SQLite run (decision record 0088): everything but the backup on PostgreSQL, which
    the PostgreSQL run keeps (above), so it runs once, from that run's migrated database."""
    kept, deselected = select(monkeypatch, None, later="1")
    assert kept == [i.name for i in ITEMS if i.name != "backup_on_postgresql"]
    assert deselected == ["backup_on_postgresql"]


@pytest.mark.parametrize("value", [None, "", "0"])
@pytest.mark.parametrize("later", [None, "", "0"])
def test_any_other_run_keeps_everything(monkeypatch: pytest.MonkeyPatch,
                                        value: str | None, later: str | None) -> None:
    kept, deselected = select(monkeypatch, value, later)
    assert kept == [i.name for i in ITEMS] and deselected == []


def test_the_backup_on_postgresql_is_the_one_file_marked_postgresql() -> None:
    """The real files: the marker is on the PostgreSQL backup file and on no other, and CI
    sets the variable for its SQLite run only (``.ci/run``)."""
    from pathlib import Path

    marked = {path for path, marks in module_marks().items()
              if any("mark.postgresql" in m for m in marks)}
    assert marked == {"ops/test_backup_postgresql.py"}
    assert any("mark.django_db" in m for m in module_marks()["ops/test_backup_postgresql.py"])
    ci = [line for line in (Path(__file__).parents[1] / ".ci" / "run").read_text().splitlines()
          if "bootstrap.py test -q" in line or "CTIP_TESTS_DATABASE_ONLY=1 \\" in line]
    assert len(ci) == 3, ci
    assert "CTIP_TESTS_POSTGRESQL_LATER=1" in ci[0] and "DATABASE_URL" not in ci[0]
    assert not any("CTIP_TESTS_POSTGRESQL_LATER" in line for line in ci[1:])


def test_this_very_test_is_told_apart(request: pytest.FixtureRequest, db: None) -> None:
    """The real items: one that asks for ``db`` uses the database, by pytest's own
    fixture closure."""
    assert conftest.uses_database(request.node)


def test_the_browser_walks_that_check_only_the_page_are_marked_and_the_ones_that_write_not(
        ) -> None:
    """The real browser files (decision record 0079): the walks of layout, accessibility and
    the policy are left out of the PostgreSQL run; the ones whose result rests on what the
    server stored (offline entry sent once, a conflict between two devices, the address stored
    for a Vietnamese title, a reading counted once, a record written while a page is open) stay
    in it."""
    import ast
    from pathlib import Path

    marked = {}
    for path in sorted((Path(__file__).parent / "e2e").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {ast.unparse(node.value) for node in tree.body if isinstance(node, ast.Assign)
                 and any(getattr(t, "id", None) == "pytestmark" for t in node.targets)}
        marked[path.stem] = any("presentation" in name for name in names)
    kept = {name for name, presentation in marked.items() if not presentation}
    assert kept == {"test_offline", "test_offline_situations_and_conflicts", "test_cms_editor",
                    "test_portal_home", "test_remote"}, kept
    assert marked["test_phone_walk"] and marked["test_cms_phone_walk"]


def test_the_longest_files_come_first_each_file_whole_and_in_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CTIP_TESTS_DATABASE_ONLY", raising=False)
    monkeypatch.setattr(conftest, "LONG_FILES", {"tests/long.py": 300, "tests/longer.py": 600})
    items: list[Any] = [Item("short1", path="tests/short.py"), Item("long1", path="tests/long.py"),
                        Item("other", path="tests/other.py"), Item("long2", path="tests/long.py"),
                        Item("longer", path="tests/longer.py"),
                        Item("short2", path="tests/short.py")]
    config = SimpleNamespace(hook=SimpleNamespace(pytest_deselected=lambda items: None))
    conftest.pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    assert [i.name for i in items] == ["longer", "long1", "long2", "short1", "other", "short2"]


def test_the_test_command_keeps_compiled_modules_outside_the_sources() -> None:
    """``bootstrap.py test`` under ``PYTHONDONTWRITEBYTECODE`` (decision record 0067): the
    compiled modules and rewritten test modules go to ``.venv/pycache``, not beside the
    sources, and are reused by the next worker or ``ctip`` process instead of being made
    again; without the variable Python's own ``__pycache__`` is left alone."""
    import bootstrap

    env = {"PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin"}
    bootstrap.keep_bytecode(env)
    assert env == {"PATH": "/usr/bin",
                   "PYTHONPYCACHEPREFIX": str(bootstrap.ROOT / ".venv" / "pycache")}
    env = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/var/cache/py"}
    bootstrap.keep_bytecode(env)
    assert env == {"PYTHONPYCACHEPREFIX": "/var/cache/py"}
    env = {"PATH": "/usr/bin"}
    bootstrap.keep_bytecode(env)
    assert env == {"PATH": "/usr/bin"}


def test_outside_the_browser_only_the_cms_screens_language_and_scripts_are_presentation(
        ) -> None:
    """Two files through Django's client check only what the CMS's screens show (their
    language, and that their scripts are files or JSON blocks): they run once, in the SQLite
    run (decision record 0087). Every other file with the database runs on both."""
    marked = {path for path, marks in module_marks().items()
              if any("presentation" in m for m in marks)}
    assert marked == {"portal/test_cms_vietnamese.py", "portal/test_cms_scripts.py"}, marked


def test_the_replica_alias_does_not_make_each_worker_migrate_its_own_database() -> None:
    """The replica alias some tests ask for beside ``default`` mirrors the test database: a
    worker that copies the run's migrated database sets it up as a mirror, so one worker
    migrates per run (each migration costs about 23 s of processor)."""
    assert conftest._mirrors_of("default", {"default", "replica"}) == {"replica"}
    assert conftest._mirrors_of("default", {"default"}) == set()
    assert conftest._mirrors_of("replica", {"default", "replica"}) == set()


def test_a_database_migrated_ahead_is_used_only_when_every_migration_is_applied_in_it(
        db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """``CTIP_TESTS_MIGRATED_AHEAD`` (``.ci/run`` migrates the PostgreSQL run's database while
    the SQLite run starts): a copy of a database that lacks a migration, or has one that is on
    no disk, would give the run the wrong tables, so the run then migrates its own."""
    import psycopg
    from django.db import connection

    from tests import migrated_ahead

    monkeypatch.delenv(migrated_ahead.ENVIRONMENT, raising=False)
    assert migrated_ahead.usable(connection) is None
    if connection.vendor != "postgresql":
        monkeypatch.setenv(migrated_ahead.ENVIRONMENT, "anything")
        assert migrated_ahead.usable(connection) is None  # PostgreSQL's templates only
        return
    monkeypatch.setenv(migrated_ahead.ENVIRONMENT, connection.settings_dict["NAME"])
    assert migrated_ahead.usable(connection) == connection.settings_dict["NAME"]  # migrated
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        rows = cursor.fetchall()
    server = {**migrated_ahead.server(connection), "autocommit": True}
    name = f"{connection.settings_dict['NAME']}_ahead_probe"
    with psycopg.connect(dbname="postgres", **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')  # type: ignore[arg-type]
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        monkeypatch.setenv(migrated_ahead.ENVIRONMENT, name)
        assert migrated_ahead.usable(connection) is None  # no migrations table at all
        with psycopg.connect(dbname=name, **server) as probe:
            probe.execute("CREATE TABLE django_migrations (app text, name text)")
            with probe.cursor() as cursor:
                cursor.executemany("INSERT INTO django_migrations VALUES (%s, %s)", rows[1:])
            assert migrated_ahead.usable(connection) is None  # one migration missing
            probe.execute("INSERT INTO django_migrations VALUES (%s, %s)", rows[0])
            assert migrated_ahead.usable(connection) == name
            probe.execute("INSERT INTO django_migrations VALUES ('outreach', '9999_elsewhere')")
            assert migrated_ahead.usable(connection) is None  # one on no disk
    finally:
        with psycopg.connect(dbname="postgres", **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
