"""The backup procedure of docs/operations.md, performed end to end (issue 13).

An installation is migrated in a temporary data directory (and, when PostgreSQL and its client
tools are at hand, in a database of its own); a client writes persons through the actions while
``ctip backup`` runs; the keys are exported apart; the backup is restored into a fresh data
directory (and a fresh database) after ``ctip keys import``; every write acknowledged before
the backup began is there, the restored writes are a gapless prefix of the acknowledged ones,
identities decrypt to what was written, the audit chain verifies, and ``ctip restore`` ended
with ``ctip check``. Each ``ctip`` runs as the operator runs it: a process of its own, outside
test mode, under a umask of 000.

The same three tests on each database, in two files (``test_backup.py`` on SQLite,
``test_backup_postgresql.py`` on PostgreSQL) so that two workers run them at once; within a file
they build on each other (the restore test reads the backup the test before it wrote) and run in
order (decision record 0062).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from ctip.core.filecache import FileBasedCache
from tests.conftest import needs
from tests.ops import backup_writer

ROOT = Path(__file__).resolve().parents[2]
PG = "postgres://postgres@127.0.0.1:5432"
CREATED: dict[Path, list[str]] = {}
PASSPHRASE = "một cụm mật khẩu đủ dài cho bản sao lưu"


def _pg_available() -> bool:
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        return False
    try:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


def _psql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as db:
        db.execute(sql)  # type: ignore[arg-type]


@dataclass
class Site:
    """One installation: a data directory and, for PostgreSQL, a database URL."""

    data: Path
    database_url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in {"CTIP_TESTING", "DATABASE_URL", "CTIP_FIELD_KEYS", "SECRET_KEY",
                            "CTIP_BACKUP_PASSPHRASE", "DJANGO_SETTINGS_MODULE"}}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
        env["CTIP_DATA_DIR"] = str(self.data)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra)
        return env

    def ctip(self, *args: str, check: bool = True, timeout: int = 900,
             **extra: str) -> subprocess.CompletedProcess[str]:
        run = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "ctip.cli", *args], env={**self.env(), **extra},
            capture_output=True, text=True, timeout=timeout, check=False,
            preexec_fn=lambda: os.umask(0))  # noqa: PLW1509 - the umask-safety is tested
        if check:
            assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        return run

    def persons(self) -> list[dict[str, str]]:
        script = ("import json; from ctip.cases.models import Person; print(json.dumps("
                  "[{'code': p.code, 'name': p.full_name, 'phone': p.phone} "
                  "for p in Person.objects.order_by('code')]))")
        return json.loads(self.ctip("shell", "-c", script).stdout.strip().splitlines()[-1])


def _write_key(path: Path) -> None:
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(Fernet.generate_key().decode() + "\n")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def source_fixture(engine: str) -> Any:
    """The module-scoped ``source`` fixture of a file: the installation backed up."""

    @pytest.fixture(scope="module", name="source")
    def source(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               install_migrated: Any) -> Iterator[Site]:
        if engine == "postgresql":
            # the run's test database first: on PostgreSQL it becomes the run's migrated
            # database (``tests/installed.py``), which the installation's is a copy of
            request.getfixturevalue("django_db_setup")
        yield from _installation(engine, tmp_path_factory, install_migrated)

    return source


def _installation(engine: str, tmp_path_factory: pytest.TempPathFactory,
                  install_migrated: Any) -> Iterator[Site]:
    if engine == "postgresql":
        needs(_pg_available(), "PostgreSQL or pg_dump/pg_restore is not available")
    base = tmp_path_factory.mktemp(f"backup-{engine}")
    data = base / "source"
    data.mkdir(mode=0o700)
    _write_key(data / "field_keys")
    url = None
    names: list[str] = []
    if engine == "postgresql":
        name = f"ctip_backup_src_{uuid.uuid4().hex[:8]}"
        names.append(name)
        url = f"{PG}/{name}"
    CREATED[data] = names
    # a copy of the run's migrated database; ``ctip migrate`` then finds nothing to do
    install_migrated(data, database=names[0] if names else None)
    site = Site(data, url)
    site.ctip("migrate", "-v0")
    (data / "media" / "documents").mkdir(parents=True)
    (data / "media" / "documents" / "bien-ban.pdf").write_bytes(b"%PDF-1.4 " + os.urandom(3000))
    yield site
    for name in CREATED.pop(site.data):
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _fresh(source: Site, label: str) -> Site:
    data = source.data.parent / label
    data.mkdir(mode=0o700)
    url = None
    if source.database_url:
        name = f"ctip_backup_{label.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        _psql(f"CREATE DATABASE {name}")
        CREATED[source.data].append(name)
        url = f"{PG}/{name}"
    return Site(data, url)


def test_backup_during_writes_restores_every_acknowledged_write(source: Site) -> None:
    out = source.data.parent / "backups"
    stop = source.data.parent / "stop-writing"
    writer = subprocess.Popen(  # noqa: S603
        [sys.executable, str(Path(backup_writer.__file__)), str(stop)],
        env=source.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acks: list[tuple[float, int, str]] = []

    def read() -> None:
        assert writer.stdout is not None
        for line in writer.stdout:
            if line.startswith("ACK "):
                _, index, code = line.split()
                acks.append((time.monotonic(), int(index), code))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 300
        while len(acks) < 5:
            assert writer.poll() is None, writer.stderr.read() if writer.stderr else ""
            assert time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.2)
        started = time.monotonic()
        count_at_start = len(acks)
        passphrase_file = source.data.parent / "passphrase"
        passphrase_file.write_text(PASSPHRASE)
        backup_run = source.ctip("backup", "--output-dir", str(out), "--passphrase-file",
                                 str(passphrase_file))
        during = len(acks) - count_at_start
    finally:
        stop.touch()
        writer.wait(timeout=120)
        reader.join(timeout=10)
    acknowledged_before = [a for a in acks if a[0] < started]
    assert during > 0, "no write happened while the backup ran"
    (backup,) = out.iterdir()
    assert backup.name.endswith(".tar.sealed") and str(backup) in backup_run.stdout
    assert _mode(out) == 0o700 and _mode(backup) == 0o600  # under a umask of 000
    assert PASSPHRASE not in backup_run.stdout + backup_run.stderr

    # the keys, exported apart, private
    keys = source.data.parent / "keys.json"
    source.ctip("keys", "export", str(keys))
    assert _mode(keys) == 0o600
    assert json.loads(keys.read_text())["keys"]["field_keys"].strip() == (
        source.data / "field_keys").read_text().strip()

    # restored as documented: keys first, then the backup into an empty directory
    target = _fresh(source, "restored")
    target.ctip("keys", "import", str(keys))
    # a cache left from the database this one replaces (a data directory moved aside but
    # for its cache, or a Redis shared by the servers): nothing of it may outlive the restore
    left = FileBasedCache(str(target.data / "cache"), {})
    left.set("home:duties:before", {"values": "made from the lost database"}, None)
    restore = target.ctip("restore", str(backup), CTIP_BACKUP_PASSPHRASE=PASSPHRASE)
    assert f"The caches emptied (default: FileBasedCache {target.data / 'cache'})" in (
        restore.stdout)
    assert left.get("home:duties:before") is None
    assert "checksums verified" in restore.stdout
    assert "The keys at hand decrypt the stored identities." in restore.stdout
    assert "All checks passed." in restore.stdout  # `ctip check` ran at the end
    assert "The audit trail is intact" in target.ctip("audit", "verify").stdout
    assert (target.data / "media" / "documents" / "bien-ban.pdf").read_bytes() == (
        source.data / "media" / "documents" / "bien-ban.pdf").read_bytes()

    restored = target.persons()
    by_index = {index: code for _t, index, code in acks}
    indices = sorted(int(p["name"].rsplit(" ", 1)[1]) for p in restored)
    # a consistent snapshot: a gapless prefix of the writes, holding every one acknowledged
    # before the backup began
    assert indices == list(range(len(indices)))
    assert len(indices) >= len(acknowledged_before) >= 5
    for person in restored:
        index = int(person["name"].rsplit(" ", 1)[1])
        assert person["name"] == backup_writer.name(index)
        assert person["phone"] == backup_writer.phone(index)
        if index in by_index:
            assert person["code"] == by_index[index]
    if target.database_url is None:
        assert _mode(target.data / "ctip.sqlite3") == 0o600


def test_restore_refuses_before_writing_anything(source: Site) -> None:
    out = source.data.parent / "backups"
    backup = sorted(out.iterdir())[-1]
    env = {"CTIP_BACKUP_PASSPHRASE": PASSPHRASE}

    # a wrong key: refused, and nothing written
    wrong = _fresh(source, "wrong-key")
    _write_key(wrong.data / "field_keys")
    run = wrong.ctip("restore", str(backup), check=False, **env)
    assert run.returncode != 0
    assert "cannot decrypt this backup's identities" in run.stderr
    assert "cases_person.full_name" in run.stderr and "Nothing was written." in run.stderr
    assert not (wrong.data / "ctip.sqlite3").exists() or wrong.database_url
    assert not (wrong.data / "media").exists()
    if wrong.database_url:
        import psycopg

        with psycopg.connect(wrong.database_url) as db:
            row = db.execute("SELECT count(*) FROM information_schema.tables "
                             "WHERE table_schema = 'public'").fetchone()
            assert row is not None and row[0] == 0

    # a wrong passphrase: refused
    run = wrong.ctip("restore", str(backup), check=False,
                     CTIP_BACKUP_PASSPHRASE="không phải mật khẩu này")
    assert run.returncode != 0 and "cannot open this file" in run.stderr

    # a damaged backup: refused
    damaged = source.data.parent / "damaged.tar.sealed"
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    run = wrong.ctip("restore", str(damaged), check=False, **env)
    assert run.returncode != 0 and "damaged" in run.stderr

    # a database that is not empty: the source itself
    before = source.persons()
    run = source.ctip("restore", str(backup), check=False, **env)
    assert run.returncode != 0 and "only into an empty database" in run.stderr
    assert source.persons() == before


def test_the_worker_backs_up_daily_keeps_n_and_seals_for_a_public_key(source: Site) -> None:
    from ctip.core.scheduler import JOBS

    jobs = {job.name: job for job in JOBS}
    assert jobs["core.backup"].daily_at is not None
    assert jobs["cases.anonymise_due"].daily_at is not None

    keys = source.data.parent / "pair"
    keys.mkdir()
    source.ctip("keys", "backup-keypair", str(keys / "private"), str(keys / "public"))
    assert _mode(keys / "private") == 0o600
    daily = source.data.parent / "daily"
    settings = {"CTIP_BACKUP_DIR": str(daily), "CTIP_BACKUP_KEEP": "2",
                "CTIP_BACKUP_PUBLIC_KEY": str(keys / "public")}
    # The worker's daily job on three days (one backup a day: a second run the same day, after
    # a worker died, writes nothing): the newest two are kept.
    script = ("import datetime as dt; from ctip.ops.operations import run_scheduled_backup; "
              "print(run_scheduled_backup(now=dt.datetime.now(dt.UTC) - dt.timedelta(days={})))")
    for days_ago in (2, 1, 0):
        source.ctip("shell", "-c", script.format(days_ago), **settings)
    source.ctip("shell", "-c", script.format(0), **settings)  # again today: nothing new
    kept = sorted(daily.iterdir())
    assert len(kept) == 2 and all(p.name.endswith(".tar.sealed") for p in kept)
    check = source.ctip("check", **settings)
    assert f"Backups: newest {kept[-1].name}" in check.stdout
    assert "Retention: identities wiped 10 years" in check.stdout

    target = _fresh(source, "from-public-key")
    target.ctip("keys", "import", str(source.data.parent / "keys.json"))
    run = target.ctip("restore", str(kept[-1]), check=False)  # no private key: refused
    assert run.returncode != 0 and "x25519" in run.stderr
    target.ctip("restore", str(kept[-1]), "--private-key", str(keys / "private"))
    assert [p["name"] for p in target.persons()] == [p["name"] for p in source.persons()]
