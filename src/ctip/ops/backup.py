"""``ctip backup`` and ``ctip restore`` (decision 0025).

A backup is one tar archive, private (mode 600 in a directory of mode 700) and optionally
sealed for a passphrase and/or a public key (``ctip.core.sealing``):

- ``database.sqlite3``: a consistent copy made with SQLite's online backup API while the system
  runs, or ``database.pgdump``: ``pg_dump -Fc`` of an exported snapshot, in which the manifest's
  row counts were taken too;
- ``media/...``: the uploaded files, copied after the database snapshot (so every file a row of
  the snapshot names is there);
- ``manifest.json`` (last): ctip's version, the engine, the applied migrations, the rows of every
  table, the SHA-256 and size of every file, the encrypted columns and the fingerprints of the
  field keys the data needs.

The field keys are never in a backup: ``ctip keys export`` writes them apart
(``ctip.core.keyfiles``). ``ctip restore`` refuses, before writing anything, a backup that the
keys at hand cannot read, a target database or media directory that is not empty, and any file
whose checksum differs; it ends by comparing the restored row counts with the manifest and
running ``ctip check``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import IO, Any

import psycopg
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.management.base import CommandError
from django.db import connection

from ctip.cases import crypto
from ctip.cases.rotation import encrypted_columns
from ctip.core import remembered, sealing
from ctip.core.keyfiles import fingerprint
from ctip.core.private import create_private, make_private_dir

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
PREFIX = "ctip-"
NOTHING_WRITTEN = "Nothing was written."


@dataclass
class Backup:
    path: Path
    manifest: dict[str, Any]


def ctip_version() -> str:
    try:
        return version("ctip")
    except PackageNotFoundError:
        return "unknown"


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise CommandError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def _sqlite_path() -> Path:
    return Path(str(settings.DATABASES["default"]["NAME"]))


# --- PostgreSQL tools ------------------------------------------------------------------------

def pg_tool(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore``: in ``CTIP_PG_BIN`` if set, else on the PATH."""
    directory = os.environ.get("CTIP_PG_BIN")
    found = (str(Path(directory) / name) if directory and (Path(directory) / name).exists()
             else shutil.which(name))
    if not found:
        raise CommandError(
            f"{name} was not found{' in CTIP_PG_BIN' if directory else ' on the PATH'}. "
            "Install the PostgreSQL client tools of the server's major version (Debian/Ubuntu: "
            "apt install postgresql-client) or set CTIP_PG_BIN to the directory holding "
            "pg_dump and pg_restore. " + NOTHING_WRITTEN)
    return found


def _pg_settings() -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {"dbname": str(db["NAME"]), "user": str(db.get("USER") or ""),
            "password": str(db.get("PASSWORD") or ""), "host": str(db.get("HOST") or ""),
            "port": str(db.get("PORT") or "")}


def _pg_env() -> dict[str, str]:
    params = _pg_settings()
    env = dict(os.environ)
    for key, var in (("dbname", "PGDATABASE"), ("user", "PGUSER"), ("password", "PGPASSWORD"),
                     ("host", "PGHOST"), ("port", "PGPORT")):
        if params[key]:
            env[var] = params[key]
    return env


def _run(args: list[str], what: str) -> None:
    run = subprocess.run(args, env=_pg_env(), capture_output=True, text=True,  # noqa: S603
                         check=False)
    if run.returncode != 0:
        raise CommandError(f"{what} failed: {run.stderr.strip() or run.stdout.strip()}")


# --- Snapshots -------------------------------------------------------------------------------

def _sqlite_facts(db: sqlite3.Connection) -> tuple[list[list[str]], dict[str, int]]:
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608
              for t in tables}
    migrations = [list(r) for r in db.execute(
        "SELECT app, name FROM django_migrations ORDER BY app, name")] \
        if "django_migrations" in tables else []
    return migrations, counts


def _snapshot_sqlite(target: Path) -> tuple[list[list[str]], dict[str, int]]:
    if not _sqlite_path().is_file():
        raise CommandError(f"there is no database at {_sqlite_path()} to back up "
                           "(is CTIP_DATA_DIR right?)")
    create_private(target).close()
    source = sqlite3.connect(str(_sqlite_path()), timeout=60)
    destination = sqlite3.connect(str(target))
    try:
        # one step (pages=-1): the copy is made inside one read transaction, so it is the
        # database as of one commit, WAL included, and writers are not blocked meanwhile
        source.backup(destination)
        destination.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_facts(destination)
    finally:
        destination.close()
        source.close()


def _snapshot_postgresql(target: Path) -> tuple[list[list[str]], dict[str, int]]:
    pg_dump = pg_tool("pg_dump")
    params = {k: v for k, v in _pg_settings().items() if v}
    with psycopg.connect(**params, autocommit=True) as db:  # type: ignore[arg-type]
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = db.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None  # noqa: S101
        snapshot = row[0]
        tables = [r[0] for r in db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")]
        counts = {}
        for table in tables:
            count = db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()  # noqa: S608
            counts[table] = int(count[0]) if count else 0
        migrations = [[str(a), str(n)] for a, n in db.execute(
            "SELECT app, name FROM django_migrations ORDER BY app, name")] \
            if "django_migrations" in tables else []
        create_private(target).close()
        # the dump reads the very snapshot the counts were taken in
        _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", "--no-owner",
              "--no-privileges", f"--file={target}"], "pg_dump")
        db.execute("COMMIT")
    return migrations, counts


# --- Writing an archive ----------------------------------------------------------------------

class _HashingReader:
    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add(tar: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    with open(path, "rb") as handle:
        info = tarfile.TarInfo(name)
        info.size = os.fstat(handle.fileno()).st_size
        info.mode = 0o600
        info.mtime = int(os.fstat(handle.fileno()).st_mtime)
        reader = _HashingReader(handle)
        tar.addfile(info, reader)  # type: ignore[arg-type]
    return {"sha256": reader.digest.hexdigest(), "size": reader.size}


def _media_files() -> Iterator[tuple[Path, str]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(directory) / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path, "media/" + path.relative_to(root).as_posix()


def create_backup(*, output_dir: Path, passphrase: str | None = None,
                  public_key: Any = None, include_media: bool = True,
                  now: dt.datetime | None = None) -> Backup:
    engine = _engine()
    now = now or dt.datetime.now(dt.UTC)
    make_private_dir(output_dir)
    sealed = bool(passphrase or public_key is not None)
    name = f"{PREFIX}{now:%Y%m%dT%H%M%SZ}.tar" + (".sealed" if sealed else "")
    final = output_dir / name
    if final.exists():
        raise CommandError(f"{final} already exists")
    work = Path(tempfile.mkdtemp(prefix=".ctip-backup-", dir=output_dir))  # mode 700
    part = output_dir / f".{name}.part"
    try:
        database_name = SQLITE_FILE if engine == "sqlite" else PG_FILE
        snapshot = work / database_name
        migrations, counts = (_snapshot_sqlite(snapshot) if engine == "sqlite"
                              else _snapshot_postgresql(snapshot))
        try:
            fingerprints = [fingerprint(k) for k in crypto.current_keys()]
        except crypto.KeyError_:
            fingerprints = []
        manifest: dict[str, Any] = {
            "format": "ctip-backup", "version": 1, "ctip_version": ctip_version(),
            "created_at": now.isoformat(timespec="seconds"), "engine": engine,
            "database": database_name, "migrations": migrations, "tables": counts,
            "encrypted_columns": {t: c for t, c in encrypted_columns().values()},
            "field_key_fingerprints": fingerprints, "files": {},
        }
        with create_private(part) as raw:
            sink: Any = (sealing.SealedWriter(raw, passphrase=passphrase, public_key=public_key)
                         if sealed else raw)
            with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                manifest["files"][database_name] = _add(tar, snapshot, database_name)
                snapshot.unlink()
                if include_media:
                    for path, arcname in _media_files():
                        try:
                            manifest["files"][arcname] = _add(tar, path, arcname)
                        except FileNotFoundError:  # deleted meanwhile: not in the snapshot
                            continue
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(data), 0o600, int(now.timestamp())

                tar.addfile(info, io.BytesIO(data))
            if sealed:
                sink.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.rename(part, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        part.unlink(missing_ok=True)
    return Backup(final, manifest)


def prune(output_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups of ``output_dir``; return those deleted."""
    backups = sorted(p for p in output_dir.glob(f"{PREFIX}*.tar*")
                     if p.is_file() and p.name.endswith((".tar", ".tar.sealed")))
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
    return doomed


def newest_backup(output_dir: Path) -> Path | None:
    if not output_dir.is_dir():
        return None
    backups = sorted(p for p in output_dir.glob(f"{PREFIX}*.tar*")
                     if p.name.endswith((".tar", ".tar.sealed")))
    return backups[-1] if backups else None


# --- Reading an archive ----------------------------------------------------------------------

class _ChunkReader:
    """A file object over the clear chunks of a sealed stream."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self.buffer) < size:
            try:
                self.buffer += next(self.chunks)
            except StopIteration:
                break
        if size < 0:
            data, self.buffer = self.buffer, b""
        else:
            data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if (path.is_absolute() or ".." in path.parts or not path.parts
            or not (name in {MANIFEST, SQLITE_FILE, PG_FILE} or path.parts[0] == "media")):
        raise CommandError(f"the backup holds an unexpected entry {name!r}. " + NOTHING_WRITTEN)
    return path.as_posix()


def extract(path: Path, work: Path, opener: sealing.Opener) -> dict[str, Any]:
    """Unpack ``path`` into the private directory ``work``, verify every checksum against the
    manifest and return the manifest."""
    if not path.is_file():
        raise CommandError(f"{path} is not a file")
    hashes: dict[str, dict[str, Any]] = {}
    with open(path, "rb") as handle:
        source: Any = handle
        if sealing.is_sealed(path):
            source = _ChunkReader(sealing.unseal(handle, opener))
        try:
            with tarfile.open(fileobj=source, mode="r|") as tar:
                for member in tar:
                    name = _safe_name(member.name)
                    if not member.isfile():
                        raise CommandError(f"the backup holds an entry that is not a file: "
                                           f"{name!r}. " + NOTHING_WRITTEN)
                    target = work / name
                    make_private_dir(target.parent)
                    stream = tar.extractfile(member)
                    assert stream is not None  # noqa: S101
                    digest = hashlib.sha256()
                    size = 0
                    with create_private(target) as out:
                        while block := stream.read(1024 * 1024):
                            digest.update(block)
                            size += len(block)
                            out.write(block)
                    hashes[name] = {"sha256": digest.hexdigest(), "size": size}
        except sealing.SealError as exc:
            raise CommandError(f"{exc}. " + NOTHING_WRITTEN) from exc
        except tarfile.TarError as exc:
            raise CommandError(f"{path} is not a ctip backup or is damaged ({exc}). "
                               + NOTHING_WRITTEN) from exc
    if MANIFEST not in hashes:
        raise CommandError("the backup has no manifest (it is incomplete). " + NOTHING_WRITTEN)
    manifest: dict[str, Any] = json.loads((work / MANIFEST).read_text())
    if manifest.get("format") != "ctip-backup":
        raise CommandError("this is not a ctip backup. " + NOTHING_WRITTEN)
    del hashes[MANIFEST]
    expected = manifest.get("files", {})
    problems = [f"{n}: missing" for n in sorted(set(expected) - set(hashes))]
    problems += [f"{n}: not in the manifest" for n in sorted(set(hashes) - set(expected))]
    problems += [f"{n}: checksum differs" for n in sorted(set(hashes) & set(expected))
                 if hashes[n] != expected[n]]
    if problems:
        raise CommandError("the backup is damaged: " + "; ".join(problems) + ". "
                           + NOTHING_WRITTEN)
    return manifest


# --- Checks before a restore -----------------------------------------------------------------

def target_problems() -> list[str]:
    """What makes the configured database or media directory unfit for a restore."""
    problems = []
    if connection.vendor == "sqlite":
        target = _sqlite_path()
        if target.exists() and target.stat().st_size:
            db = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
            try:
                tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                    ).fetchone()[0]
            finally:
                db.close()
            if tables:
                problems.append(f"the database {target} already holds tables")
    else:
        try:
            tables = connection.introspection.table_names()
        except Exception as exc:  # noqa: BLE001 - the database may not exist
            raise CommandError(f"cannot open the database "
                               f"{settings.DATABASES['default']['NAME']}: {exc}. Create it "
                               "empty, owned by the ctip role (docs/operations.md). "
                               + NOTHING_WRITTEN) from exc
        if tables:
            problems.append(f"the database {settings.DATABASES['default']['NAME']} already "
                            f"holds {len(tables)} tables")
    media = Path(settings.MEDIA_ROOT)
    if media.is_dir() and any(files for _d, _s, files in os.walk(media)):
        problems.append(f"the media directory {media} is not empty")
    return problems


def _sample_sqlite(snapshot: Path, table: str, columns: list[str]) -> dict[str, str]:
    db = sqlite3.connect(f"file:{snapshot}?mode=ro&immutable=1", uri=True)
    try:
        found = {}
        for column in columns:
            try:
                row = db.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT '  # noqa: S608
                                 f"NULL AND \"{column}\" != '' LIMIT 1").fetchone()
            except sqlite3.OperationalError:
                continue
            if row:
                found[column] = str(row[0])
        return found
    finally:
        db.close()


def _sample_pgdump(dump: Path, table: str, columns: list[str]) -> dict[str, str]:
    """One stored value per column, read from the dump's data without any database."""
    pg_restore = pg_tool("pg_restore")
    process = subprocess.Popen(  # noqa: S603
        [pg_restore, "--data-only", f"--table={table}", "--file=-", str(dump)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None  # noqa: S101
    found: dict[str, str] = {}
    header: list[str] | None = None
    try:
        for line in process.stdout:
            if header is None:
                if line.startswith("COPY ") and " FROM stdin" in line:
                    inside = line[line.index("(") + 1:line.index(")")]
                    header = [c.strip().strip('"') for c in inside.split(",")]
                continue
            if line.startswith("\\."):
                break
            values = line.rstrip("\n").split("\t")
            for column in columns:
                if column in header and column not in found:
                    value = values[header.index(column)]
                    if value and value != "\\N":
                        found[column] = value
            if len(found) == len(columns):
                break
    finally:
        process.kill()
        process.wait()
    return found


def unreadable_columns(manifest: dict[str, Any], snapshot: Path) -> list[str]:
    """The encrypted columns of the snapshot that the keys at hand cannot decrypt (one stored
    value per column is tried)."""
    fernet = crypto.fernet()
    columns: dict[str, set[str]] = {t: set(c) for t, c in
                                    manifest.get("encrypted_columns", {}).items()}
    for table, code_columns in encrypted_columns().values():
        columns.setdefault(table, set()).update(code_columns)
    unreadable = []
    for table, cols in sorted(columns.items()):
        if not manifest.get("tables", {}).get(table):
            continue
        sample = (_sample_sqlite(snapshot, table, sorted(cols))
                  if manifest["engine"] == "sqlite"
                  else _sample_pgdump(snapshot, table, sorted(cols)))
        for column, token in sorted(sample.items()):
            try:
                fernet.decrypt(token.encode())
            except InvalidToken:
                unreadable.append(f"{table}.{column}")
    return unreadable


# --- Restoring -------------------------------------------------------------------------------

def restore_backup(path: Path, *, opener: sealing.Opener,
                   log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Restore ``path`` into the configured (empty) database and media directory. Everything
    that can refuse refuses before the first write."""
    engine = _engine()
    problems = target_problems()
    if problems:
        raise CommandError("ctip restores only into an empty database and an empty media "
                           "directory: " + "; ".join(problems) + ". " + NOTHING_WRITTEN)
    try:
        keys = crypto.current_keys()
    except crypto.KeyError_ as exc:
        raise CommandError(f"{exc} Put the keys exported with `ctip keys export` in place "
                           "first (`ctip keys import FILE`). " + NOTHING_WRITTEN) from exc
    data_dir = Path(settings.DATA_DIR)
    make_private_dir(data_dir)
    work = Path(tempfile.mkdtemp(prefix=".ctip-restore-", dir=data_dir))
    try:
        manifest = extract(path, work, opener)
        log(f"{path.name}: {len(manifest['files'])} files, checksums verified "
            f"(made {manifest['created_at']} by ctip {manifest['ctip_version']}).")
        if manifest["engine"] != engine:
            raise CommandError(f"this backup is of a {manifest['engine']} database and ctip "
                               f"is configured for {engine}. " + NOTHING_WRITTEN)
        snapshot = work / manifest["database"]
        unreadable = unreadable_columns(manifest, snapshot)
        if unreadable:
            needed = ", ".join(manifest.get("field_key_fingerprints", [])) or "unknown"
            have = ", ".join(fingerprint(k) for k in keys)
            raise CommandError(
                "the field keys at hand cannot decrypt this backup's identities "
                f"({', '.join(unreadable)}). The backup was made with the key(s) {needed}; "
                f"the keys at hand are {have}. Import the keys exported with `ctip keys "
                "export` from the same installation (`ctip keys import FILE`) and run the "
                "restore again. " + NOTHING_WRITTEN)
        log("The keys at hand decrypt the stored identities.")
        connection.close()
        if engine == "sqlite":
            target = _sqlite_path()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            if not target.parent.exists():
                make_private_dir(target.parent)
            partial = target.with_name(f".{target.name}.restoring")
            partial.unlink(missing_ok=True)
            create_private(partial).close()
            source = sqlite3.connect(f"file:{snapshot}?mode=ro&immutable=1", uri=True)
            destination = sqlite3.connect(str(partial))
            try:
                source.backup(destination)
            finally:
                destination.close()
                source.close()
            os.replace(partial, target)
        else:
            _run([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                  "--single-transaction", f"--dbname={_pg_settings()['dbname']}",
                  str(snapshot)], "pg_restore")
        media_root = Path(settings.MEDIA_ROOT)
        restored_files = 0
        for name in manifest["files"]:
            if name.startswith("media/"):
                destination_path = media_root / PurePosixPath(name).relative_to("media")
                make_private_dir(destination_path.parent, strict=False)
                shutil.move(str(work / name), destination_path)
                restored_files += 1
        log(f"Database restored; {restored_files} media files restored.")
        _verify_counts(manifest)
        log(f"Row counts of {len(manifest['tables'])} tables and "
            f"{len(manifest['migrations'])} migrations match the manifest.")
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)


#: How many keys a Redis cache deletes at once when it is emptied.
REDIS_BATCH = 1000


def cache_names() -> list[str]:
    """Each configured cache as the operator knows it: its alias, kind and place."""
    names = []
    for alias, config in settings.CACHES.items():
        kind = str(config.get("BACKEND", "")).rsplit(".", 1)[-1]
        place = str(config.get("LOCATION", ""))
        if "@" in place:  # a Redis address may hold a password: its host only
            scheme, _, rest = place.partition("://")
            place = f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
        prefix = config.get("KEY_PREFIX")
        names.append(f"{alias}: {kind} {place}" + (f", keys {prefix}:*" if prefix else ""))
    return names


def forget_cached() -> list[str]:
    """Empty every configured cache of what ctip kept there; each cache as ``cache_names``
    says it.

    What a cache holds was made from the database that was there before a restore: a
    signed-in user's snapshot with her roles then, a session, the kept cards and figures under
    data versions that the restored database will reach again with other rows (its keys start
    again from the backup's). None of it may outlive the database it came from. A Redis cache,
    which several installations may share, loses only the keys of ctip's prefix (Django's own
    ``clear`` would empty the whole Redis database); the file and memory caches are ctip's
    alone and are cleared."""
    for alias in settings.CACHES:
        backend = caches[alias]
        if isinstance(backend, RedisCache):
            # the client of Django's Redis cache: it offers no way to delete by prefix
            client = backend._cache.get_client(write=True)  # noqa: SLF001
            pattern = f"{backend.key_prefix}:*" if backend.key_prefix else "*"
            batch: list[Any] = []
            for key in client.scan_iter(match=pattern, count=REDIS_BATCH):
                batch.append(key)
                if len(batch) >= REDIS_BATCH:
                    client.delete(*batch)
                    batch = []
            if batch:
                client.delete(*batch)
        else:
            backend.clear()
    remembered.forget_all()  # this process's; a server forgets within remembered.SECONDS
    return cache_names()


def _verify_counts(manifest: dict[str, Any]) -> None:
    quote = connection.ops.quote_name
    problems = []
    with connection.cursor() as cursor:
        for table, count in sorted(manifest["tables"].items()):
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608
            actual = cursor.fetchone()[0]
            if actual != count:
                problems.append(f"{table}: {actual} rows, the manifest says {count}")
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        applied = sorted(tuple(r) for r in cursor.fetchall())
        if applied != sorted(tuple(m) for m in manifest["migrations"]):
            problems.append("the applied migrations differ from the manifest")
    if problems:
        raise CommandError("the restored database differs from the backup: "
                           + "; ".join(problems))
