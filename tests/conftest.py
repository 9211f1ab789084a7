"""Shared fixtures. Test data is built through the same actions the application uses."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from ctip.accounts.actions import create_user
from ctip.accounts.capabilities import Role
from ctip.accounts.models import User
from ctip.org.models import Unit, UnitType
from ctip.units.actions import create_unit
from tests import installed, migrated_ahead
from tests.installed import locked as _locked

PASSWORD = "a-long-test-passphrase"


# --- One migration per run, not one per worker ----------------------------------------------

def _template_name(testrunuid: str) -> str:
    return f"test_ctip_template_{testrunuid[:16]}"


def _mirrors_of(alias: str, aliases: set[str]) -> set[str]:
    """The aliases among ``aliases`` whose test database is ``alias``'s own (``TEST: {"MIRROR":
    alias}``, as the settings make ``replica``): a second connection, nothing to create."""
    from django.db import connections

    return {other for other in aliases
            if connections[other].settings_dict.get("TEST", {}).get("MIRROR") == alias}


def _clone_test_database(template: Path, testrunuid: str, mirrors: set[str]) -> list[Any]:
    """Make this worker's test database a copy of the one another worker migrated, as
    ``setup_databases`` would leave it, mirrors included; the same ``old_config`` for
    ``teardown_databases``."""
    from django.conf import settings
    from django.db import connection, connections

    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation._get_test_db_name()
    if connection.vendor == "postgresql":
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{test_name}"')
            cursor.execute(f'CREATE DATABASE "{test_name}" TEMPLATE '
                           f'"{_template_name(testrunuid)}"')
    connection.close()
    settings.DATABASES[connection.alias]["NAME"] = test_name
    connection.settings_dict["NAME"] = test_name
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        source = sqlite3.connect(template)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    for mirror in mirrors:  # as setup_databases does for a mirror
        connections[mirror].creation.set_as_test_mirror(connection.settings_dict)
    return [(connection, old_name, True)]


def _keep_as_template(template: Path, testrunuid: str) -> None:
    """Keep this worker's freshly migrated test database for the other workers to copy."""
    from django.db import connection

    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        connection.close()  # a template must have no session open on it
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{_template_name(testrunuid)}" TEMPLATE "{name}"')
    else:
        installed.save_sqlite(connection, template)


@pytest.fixture(scope="session")
def django_db_setup(request: pytest.FixtureRequest, django_test_environment: None,
                    django_db_blocker: Any, django_db_use_migrations: bool,
                    django_db_keepdb: bool, django_db_createdb: bool,
                    django_db_modify_db_settings: None,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """pytest-django's test database, migrated once per run instead of once per worker.

    Migrating takes most of a minute of CPU (ctip's and Wagtail's 240 migrations). The first
    parallel worker to need a database migrates it and keeps a copy (a SQLite file, or a
    PostgreSQL template database); the other workers copy that (SQLite's backup API, ``CREATE
    DATABASE ... TEMPLATE``), which takes well under a second. A mirror of the test database
    (the ``replica`` alias, which some tests ask for beside ``default``) is only a second
    connection to it, so it does not stop the sharing. A PostgreSQL database migrated before
    the run (``CTIP_TESTS_MIGRATED_AHEAD``, ``tests/migrated_ahead.py``) takes the place of the
    first worker's migration when it is fully migrated. Without xdist, with --reuse-db or
    --no-migrations, or on another database, pytest-django's own fixture does the work."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    if not django_db_use_migrations:
        _disable_migrations()
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    workerinput = getattr(request.config, "workerinput", None)
    mirrors = _mirrors_of(connection.alias, aliases)
    shareable = (
        workerinput is not None and django_db_use_migrations and not django_db_keepdb
        and aliases - mirrors == {connection.alias} and not serialized_aliases
        and (connection.vendor == "postgresql" or (
            connection.vendor == "sqlite"
            and connection.creation.is_in_memory_db(connection.creation._get_test_db_name()))))
    if not shareable:
        keepdb = django_db_keepdb and not django_db_createdb
        with django_db_blocker.unblock():
            old_config = setup_databases(verbosity=verbosity, interactive=False,
                                         aliases=aliases, serialized_aliases=serialized_aliases,
                                         keepdb=keepdb)
            if django_db_use_migrations and not keepdb and connection.alias in aliases:
                # freshly migrated: the installations of the process tests start from it
                installed.offer(installed.shared_dir(tmp_path_factory.getbasetemp(),
                                                     worker=workerinput is not None),
                                connection)
        yield
        if not keepdb:
            with django_db_blocker.unblock():
                teardown_databases(old_config, verbosity=verbosity)
        return
    assert workerinput is not None
    testrunuid = workerinput["testrunuid"]
    shared = tmp_path_factory.getbasetemp().parent  # one directory for the run's workers
    template, state = shared / "test-db-template.sqlite3", shared / "test-db-template.state"
    made_template = False
    with django_db_blocker.unblock(), _locked(shared / "test-db-template.lock"):
        ahead = None if state.exists() else migrated_ahead.usable(connection)
        if ahead is not None:  # migrated before the run (tests/migrated_ahead.py)
            with connection._nodb_cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{_template_name(testrunuid)}" '
                               f'TEMPLATE "{ahead}"')
            state.write_text("ready")
            made_template = True
            old_config = _clone_test_database(template, testrunuid, mirrors)
            installed.offer(shared, connection)
        elif state.exists() and state.read_text() == "ready":
            old_config = _clone_test_database(template, testrunuid, mirrors)
        else:
            old_config = setup_databases(verbosity=verbosity, interactive=False,
                                         aliases=aliases, serialized_aliases=set())
            if not state.exists():
                _keep_as_template(template, testrunuid)
                state.write_text("ready")
                made_template = True
                # and the installations of the process tests start from it too
                installed.offer(shared, connection)
    yield
    with django_db_blocker.unblock():
        if made_template:
            with _locked(shared / "test-db-template.lock"):
                state.write_text("gone")  # workers that start later migrate their own
                if connection.vendor == "postgresql":
                    with connection._nodb_cursor() as cursor:
                        cursor.execute(f'DROP DATABASE IF EXISTS "{_template_name(testrunuid)}"')
        teardown_databases(old_config, verbosity=verbosity)


@pytest.fixture(scope="session")
def install_migrated(request: pytest.FixtureRequest,
                     tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``install_migrated(data, database=None)``: give a data directory (and, with ``database``,
    a new PostgreSQL database of that name) a migrated database, migrated once per run
    (``tests/installed.py``)."""
    shared = installed.shared_dir(tmp_path_factory.getbasetemp(),
                                  worker=hasattr(request.config, "workerinput"))
    return functools.partial(installed.install, shared=shared)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller (or the only process) drops the run's migrated PostgreSQL database."""
    if hasattr(session.config, "workerinput"):
        return
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is not None:
        installed.drop_template(installed.shared_dir(factory.getbasetemp(), worker=False))


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _audit_files(settings: Any, tmp_path: Any) -> None:
    """Each test its own checkpoint file and key file (the audit key itself comes from the
    test settings' ``CTIP_AUDIT_KEYS``)."""
    settings.CTIP_AUDIT_CHECKPOINT_FILE = tmp_path / "audit_checkpoints"
    settings.CTIP_AUDIT_KEY_FILE = tmp_path / "audit_keys"


@pytest.fixture(autouse=True)
def _vietnamese(settings: Any) -> None:
    settings.LANGUAGE_CODE = "vi"


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """Each test starts with an empty cache: what the bulletin keeps per publish (pages, the
    menu, the settings) must not outlive the database rows of the test that made it; nor what
    the process remembers of it (``core.remembered``)."""
    from django.core.cache import cache

    from ctip.core import remembered

    cache.clear()
    remembered.forget_all()
    yield
    cache.clear()
    remembered.forget_all()


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def needs(available: bool, what: str) -> None:
    """A test that needs a tool of the machine (a browser, WeasyPrint's libraries, GNU
    gettext, PostgreSQL): skipped without it on a developer's machine, failed in CI
    (``CI=true``), where ``bootstrap.py test`` installs it; so nothing is skipped silently."""
    if available:
        return
    if on_ci():
        pytest.fail(f"{what} (CI must run this test)", pytrace=False)
    pytest.skip(what)


def unit_type(code: str) -> UnitType:
    return UnitType.objects.get(code=code)


@dataclass
class Tree:
    """central → province (Tây Ninh) → two communes → branches → a group; plus another
    province that nobody in the first one may see."""

    central: Unit
    province: Unit
    commune_a: Unit
    commune_b: Unit
    branch_a1: Unit
    branch_a2: Unit
    group_a1: Unit
    branch_b1: Unit
    other_province: Unit
    other_commune: Unit


def _build_tree() -> Tree:
    central = create_unit(actor=None, parent=None, name="Hội Liên hiệp Phụ nữ Việt Nam",
                          unit_type=unit_type("central"))
    province = create_unit(actor=None, parent=central, name="Tỉnh Tây Ninh",
                           unit_type=unit_type("province"), gso_code="80")
    commune_a = create_unit(actor=None, parent=province, name="Xã Đức Hòa",
                            unit_type=unit_type("commune"), gso_code="27943")
    commune_b = create_unit(actor=None, parent=province, name="Phường Tân An",
                            unit_type=unit_type("commune"), gso_code="27694")
    branch_a1 = create_unit(actor=None, parent=commune_a, name="Chi hội ấp Mỹ Lộc",
                            unit_type=unit_type("branch"), village="Ấp Mỹ Lộc")
    branch_a2 = create_unit(actor=None, parent=commune_a, name="Chi hội ấp Rạch Sen",
                            unit_type=unit_type("branch"))
    group_a1 = create_unit(actor=None, parent=branch_a1, name="Tổ phụ nữ số 1",
                           unit_type=unit_type("group"))
    branch_b1 = create_unit(actor=None, parent=commune_b, name="Chi hội khu phố 3",
                            unit_type=unit_type("branch"))
    other_province = create_unit(actor=None, parent=central, name="Tỉnh Cao Bằng",
                                 unit_type=unit_type("province"), gso_code="04")
    other_commune = create_unit(actor=None, parent=other_province, name="Xã Quảng Uyên",
                                unit_type=unit_type("commune"))
    return Tree(central, province, commune_a, commune_b, branch_a1, branch_a2, group_a1,
                branch_b1, other_province, other_commune)


def make_user(username: str, role: str, unit: Unit, **kwargs: Any) -> User:
    user, _ = create_user(actor=None, username=username, full_name=kwargs.pop(
        "full_name", username.title()), home_unit=unit, role=role, password=PASSWORD,
        must_change_password=kwargs.pop("must_change_password", False), **kwargs)
    return user


def _build_users(tree: Tree) -> dict[str, User]:
    return {
        "system_admin": make_user("admin", Role.SYSTEM_ADMIN, tree.province),
        "province_officer": make_user("tinh", Role.PROVINCE_OFFICER, tree.province),
        "commune_officer": make_user("xa", Role.COMMUNE_OFFICER, tree.commune_a),
        "branch_head": make_user("chihoi", Role.BRANCH_HEAD, tree.branch_a1),
        "speaker": make_user("bcv", Role.SPEAKER, tree.commune_a),
        "case_worker": make_user("hotro", Role.CASE_WORKER, tree.commune_a),
        "editor": make_user("bientap", Role.EDITOR, tree.province),
        "publisher": make_user("xuatban", Role.PUBLISHER, tree.province),
        "auditor": make_user("kiemtoan", Role.AUDITOR, tree.province),
        "viewer": make_user("xem", Role.VIEWER, tree.province),
        "other_officer": make_user("caobang", Role.PROVINCE_OFFICER, tree.other_province),
    }


# --- The tree and the users built once for the consecutive tests of a file -------------------
#
# Most tests start from the same ``tree`` (ten units) and ``users`` (eleven users), built
# through the actions with their audit events: about 90 queries a test. The first of a run of
# consecutive tests of one file that want the same data builds them inside a transaction kept
# open (as Django's ``TestCase.setUpTestData``), and each test runs in a savepoint within it
# (pytest-django's ``db``), rolled back after the test as before: every test sees the rows it
# would have built itself, and fresh instances of them. The transaction is rolled back before
# a test that wants other data (no tree, the tree without the users, or its own transactions),
# and at the end of the file. The portal's ``bulletin`` (two sections, thirteen published
# articles) is shared the same way, alone or with the tree (decision record 0080).

_TRANSACTIONAL = frozenset({"transactional_db", "live_server", "django_db_reset_sequences",
                           "django_db_serialized_rollback"})


def _wants_bulletin(item: pytest.Item, names: Any) -> bool:
    """Whether the test asks for the portal's ``bulletin`` (its sections and articles), not
    another fixture of that name."""
    if "bulletin" not in names:
        return False
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    found = definitions.get("bulletin") or ()
    return bool(found) and found[-1].func.__module__ == "tests.portal.conftest"


def _shared_level(item: pytest.Item | None) -> str | None:
    """What of the shared data ``item`` can take: "tree", "users" (the tree and its users),
    either with "+bulletin" (the portal's sections and articles), "bulletin" alone, or None."""
    names = getattr(item, "fixturenames", ())
    if item is None or not _TRANSACTIONAL.isdisjoint(names):
        return None
    parts = ["users"] if "users" in names else ["tree"] if "tree" in names else []
    if _wants_bulletin(item, names):
        parts.append("bulletin")
    if not parts:
        return None
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        from pytest_django.fixtures import validate_django_db

        transaction_, reset_sequences, databases, serialized, apps = validate_django_db(marker)
        if transaction_ or reset_sequences or databases or serialized or apps:
            return None
    return "+".join(parts)


@dataclass
class _Shared:
    """The open transaction holding the shared data of this worker, if any."""

    key: tuple[str, str] | None = None  # (file, level)
    atomic: Any = None
    tree: dict[str, int] | None = None
    users: dict[str, int] | None = None
    bulletin: dict[str, Any] | None = None  # the pages' primary keys
    cache: Any = None  # what building left in the (local memory) cache

    def close(self, blocker: Any) -> None:
        if self.atomic is None:
            return
        from django.db import transaction

        with blocker.unblock():
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
        self.key = self.atomic = self.tree = self.users = self.bulletin = self.cache = None

    def open(self, key: tuple[str, str], blocker: Any) -> None:
        from django.core.cache import cache
        from django.db import transaction

        with blocker.unblock():
            atomic = transaction.atomic()
            atomic._from_testcase = True  # as TestCase's class-wide transaction
            atomic.__enter__()
            parts = key[1].split("+")
            try:
                cache.clear()
                tree = _build_tree() if {"tree", "users"} & set(parts) else None
                users = _build_users(tree) if tree is not None and "users" in parts else None
                bulletin = None
                if "bulletin" in parts:
                    from tests.portal.conftest import build_bulletin

                    bulletin = build_bulletin()
            except BaseException:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)
                raise
        self.key, self.atomic = key, atomic
        self.tree = {name: unit.pk for name, unit in vars(tree).items()} if tree else None
        self.users = {role: user.pk for role, user in users.items()} if users else None
        self.bulletin = None if bulletin is None else {
            "home": bulletin.home.pk, "section": bulletin.section.pk,
            "other_section": bulletin.other_section.pk,
            "articles": [page.pk for page in bulletin.articles]}
        self.cache = (dict(cache._cache), dict(cache._expire_info))  # type: ignore[attr-defined]


_shared = _Shared()


def _shared_cache_ok() -> bool:
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    return isinstance(caches["default"], LocMemCache)


@pytest.fixture(scope="module")
def _shared_file(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    yield
    _shared.close(django_db_blocker)  # the end of the file


@pytest.fixture
def _shared_data(request: pytest.FixtureRequest, _shared_file: None,
                 django_db_blocker: Any) -> None:
    """Set up before any other fixture of the test (``pytest_collection_modifyitems``), so
    before the test's own transaction: build the shared data if this test is the first of its
    run to want them."""
    level = _shared_level(request.node)
    if level is None or not _shared_cache_ok():
        _shared.close(django_db_blocker)
        return
    key = (request.node.nodeid.partition("::")[0], level)
    if _shared.key != key:
        _shared.close(django_db_blocker)
        _shared.open(key, django_db_blocker)


def _restore_cache() -> None:
    from django.core.cache import cache

    entries, expiry = _shared.cache
    with cache._lock:  # type: ignore[attr-defined]
        for key, value in entries.items():
            cache._cache[key] = value  # type: ignore[attr-defined]
            cache._expire_info[key] = expiry[key]  # type: ignore[attr-defined]


def _shares(node: pytest.Item) -> bool:
    """Whether the shared data open now are the ones this test wants."""
    return _shared.key == (node.nodeid.partition("::")[0], _shared_level(node))


def shared_bulletin(node: pytest.Item) -> dict[str, Any] | None:
    """The primary keys of the shared bulletin's pages, if this test takes it (the portal's
    ``bulletin`` fixture), with the cache as building it left it."""
    if _shared.bulletin is None or not _shares(node):
        return None
    _restore_cache()
    return _shared.bulletin


@pytest.fixture
def tree(db: Any, request: pytest.FixtureRequest) -> Tree:
    """The tree: built for this test, or fresh instances of the shared one (above)."""
    if _shared.tree is None or not _shares(request.node):
        return _build_tree()
    _restore_cache()
    units = Unit.objects.in_bulk(list(_shared.tree.values()))
    return Tree(**{name: units[pk] for name, pk in _shared.tree.items()})


@pytest.fixture
def users(tree: Tree, request: pytest.FixtureRequest) -> dict[str, User]:
    """One user per role; the commune-level ones sit in commune A."""
    if _shared.users is None or not _shares(request.node):
        return _build_users(tree)
    found = User.objects.in_bulk(list(_shared.users.values()))
    return {role: found[pk] for role, pk in _shared.users.items()}


def login_client(user: User) -> Client:
    """A client signed in as ``user``, past two-step sign-in where the role demands it."""
    client = Client()
    client.force_login(user)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(user=user, name="test",
                                                 defaults={"confirmed": True})
    session = client.session
    from django_otp import DEVICE_ID_SESSION_KEY

    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for() -> Any:
    return login_client


def pytest_report_header(config: Any) -> str:
    url = os.environ.get("DATABASE_URL", "")
    header = f"database: {'PostgreSQL' if url.startswith('postgres') else 'SQLite'}"
    if _database_tests_only():
        header += " (only the tests that depend on it: CTIP_TESTS_DATABASE_ONLY=1)"
    return header


# Fixtures through which a test reaches the configured test database. A test that reaches it by
# none of them is refused any database access by pytest-django, so it runs the same whatever
# DATABASE_URL says.
DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_reset_sequences",
                               "django_db_serialized_rollback", "live_server",
                               "_django_db_helper", "django_db_setup"})


def _database_tests_only() -> bool:
    return os.environ.get("CTIP_TESTS_DATABASE_ONLY", "") == "1"


def _postgresql_later() -> bool:
    """A PostgreSQL run follows this one (CI's SQLite run, ``.ci/run``)."""
    return os.environ.get("CTIP_TESTS_POSTGRESQL_LATER", "") == "1"


def makes_postgresql_installation(item: pytest.Item) -> bool:
    """A test marked ``postgresql``: it makes a PostgreSQL installation of its own, which starts
    from a copy of the run's migrated test database when that is PostgreSQL
    (``tests/installed.py``) and is migrated from nothing otherwise."""
    return item.get_closest_marker("postgresql") is not None


def uses_database(item: pytest.Item) -> bool:
    return (item.get_closest_marker("django_db") is not None
            or not DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())))


def depends_on_database(item: pytest.Item) -> bool:
    """A test whose result can differ with the database under it: one that uses it, unless it
    is marked ``presentation`` (it checks only what the page shows: its layout, its
    accessibility, its language, the policy in the browser; decision records 0079, 0087)."""
    return uses_database(item) and item.get_closest_marker("presentation") is None


# The files that take longest: seconds of wall time, summed by file, of one run of the suite on
# two workers on a busy machine (5 December 2026); the processes and the backup files scaled by
# their processor time after decision 0062 (the static files collected once; the backup test
# split by database), and the landing pages, the rules map and the roll-ups by theirs after
# decision 0073 (the worlds built once, the code walked once, the table rebuild from the run's
# migrated database), and the three browser files (the CMS phone walk, the portal, the CMS
# policy), which ran after every named file, by their wall time in a later run on two workers
# scaled by the PostgreSQL backup file's in both (the walk less the 75 s decision 0077 took
# from it). Only their order matters; a file not named here runs after them, in the
# order of collection. Never a limit. pytest-django sorts after this conftest (its own
# ``pytest_collection_modifyitems``), stably, into three groups: the tests with the database,
# the transactional ones, the ones without the database; so this order holds within each group
# (the processes, the task kills and the backups, which use no test database, run last, after
# the browser walks). Three other orders were measured and were no faster (decision 0080).
LONG_FILES: dict[str, float] = {
    "tests/reports/test_disclosure_attack.py": 553,
    "tests/outreach/test_activity_import.py": 418,
    "tests/e2e/test_cms_phone_walk.py": 390,
    "tests/core/test_task_kills.py": 375,
    "tests/core/test_security_headers.py": 369,
    "tests/core/test_processes.py": 320,
    "tests/ops/test_backup_postgresql.py": 310,
    "tests/ops/test_backup.py": 280,
    "tests/portal/test_pages.py": 153,
    "tests/test_access_matrix.py": 137,
    "tests/outreach/test_activity_views.py": 136,
    "tests/core/test_cli.py": 131,
    "tests/e2e/test_phone_walk.py": 118,
    "tests/cases/test_case_views.py": 98,
    "tests/portal/test_cms_vietnamese.py": 93,
    "tests/cases/test_situation_views.py": 89,
    "tests/e2e/test_portal.py": 88,
    "tests/accounts/test_lockout.py": 86,
    "tests/test_hostile_input.py": 78,
    "tests/portal/test_section_permissions.py": 68,
    "tests/org/test_branch_import.py": 68,
    "tests/matrix/test_reports.py": 64,
    "tests/reports/test_bad_input.py": 63,
    "tests/e2e/test_cms_policy.py": 62,
    "tests/portal/test_search.py": 59,
    "tests/test_landing_queries.py": 51,
    "tests/test_rules_map.py": 38,
    "tests/reports/test_rollups.py": 24,
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``CTIP_TESTS_DATABASE_ONLY=1`` keeps only the tests whose result can depend on the
    configured database.

    The workers take whole modules (``--dist loadfile``): the tests of
    a module may build on each other (the backup test restores the backup the test before it
    wrote), so a module is never cut.

    CI runs the suite on SQLite and again on PostgreSQL (``.ci/run``). A test without the
    database (pure functions, settings, the catalogue, and the subprocess tests that make their
    own SQLite and PostgreSQL installations) would run twice in exactly the same conditions, so
    the PostgreSQL run leaves those out. So does it the tests marked ``presentation``: what
    they check (a page's layout on a phone, axe's findings, the policy in the browser, the
    language and the scripts of the CMS's screens) is the same whatever database the server
    reads, and the other tests through Django's client check the server's work on PostgreSQL.
    The SQLite run keeps everything.

    Only the tests marked ``postgresql`` (the backup procedure on PostgreSQL: ``pg_dump`` and
    ``pg_restore`` against a database of their own) are left out of CI's SQLite run
    (``CTIP_TESTS_POSTGRESQL_LATER=1``): they are also marked ``django_db``, since their
    database starts as a copy of the run's migrated test database, so the PostgreSQL run keeps
    them and they run there, from a copy; in the SQLite run they would first migrate a
    PostgreSQL database from nothing, about 45 s of processor (decision record 0088). A run
    with neither variable keeps them."""
    if _database_tests_only():
        kept = [item for item in items if depends_on_database(item)]
    elif _postgresql_later():
        kept = [item for item in items if not makes_postgresql_installation(item)]
    else:
        kept = items
    if len(kept) != len(items):
        staying = set(kept)
        config.hook.pytest_deselected(items=[item for item in items if item not in staying])
        items[:] = kept
    # The longest files first (``bootstrap.py`` turns off xdist's own order, which puts the
    # files with most tests first and so started the one-test access matrices last): a worker
    # then ends on short files, not alone on a long one while the other core idles. A stable
    # sort keeps each file's tests together and in order. pytest-django's sort, after this
    # one, groups them (above ``LONG_FILES``).
    items.sort(key=lambda item: -LONG_FILES.get(item.nodeid.partition("::")[0], 0))
    # The shared tree and users (above) are built before the test's own transaction opens.
    for item in items:
        if _shared_level(item) is not None:
            names = getattr(item, "fixturenames", None)
            if isinstance(names, list) and names[:1] != ["_shared_data"]:
                names.insert(0, "_shared_data")  # parametrized tests share one list


# --- Outreach and community -----------------------------------------------------------------

@pytest.fixture
def formats(db: Any) -> dict[str, Any]:
    """The seeded catalogue of activity formats, by code (meeting, zalo, loudspeaker, ...)."""
    from ctip.outreach.models import Format

    return {f.code: f for f in Format.objects.all()}


@pytest.fixture
def audiences(db: Any) -> dict[str, Any]:
    from ctip.catalogues.models import Audience

    return {a.code: a for a in Audience.objects.all()}


def loaded_from_elsewhere(html: str) -> list[str]:
    """The addresses a page loads or links to on another host (a CDN, a font service): in every
    ``src``, ``href``, ``action``, ``formaction``, ``srcset`` (each of its entries), ``poster``
    and ``data``, and in CSS's ``url(...)`` and ``@import``, each address that names a scheme
    and host or starts with ``//``. A search for "cdn" in the page's text would also find it
    inside a random CSRF token or nonce, and miss a CDN not called so."""
    import html as html_module
    import re

    outside = re.compile(r"""(?:^|[\s,"'(])((?:[a-z][a-z0-9+.-]*:)?//[^\s"',)>]+)""", re.I)
    values = re.findall(r"""\b(?:src|href|action|formaction|srcset|poster|data)\s*=\s*"""
                        r"""("[^"]*"|'[^']*'|[^\s>]+)""", html, re.I)
    values += re.findall(r"""(?:url\(|@import\s)\s*([^)\s;]+)""", html_module.unescape(html),
                         re.I)
    return [address for value in values for address in outside.findall(html_module.unescape(
        value)) if not address.lower().startswith(("mailto:", "tel:"))]


def without_random_tokens(html: str) -> str:
    """The page without its per-request random values (the CSRF token in the forms and in
    htmx's headers, the CSP nonce): a test that a word is nowhere on a page must not fail
    because a token happened to spell it."""
    import re

    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*', r"\1", html)
    html = re.sub(r'("X-CSRFToken": ")[^"]*', r"\1", html)
    return re.sub(r'(nonce=")[^"]*', r"\1", html)


# A moment of 2026 for what the real actions record "now" (a situation received, escalated),
# when a test counts it in a period of 2026: 10 June, 09:00 in Vietnam.
IN_2026 = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)


@contextlib.contextmanager
def at(moment: dt.datetime, *, running: bool = False) -> Iterator[None]:
    """Django's clock (``timezone.now``, which every action and ``auto_now`` field reads) set to
    ``moment`` for what runs inside, stopped there or, ``running``, going on from it: the
    records a test makes "now" and then counts in a fixed period fall in it whatever the date
    of the run (on 2 January 2027 a situation received "now" is no longer in the year 2026)."""
    import time
    from unittest import mock

    from django.utils import timezone

    started = time.monotonic()

    def now() -> dt.datetime:
        return moment + dt.timedelta(seconds=time.monotonic() - started) if running else moment

    with mock.patch.object(timezone, "now", side_effect=now):
        yield


def log_activity(unit: Unit, fmt: Any, *, actor: Any = None, date: Any = None,
                 title: str = "Sinh hoạt chuyên đề phòng, chống mua bán người",
                 women: int | None = 20, men: int | None = 5, **kwargs: Any) -> Any:
    """Log an activity through the real action (defaults: 15/07/2026, 20 women, 5 men)."""
    import datetime as dt

    from ctip.outreach.actions import create_activity

    return create_activity(
        actor=actor, unit=unit, date=date or dt.date(2026, 7, 15), format=fmt, title=title,
        participants_women=women, participants_men=men, **kwargs)



@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """A transactional test ends with a flush of every table, which also removes the rows the
    data migrations seeded (unit types, catalogues). The suite runs in parallel, so any test
    may come next on the same database: put the seeds back once the flush is done."""
    result = yield
    fixtures = getattr(item, "fixturenames", ())
    if _shared.key is not None and nextitem is not None and _shared.key != (
            nextitem.nodeid.partition("::")[0], _shared_level(nextitem)):
        from pytest_django.plugin import blocking_manager_key

        _shared.close(item.config.stash[blocking_manager_key])  # the next test wants others
    # After the last test of a worker the session teardown has already destroyed the test
    # database and pointed the connection back at the real one: nothing follows to reseed for.
    if nextitem is None:
        return result
    if "transactional_db" in fixtures or "live_server" in fixtures:
        from pytest_django.plugin import blocking_manager_key

        from tests.e2e.conftest import _reseed

        with item.config.stash[blocking_manager_key].unblock():
            _reseed()
    return result
